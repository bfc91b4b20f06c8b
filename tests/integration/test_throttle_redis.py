"""Throttling counters in Redis are shared by every API process (IDGATE_RATE_LIMIT_STORAGE_URL)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from app.core import throttle
from app.core.config import get_settings
from app.core.errors import ApiError
from tests.integration.conftest import REDIS_URL, _port_open, _unavailable


@pytest.fixture
def redis_throttle(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    if not _port_open("127.0.0.1", 6379):
        _unavailable("Redis is not listening on 127.0.0.1:6379")
    monkeypatch.setattr(get_settings(), "rate_limit_storage_url", REDIS_URL)
    monkeypatch.setattr(get_settings(), "rate_limit_login_address", "3/minute")
    throttle._storage.cache_clear()
    throttle._limiter.cache_clear()
    yield
    throttle._storage.cache_clear()
    throttle._limiter.cache_clear()


def test_failures_counted_in_redis_are_seen_by_another_process_view(redis_throttle) -> None:
    address = f"probe-{uuid.uuid4().hex}"
    for _ in range(3):
        throttle.check("login_address", address)
        throttle.hit("login_address", address)
    # a fresh limiter (as in another API process) reads the same counters
    throttle._limiter.cache_clear()
    throttle._storage.cache_clear()
    assert type(throttle._storage()).__name__.lower().startswith("redis")
    with pytest.raises(ApiError) as refused:
        throttle.check("login_address", address)
    assert refused.value.status == 429 and int(refused.value.headers["Retry-After"]) > 0
