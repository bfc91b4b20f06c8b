"""Platform API for webhook endpoints and their deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.core.audit import record
from app.core.config import get_settings
from app.core.db import on_commit
from app.core.deps import ApiPrincipal, DbSession, require_scope
from app.core.errors import ApiError, not_found
from app.webhooks import service
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.urls import AllowList, WebhookUrlRefused, check_url

router = APIRouter(prefix="/v1/webhook-endpoints", tags=["webhooks"])
AdminKey = Annotated[ApiPrincipal, Depends(require_scope("webhooks:write"))]


class EndpointIn(BaseModel):
    url: str = Field(examples=["https://platform.example/hooks/idgate"], max_length=2000)
    events: list[str] = Field(default_factory=list, description="Empty = every event type.")


class EndpointOut(BaseModel):
    id: str
    url: str
    events: list[str]
    active: bool
    created_at: datetime
    secret: str | None = Field(None, description="Only returned on create and rotate.")


class DeliveryOut(BaseModel):
    id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
    payload: dict[str, Any]


def _out(endpoint: WebhookEndpoint, secret: str | None = None) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        events=list(endpoint.events or []),
        active=endpoint.active,
        created_at=endpoint.created_at,
        secret=secret,
    )


def _delivery_out(d: WebhookDelivery) -> DeliveryOut:
    return DeliveryOut(
        id=d.id,
        event_id=d.event_id,
        event_type=d.event_type,
        status=d.status,
        attempts=d.attempts,
        last_status_code=d.last_status_code,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
        created_at=d.created_at,
        payload=d.payload,
    )


@router.post("", status_code=201, response_model=EndpointOut)
def create_endpoint(body: EndpointIn, session: DbSession, principal: AdminKey) -> EndpointOut:
    try:
        check_url(
            body.url,
            AllowList.parse(get_settings().webhook_allowed_hosts),
            require_resolution=False,
        )
    except WebhookUrlRefused as exc:
        raise ApiError(422, "webhook_url_refused", exc.reason) from exc
    unknown = sorted(set(body.events) - set(service.EVENT_TYPES))
    if unknown:
        raise ApiError(422, "validation_error", f"unknown event types: {unknown}")
    endpoint, secret = service.create_endpoint(session, body.url, body.events)
    record(
        session,
        principal.actor,
        "webhook_endpoint.created",
        "webhook_endpoint",
        endpoint.id,
        url=body.url,
    )
    session.commit()
    return _out(endpoint, secret)


@router.get("", response_model=list[EndpointOut])
def list_endpoints(session: DbSession, principal: AdminKey) -> list[EndpointOut]:
    return [
        _out(e)
        for e in session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.created_at))
    ]


@router.post("/{endpoint_id}/rotate-secret", response_model=EndpointOut)
def rotate(endpoint_id: str, session: DbSession, principal: AdminKey) -> EndpointOut:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise not_found("webhook endpoint")
    secret = service.rotate_secret(endpoint)
    record(
        session, principal.actor, "webhook_endpoint.secret_rotated", "webhook_endpoint", endpoint.id
    )
    session.commit()
    return _out(endpoint, secret)


@router.delete("/{endpoint_id}", status_code=204)
def disable(endpoint_id: str, session: DbSession, principal: AdminKey) -> None:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise not_found("webhook endpoint")
    endpoint.active = False
    record(session, principal.actor, "webhook_endpoint.disabled", "webhook_endpoint", endpoint.id)
    session.commit()


@router.get("/{endpoint_id}/deliveries", response_model=list[DeliveryOut])
def deliveries(endpoint_id: str, session: DbSession, principal: AdminKey) -> list[DeliveryOut]:
    rows = session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.created_at.desc())
        .limit(100)
    )
    return [_delivery_out(d) for d in rows]


@router.post("/{endpoint_id}/deliveries/{delivery_id}/redeliver", response_model=DeliveryOut)
def redeliver(
    endpoint_id: str, delivery_id: str, session: DbSession, principal: AdminKey
) -> DeliveryOut:
    """Send a delivery again (same event id, so receivers can de-duplicate)."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise not_found("delivery")
    delivery.status = "pending"
    delivery.next_attempt_at = None
    record(
        session, principal.actor, "webhook_delivery.redelivered", "webhook_delivery", delivery.id
    )
    on_commit(session, lambda: service.enqueue_delivery(delivery_id))
    session.commit()
    return _delivery_out(delivery)
