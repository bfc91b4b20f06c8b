"""Reviewer accounts and decisions on escalated cases."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.audit import Actor, record
from app.core.errors import ApiError
from app.core.types import new_id, utcnow
from app.reviews.models import ReviewCase, Reviewer
from app.verifications import models as m
from app.verifications.decisions import record_decision
from app.verifications.models import Attempt, Verification

_hasher = PasswordHasher()
ROLES = ("reviewer", "admin")
REVIEW_DECISIONS = {
    "approve": m.APPROVED,
    "decline": m.DECLINED,
    "request_resubmission": m.RESUBMISSION_REQUESTED,
}


def create_reviewer(
    session: Session, email: str, password: str, role: str = "reviewer"
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
        Actor("system"),
        "reviewer.created",
        "reviewer",
        reviewer.id,
        email=email,
        role=role,
    )
    return reviewer


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
    session: Session, *, reason: str | None = None, assignee: str | None = None, limit: int = 50
) -> list[ReviewCase]:
    query = select(ReviewCase).where(ReviewCase.status == "open").order_by(ReviewCase.created_at)
    if assignee == "none":
        query = query.where(ReviewCase.assignee_id.is_(None))
    elif assignee:
        query = query.where(ReviewCase.assignee_id == assignee)
    cases = list(session.scalars(query.limit(500)))
    if reason:
        cases = [c for c in cases if reason in (c.escalations or [])]
    return cases[:limit]


def claim(session: Session, case: ReviewCase, actor: Actor) -> None:
    if case.status != "open":
        raise ApiError(409, "already_decided")
    case.assignee_id = actor.id
    record(session, actor, "review.claimed", "review_case", case.id)


def decide(session: Session, case: ReviewCase, decision: str, reason: str, actor: Actor) -> None:
    """Apply a reviewer's decision (with a required reason) to the case's verification."""
    if decision not in REVIEW_DECISIONS:
        raise ApiError(
            422, "validation_error", f"decision must be one of {sorted(REVIEW_DECISIONS)}"
        )
    if not reason.strip():
        raise ApiError(422, "validation_error", "a reason is required")
    if case.status != "open":
        raise ApiError(409, "already_decided")
    verification = session.get(Verification, case.verification_id)
    assert verification is not None
    if verification.status != m.NEEDS_REVIEW:
        raise ApiError(409, "invalid_state", status=verification.status)
    attempt = session.get(Attempt, case.attempt_id) if case.attempt_id else None
    status = REVIEW_DECISIONS[decision]
    codes = (
        ["reviewer_" + decision]
        if status != m.RESUBMISSION_REQUESTED
        else ["reviewer_requested_resubmission"]
    )
    record_decision(session, verification, attempt, status, codes, actor=actor, note=reason.strip())
    case.status = "closed"
    case.closed_at = utcnow()
    case.assignee_id = case.assignee_id or actor.id
