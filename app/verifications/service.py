"""Verification lifecycle: create, capture (uploads, challenge), submit, cancel, redact."""

from __future__ import annotations

import io
import random
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.accounts.models import Account
from app.core import throttle
from app.core.audit import Actor, record
from app.core.config import get_settings
from app.core.db import on_commit, on_rollback
from app.core.errors import ApiError
from app.core.security import constant_time_equal, sha256_hex
from app.core.types import new_id, new_secret, utcnow
from app.media import DecodedImage, decode_image, decode_video, encode_jpeg
from app.policy import Policy
from app.storage.blobs import get_blob_store
from app.verifications import models as m
from app.verifications.models import (
    Artifact,
    Attempt,
    CheckRecord,
    DocumentFingerprint,
    FaceTemplate,
    LivenessChallenge,
    Verification,
)
from app.vision.errors import ImageRejected
from app.vision.liveness.challenge import is_valid_challenge, plan_challenge
from app.webhooks.service import emit_event

SHORT_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def _short_code() -> str:
    return "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(10))


def capture_url(verification: Verification, client_secret: str) -> str:
    """The link the platform sends to the user."""
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/capture/{verification.id}?secret={client_secret}"


def create_verification(
    session: Session, account: Account, actor: Actor
) -> tuple[Verification, str]:
    """Open a verification for ``account``; returns it and its client secret (shown once).

    An account has at most one open verification: a new one cancels the previous link
    while it still waits for input (``superseded``); one being processed or reviewed
    makes this a 409. Two concurrent calls cannot both open one (the account's pointer
    is moved with a conditional update; the loser gets a 409).
    """
    settings = get_settings()
    previous = (
        session.get(Verification, account.open_verification_id)
        if account.open_verification_id
        else None
    )
    if previous is not None and previous.status in (m.PROCESSING, m.NEEDS_REVIEW):
        raise ApiError(
            409,
            "verification_in_progress",
            None,
            verification_id=previous.id,
            status=previous.status,
        )
    secret = "vcs_" + new_secret(24)
    verification = Verification(
        id=new_id("ver"),
        account_id=account.id,
        status=m.CREATED,
        client_secret_hash=sha256_hex(secret),
        short_code=_short_code(),
        expires_at=utcnow() + timedelta(hours=settings.verification_ttl_hours),
        created_by=actor.id,
        reason_codes=[],
    )
    session.add(verification)
    session.flush()
    pointer = (
        Account.open_verification_id.is_(None)
        if account.open_verification_id is None
        else Account.open_verification_id == account.open_verification_id
    )
    won = session.execute(
        update(Account)
        .where(Account.id == account.id, pointer)
        .values(open_verification_id=verification.id)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if won != 1:
        raise ApiError(
            409,
            "concurrent_request",
            "Another request changed this account at the same time. Try again.",
        )
    session.refresh(account)
    if previous is not None and previous.status in m.INPUT_STATUSES:
        set_status(session, previous, m.CANCELED, actor, ["superseded"])
    record(
        session,
        actor,
        "verification.created",
        "verification",
        verification.id,
        account_id=account.external_id,
        superseded=previous.id if previous is not None else None,
    )
    emit_event(session, "verification.created", event_data(verification, account))
    return verification, secret


def rotate_client_secret(verification: Verification) -> str:
    secret = "vcs_" + new_secret(24)
    verification.client_secret_hash = sha256_hex(secret)
    return secret


def event_data(verification: Verification, account: Account) -> dict[str, Any]:
    """Thin webhook payload: ids, status and reason codes only."""
    return {
        "verification_id": verification.id,
        "account_id": account.external_id,
        "status": verification.status,
        "reason_codes": list(verification.reason_codes or []),
    }


def authenticate_client(session: Session, verification_id: str, secret: str | None) -> Verification:
    """The verification whose client secret is ``secret``; 401 otherwise (no oracle).

    Wrong secrets are counted per client address; past the limit every answer is a 429.
    """
    throttle.check_address("client_secret_address")
    verification = session.get(Verification, verification_id)
    if (
        verification is None
        or not secret
        or not constant_time_equal(verification.client_secret_hash, sha256_hex(secret))
    ):
        throttle.fail_address("client_secret_address")
        raise ApiError(401, "invalid_client_secret")
    return verification


def expire_if_due(session: Session, verification: Verification) -> bool:
    """Move an overdue verification to ``expired``; True if it is expired."""
    if verification.status == m.EXPIRED:
        return True
    if verification.status in m.INPUT_STATUSES and utcnow() >= verification.expires_at:
        set_status(session, verification, m.EXPIRED, Actor("system"), ["verification_expired"])
        return True
    return False


def require_input_allowed(session: Session, verification: Verification) -> None:
    if verification.redacted_at is not None:
        raise ApiError(409, "invalid_state", status=verification.status, redacted=True)
    if expire_if_due(session, verification):
        raise ApiError(410, "verification_expired")
    if verification.status == m.CANCELED:
        raise ApiError(409, "verification_canceled")
    if verification.status not in m.INPUT_STATUSES:
        raise ApiError(409, "invalid_state", status=verification.status)


def set_status(
    session: Session,
    verification: Verification,
    status: str,
    actor: Actor,
    reason_codes: list[str] | None = None,
) -> None:
    """Change status, audit it, emit ``verification.<status>``."""
    previous = verification.status
    verification.status = status
    if reason_codes is not None:
        verification.reason_codes = list(reason_codes)
    if status in m.TERMINAL_STATUSES or status == m.NEEDS_REVIEW:
        verification.decided_at = utcnow()
    account = session.get(Account, verification.account_id)
    assert account is not None
    if status in m.TERMINAL_STATUSES and account.open_verification_id == verification.id:
        account.open_verification_id = None
    record(
        session,
        actor,
        "verification.status_changed",
        "verification",
        verification.id,
        from_status=previous,
        to_status=status,
        reason_codes=verification.reason_codes,
    )
    if status != previous and status not in (m.AWAITING_INPUT, m.CREATED):
        emit_event(session, f"verification.{status}", event_data(verification, account))


def collecting_attempt(session: Session, verification: Verification) -> Attempt:
    """The attempt that uploads go to, starting a new one after a decided attempt."""
    if verification.current_attempt_id:
        attempt = session.get(Attempt, verification.current_attempt_id)
        if attempt is not None and attempt.state == "collecting":
            return attempt
    number = (
        session.scalar(
            select(func.max(Attempt.number)).where(Attempt.verification_id == verification.id)
        )
        or 0
    ) + 1
    attempt = Attempt(
        id=new_id("att"), verification_id=verification.id, number=number, state="collecting"
    )
    session.add(attempt)
    verification.current_attempt_id = attempt.id
    session.flush()
    return attempt


def store_artifact(
    session: Session,
    verification: Verification,
    attempt: Attempt,
    kind: str,
    data: bytes,
    media_type: str,
    *,
    width: int | None = None,
    height: int | None = None,
    frame_index: int | None = None,
    captured_at_s: float | None = None,
) -> Artifact:
    """Encrypt ``data`` into blob storage and add its metadata row to the session.

    The blob is deleted again if the transaction rolls back, so nothing outlives it.
    """
    artifact = Artifact(
        id=new_id("art"),
        verification_id=verification.id,
        attempt_id=attempt.id,
        kind=kind,
        media_type=media_type,
        sha256=sha256_hex(data),
        size_bytes=len(data),
        width=width,
        height=height,
        frame_index=frame_index,
        captured_at_s=captured_at_s,
    )
    artifact.storage_key = f"{verification.id}/{attempt.id}/{artifact.id}"
    store = get_blob_store()
    store.put(artifact.storage_key, data)
    on_rollback(session, lambda k=artifact.storage_key: store.delete(k))
    session.add(artifact)
    return artifact


def _retire(session: Session, attempt: Attempt, kinds: tuple[str, ...]) -> None:
    """Replace earlier uploads of the same kind within the collecting attempt."""
    old = session.scalars(
        select(Artifact).where(
            Artifact.attempt_id == attempt.id,
            Artifact.kind.in_(kinds),
            Artifact.deleted_at.is_(None),
        )
    ).all()
    store = get_blob_store()
    for artifact in old:
        artifact.deleted_at = utcnow()
        if artifact.storage_key:
            key = artifact.storage_key
            on_commit(session, lambda k=key: store.delete(k))


# Each refusal has one status wherever it is detected.
_REJECTION_STATUS = {"upload_too_large": 413}
# ISO-BMFF brands of still images (HEIF/HEIC/AVIF): an "ftyp" box does not make a video.
_STILL_IMAGE_BRANDS = {
    b"heic",
    b"heix",
    b"hevc",
    b"hevx",
    b"heim",
    b"heis",
    b"mif1",
    b"msf1",
    b"avif",
    b"avis",
}


def _rejected(exc: ImageRejected) -> ApiError:
    status = _REJECTION_STATUS.get(exc.reason_code, 422)
    return ApiError(status, exc.reason_code, None, detail=exc.message)


def _looks_like_video(data: bytes) -> bool:
    if data[4:8] == b"ftyp":
        return data[8:12] not in _STILL_IMAGE_BRANDS
    return data[:4] == b"\x1a\x45\xdf\xa3"


def _header_pixels(data: bytes) -> int:
    """Pixel count from the image header alone (0 if unreadable: decoding will say why)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Exception:
        return 0
    return int(width) * int(height)


def _check_pixel_budget(files: list[bytes], budget: int) -> None:
    """Refuse a request whose images together exceed ``budget`` pixels, before decoding any."""
    total = 0
    for data in files:
        total += _header_pixels(data)
        if total > budget:
            raise ApiError(422, "upload_pixels_exceeded", None, budget_pixels=budget)


def _decode(data: bytes) -> DecodedImage:
    settings = get_settings()
    return decode_image(
        data, max_bytes=settings.max_upload_bytes, max_pixels=settings.max_image_pixels
    )


def upload_document(
    session: Session, verification: Verification, side: str, data: bytes
) -> tuple[Artifact, DecodedImage]:
    """Validate and store one side of the document in the collecting attempt."""
    if side not in ("front", "back"):
        raise ApiError(422, "validation_error", "side must be front or back")
    require_input_allowed(session, verification)
    throttle.consume("uploads_verification", verification.id)
    try:
        image = _decode(data)
    except ImageRejected as exc:
        raise _rejected(exc) from exc
    attempt = collecting_attempt(session, verification)
    kind = f"document_{side}"
    _retire(session, attempt, (kind,))
    artifact = store_artifact(
        session,
        verification,
        attempt,
        kind,
        data,
        image.media_type,
        width=image.width,
        height=image.height,
    )
    _mark_awaiting(session, verification)
    record(
        session,
        Actor("end_user", verification.id),
        "artifact.uploaded",
        "verification",
        verification.id,
        kind=kind,
        artifact_id=artifact.id,
        sha256=artifact.sha256,
    )
    return artifact, image


def _mark_awaiting(session: Session, verification: Verification) -> None:
    if verification.status in (m.CREATED, m.RESUBMISSION_REQUESTED):
        set_status(session, verification, m.AWAITING_INPUT, Actor("end_user", verification.id))


def issue_challenge(session: Session, verification: Verification) -> tuple[LivenessChallenge, str]:
    """A fresh single-use liveness challenge for this verification; returns it and its nonce."""
    require_input_allowed(session, verification)
    throttle.consume("uploads_verification", verification.id)
    settings = get_settings()
    nonce = secrets.token_urlsafe(24)
    challenge = LivenessChallenge(
        id=new_id("chl"),
        verification_id=verification.id,
        nonce_hash=sha256_hex(nonce),
        actions=_challenge_actions(settings.debug_fixed_challenge),
        expires_at=utcnow() + timedelta(seconds=settings.challenge_ttl_s),
    )
    session.add(challenge)
    record(
        session,
        Actor("end_user", verification.id),
        "liveness.challenge_issued",
        "verification",
        verification.id,
        challenge_id=challenge.id,
        actions=challenge.actions,
    )
    return challenge, nonce


def _challenge_actions(fixed: str | None) -> list[str]:
    if fixed:
        actions = [a.strip() for a in fixed.split(",") if a.strip()]
        if not is_valid_challenge(actions):
            raise ValueError(f"IDGATE_DEBUG_FIXED_CHALLENGE is not a valid challenge: {fixed}")
        return actions
    return list(plan_challenge(random.SystemRandom()))


def consume_challenge(
    session: Session, verification: Verification, nonce: str
) -> LivenessChallenge:
    """Validate a nonce (this verification's, unused, unexpired) and mark it used, atomically."""
    challenge = session.scalar(
        select(LivenessChallenge).where(LivenessChallenge.nonce_hash == sha256_hex(nonce))
    )
    if challenge is None:
        raise ApiError(422, "challenge_missing")
    if challenge.verification_id != verification.id:
        raise ApiError(403, "challenge_foreign")
    if challenge.used_at is not None:
        raise ApiError(409, "challenge_replayed")
    if utcnow() >= challenge.expires_at:
        raise ApiError(410, "challenge_expired")
    # Conditional update: two concurrent uploads with one nonce cannot both win.
    won = session.execute(
        update(LivenessChallenge)
        .where(LivenessChallenge.id == challenge.id, LivenessChallenge.used_at.is_(None))
        .values(used_at=utcnow())
    ).rowcount
    if won != 1:
        raise ApiError(409, "challenge_replayed")
    session.refresh(challenge)
    return challenge


def upload_selfie(
    session: Session,
    verification: Verification,
    files: list[bytes],
    *,
    timestamps_s: list[float] | None = None,
    nonce: str | None = None,
) -> list[Artifact]:
    """Store a selfie: one still (no liveness), or a challenge burst of frames / one video."""
    require_input_allowed(session, verification)
    throttle.consume("uploads_verification", verification.id)
    settings = get_settings()
    if not files:
        raise ApiError(422, "selfie_missing")
    if len(files) > settings.max_selfie_frames:
        raise ApiError(422, "validation_error", f"at most {settings.max_selfie_frames} frames")
    challenge = None
    if nonce:
        challenge_row = consume_challenge(session, verification, nonce)
        challenge = challenge_row
    decoded: list[tuple[bytes, str, int, int]] = []
    is_video = len(files) == 1 and _looks_like_video(files[0])
    if is_video and challenge is None:
        # A still selfie is a photo; a clip only makes sense as a challenge recording.
        raise ApiError(422, "unsupported_media_type", None, detail="a still selfie is an image")
    try:
        if is_video:
            frames, times, media_type = decode_video(
                files[0], max_bytes=settings.max_video_bytes, max_frames=settings.max_selfie_frames
            )
            timestamps_s = times
            decoded = [(encode_jpeg(f), "image/jpeg", f.shape[1], f.shape[0]) for f in frames]
        else:
            _check_pixel_budget(files, settings.max_request_pixels)
            for data in files:
                image = _decode(data)
                decoded.append((data, image.media_type, image.width, image.height))
    except ImageRejected as exc:
        raise _rejected(exc) from exc
    if challenge is not None:
        if len(decoded) < 2:
            raise ApiError(
                422, "validation_error", "a challenge needs a burst of frames or a video"
            )
        if timestamps_s is None or len(timestamps_s) != len(decoded):
            raise ApiError(422, "validation_error", "one timestamp per frame is required")
    attempt = collecting_attempt(session, verification)
    _retire(session, attempt, ("selfie", "selfie_frame"))
    stored = []
    kind = "selfie_frame" if challenge is not None else "selfie"
    if challenge is None:
        decoded = decoded[:1]
    for i, (data, media_type, w, h) in enumerate(decoded):
        t = timestamps_s[i] if timestamps_s and challenge is not None else None
        stored.append(
            store_artifact(
                session,
                verification,
                attempt,
                kind,
                data,
                media_type,
                width=w,
                height=h,
                frame_index=i,
                captured_at_s=t,
            )
        )
    if challenge is not None:
        challenge.attempt_id = attempt.id
    _mark_awaiting(session, verification)
    record(
        session,
        Actor("end_user", verification.id),
        "artifact.uploaded",
        "verification",
        verification.id,
        kind=kind,
        frames=len(stored),
        challenge_id=challenge.id if challenge else None,
    )
    return stored


def live_artifacts(session: Session, attempt_id: str, kinds: tuple[str, ...]) -> list[Artifact]:
    return list(
        session.scalars(
            select(Artifact)
            .where(
                Artifact.attempt_id == attempt_id,
                Artifact.kind.in_(kinds),
                Artifact.deleted_at.is_(None),
            )
            .order_by(Artifact.frame_index, Artifact.created_at)
        )
    )


def submit(session: Session, verification: Verification, policy: Policy) -> Attempt:
    """Close the collecting attempt and queue it for processing (after commit)."""
    require_input_allowed(session, verification)
    attempt = collecting_attempt(session, verification)
    if not live_artifacts(session, attempt.id, ("document_front",)):
        raise ApiError(422, "document_missing")
    if not live_artifacts(session, attempt.id, ("selfie", "selfie_frame")):
        raise ApiError(422, "selfie_missing")
    window_start = utcnow() - timedelta(hours=policy.attempt_window_hours)
    recent = (
        session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(
                Attempt.verification_id == verification.id,
                Attempt.submitted_at.is_not(None),
                Attempt.submitted_at >= window_start,
            )
        )
        or 0
    )
    actor = Actor("end_user", verification.id)
    if recent >= policy.max_attempts:
        attempt.state = "abandoned"
        from app.verifications.decisions import record_decision

        record_decision(
            session,
            verification,
            None,
            "declined",
            ["attempts_exceeded"],
            actor=Actor("system"),
            policy_version=policy.version,
        )
        return attempt
    # Conditional update: of two concurrent submits only one queues the attempt.
    now = utcnow()
    won = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == "collecting")
        .values(
            state="processing",
            stage="document",
            submitted_at=now,
            processing_heartbeat_at=now,
            enqueue_count=1,
        )
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if won != 1:
        raise ApiError(409, "already_submitted")
    session.refresh(attempt)
    verification.attempt_count = (verification.attempt_count or 0) + 1
    set_status(session, verification, m.PROCESSING, actor, [])
    on_commit(session, lambda a=attempt.id: enqueue_stage("document", a))
    return attempt


