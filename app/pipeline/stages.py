"""The pipeline's database-backed stages, run by Celery tasks with ids only.

document -> selfie -> face -> decide. Each stage:
- runs only while its attempt is ``processing`` and at that stage (the status guard), so
  a redelivered or duplicated message does nothing twice;
- commits its check results and the move to the next stage in one transaction, then
  enqueues the next stage after the commit;
- leaves nothing half-written when killed: the unacknowledged message is redelivered
  (acks_late) and the stage simply runs again.
The decision itself is taken exactly once by a conditional update on the attempt.
"""

from __future__ import annotations

import logging
import random
import time
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.audit import SYSTEM
from app.core.config import get_settings
from app.core.db import on_commit, session_scope
from app.core.security import document_fingerprint
from app.core.types import new_id, utcnow
from app.media import decode_image, encode_jpeg
from app.pipeline import evaluate
from app.pipeline.duplicates import accounts_sharing_document, seal_encoding, search_faces
from app.policy import CheckResult, DocumentFacts, Policy
from app.policy_runtime import get_policy
from app.storage.blobs import get_blob_store, get_keys
from app.verifications import models as m
from app.verifications.decisions import record_decision
from app.verifications.models import (
    Artifact,
    Attempt,
    CheckRecord,
    DocumentFingerprint,
    FaceTemplate,
    LivenessChallenge,
    Verification,
)
from app.verifications.service import enqueue_stage, live_artifacts, store_artifact
from app.vision.faces import (
    FaceAnalysis,
    FaceModels,
    FaceSample,
    analyse_face,
    load_face_models,
)

log = logging.getLogger(__name__)

STAGES = ("document", "selfie", "face", "decide")
NEXT_STAGE = {"document": "selfie", "selfie": "face", "face": "decide", "decide": None}


def load_artifact_image(artifact: Artifact) -> Any:
    """Decrypt and decode a stored image artifact (RGB)."""
    settings = get_settings()
    assert artifact.storage_key is not None
    data = get_blob_store().get(artifact.storage_key)
    return decode_image(
        data,
        max_bytes=max(settings.max_upload_bytes, len(data)),
        max_pixels=settings.max_image_pixels,
    ).rgb


def _save_checks(
    session: Session, attempt: Attempt, checks: tuple[CheckResult, ...] | list[CheckResult]
) -> None:
    for check in checks:
        session.add(
            CheckRecord(
                id=new_id("chk"),
                attempt_id=attempt.id,
                kind=check.kind,
                outcome=check.outcome,
                score=check.score,
                reason_codes=list(check.reason_codes),
                details=_jsonable(dict(check.details)),
                model_version=check.model_version,
            )
        )


def _jsonable(value: Any) -> Any:
    """Details as plain JSON (mappings, tuples and numpy scalars become JSON types)."""
    import math
    from collections.abc import Mapping

    import numpy as np

    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


def _checks(session: Session, attempt_id: str) -> dict[str, CheckRecord]:
    return {
        c.kind: c
        for c in session.scalars(select(CheckRecord).where(CheckRecord.attempt_id == attempt_id))
    }


def _advance(session: Session, attempt: Attempt, stage: str) -> None:
    """Move to the next stage (conditionally) and enqueue it after commit."""
    nxt = NEXT_STAGE[stage]
    moved = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.stage == stage, Attempt.state == "processing")
        .values(stage=nxt, processing_heartbeat_at=utcnow())
    ).rowcount
    if moved == 1 and nxt is not None:
        on_commit(session, lambda: enqueue_stage(nxt, attempt.id))


def run_stage(stage: str, attempt_id: str, *, models: FaceModels | None = None) -> str:
    """Run one stage for one attempt; returns what happened (for logs and tests)."""
    if stage not in STAGES:
        raise ValueError(stage)
    models = models or load_face_models()
    policy = get_policy()
    try:
        with session_scope() as session:
            attempt = session.get(Attempt, attempt_id)
            if attempt is None:
                return "missing"
            if attempt.state != "processing" or attempt.stage != stage:
                return "skipped"  # the status guard: already done or superseded
            verification = session.get(Verification, attempt.verification_id)
            assert verification is not None
            if verification.status != m.PROCESSING:
                return "skipped"
            attempt.processing_heartbeat_at = utcnow()
            runner = {"document": _document, "selfie": _selfie, "face": _face, "decide": _decide}[
                stage
            ]
            outcome = runner(session, verification, attempt, policy, models)
            if stage != "decide":
                _advance(session, attempt, stage)
            return outcome
    except IntegrityError:
        # Another delivery of the same stage committed first: its results stand.
        log.info("stage %s of %s already recorded by a concurrent run", stage, attempt_id)
        return "duplicate"


def _document(
    session: Session,
    verification: Verification,
    attempt: Attempt,
    policy: Policy,
    models: FaceModels,
) -> str:
    delay = get_settings().debug_stage_delay_s
    if delay:
        time.sleep(delay)  # test hook: lets the kill-the-worker test catch the task mid-way
    front = live_artifacts(session, attempt.id, ("document_front",))
    if not front:
        _save_checks(
            session,
            attempt,
            [CheckResult(kind="quality", outcome="fail", reason_codes=("document_unreadable",))],
        )
        return "no_document"
    back = live_artifacts(session, attempt.id, ("document_back",))
    result = evaluate.evaluate_document(
        load_artifact_image(front[-1]),
        today=date.today(),
        models=models,
        back=load_artifact_image(back[-1]) if back else None,
        thresholds=policy.document_quality,
    )
    _save_checks(session, attempt, result.checks)
    if result.portrait is not None:
        _derived_artifact(session, verification, attempt, "portrait", result.portrait)
    facts = result.facts
    if facts is not None and result.reading.mrz.fields is not None:
        fields = result.reading.mrz.fields
        fingerprint = document_fingerprint(
            get_keys().app_secret, fields.issuing_country, fields.document_number
        )
        session.add(
            DocumentFingerprint(
                id=new_id("dfp"),
                verification_id=verification.id,
                account_id=verification.account_id,
                fingerprint=fingerprint,
            )
        )
    return "document_read"


def _selfie(
    session: Session,
    verification: Verification,
    attempt: Attempt,
    policy: Policy,
    models: FaceModels,
) -> str:
    frames = live_artifacts(session, attempt.id, ("selfie_frame",))
    challenge = None
    if frames:
        row = session.scalar(
            select(LivenessChallenge).where(LivenessChallenge.attempt_id == attempt.id)
        )
        challenge = list(row.actions) if row else None
        images = [load_artifact_image(a) for a in frames]
        times = [float(a.captured_at_s or 0.0) for a in frames]
    else:
        stills = live_artifacts(session, attempt.id, ("selfie",))
        images = [load_artifact_image(stills[-1])]
        times = None
    result = evaluate.evaluate_selfie(images, times, challenge, policy=policy, models=models)
    checks = list(result.checks)
    sample = result.face.sample
    if sample is not None:
        # keep the chosen frame's geometry so the face stage can rebuild the analysis
        selfie_check = checks[-1]
        details = dict(selfie_check.details)
        details["sample"] = {
            "box": list(sample.box),
            "width_px": sample.width_px,
            "sharpness": float(sample.sharpness),
            "yaw_deg": sample.yaw_deg,
            "template_frames": sample.template_frames,
        }
        details["faces_found"] = result.face.faces_found
        checks[-1] = CheckResult(
            kind=selfie_check.kind,
            outcome=selfie_check.outcome,
            score=selfie_check.score,
            reason_codes=selfie_check.reason_codes,
            details=details,
            model_version=selfie_check.model_version,
        )
        template = FaceTemplate(
            id=new_id("fce"),
            verification_id=verification.id,
            account_id=verification.account_id,
            source="selfie",
            model_version=sample.model_id,  # the template space the duplicate index keys on
            encrypted_encoding=b"",
        )
        template.encrypted_encoding = seal_encoding(template.id, sample.encoding)
        session.add(template)
        _derived_artifact(session, verification, attempt, "selfie_best", result.selfie)
    _save_checks(session, attempt, checks)
    return "selfie_checked"


def _derived_artifact(
    session: Session,
    verification: Verification,
    attempt: Attempt,
    kind: str,
    image: np.ndarray,
) -> Artifact:
    """Store an image the pipeline derived (portrait crop, chosen selfie frame) as JPEG."""
    return store_artifact(
        session,
        verification,
        attempt,
        kind,
        encode_jpeg(image),
        "image/jpeg",
        width=image.shape[1],
        height=image.shape[0],
    )


def _selfie_analysis(
    session: Session, attempt: Attempt, selfie_check: CheckRecord, models: FaceModels
) -> FaceAnalysis:
    """Rebuild the selfie's FaceAnalysis from its check and its (encrypted) template.

    A template of another model (the selfie stage ran before a model upgrade) is not
    compared: the stored chosen frame is analysed again with the current model.
    """
    from app.pipeline.duplicates import open_encoding

    details = selfie_check.details or {}
    template = session.scalar(
        select(FaceTemplate)
        .where(
            FaceTemplate.verification_id == attempt.verification_id, FaceTemplate.source == "selfie"
        )
        .order_by(FaceTemplate.created_at.desc())
        .limit(1)
    )
    sample_info = details.get("sample")
    sample = None
    if (
        template is not None
        and sample_info is not None
        and template.model_version != models.template_model_id
    ):
        chosen = live_artifacts(session, attempt.id, ("selfie_best",))
        if chosen:
            return analyse_face(load_artifact_image(chosen[-1]), role="selfie", models=models)
        template = None
    if template is not None and sample_info is not None:
        sample = FaceSample(
            box=tuple(sample_info["box"]),
            encoding=open_encoding(template),
            width_px=int(sample_info["width_px"]),
            sharpness=float(sample_info["sharpness"]),
            yaw_deg=sample_info.get("yaw_deg"),
            model_id=template.model_version,
            template_frames=int(sample_info.get("template_frames", 1)),
        )
    return FaceAnalysis(
        faces_found=int(details.get("faces_found", 0)),
        sample=sample,
        reason_codes=tuple(selfie_check.reason_codes or ()),
    )


def _face(
    session: Session,
    verification: Verification,
    attempt: Attempt,
    policy: Policy,
    models: FaceModels,
) -> str:
    checks = _checks(session, attempt.id)
    selfie = _selfie_analysis(session, attempt, checks["selfie"], models)
    portrait_rows = live_artifacts(session, attempt.id, ("portrait",))
    portrait = load_artifact_image(portrait_rows[-1]) if portrait_rows else None
    _portrait_face, match = evaluate.evaluate_face_match(
        selfie, portrait, policy=policy, models=models
    )
    hits = []
    template_model_id = models.template_model_id
    radius = policy.duplicate_radius_for(template_model_id)
    if selfie.sample is not None and radius is not None:
        hits = search_faces(
            session, selfie.sample.encoding, verification.account_id, radius, template_model_id
        )
    fingerprint = session.scalar(
        select(DocumentFingerprint.fingerprint)
        .where(DocumentFingerprint.verification_id == verification.id)
        .limit(1)
    )
    doc_accounts = (
        accounts_sharing_document(session, fingerprint, verification.account_id)
        if fingerprint
        else []
    )
    duplicates = evaluate.evaluate_duplicates(
        hits,
        doc_accounts,
        policy=policy,
        template_model_id=template_model_id,
        model_version=models.version,
    )
    _save_checks(session, attempt, [match, _named_accounts(session, duplicates)])
    return "face_checked"


