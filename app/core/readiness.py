"""Readiness: is any worker consuming the pipeline queue? Asked over the broker (Celery's
``active_queues`` inspection), cached briefly so that probes do not flood the broker."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

CACHE_S = 2.0
INSPECT_TIMEOUT_S = 1.0

_lock = threading.Lock()
_cached: tuple[float, list[str]] | None = None


def inspect_consumers(queue: str, timeout_s: float = INSPECT_TIMEOUT_S) -> list[str]:
    """Node names of the workers that answered over the broker and consume ``queue``."""
    from workers.celery_app import celery_app

    replies = celery_app.control.inspect(timeout=timeout_s).active_queues() or {}
    return sorted(
        node
        for node, queues in replies.items()
        if any(q.get("name") == queue for q in queues or [])
    )


def inspect_pipeline_consumers(timeout_s: float = INSPECT_TIMEOUT_S) -> list[str]:
    """Node names of the workers that answered and consume the pipeline queue."""
    from workers.queues import PIPELINE_QUEUE

    return inspect_consumers(PIPELINE_QUEUE, timeout_s)


def pipeline_consumers(
    probe: Callable[[], list[str]] | None = None, now: float | None = None
) -> list[str]:
    """The cached answer of ``probe`` (by default the broker inspection; at most
    ``CACHE_S`` old)."""
    global _cached
    probe = probe or inspect_pipeline_consumers
    now = time.monotonic() if now is None else now
    with _lock:
        if _cached is not None and now - _cached[0] < CACHE_S:
            return _cached[1]
        try:
            consumers = probe()
        except Exception:  # broker unreachable: nobody consumes
            consumers = []
        _cached = (now, consumers)
        return consumers


def reset_cache() -> None:
    global _cached
    with _lock:
        _cached = None
