"""Reviewer API: login, queue, case detail, evidence images, decisions. Every view is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import or_, select

from app.accounts.models import Account
from app.core import throttle
from app.core.audit import record
from app.core.config import get_settings
from app.core.deps import (
    SESSION_COOKIE,
    AdminReviewer,
    CurrentReviewer,
    DbSession,
    csrf_token_for,
    revoke_reviewer_sessions,
    start_reviewer_session,
)
from app.core.errors import ApiError, errors, not_found
from app.core.models import AuditEvent
from app.reviews import service
from app.reviews.models import ReviewCase, Reviewer
from app.storage.blobs import get_blob_store
from app.verifications.models import Artifact, Verification
from app.verifications.views import verification_out

router = APIRouter(prefix="/v1/review", tags=["review"])


class LoginRequest(BaseModel):
    email: str
    password: str


class LoginOut(BaseModel):
    reviewer_id: str
    email: str
    role: str
    csrf_token: str


class DecideRequest(BaseModel):
    decision: str = Field(
        examples=["approve"], description="approve | decline | request_resubmission"
    )
    reason: str = Field(min_length=1, max_length=2000)


class CaseOut(BaseModel):
    id: str
    verification_id: str
    account_id: str
    status: str
    escalations: list[str]
    assignee_id: str | None
    created_at: Any
    details: dict[str, Any] = {}
    assignee_email: str | None = None
    needs_second_approval: bool = False


def _case_out(session: DbSession, case: ReviewCase) -> CaseOut:
    verification = session.get(Verification, case.verification_id)
    account = session.get(Account, verification.account_id) if verification else None
    return CaseOut(
        id=case.id,
        verification_id=case.verification_id,
        account_id=account.external_id if account else "",
        status=case.status,
        escalations=list(case.escalations or []),
        assignee_id=case.assignee_id,
        created_at=case.created_at,
        details=dict(case.details or {}),
        assignee_email=_email(session, case.assignee_id),
        needs_second_approval=service.needs_second_approval(case),
    )


def _email(session: DbSession, reviewer_id: str | None) -> str | None:
    reviewer = session.get(Reviewer, reviewer_id) if reviewer_id else None
    return reviewer.email if reviewer else None


def _set_cookie(response: Response, cookie: str) -> None:
    settings = get_settings()
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="strict",
        secure=settings.public_base_url.startswith("https://"),
        max_age=settings.reviewer_session_max_hours * 3600,
    )


@router.post("/login", response_model=LoginOut, responses=errors(401, 422, 429))
def login(body: LoginRequest, response: Response, session: DbSession) -> LoginOut:
    """Open a console session. Failed logins are audited and throttled per address and per
    account; an account that reaches its limit is locked out for a while (audited)."""
    email = body.email.strip().lower()
    throttle.check_address("login_address")
    throttle.check("login_account", email)
    try:
        reviewer = service.authenticate(session, email, body.password)
    except ApiError:
        session.rollback()
        throttle.fail_address("login_address")
        throttle.hit("login_account", email)
        locked = not throttle.allowed("login_account", email)
        service.record_failed_login(session, email, throttle.client_address(), locked_out=locked)
        session.commit()
        raise
    cookie = start_reviewer_session(session, reviewer.id)
    session.commit()
    _set_cookie(response, cookie)
    return LoginOut(
        reviewer_id=reviewer.id,
        email=reviewer.email,
        role=reviewer.role,
        csrf_token=csrf_token_for(cookie),
    )


@router.post("/logout", status_code=204, responses=errors(401, 403))
def logout(
    request: Request, response: Response, session: DbSession, reviewer: CurrentReviewer
) -> Response:
    """End this console session on the server (the cookie stops working everywhere)."""
    revoke_reviewer_sessions(
        session, reviewer.id, "logout", token=request.cookies.get(SESSION_COOKIE)
    )
    record(session, reviewer.actor, "reviewer.logout", "reviewer", reviewer.id)
    session.commit()
    response.delete_cookie(SESSION_COOKIE)
    response.status_code = 204
    return response


class PasswordChange(BaseModel):
    current_password: str
    new_password: str = Field(min_length=12, max_length=200)


@router.post("/password", status_code=204, responses=errors(401, 403, 422))
def change_password(
    body: PasswordChange, response: Response, session: DbSession, reviewer: CurrentReviewer
) -> Response:
    """Change the logged-in reviewer's password; every session of theirs ends (log in again)."""
    account = session.get(Reviewer, reviewer.id)
    assert account is not None
    service.verify_password(account, body.current_password)
    service.set_password(session, account, body.new_password, reviewer.actor)
    session.commit()
    response.delete_cookie(SESSION_COOKIE)
    response.status_code = 204
    return response


