"""Send one webhook delivery (called by the Celery task); retries are the task's."""

from __future__ import annotations

import json

import httpx
from sqlalchemy.orm import Session

from app.core.types import utcnow
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.service import endpoint_secret
from app.webhooks.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, sign

MAX_ATTEMPTS = 8


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the task retries with backoff."""


def deliver(session: Session, delivery_id: str, timeout_s: float) -> str:
    """POST the event; returns the delivery's new status. Raises DeliveryFailed to retry."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status == "delivered":
        return "skipped"
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is None or not endpoint.active:
        delivery.status = "failed"
        delivery.last_error = "endpoint disabled"
        session.commit()
        return delivery.status
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(endpoint_secret(endpoint), body),
        EVENT_ID_HEADER: delivery.event_id,
        "User-Agent": "idgate-webhooks/1",
    }
    delivery.attempts += 1
    try:
        response = httpx.post(endpoint.url, content=body, headers=headers, timeout=timeout_s)
        delivery.last_status_code = response.status_code
        ok = 200 <= response.status_code < 300
        delivery.last_error = None if ok else f"HTTP {response.status_code}"
    except httpx.HTTPError as exc:
        ok = False
        delivery.last_error = f"{type(exc).__name__}: {exc}"[:500]
    if ok:
        delivery.status = "delivered"
        delivery.delivered_at = utcnow()
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    session.commit()
    if not ok and delivery.status != "failed":
        raise DeliveryFailed(delivery.last_error or "failed")
    return delivery.status
