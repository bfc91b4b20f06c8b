"""HTTP routes: the platform's verification API and the end user's capture session API."""

from __future__ import annotations

import itertools
import json
import math
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Header, Query, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import select
from starlette.datastructures import FormData

from app.accounts.models import Account
from app.accounts.service import get_or_create_account
from app.core.config import get_settings
from app.core.deps import ApiPrincipal, DbSession, client_secret_header, require_scope
from app.core.errors import ApiError, errors, not_found
from app.core.idempotency import run_idempotent
from app.core.reasons import message_for
from app.policy import Policy
from app.policy_runtime import get_policy
from app.verifications import models as m
from app.verifications import service
from app.verifications.models import Verification
from app.verifications.schemas import (
    CaptureQuality,
    ChallengeOut,
    CreateVerificationRequest,
    SessionStatus,
    UploadOut,
    VerificationLink,
    VerificationList,
    VerificationOut,
)
from app.verifications.views import verification_link, verification_out

platform = APIRouter(prefix="/v1/verifications", tags=["verifications"])
capture = APIRouter(prefix="/v1/sessions", tags=["capture session"])

ReadKey = Annotated[ApiPrincipal, Depends(require_scope("verifications:read"))]
WriteKey = Annotated[ApiPrincipal, Depends(require_scope("verifications:write"))]
ClientSecret = Annotated[str | None, Depends(client_secret_header)]

ACTION_PROMPTS = {
    "turn_left": "Slowly turn your head to your left, then back to the camera.",
    "turn_right": "Slowly turn your head to your right, then back to the camera.",
    "look_up": "Tilt your head up, then back to the camera.",
    "look_down": "Tilt your head down, then back to the camera.",
    "blink": "Blink your eyes.",
    "smile": "Smile.",
}


def _get(session: DbSession, verification_id: str) -> Verification:
    verification = session.get(Verification, verification_id)
    if verification is None:
        raise not_found("verification")
    return verification


