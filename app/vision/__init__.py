"""Pure vision core: arrays in, frozen dataclasses with scores out.

Nothing in this package may import FastAPI, SQLAlchemy, Celery, read environment
variables or open files other than the images handed in. Heavy models are loaded
explicitly (see ``faces.models``), never at import time.
"""
