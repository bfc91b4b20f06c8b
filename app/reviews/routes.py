"""Reviewer API: login, queue, case detail, evidence images, decisions. Every view is audited."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.accounts.models import Account
from app.core.audit import record
from app.core.deps import (
    SESSION_COOKIE,
    CurrentReviewer,
    DbSession,
    csrf_token_for,
    make_session_cookie,
)
from app.core.errors import ApiError, not_found
from app.reviews import service
from app.reviews.models import ReviewCase
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
    )


@router.post("/login", response_model=LoginOut)
def login(body: LoginRequest, response: Response, session: DbSession) -> LoginOut:
    reviewer = service.authenticate(session, body.email, body.password)
    session.commit()
    cookie = make_session_cookie(reviewer.id)
    response.set_cookie(
        SESSION_COOKIE, cookie, httponly=True, samesite="strict", secure=False, max_age=8 * 3600
    )
    return LoginOut(
        reviewer_id=reviewer.id,
        email=reviewer.email,
        role=reviewer.role,
        csrf_token=csrf_token_for(cookie),
    )


@router.post("/logout", status_code=204)
def logout(response: Response, reviewer: CurrentReviewer) -> Response:
    response.delete_cookie(SESSION_COOKIE)
    response.status_code = 204
    return response


@router.get("/cases", response_model=list[CaseOut])
def list_cases(
    session: DbSession,
    reviewer: CurrentReviewer,
    reason: str | None = None,
    assignee: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[CaseOut]:
    return [
        _case_out(session, c)
        for c in service.open_cases(session, reason=reason, assignee=assignee, limit=limit)
    ]


@router.get("/cases/{case_id}")
def case_detail(case_id: str, session: DbSession, reviewer: CurrentReviewer) -> dict[str, Any]:
    """The case, its verification with every check, and the evidence artifacts."""
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
    return {
        "case": _case_out(session, case).model_dump(mode="json"),
        "verification": verification_out(session, verification).model_dump(mode="json"),
        "artifacts": [
            {
                "id": a.id,
                "kind": a.kind,
                "media_type": a.media_type,
                "frame_index": a.frame_index,
                "width": a.width,
                "height": a.height,
                "url": f"/v1/review/artifacts/{a.id}",
            }
            for a in artifacts
        ],
    }


@router.post("/cases/{case_id}/claim", response_model=CaseOut)
def claim_case(case_id: str, session: DbSession, reviewer: CurrentReviewer) -> CaseOut:
    case = session.get(ReviewCase, case_id)
    if case is None:
        raise not_found("case")
    service.claim(session, case, reviewer.actor)
    session.commit()
    return _case_out(session, case)


@router.post("/cases/{case_id}/decision", response_model=CaseOut)
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
