"""Append audit events in the caller's transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from app.core.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who acts: ``system``, an ``api_key``, a ``reviewer`` or the ``end_user`` of a session."""

    type: str
    id: str | None = None


SYSTEM = Actor("system")


def record(
    session: Session, actor: Actor, action: str, subject_type: str, subject_id: str, **data: Any
) -> AuditEvent:
    """Add one audit event; it commits with the rest of the unit of work."""
    event = AuditEvent(
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        data=data,
    )
    session.add(event)
    return event
