"""Turn rows into API bodies (shared by the platform, session and reviewer routes)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core.reasons import message_for
from app.verifications.models import CheckRecord, DecisionRecord, Verification
from app.verifications.schemas import CheckOut, DecisionOut, VerificationLink, VerificationOut
from app.verifications.service import capture_url


def latest_decision(session: Session, verification_id: str) -> DecisionRecord | None:
    return session.scalar(
        select(DecisionRecord)
        .where(DecisionRecord.verification_id == verification_id)
        .order_by(DecisionRecord.created_at.desc())
        .limit(1)
    )


def checks_of(session: Session, attempt_id: str | None) -> list[CheckRecord]:
    if not attempt_id:
        return []
    return list(
        session.scalars(
            select(CheckRecord)
            .where(CheckRecord.attempt_id == attempt_id)
            .order_by(CheckRecord.created_at)
        )
    )


def verification_out(
    session: Session, v: Verification, *, with_checks: bool = True
) -> VerificationOut:
    account = session.get(Account, v.account_id)
    decision = latest_decision(session, v.id)
    checks = (
        checks_of(session, decision.attempt_id if decision else v.current_attempt_id)
        if with_checks
        else []
    )
    return VerificationOut(
        id=v.id,
        account_id=account.external_id if account else "",
        status=v.status,
        reason_codes=list(v.reason_codes or []),
        messages={c: message_for(c) for c in v.reason_codes or []},
        attempts=v.attempt_count or 0,
        created_at=v.created_at,
        expires_at=v.expires_at,
        decided_at=v.decided_at,
        redacted=v.redacted_at is not None,
        checks=[
            CheckOut(
                kind=c.kind,
                outcome=c.outcome,
                score=c.score,
                reason_codes=list(c.reason_codes or []),
                model_version=c.model_version,
                # a redacted verification shows no personal data, even from older rows
                details={} if v.redacted_at is not None else dict(c.details or {}),
            )
            for c in checks
        ],
        decision=DecisionOut(
            status=decision.status,
            reason_codes=list(decision.reason_codes or []),
            escalations=list(decision.escalations or []),
            policy_version=decision.policy_version,
            model_versions=dict(decision.model_versions or {}),
            decided_by=decision.decided_by_type,
            note=decision.note,
            created_at=decision.created_at,
        )
        if decision
        else None,
    )


def verification_link(verification: Verification, client_secret: str) -> VerificationLink:
    """The body that hands a verification's link (with its client secret) to the platform."""
    return VerificationLink(
        id=verification.id,
        status=verification.status,
        url=capture_url(verification, client_secret),
        client_secret=client_secret,
        short_code=verification.short_code,
        expires_at=verification.expires_at,
    )
