"""Retention: personal data of finished verifications is deleted after a set period.

``IDGATE_RETENTION_DAYS`` (default 30) counts from the decision (or from the link's
expiry for a verification nobody finished). Each verification found is redacted in its
own transaction with :func:`app.verifications.service.redact`: images, face templates,
document fingerprints and check details go; the decision and the audit trail stay;
``verification.redacted`` is emitted once. Running it again finds nothing new
(idempotent). Verifications being processed or waiting for a reviewer are left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select

from app.core.audit import Actor
from app.core.config import get_settings
from app.core.db import session_scope
from app.core.types import utcnow
from app.verifications import models as m
from app.verifications import service
from app.verifications.models import Verification

RETENTION_ACTOR = Actor("system", "retention")


def due_for_redaction(now: datetime, days: int, limit: int = 500) -> list[str]:
    """Ids of verifications whose retention period is over and that still hold data."""
    cutoff = now - timedelta(days=days)
    with session_scope() as session:
        return list(
            session.scalars(
                select(Verification.id)
                .where(
                    Verification.redacted_at.is_(None),
                    or_(
                        and_(
                            Verification.status.in_(m.TERMINAL_STATUSES),
                            Verification.decided_at.is_not(None),
                            Verification.decided_at < cutoff,
                        ),
                        and_(
                            Verification.status.in_(m.INPUT_STATUSES),
                            Verification.expires_at < cutoff,
                        ),
                    ),
                )
                .order_by(Verification.created_at)
                .limit(limit)
            )
        )


def run_retention(now: datetime | None = None, days: int | None = None) -> int:
    """Redact every verification past retention; returns how many were redacted now."""
    now = now or utcnow()
    days = get_settings().retention_days if days is None else days
    redacted = 0
    for verification_id in due_for_redaction(now, days):
        with session_scope() as session:
            verification = session.get(Verification, verification_id)
            if verification is None or verification.status == m.PROCESSING:
                continue
            service.expire_if_due(session, verification)
            if service.redact(session, verification, RETENTION_ACTOR):
                redacted += 1
    return redacted
