"""Recording decisions: the one place where a verification's outcome changes account access."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import ALLOWED, BLOCKED, Account
from app.accounts.service import set_access
from app.core.audit import Actor, record
from app.core.types import new_id, utcnow
from app.reviews.models import ReviewCase
from app.verifications import models as m
from app.verifications.models import Attempt, DecisionRecord, Verification
from app.verifications.service import set_status

DECISION_STATUSES = {m.APPROVED, m.DECLINED, m.NEEDS_REVIEW, m.RESUBMISSION_REQUESTED}


def record_decision(
    session: Session,
    verification: Verification,
    attempt: Attempt | None,
    status: str,
    reason_codes: list[str],
    *,
    actor: Actor,
    policy_version: str | None = None,
    model_versions: dict[str, str] | None = None,
    escalations: list[str] | None = None,
    note: str | None = None,
    review_details: dict[str, object] | None = None,
) -> DecisionRecord:
    """Store a decision, move the verification, and apply it to the account's access.

    Approval restores access; a decline keeps the account blocked; ``needs_review`` opens
    a review case. Everything is audited and emitted as webhook events.
    """
    if status not in DECISION_STATUSES:
        raise ValueError(f"not a decision status: {status}")
    decision = DecisionRecord(
        id=new_id("dec"),
        verification_id=verification.id,
        attempt_id=attempt.id if attempt else None,
        status=status,
        reason_codes=list(reason_codes),
        escalations=list(escalations or []),
        policy_version=policy_version,
        model_versions=dict(model_versions or {}),
        decided_by_type=actor.type,
        decided_by_id=actor.id,
        note=note,
    )
    session.add(decision)
    if attempt is not None:
        attempt.decided_at = utcnow()
    set_status(session, verification, status, actor, list(reason_codes))
    record(
        session,
        actor,
        "verification.decided",
        "verification",
        verification.id,
        decision_id=decision.id,
        status=status,
        reason_codes=list(reason_codes),
        policy_version=policy_version,
        note=note,
    )
    account = session.get(Account, verification.account_id)
    assert account is not None
    if status == m.APPROVED:
        set_access(
            session,
            account,
            ALLOWED,
            reason="verification_approved",
            actor=actor,
            verification_id=verification.id,
        )
    elif status == m.DECLINED:
        set_access(
            session,
            account,
            BLOCKED,
            reason="verification_declined",
            actor=actor,
            verification_id=verification.id,
        )
    open_cases = session.scalars(
        select(ReviewCase).where(
            ReviewCase.verification_id == verification.id, ReviewCase.status == "open"
        )
    ).all()
    if status == m.NEEDS_REVIEW:
        if not open_cases:
            session.add(
                ReviewCase(
                    id=new_id("case"),
                    verification_id=verification.id,
                    attempt_id=attempt.id if attempt else None,
                    status="open",
                    escalations=list(escalations or reason_codes),
                    details=dict(review_details or {}),
                )
            )
    else:
        for case in open_cases:
            case.status = "closed"
            case.closed_at = utcnow()
    return decision
