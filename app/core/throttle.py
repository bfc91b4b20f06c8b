"""Throttling of guessable credentials and uploads (the ``limits`` library).

Limits are settings (``IDGATE_RATE_LIMIT_*``, in the ``limits`` notation such as
``10/15 minutes``). Counters live in Redis when ``IDGATE_RATE_LIMIT_STORAGE_URL`` names one
(shared by every API process) and in process memory in the embedded default.

Two kinds of counters:

* failure counters (wrong password, unknown short link, wrong client secret or API key):
  :func:`check` before the attempt refuses once the limit is used up, :func:`hit` after a
  failure counts it; a right answer costs nothing;
* work counters (uploads per verification): :func:`consume` counts every request.

A refused request is a 429 ``rate_limited`` with ``Retry-After`` in seconds.
"""

from __future__ import annotations

import math
import time
from contextvars import ContextVar
from functools import lru_cache

from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

from app.core.config import get_settings
from app.core.errors import ApiError

# The network address of the request being served, set by the ASGI middleware in main.py.
_client_address: ContextVar[str] = ContextVar("idgate_client_address", default="unknown")


def set_client_address(address: str) -> None:
    _client_address.set(address)


def client_address() -> str:
    """The address of the client of the current request (``unknown`` outside a request)."""
    return _client_address.get()


@lru_cache(maxsize=1)
def _storage() -> Storage:
    return storage_from_string(get_settings().rate_limit_storage_url)


@lru_cache(maxsize=1)
def _limiter() -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(_storage())


@lru_cache(maxsize=32)
def _item(spec: str) -> RateLimitItem:
    return parse(spec)


def reset() -> None:
    """Forget every counter (tests; an operator clearing a lock-out restarts or uses Redis)."""
    _storage().reset()


def _limit_for(name: str) -> RateLimitItem:
    return _item(getattr(get_settings(), f"rate_limit_{name}"))


def retry_after_s(name: str, *key: str) -> int:
    """Seconds until one more request under ``name``/``key`` would be allowed."""
    stats = _limiter().get_window_stats(_limit_for(name), name, *key)
    return max(1, math.ceil(stats.reset_time - time.time()))


def refused(name: str, *key: str) -> ApiError:
    """The 429 answer for limit ``name``."""
    wait = retry_after_s(name, *key)
    return ApiError(
        429, "rate_limited", None, headers={"Retry-After": str(wait)}, retry_after_s=wait
    )


def allowed(name: str, *key: str) -> bool:
    """Whether limit ``name`` still has room for ``key`` (counts nothing)."""
    return _limiter().test(_limit_for(name), name, *key)


def check(name: str, *key: str) -> None:
    """Raise 429 when limit ``name`` is used up for ``key`` (counts nothing)."""
    if not allowed(name, *key):
        raise refused(name, *key)


def hit(name: str, *key: str) -> bool:
    """Count one failure; False when this one used up the limit."""
    return _limiter().hit(_limit_for(name), name, *key)


def consume(name: str, *key: str) -> None:
    """Count one request under ``name`` and raise 429 once the limit is used up."""
    if not _limiter().hit(_limit_for(name), name, *key):
        raise refused(name, *key)


def check_address(name: str) -> None:
    """:func:`check` keyed by the client's address."""
    check(name, client_address())


def fail_address(name: str) -> None:
    """:func:`hit` keyed by the client's address."""
    hit(name, client_address())
