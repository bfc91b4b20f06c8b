"""Keep secrets out of the logs: query-string secrets are masked in access-log lines.

The capture link carries the verification's client secret (``?secret=vcs_…``) on its
first hop; the page moves it out of the address bar at once, and this filter keeps that
one request from writing it to the server's access log.
"""

from __future__ import annotations

import logging
import re

_SECRET_PARAM = re.compile(r"(?i)([?&](?:secret|client_secret|token|api_key)=)[^&\s\"]*")
_SECRET_VALUE = re.compile(r"\b(vcs|whsec|idg|rs)_[A-Za-z0-9_\-]{8,}")
MASK = "[redacted]"


def redact_text(text: str) -> str:
    """``text`` with secret query parameters and secret-looking tokens masked."""
    return _SECRET_VALUE.sub(
        lambda m: f"{m.group(1)}_{MASK}", _SECRET_PARAM.sub(r"\1" + MASK, text)
    )


class RedactSecrets(logging.Filter):
    """A logging filter that masks secrets in the message and its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_text(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_text(a) if isinstance(a, str) else a for a in record.args)
        return True


def install(logger_names: tuple[str, ...] = ("uvicorn.access", "uvicorn.error", "app")) -> None:
    """Attach the filter once to each named logger."""
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactSecrets) for f in logger.filters):
            logger.addFilter(RedactSecrets())
