"""Turn images into policy check results. No database, no Celery: shared by the worker
stages and by ``idgate verify`` so that both run the same pipeline and policy."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

import numpy as np

from app.policy import (
    CheckResult,
    Decision,
    DecisionInput,
    DocumentFacts,
    Policy,
    decide,
    duplicate_check,
    face_match_check,
)
from app.vision.document.quality import QualityThresholds
from app.vision.document.reader import DocumentReading, read_document
from app.vision.document.viz import compare_printed_with_mrz, read_printed_fields
from app.vision.faces import FaceAnalysis, FaceModels, analyse_face, analyse_selfie_burst
from app.vision.faces.index import IndexHit
from app.vision.liveness.verify import LivenessResult, verify_liveness

DOCUMENT_MODEL_VERSION = "idgate-mrz-1+tesseract-5"
# Liveness 2: YuNet tracking through turns, MobileFaceNet identity on near-frontal frames,
# dlib's 68 points for pitch, blink, smile and the 3-D check (see NOTES-liveness.md).
LIVENESS_MODEL_VERSION = "idgate-active-liveness-2"


def _frozen(details: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(details))


@dataclass(frozen=True)
class DocumentEvaluation:
    """What the document stage established, and its checks."""

    reading: DocumentReading
    facts: DocumentFacts | None
    checks: tuple[CheckResult, ...]
    portrait: np.ndarray | None
    summary: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CaptureVerdict:
    """The quick answer shown to the user right after a document photo is taken."""

    ok: bool
    reason_codes: tuple[str, ...]
    mrz_found: bool
    elapsed_ms: float


def capture_verdict(
    image: np.ndarray, *, today: date, thresholds: QualityThresholds | None = None
) -> CaptureVerdict:
    """Judge a capture (blur, glare, cropping, resolution) without the portrait search."""
    reading = read_document(
        image, today=today, find_portrait=False, thresholds=thresholds or QualityThresholds()
    )
    return CaptureVerdict(
        ok=reading.quality.ok,
        reason_codes=tuple(reading.quality.reason_codes),
        mrz_found=reading.mrz.found,
        elapsed_ms=reading.elapsed_ms,
    )


def evaluate_document(
    image: np.ndarray,
    *,
    today: date,
    models: FaceModels,
    back: np.ndarray | None = None,
    thresholds: QualityThresholds | None = None,
) -> DocumentEvaluation:
    """Read the document (quality gate, MRZ, portrait, printed fields) into checks.

    ID cards (TD1) carry the MRZ on the back: when the front has no valid MRZ and a back
    was captured, the back's MRZ is used, and the portrait still comes from the front.
    """
    thresholds = thresholds or QualityThresholds()
    reading = read_document(image, today=today, models=models, thresholds=thresholds)
    if back is not None and not reading.mrz.valid:
        back_reading = read_document(
            back, today=today, models=models, find_portrait=False, thresholds=thresholds
        )
        if back_reading.mrz.valid or (back_reading.mrz.found and not reading.mrz.found):
            reading = dataclasses.replace(
                back_reading,
                portrait=reading.portrait,
                normalised=reading.normalised
                if back_reading.mrz.format == "TD1"
                else back_reading.normalised,
            )
    quality = reading.quality
    checks: list[CheckResult] = [
        CheckResult(
            kind="quality",
            outcome="pass" if quality.ok else "fail",
            score=None,
            reason_codes=tuple(quality.reason_codes),
            details=_frozen({k: float(v) for k, v in quality.metrics.items()}),
            model_version=DOCUMENT_MODEL_VERSION,
        )
    ]
    mrz = reading.mrz
    mrz_json = mrz.to_json()
    # document_country_unknown: every other check passed but a printed country code is not
    # on the ICAO list; a person looks at it (a retry would read the same code)
    mrz_codes = tuple(
        c for c in reading.reason_codes if c.startswith("mrz_") or c == "document_country_unknown"
    )
    if mrz.valid:
        mrz_outcome = "pass"
    elif quality.ok:
        mrz_outcome = "fail"
        mrz_codes = mrz_codes or (("mrz_check_failed",) if mrz.found else ("mrz_not_found",))
    else:
        mrz_outcome = "inconclusive"  # the capture itself was bad: the quality codes explain
    checks.append(
        CheckResult(
            kind="mrz",
            outcome=mrz_outcome,
            score=float(mrz.confidence),
            reason_codes=mrz_codes,
            details=_frozen(
                {
                    "format": mrz.format,
                    "fields": mrz_json.get("fields"),
                    "checks": mrz_json.get("checks"),
                    "corrections": list(mrz.corrections),
                    "ocr_confidence": float(mrz.confidence),
                }
            ),
            model_version=DOCUMENT_MODEL_VERSION,
        )
    )
    facts = None
    if mrz.fields is not None and mrz.valid:
        f = mrz.fields
        facts = DocumentFacts(
            document_type=f.document_type,
            document_format=mrz.format,
            issuing_country=f.issuing_country,
            nationality=f.nationality,
            birth_date=f.birth_date,
            expiry_date=f.expiry_date,
            mrz_valid=True,
        )
        if reading.normalised is not None:
            printed = read_printed_fields(reading.normalised, reading.document_format)
            consistency = compare_printed_with_mrz(printed, f)
            outcome = (
                "inconclusive"
                if consistency.consistent is None
                else "pass"
                if consistency.consistent
                else "fail"
            )
            checks.append(
                CheckResult(
                    kind="data_consistency",
                    outcome=outcome,
                    score=float(consistency.score),
                    reason_codes=tuple(consistency.reason_codes),
                    details=_frozen(
                        {
                            "mismatches": list(consistency.mismatches),
                            "compared": list(consistency.compared),
                            "printed_confidence": float(printed.confidence),
                        }
                    ),
                    model_version=DOCUMENT_MODEL_VERSION,
                )
            )
    portrait = reading.portrait.image if reading.portrait is not None else None
    summary = {
        "mrz": mrz_json,
        "portrait": None
        if reading.portrait is None
        else {
            "box": list(reading.portrait.box),
            "width_px": reading.portrait.width_px,
            "sharpness": round(float(reading.portrait.sharpness), 4),
        },
        "document_format": reading.document_format,
        "reason_codes": list(reading.reason_codes),
        "elapsed_ms": round(reading.elapsed_ms, 1),
    }
    return DocumentEvaluation(reading, facts, tuple(checks), portrait, summary)


@dataclass(frozen=True)
class SelfieEvaluation:
    """Liveness (when a challenge was answered), the selfie frame and its face analysis."""

    liveness: LivenessResult | None
    selfie: np.ndarray
    face: FaceAnalysis
    checks: tuple[CheckResult, ...]


def evaluate_selfie(
    frames: Sequence[np.ndarray],
    timestamps_s: Sequence[float] | None,
    challenge: Sequence[str] | None,
    *,
    policy: Policy,
    models: FaceModels,
) -> SelfieEvaluation:
    """Verify the liveness challenge (if any), pick the selfie frame, build the template.

    With a live burst, the template averages the best several near-frontal, sharp frames
    (the liveness check's chosen frame first); a still selfie gives a one-frame template.
    """
    liveness: LivenessResult | None = None
    selfie = frames[0]
    preferred: tuple[int, ...] = ()
    known_points: dict[int, np.ndarray] = {}
    if challenge and len(frames) > 1 and timestamps_s is not None:
        liveness = verify_liveness(frames, timestamps_s, challenge, models=models)
        if liveness.best_frame_index is not None:
            selfie = frames[liveness.best_frame_index]
            preferred = (liveness.best_frame_index,)
        preferred += tuple(liveness.frontal_frame_indices)
        known_points = {
            index: points
            for index, points in zip(
                liveness.frontal_frame_indices, liveness.frontal_frame_points, strict=False
            )
            if points is not None
        }
        liveness_check = CheckResult(
            kind="liveness",
            outcome="pass" if liveness.live else "fail",
            score=float(liveness.score),
            reason_codes=tuple(liveness.reasons),
            details=_frozen({**liveness.to_json(), "challenge": list(challenge)}),
            model_version=LIVENESS_MODEL_VERSION,
        )
    else:
        liveness_check = CheckResult(
            kind="liveness",
            outcome="inconclusive",
            score=None,
            reason_codes=("liveness_not_checked",),
            details=_frozen({"why": "a still selfie carries no liveness evidence"}),
            model_version=LIVENESS_MODEL_VERSION,
        )
    if len(frames) > 1:
        face = analyse_selfie_burst(
            frames,
            models=models,
            preferred_indices=preferred,
            thresholds=policy.face_quality,
            known_landmarks=known_points,
        )
    else:
        face = analyse_face(selfie, role="selfie", models=models, thresholds=policy.face_quality)
    selfie_check = CheckResult(
        kind="selfie",
        outcome="pass" if face.sample is not None and face.faces_found == 1 else "fail",
        score=None,
        reason_codes=tuple(face.reason_codes),
        details=_frozen(
            {
                "faces_found": face.faces_found,
                "width_px": face.sample.width_px if face.sample else None,
                "template_frames": face.sample.template_frames if face.sample else 0,
            }
        ),
        model_version=models.version,
    )
    return SelfieEvaluation(liveness, selfie, face, (liveness_check, selfie_check))


def evaluate_face_match(
    selfie_face: FaceAnalysis,
    portrait: np.ndarray | None,
    *,
    policy: Policy,
    models: FaceModels,
) -> tuple[FaceAnalysis | None, CheckResult]:
    """Compare the selfie with the ID portrait under the policy's bands."""
    if portrait is None:
        return None, CheckResult(
            kind="face_match",
            outcome="inconclusive",
            score=None,
            reason_codes=("face_portrait_not_found",),
            details=_frozen({"why": "no portrait was found on the document"}),
            model_version=models.version,
        )
    portrait_face = analyse_face(
        portrait, role="portrait", models=models, thresholds=policy.face_quality
    )
    return portrait_face, face_match_check(
        selfie_face, portrait_face, policy, model_version=models.version
    )


def evaluate_duplicates(
    face_hits: Sequence[IndexHit],
    document_linked_accounts: Sequence[str],
    *,
    policy: Policy,
    template_model_id: str,
    model_version: str,
) -> CheckResult:
    """The duplicate check from face hits (templates of ``template_model_id``) and
    accounts sharing the document's fingerprint."""
    return duplicate_check(
        face_hits,
        policy,
        template_model_id=template_model_id,
        document_linked_accounts=document_linked_accounts,
        model_version=model_version,
    )


def decide_attempt(
    checks: Sequence[CheckResult],
    facts: DocumentFacts | None,
    *,
    policy: Policy,
    today: date,
    review_sample_draw: float,
    attempts_exhausted: bool = False,
) -> Decision:
    """Apply the policy to all checks of one attempt."""
    return decide(
        DecisionInput(
            checks=tuple(checks),
            document=facts,
            today=today,
            review_sample_draw=review_sample_draw,
            attempts_exhausted=attempts_exhausted,
        ),
        policy,
    )