class ReviewerIn(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=12, max_length=200)
    role: str = Field(default="reviewer", description="reviewer | admin")


class ReviewerOut(BaseModel):
    id: str
    email: str
    role: str
    active: bool


def _reviewer_out(r: Reviewer) -> ReviewerOut:
    return ReviewerOut(id=r.id, email=r.email, role=r.role, active=r.active)


@router.get("/reviewers", response_model=list[ReviewerOut], responses=errors(401, 403))
def list_reviewers(session: DbSession, admin: AdminReviewer) -> list[ReviewerOut]:
    """Console users (admin role only)."""
    return [_reviewer_out(r) for r in session.scalars(select(Reviewer).order_by(Reviewer.email))]


@router.post(
    "/reviewers", status_code=201, response_model=ReviewerOut, responses=errors(401, 403, 409, 422)
)
def add_reviewer(body: ReviewerIn, session: DbSession, admin: AdminReviewer) -> ReviewerOut:
    """Create a console user (admin role only)."""
    try:
        reviewer = service.create_reviewer(
            session, body.email, body.password, body.role, actor=admin.actor
        )
    except ValueError as exc:
        code = 409 if "already exists" in str(exc) else 422
        raise ApiError(code, "validation_error" if code == 422 else "conflict", str(exc)) from exc
    session.commit()
    return _reviewer_out(reviewer)


@router.post(
    "/reviewers/{reviewer_id}/deactivate",
    response_model=ReviewerOut,
    responses=errors(401, 403, 404),
)
def deactivate_reviewer(reviewer_id: str, session: DbSession, admin: AdminReviewer) -> ReviewerOut:
    """Disable a console user and end their sessions (admin role only)."""
    reviewer = session.get(Reviewer, reviewer_id)
    if reviewer is None:
        raise not_found("reviewer")
    service.deactivate(session, reviewer, admin.actor)
    session.commit()
    return _reviewer_out(reviewer)


@router.get("/me")
def me(reviewer: CurrentReviewer) -> dict[str, str]:
    """The logged-in reviewer."""
    return {"id": reviewer.id, "email": reviewer.email, "role": reviewer.role}


@router.get("/cases", response_model=list[CaseOut])
def list_cases(
    session: DbSession,
    reviewer: CurrentReviewer,
    reason: str | None = None,
    assignee: Annotated[
        str | None, Query(description="a reviewer id, `me`, or `none` (unclaimed)")
    ] = None,
    min_age_hours: Annotated[float | None, Query(ge=0)] = None,
    max_age_hours: Annotated[float | None, Query(ge=0)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CaseOut]:
    """The queue of undecided cases, oldest first, with optional filters."""
    if assignee == "me":
        assignee = reviewer.id
    cases = service.open_cases(
        session,
        reason=reason or None,
        assignee=assignee or None,
        min_age_hours=min_age_hours,
        max_age_hours=max_age_hours,
        limit=limit,
    )
    return [_case_out(session, c) for c in cases]


def _history(session: DbSession, verification_id: str, case_ids: list[str]) -> list[dict[str, Any]]:
    """Audit events about the verification, its review cases and its artifacts."""
    events = session.scalars(
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.subject_type == "verification")
                & (AuditEvent.subject_id == verification_id),
                (AuditEvent.subject_type == "review_case") & (AuditEvent.subject_id.in_(case_ids)),
            )
        )
        .order_by(AuditEvent.at, AuditEvent.id)
    )
    return [
        {
            "at": e.at.isoformat(),
            "actor_type": e.actor_type,
            "actor_id": e.actor_id,
            "action": e.action,
            "subject_type": e.subject_type,
            "subject_id": e.subject_id,
            "data": dict(e.data or {}),
        }
        for e in events
    ]


def _linked_accounts(session: DbSession, external_ids: list[str]) -> list[dict[str, Any]]:
    """Each account of the duplicate cluster with its access and latest verification status."""
    out = []
    for external_id in external_ids:
        account = session.scalar(select(Account).where(Account.external_id == external_id))
        if account is None:
            out.append({"account_id": external_id, "known": False})
            continue
        latest = session.scalar(
            select(Verification)
            .where(Verification.account_id == account.id)
            .order_by(Verification.created_at.desc())
            .limit(1)
        )
        out.append(
            {
                "account_id": external_id,
                "known": True,
                "access": account.access,
                "access_reason": account.access_reason,
                "verification_id": latest.id if latest else None,
                "verification_status": latest.status if latest else None,
                "reason_codes": list(latest.reason_codes or []) if latest else [],
            }
        )
    return out


