"""Send one webhook delivery (called by the Celery task); retries are the task's."""

from __future__ import annotations

import json

import httpx
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.types import utcnow
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.service import endpoint_secret
from app.webhooks.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, sign
from app.webhooks.urls import AllowList, Target, WebhookUrlRefused, check_url

MAX_ATTEMPTS = 8


class DeliveryFailed(Exception):
    """The receiver did not answer 2xx; the task retries with backoff."""


def _post_pinned(
    target: Target, body: bytes, headers: dict[str, str], timeout_s: float
) -> httpx.Response:
    """POST to the address that was checked (no second DNS lookup), no redirects."""
    if not target.addresses:  # an allow-listed name: resolved by the client
        host = target.host
    else:
        address = target.addresses[0]
        host = f"[{address}]" if address.version == 6 else str(address)
    url = f"{target.scheme}://{host}:{target.port}{target.path}"
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    with httpx.Client(timeout=timeout_s, follow_redirects=False, trust_env=False) as client:
        return client.post(
            url,
            content=body,
            headers={**headers, "Host": host_header},
            extensions=extensions,
        )


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
    allow = AllowList.parse(get_settings().webhook_allowed_hosts)
    try:
        target = check_url(endpoint.url, allow, require_resolution=True)
    except WebhookUrlRefused as exc:
        # Permanent: no retry can make a forbidden address acceptable.
        delivery.status = "failed"
        delivery.last_status_code = None
        delivery.last_error = f"refused: {exc.reason}"
        session.commit()
        return delivery.status
    try:
        response = _post_pinned(target, body, headers, timeout_s)
        delivery.last_status_code = response.status_code
        ok = 200 <= response.status_code < 300
        delivery.last_error = None if ok else f"HTTP {response.status_code}"
    except httpx.TimeoutException:
        ok = False
        delivery.last_status_code = None
        delivery.last_error = "the receiver did not answer in time"
    except httpx.HTTPError:
        # No exception text: it would tell the caller how the network answered.
        ok = False
        delivery.last_status_code = None
        delivery.last_error = "the receiver could not be reached"
    if ok:
        delivery.status = "delivered"
        delivery.delivered_at = utcnow()
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    session.commit()
    if not ok and delivery.status != "failed":
        raise DeliveryFailed(delivery.last_error or "failed")
    return delivery.status