def enqueue_stage(stage: str, attempt_id: str) -> None:
    """Send one pipeline stage to the workers (ids only)."""
    from workers.celery_app import celery_app

    celery_app.send_task(f"idgate.stage.{stage}", args=[attempt_id])


def cancel(session: Session, verification: Verification, actor: Actor) -> None:
    if verification.status in m.TERMINAL_STATUSES:
        raise ApiError(409, "invalid_state", status=verification.status)
    set_status(session, verification, m.CANCELED, actor, ["canceled"])


def redact(session: Session, verification: Verification, actor: Actor) -> bool:
    """Delete the personal data of a verification, once; keep the decision and audit trail.

    Images, face templates and document fingerprints are deleted and the details of the
    check results (names, numbers, dates read from the document) are emptied; outcomes,
    scores, reason codes and model versions stay. A verification still open for input or
    review is canceled first, so nothing can be added afterwards. Redaction is final and
    idempotent: a second call changes nothing, records nothing and emits no event; it
    returns False.
    """
    if verification.redacted_at is not None:
        return False
    if verification.status == m.PROCESSING:
        raise ApiError(
            409, "invalid_state", "wait until processing ends", status=verification.status
        )
    now = utcnow()
    # Conditional update: of two concurrent redactions only one goes on (and emits).
    won = session.execute(
        update(Verification)
        .where(Verification.id == verification.id, Verification.redacted_at.is_(None))
        .values(redacted_at=now)
    ).rowcount  # type: ignore[attr-defined]
    if won != 1:
        session.refresh(verification)
        return False
    session.refresh(verification)
    if verification.status in m.INPUT_STATUSES or verification.status == m.NEEDS_REVIEW:
        _close_review_cases(session, verification.id)
        set_status(session, verification, m.CANCELED, actor, ["redacted"])
    store = get_blob_store()
    artifacts = session.scalars(
        select(Artifact).where(
            Artifact.verification_id == verification.id, Artifact.storage_key.is_not(None)
        )
    ).all()
    keys = [a.storage_key for a in artifacts if a.storage_key]
    for artifact in artifacts:
        artifact.deleted_at = artifact.deleted_at or now
        artifact.storage_key = None
    templates = session.scalars(
        select(FaceTemplate).where(FaceTemplate.verification_id == verification.id)
    ).all()
    for template in templates:
        session.delete(template)
    fingerprints = session.scalars(
        select(DocumentFingerprint).where(DocumentFingerprint.verification_id == verification.id)
    ).all()
    for fingerprint in fingerprints:
        session.delete(fingerprint)
    attempt_ids = select(Attempt.id).where(Attempt.verification_id == verification.id)
    for check in session.scalars(
        select(CheckRecord).where(CheckRecord.attempt_id.in_(attempt_ids))
    ):
        check.details = {}
    record(
        session,
        actor,
        "verification.redacted",
        "verification",
        verification.id,
        artifacts=len(keys),
        templates=len(templates),
        fingerprints=len(fingerprints),
    )
    account = session.get(Account, verification.account_id)
    assert account is not None
    emit_event(session, "verification.redacted", event_data(verification, account))
    on_commit(session, lambda: [store.delete(k) for k in keys])
    return True


def _close_review_cases(session: Session, verification_id: str) -> None:
    from app.reviews.models import ReviewCase

    for case in session.scalars(
        select(ReviewCase).where(
            ReviewCase.verification_id == verification_id, ReviewCase.status != "closed"
        )
    ):
        case.status = "closed"
        case.closed_at = utcnow()