@router.get("/cases/{case_id}")
def case_detail(case_id: str, session: DbSession, reviewer: CurrentReviewer) -> dict[str, Any]:
    """The case, its verification with every check, evidence, duplicate cluster and history."""
    case = session.get(ReviewCase, case_id)
    if case is None:
        raise not_found("case")
    verification = session.get(Verification, case.verification_id)
    assert verification is not None
    artifacts = session.scalars(
        select(Artifact)
        .where(
            Artifact.verification_id == verification.id,
            Artifact.deleted_at.is_(None),
            Artifact.attempt_id == case.attempt_id,
        )
        .order_by(Artifact.kind, Artifact.frame_index)
    )
    record(session, reviewer.actor, "review.case_viewed", "review_case", case.id)
    session.commit()
    body = verification_out(session, verification).model_dump(mode="json")
    linked: list[str] = []
    for check in body["checks"]:
        if check["kind"] == "duplicates":
            linked = list(check["details"].get("linked_accounts") or [])
    case_ids = list(
        session.scalars(select(ReviewCase.id).where(ReviewCase.verification_id == verification.id))
    )
    return {
        "case": _case_out(session, case).model_dump(mode="json"),
        "verification": body,
        "artifacts": [
            {
                "id": a.id,
                "kind": a.kind,
                "media_type": a.media_type,
                "frame_index": a.frame_index,
                "captured_at_s": a.captured_at_s,
                "width": a.width,
                "height": a.height,
                "url": f"/v1/review/artifacts/{a.id}",
            }
            for a in artifacts
        ],
        "linked_accounts": _linked_accounts(session, linked),
        "history": _history(session, verification.id, case_ids),
    }


@router.get("/manual-requests")
def manual_review_requests(
    session: DbSession,
    reviewer: CurrentReviewer,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[dict[str, Any]]:
    """End users who declined biometric processing and asked for a manual review."""
    events = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == service.MANUAL_REVIEW_ACTION)
        .order_by(AuditEvent.at.desc())
        .limit(limit)
    )
    out = []
    for e in events:
        verification = session.get(Verification, e.subject_id)
        account = session.get(Account, verification.account_id) if verification else None
        out.append(
            {
                "at": e.at.isoformat(),
                "verification_id": e.subject_id,
                "account_id": account.external_id if account else None,
                "verification_status": verification.status if verification else None,
                "note": (e.data or {}).get("note", ""),
            }
        )
    return out


@router.post("/cases/{case_id}/claim", response_model=CaseOut, responses=errors(409))
def claim_case(case_id: str, session: DbSession, reviewer: CurrentReviewer) -> CaseOut:
    case = session.get(ReviewCase, case_id)
    if case is None:
        raise not_found("case")
    service.claim(session, case, reviewer.actor)
    session.commit()
    return _case_out(session, case)


@router.post("/cases/{case_id}/decision", response_model=CaseOut, responses=errors(409))
def decide_case(
    case_id: str, body: DecideRequest, session: DbSession, reviewer: CurrentReviewer
) -> CaseOut:
    case = session.get(ReviewCase, case_id)
    if case is None:
        raise not_found("case")
    service.decide(session, case, body.decision, body.reason, reviewer.actor)
    session.commit()
    return _case_out(session, case)


@router.get("/artifacts/{artifact_id}")
def artifact_image(artifact_id: str, session: DbSession, reviewer: CurrentReviewer) -> Response:
    """The decrypted image, only for logged-in reviewers; each view is audited."""
    artifact = session.get(Artifact, artifact_id)
    if artifact is None or artifact.storage_key is None or artifact.deleted_at is not None:
        raise not_found("artifact")
    try:
        data = get_blob_store().get(artifact.storage_key)
    except FileNotFoundError as exc:
        raise ApiError(404, "not_found", "artifact bytes are gone") from exc
    record(
        session,
        reviewer.actor,
        "review.artifact_viewed",
        "artifact",
        artifact.id,
        verification_id=artifact.verification_id,
        kind=artifact.kind,
    )
    session.commit()
    return Response(
        content=data,
        media_type=artifact.media_type,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )
