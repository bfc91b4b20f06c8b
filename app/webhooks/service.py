"""Webhook events: one delivery row per endpoint, sent by a Celery task after commit."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.db import on_commit
from app.core.security import decrypt, encrypt
from app.core.types import new_id, new_secret
from app.storage.blobs import get_keys
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

EVENT_TYPES = (
    "verification.created",
    "verification.processing",
    "verification.approved",
    "verification.declined",
    "verification.needs_review",
    "verification.resubmission_requested",
    "verification.canceled",
    "verification.expired",
    "verification.redacted",
    "account.access_changed",
)


def _secret_aad(endpoint_id: str) -> bytes:
    return f"webhook-secret:{endpoint_id}".encode()


def create_endpoint(session: Session, url: str, events: list[str]) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; returns it and its signing secret (shown once)."""
    endpoint = WebhookEndpoint(id=new_id("whe"), url=url, events=events)
    secret = "whsec_" + new_secret(24)
    endpoint.encrypted_secret = encrypt(
        get_keys().storage_key, secret.encode(), _secret_aad(endpoint.id)
    )
    session.add(endpoint)
    return endpoint, secret


def rotate_secret(endpoint: WebhookEndpoint) -> str:
    secret = "whsec_" + new_secret(24)
    endpoint.encrypted_secret = encrypt(
        get_keys().storage_key, secret.encode(), _secret_aad(endpoint.id)
    )
    return secret


def endpoint_secret(endpoint: WebhookEndpoint) -> str:
    return decrypt(
        get_keys().storage_key, endpoint.encrypted_secret, _secret_aad(endpoint.id)
    ).decode()


def emit_event(session: Session, event_type: str, data: dict[str, Any]) -> str:
    """Queue ``event_type`` for every subscribed endpoint; delivery starts after commit."""
    event_id = new_id("evt")
    payload = {"id": event_id, "type": event_type, "created": int(time.time()), "data": data}
    endpoints = session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.active.is_(True)))
    for endpoint in endpoints:
        if endpoint.events and event_type not in endpoint.events:
            continue
        delivery = WebhookDelivery(
            id=new_id("whd"),
            endpoint_id=endpoint.id,
            event_id=event_id,
            event_type=event_type,
            payload=payload,
        )
        session.add(delivery)
        on_commit(session, lambda d=delivery.id: enqueue_delivery(d))
    return event_id


def enqueue_delivery(delivery_id: str, countdown: float | None = None) -> None:
    from workers.celery_app import celery_app

    celery_app.send_task("idgate.deliver_webhook", args=[delivery_id], countdown=countdown)
