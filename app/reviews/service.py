"""Reviewer accounts and decisions on escalated cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.audit import Actor, record
from app.core.config import get_settings
from app.core.errors import ApiError
from app.core.types import new_id, utcnow
from app.reviews.models import ReviewCase, Reviewer
from app.verifications import models as m
from app.verifications.decisions import record_decision
from app.verifications.models import Attempt, Verification

_hasher = PasswordHasher()
ROLES = ("reviewer", "admin")
OPEN = "open"
SECOND_REVIEW = "second_review"  # approved by one reviewer, waiting for a second one
CLOSED = "closed"
QUEUE_STATUSES = (OPEN, SECOND_REVIEW)
# Approving despite one of these escalations overrides an automated warning about identity
# (someone else's face or document, or a face that does not match): a second reviewer confirms.
SECOND_APPROVAL_ESCALATIONS = frozenset({"duplicate_face", "duplicate_document", "face_mismatch"})
# Audit action of an end user who declines biometrics and asks for a person instead.
MANUAL_REVIEW_ACTION = "end_user.manual_review_requested"


def second_approval_enabled() -> bool:
    """The four-eyes rule is on unless ``IDGATE_REVIEW_SECOND_APPROVAL`` is 0/false/off."""
    return get_settings().review_second_approval


REVIEW_DECISIONS = {
    "approve": m.APPROVED,
    "decline": m.DECLINED,
    "request_resubmission": m.RESUBMISSION_REQUESTED,
}


def create_reviewer(
    session: Session,
    email: str,
    password: str,
    role: str = "reviewer",
    *,
    actor: Actor = Actor("system"),
) -> Reviewer:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    if len(password) < 12:
        raise ValueError("password must have at least 12 characters")
    email = email.strip().lower()
    if session.scalar(select(Reviewer).where(Reviewer.email == email)):
        raise ValueError(f"reviewer {email} already exists")
    reviewer = Reviewer(
        id=new_id("rev"), email=email, password_hash=_hasher.hash(password), role=role
    )
    session.add(reviewer)
    record(
        session,
        actor,
        "reviewer.created",
        "reviewer",
        reviewer.id,
        email=email,
        role=role,
    )
    return reviewer


def verify_password(reviewer: Reviewer, password: str) -> None:
    """401 ``invalid_credentials`` unless ``password`` is the reviewer's."""
    try:
        _hasher.verify(reviewer.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise ApiError(401, "invalid_credentials") from exc


def set_password(session: Session, reviewer: Reviewer, password: str, actor: Actor) -> None:
    """Replace the password and end every console session of the reviewer."""
    from app.core.deps import revoke_reviewer_sessions

    if len(password) < 12:
        raise ApiError(422, "validation_error", "The password must have at least 12 characters.")
    reviewer.password_hash = _hasher.hash(password)
    ended = revoke_reviewer_sessions(session, reviewer.id, "password_changed")
    record(
        session, actor, "reviewer.password_changed", "reviewer", reviewer.id, sessions_ended=ended
    )


def deactivate(session: Session, reviewer: Reviewer, actor: Actor) -> None:
    """Disable a console user and end their sessions."""
    from app.core.deps import revoke_reviewer_sessions

    reviewer.active = False
    ended = revoke_reviewer_sessions(session, reviewer.id, "deactivated")
    record(session, actor, "reviewer.deactivated", "reviewer", reviewer.id, sessions_ended=ended)


def purge_ended_sessions(session: Session, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete console sessions that expired or were revoked more than ``older_than`` ago."""
    from sqlalchemy import delete, or_

    from app.reviews.models import ReviewerSession

    cutoff = utcnow() - older_than
    result = session.execute(
        delete(ReviewerSession).where(
            or_(ReviewerSession.expires_at < cutoff, ReviewerSession.revoked_at < cutoff)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def record_failed_login(session: Session, email: str, address: str, *, locked_out: bool) -> None:
    """Audit a failed login (and the lock-out it caused). Unknown emails are kept as a hash."""
    from app.core.security import sha256_hex

    reviewer = session.scalar(select(Reviewer).where(Reviewer.email == email))
    subject_type, subject_id = (
        ("reviewer", reviewer.id) if reviewer else ("reviewer_email", sha256_hex(email)[:32])
    )
    actor = Actor("anonymous", address[:80])
    record(session, actor, "reviewer.login_failed", subject_type, subject_id, address=address)
    if locked_out:
        record(session, actor, "reviewer.locked_out", subject_type, subject_id, address=address)


def authenticate(session: Session, email: str, password: str) -> Reviewer:
    reviewer = session.scalar(select(Reviewer).where(Reviewer.email == email.strip().lower()))
    try:
        if reviewer is None or not reviewer.active:
            _hasher.hash(password)  # same cost either way: no user-enumeration timing
            raise VerificationError()
        _hasher.verify(reviewer.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        raise ApiError(401, "invalid_credentials") from exc
    record(session, Actor("reviewer", reviewer.id), "reviewer.login", "reviewer", reviewer.id)
    return reviewer


def open_cases(
    session: Session,
    *,
    reason: str | None = None,
    assignee: str | None = None,
    min_age_hours: float | None = None,
    max_age_hours: float | None = None,
    limit: int = 50,
) -> list[ReviewCase]:
    """Undecided cases, oldest first.

    ``assignee`` is a reviewer id or ``none`` (unclaimed); ``reason`` keeps cases with that
    escalation; the age bounds select cases opened at least / at most that many hours ago.
    """
    query = (
        select(ReviewCase)
        .where(ReviewCase.status.in_(QUEUE_STATUSES))
        .order_by(ReviewCase.created_at)
    )
    if assignee == "none":
        query = query.where(ReviewCase.assignee_id.is_(None))
    elif assignee:
        query = query.where(ReviewCase.assignee_id == assignee)
    now = utcnow()
    if min_age_hours is not None:
        query = query.where(ReviewCase.created_at <= now - timedelta(hours=min_age_hours))
    if max_age_hours is not None:
        query = query.where(ReviewCase.created_at >= now - timedelta(hours=max_age_hours))
    cases = list(session.scalars(query.limit(500)))
    if reason:
        cases = [c for c in cases if reason in (c.escalations or [])]
    return cases[:limit]


def claim(session: Session, case: ReviewCase, actor: Actor) -> None:
    """Assign the case to the reviewer (taking it over from another one is audited too)."""
    if case.status not in QUEUE_STATUSES:
        raise ApiError(409, "already_decided")
    previous = case.assignee_id
    case.assignee_id = actor.id
    record(session, actor, "review.claimed", "review_case", case.id, previous_assignee=previous)


def needs_second_approval(case: ReviewCase) -> bool:
    """Whether approving this case needs a second reviewer's confirmation."""
    return second_approval_enabled() and bool(
        SECOND_APPROVAL_ESCALATIONS.intersection(case.escalations or [])
    )


def decide(session: Session, case: ReviewCase, decision: str, reason: str, actor: Actor) -> str:
    """Apply a reviewer's decision (with a required reason) to the case's verification.

    Returns the case status afterwards: ``closed``, or ``second_review`` when an approval
    overrides an identity escalation and waits for another reviewer. On a case in
    ``second_review`` a different reviewer may approve (confirming the first approval) or
    decide otherwise; the first approver cannot confirm their own approval.
    """
    if decision not in REVIEW_DECISIONS:
        raise ApiError(
            422, "validation_error", f"decision must be one of {sorted(REVIEW_DECISIONS)}"
        )
    if not reason.strip():
        raise ApiError(422, "validation_error", "a reason is required")
    if case.status not in QUEUE_STATUSES:
        raise ApiError(409, "already_decided")
    verification = session.get(Verification, case.verification_id)
    assert verification is not None
    if verification.status != m.NEEDS_REVIEW:
        raise ApiError(409, "invalid_state", status=verification.status)
    details: dict[str, Any] = dict(case.details or {})
    first = details.get("first_approval")
    if case.status == SECOND_REVIEW and first and first.get("reviewer_id") == actor.id:
        raise ApiError(
            403, "second_reviewer_required", "Another reviewer must confirm this approval."
        )
    if decision == "approve" and case.status == OPEN and needs_second_approval(case):
        details["first_approval"] = {
            "reviewer_id": actor.id,
            "reason": reason.strip(),
            "at": utcnow().isoformat(),
        }
        case.details = details
        case.status = SECOND_REVIEW
        record(
            session,
            actor,
            "review.first_approval",
            "review_case",
            case.id,
            verification_id=verification.id,
            reason=reason.strip(),
            escalations=list(case.escalations or []),
        )
        return case.status
    attempt = session.get(Attempt, case.attempt_id) if case.attempt_id else None
    status = REVIEW_DECISIONS[decision]
    codes = (
        ["reviewer_" + decision]
        if status != m.RESUBMISSION_REQUESTED
        else ["reviewer_requested_resubmission"]
    )
    note = reason.strip()
    if first and case.status == SECOND_REVIEW:
        note = f"{note} (first approval by {first.get('reviewer_id')}: {first.get('reason')})"
    record_decision(session, verification, attempt, status, codes, actor=actor, note=note)
    record(
        session,
        actor,
        "review.decided",
        "review_case",
        case.id,
        verification_id=verification.id,
        decision=decision,
        reason=reason.strip(),
        second_reviewer=bool(first and case.status == SECOND_REVIEW),
    )
    case.status = CLOSED
    case.closed_at = utcnow()
    case.assignee_id = case.assignee_id or actor.id
    return case.status