@platform.post("", status_code=201, response_model=VerificationLink, responses=errors(409))
def create_verification(
    body: CreateVerificationRequest,
    session: DbSession,
    principal: WriteKey,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Open a verification for an account (without changing its access)."""

    def _create() -> VerificationLink:
        account = get_or_create_account(session, body.account_id)
        verification, secret = service.create_verification(session, account, principal.actor)
        session.flush()
        return verification_link(verification, secret)

    return run_idempotent(
        session, principal.key_id, idempotency_key, ["create", body.model_dump()], 201, _create
    )


@platform.get("", response_model=VerificationList)
def list_verifications(
    session: DbSession,
    principal: ReadKey,
    status: str | None = None,
    account_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> VerificationList:
    """Newest first; ``cursor`` is the ``next_cursor`` of the previous page."""
    query = select(Verification).order_by(Verification.created_at.desc(), Verification.id.desc())
    if status:
        query = query.where(Verification.status == status)
    if account_id:
        query = query.join(Account, Account.id == Verification.account_id).where(
            Account.external_id == account_id
        )
    if cursor:
        anchor = session.get(Verification, cursor)
        if anchor is None:
            raise ApiError(422, "validation_error", "unknown cursor")
        query = query.where(
            (Verification.created_at < anchor.created_at)
            | ((Verification.created_at == anchor.created_at) & (Verification.id < anchor.id))
        )
    rows = list(session.scalars(query.limit(limit + 1)))
    page = rows[:limit]
    return VerificationList(
        data=[verification_out(session, v, with_checks=False) for v in page],
        next_cursor=page[-1].id if len(rows) > limit else None,
    )


@platform.get("/{verification_id}", response_model=VerificationOut)
def read_verification(
    verification_id: str, session: DbSession, principal: ReadKey
) -> VerificationOut:
    verification = _get(session, verification_id)
    if service.expire_if_due(session, verification):
        session.commit()
    return verification_out(session, verification)


@platform.post("/{verification_id}/cancel", response_model=VerificationOut, responses=errors(409))
def cancel_verification(
    verification_id: str, session: DbSession, principal: WriteKey
) -> VerificationOut:
    verification = _get(session, verification_id)
    service.cancel(session, verification, principal.actor)
    session.commit()
    return verification_out(session, verification)


@platform.post("/{verification_id}/redact", response_model=VerificationOut, responses=errors(409))
def redact_verification(
    verification_id: str, session: DbSession, principal: WriteKey
) -> VerificationOut:
    """Delete the images and face templates; the decision and audit trail stay."""
    verification = _get(session, verification_id)
    service.redact(session, verification, principal.actor)
    session.commit()
    return verification_out(session, verification)


# --- end user's capture session ----------------------------------------------------


def _client(session: DbSession, verification_id: str, secret: str | None) -> Verification:
    return service.authenticate_client(session, verification_id, secret)


@capture.post(
    "/{verification_id}/challenge", response_model=ChallengeOut, responses=errors(409, 410)
)
def start_challenge(verification_id: str, session: DbSession, secret: ClientSecret) -> ChallengeOut:
    """Issue a single-use liveness challenge (2-3 actions, expires in about two minutes)."""
    verification = _client(session, verification_id, secret)
    challenge, nonce = service.issue_challenge(session, verification)
    session.commit()
    return ChallengeOut(
        challenge_id=challenge.id,
        nonce=nonce,
        actions=list(challenge.actions),
        expires_at=challenge.expires_at,
        prompts={a: ACTION_PROMPTS[a] for a in challenge.actions},
    )


@capture.post(
    "/{verification_id}/document",
    response_model=UploadOut,
    responses=errors(401, 409, 410, 413, 422, 429),
)
async def upload_document(
    verification_id: str,
    request: Request,
    session: DbSession,
    secret: ClientSecret,
    file: Annotated[UploadFile, File()],
    side: Annotated[str, Form()] = "front",
) -> UploadOut:
    """Store one side of the document and answer at once whether the photo is good enough
    (blur, glare, cropping, resolution), so that the user can retake it straight away."""
    _one_file_per_field(await request.form(), "file", "side")
    verification = await run_in_threadpool(_client, session, verification_id, secret)
    data = await _read_limited(file, get_settings().max_upload_bytes)

    def _store():  # type: ignore[no-untyped-def]
        # decoding is CPU work: off the event loop, so one upload cannot stall the API
        artifact, image = service.upload_document(session, verification, side, data)
        session.commit()
        return artifact, image

    artifact, image = await run_in_threadpool(_store)
    verdict = await run_in_threadpool(_capture_verdict, image.rgb)
    return UploadOut(
        artifact_ids=[artifact.id],
        kind=artifact.kind,
        status=verification.status,
        quality=CaptureQuality(
            ok=verdict.ok,
            reason_codes=list(verdict.reason_codes),
            messages={c: message_for(c) for c in verdict.reason_codes},
            mrz_found=verdict.mrz_found,
        ),
    )


def _capture_verdict(rgb):  # type: ignore[no-untyped-def]
    # Imported here: the web app must not pay for the vision stack until it is used.
    from datetime import date

    from app.pipeline.evaluate import capture_verdict

    return capture_verdict(rgb, today=date.today(), thresholds=get_policy().document_quality)


@capture.post(
    "/{verification_id}/selfie",
    response_model=UploadOut,
    responses=errors(401, 403, 409, 410, 413, 422, 429),
)
async def upload_selfie(
    verification_id: str,
    request: Request,
    session: DbSession,
    secret: ClientSecret,
    files: Annotated[list[UploadFile], File(min_length=1)],
    nonce: Annotated[str | None, Form()] = None,
    timestamps: Annotated[
        str | None, Form(description="JSON list of seconds, one per frame, increasing")
    ] = None,
) -> UploadOut:
    """A still selfie (one image), or the liveness burst (frames + timestamps, or one video)
    with the challenge's nonce."""
    _one_file_per_field(await request.form(), "nonce", "timestamps")
    settings = get_settings()
    verification = await run_in_threadpool(_client, session, verification_id, secret)
    if len(files) > settings.max_selfie_frames:
        raise ApiError(422, "validation_error", f"at most {settings.max_selfie_frames} frames")
    if not nonce and len(files) > 1:
        raise ApiError(422, "validation_error", "a still selfie is one image")
    times = _parse_timestamps(timestamps) if timestamps else None
    limit = settings.max_video_bytes if nonce and len(files) == 1 else settings.max_upload_bytes
    blobs = [await _read_limited(f, limit) for f in files]

    def _store():  # type: ignore[no-untyped-def]
        # decoding is CPU work: off the event loop, so one upload cannot stall the API
        stored = service.upload_selfie(
            session, verification, blobs, timestamps_s=times, nonce=nonce
        )
        session.commit()
        return stored

    stored = await run_in_threadpool(_store)
    return UploadOut(
        artifact_ids=[a.id for a in stored], kind=stored[0].kind, status=verification.status
    )


def _parse_timestamps(text: str) -> list[float]:
    """Capture times: a JSON list of finite numbers, strictly increasing."""
    try:
        values = json.loads(text)
        if not isinstance(values, list) or len(values) > get_settings().max_selfie_frames:
            raise ValueError("not a list of frames")
        times = [float(t) for t in values]
    except (ValueError, TypeError) as exc:
        message = "timestamps must be a JSON list of numbers"
        raise ApiError(422, "validation_error", message) from exc
    if not all(math.isfinite(t) and t >= 0 for t in times):
        raise ApiError(422, "validation_error", "timestamps must be finite, non-negative seconds")
    if any(b <= a for a, b in itertools.pairwise(times)):
        raise ApiError(422, "validation_error", "timestamps must be strictly increasing")
    return times


def _one_file_per_field(form: FormData, *fields: str) -> None:
    """Refuse a form that repeats a single-valued field (which copy would count?)."""
    for field in fields:
        if len(form.getlist(field)) > 1:
            raise ApiError(422, "validation_error", f"send one {field!r} field")


@capture.post("/{verification_id}/submit", response_model=SessionStatus, responses=errors(409, 410))
def submit(
    verification_id: str,
    session: DbSession,
    secret: ClientSecret,
    policy: Annotated[Policy, Depends(get_policy)],
) -> SessionStatus:
    verification = _client(session, verification_id, secret)
    service.submit(session, verification, policy)
    session.commit()
    return session_status(session, verification)


@capture.get("/{verification_id}/status", response_model=SessionStatus)
def status(verification_id: str, session: DbSession, secret: ClientSecret) -> SessionStatus:
    verification = _client(session, verification_id, secret)
    if service.expire_if_due(session, verification):
        session.commit()
    return session_status(session, verification)


NEXT_STEPS = {
    m.CREATED: "capture_document",
    m.AWAITING_INPUT: "capture",
    m.PROCESSING: "wait",
    m.NEEDS_REVIEW: "wait_for_review",
    m.RESUBMISSION_REQUESTED: "retry",
    m.APPROVED: "access_restored",
    m.DECLINED: "contact_support",
    m.EXPIRED: "request_new_link",
    m.CANCELED: "request_new_link",
}


def session_status(session: DbSession, verification: Verification) -> SessionStatus:
    has_document = has_selfie = False
    if verification.current_attempt_id and verification.status in m.INPUT_STATUSES:
        attempt_id = verification.current_attempt_id
        has_document = bool(service.live_artifacts(session, attempt_id, ("document_front",)))
        has_selfie = bool(service.live_artifacts(session, attempt_id, ("selfie", "selfie_frame")))
        attempt = session.get(m.Attempt, attempt_id)
        if attempt is not None and attempt.state != "collecting":
            has_document = has_selfie = False
    codes = list(verification.reason_codes or [])
    return SessionStatus(
        id=verification.id,
        status=verification.status,
        reason_codes=codes,
        messages={c: message_for(c) for c in codes},
        next_step=NEXT_STEPS.get(verification.status, "wait"),
        has_document=has_document,
        has_selfie=has_selfie,
        attempts=verification.attempt_count or 0,
    )


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    """Read an upload, refusing (413) to buffer more than ``limit`` bytes."""
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise ApiError(413, "upload_too_large", None, limit_bytes=limit)
    return data


__all__ = ["capture", "platform"]
