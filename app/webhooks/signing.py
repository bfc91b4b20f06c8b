"""Webhook signatures: ``t=<unix>,v1=<hex hmac-sha256 of "t.body">`` (DESIGN §6)."""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "Idgate-Signature"
EVENT_ID_HEADER = "Idgate-Event-Id"
DEFAULT_TOLERANCE_S = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for ``body``."""
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(
    secret: str,
    body: bytes,
    header: str,
    *,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
    now: int | None = None,
) -> bool:
    """True when one ``v1`` signature matches and the timestamp is within tolerance."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError):
        return False
    current = int(time.time()) if now is None else now
    if abs(current - t) > tolerance_s:
        return False
    expected = sign(secret, body, t).split("v1=", 1)[1]
    candidates = [v for k, v in (i.split("=", 1) for i in header.split(",")) if k == "v1"]
    return any(hmac.compare_digest(expected, c) for c in candidates)