def _named_accounts(session: Session, check: CheckResult) -> CheckResult:
    """Replace internal account ids by the platform's external ids for reviewers and the API."""
    from app.accounts.models import Account

    details = dict(check.details)
    ids = list(details.get("linked_accounts", []))
    if not ids:
        return check
    names = {
        a.id: a.external_id for a in session.scalars(select(Account).where(Account.id.in_(ids)))
    }
    details["linked_accounts"] = [names.get(i, i) for i in ids]
    details["face_hits"] = [
        {**h, "account": names.get(h["account"], h["account"])}
        for h in details.get("face_hits", [])
    ]
    details["document_linked_accounts"] = [
        names.get(i, i) for i in details.get("document_linked_accounts", [])
    ]
    return CheckResult(
        kind=check.kind,
        outcome=check.outcome,
        score=check.score,
        reason_codes=check.reason_codes,
        details=details,
        model_version=check.model_version,
    )


def _facts_from(record: CheckRecord | None) -> DocumentFacts | None:
    if record is None or record.outcome != "pass":
        return None
    fields = (record.details or {}).get("fields") or {}

    def _date(value: str | None) -> date | None:
        return date.fromisoformat(value) if value else None

    return DocumentFacts(
        document_type=fields.get("document_type"),
        document_format=record.details.get("format"),
        issuing_country=fields.get("issuing_country"),
        nationality=fields.get("nationality"),
        birth_date=_date(fields.get("birth_date")),
        expiry_date=_date(fields.get("expiry_date")),
        mrz_valid=True,
    )


def _decide(
    session: Session,
    verification: Verification,
    attempt: Attempt,
    policy: Policy,
    models: FaceModels,
) -> str:
    records = _checks(session, attempt.id)
    checks = [
        CheckResult(
            kind=r.kind,
            outcome=r.outcome,
            score=r.score,  # type: ignore[arg-type]
            reason_codes=tuple(r.reason_codes or ()),
            details=dict(r.details or {}),
            model_version=r.model_version,
        )
        for r in records.values()
    ]
    window_start = utcnow() - timedelta(hours=policy.attempt_window_hours)
    used = (
        session.scalar(
            select(func.count())
            .select_from(Attempt)
            .where(Attempt.verification_id == verification.id, Attempt.submitted_at >= window_start)
        )
        or 0
    )
    draw = random.SystemRandom().random()
    decision = evaluate.decide_attempt(
        checks,
        _facts_from(records.get("mrz")),
        policy=policy,
        today=date.today(),
        review_sample_draw=draw,
        attempts_exhausted=used >= policy.max_attempts,
    )
    # Exactly once: only the delivery that flips processing -> decided records the decision.
    won = session.execute(
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.state == "processing")
        .values(state="decided", stage=None, decided_at=utcnow())
    ).rowcount
    if won != 1:
        return "skipped"
    for derived in decision.checks:
        if derived.kind not in records:
            _save_checks(session, attempt, [derived])
    duplicates = records.get("duplicates")
    record_decision(
        session,
        verification,
        attempt,
        decision.status,
        list(decision.reason_codes),
        actor=SYSTEM,
        policy_version=decision.policy_version,
        model_versions=dict(decision.model_versions),
        escalations=list(decision.escalations),
        review_details={
            "linked_accounts": list((duplicates.details or {}).get("linked_accounts", []))
            if duplicates
            else []
        },
    )
    return decision.status


def stale_attempts(session: Session, older_than_s: float) -> list[tuple[str, str]]:
    """(stage, attempt id) of processing attempts whose stage has not moved for a while."""
    cutoff = utcnow() - timedelta(seconds=older_than_s)
    rows = session.execute(
        select(Attempt.stage, Attempt.id).where(
            Attempt.state == "processing", Attempt.processing_heartbeat_at < cutoff
        )
    ).all()
    return [(r.stage, r.id) for r in rows if r.stage]


def requeue_stale(older_than_s: float) -> int:
    """Re-enqueue stuck stages (a lost message on a broker without redelivery); idempotent."""
    with session_scope() as session:
        stale = stale_attempts(session, older_than_s)
        for stage, attempt_id in stale:
            session.execute(
                update(Attempt)
                .where(Attempt.id == attempt_id)
                .values(processing_heartbeat_at=utcnow(), enqueue_count=Attempt.enqueue_count + 1)
            )
            on_commit(session, lambda s=stage, a=attempt_id: enqueue_stage(s, a))
    return len(stale)
