"""PURE core for the entity side of the access decision: the ownership restriction engine
(the 50 % rule as a fixed point, with explanations), watchlist name normalisation and
scoring, and parsers for list and ownership files.

Like ``app.vision`` and ``app.policy`` this package imports nothing from the rest of ``app``
and does no web, database, Celery or environment access: plain data in, frozen dataclasses
out.
"""
