"""Build CheckResults from the face core's outputs, so every caller bands them the same way."""

from __future__ import annotations

from collections.abc import Sequence
from types import MappingProxyType
from typing import Any

from app.policy.config import Policy
from app.policy.decision import CheckResult
from app.vision.faces.analyse import compare_faces
from app.vision.faces.index import IndexHit
from app.vision.faces.types import FaceAnalysis, FaceSample


def _sample_json(sample: FaceSample) -> dict[str, Any]:
    return {
        "box": list(sample.box),
        "width_px": sample.width_px,
        "sharpness": round(sample.sharpness, 4),
        "yaw_deg": None if sample.yaw_deg is None else round(sample.yaw_deg, 1),
        "template_frames": sample.template_frames,
    }


def face_match_check(
    selfie: FaceAnalysis, portrait: FaceAnalysis, policy: Policy, *, model_version: str
) -> CheckResult:
    """Selfie-vs-ID-portrait check under the policy's bands.

    No face on either side -> inconclusive with that side's reason (a retry). Otherwise the
    band decides: match -> pass; grey band -> fail ``face_match_uncertain``; mismatch ->
    fail ``face_mismatch`` (both go to review). Capture-quality notes stay in details: a
    small printed portrait that still matches is not held against the applicant.
    """
    details: dict[str, Any] = {
        "selfie_faces": selfie.faces_found,
        "portrait_faces": portrait.faces_found,
        "selfie_quality_codes": list(selfie.reason_codes),
        "portrait_quality_codes": list(portrait.reason_codes),
    }
    if selfie.sample is None or portrait.sample is None:
        codes = (selfie.reason_codes if selfie.sample is None else ()) + (
            portrait.reason_codes if portrait.sample is None else ()
        )
        return CheckResult(
            kind="face_match",
            outcome="inconclusive",
            score=None,
            reason_codes=codes or ("check_inconclusive",),
            details=MappingProxyType(details),
            model_version=model_version,
        )
    model_id = selfie.sample.model_id
    details["template_model_id"] = model_id
    if portrait.sample.model_id != model_id:
        raise ValueError(
            f"templates of different models cannot be compared: {model_id!r} and "
            f"{portrait.sample.model_id!r}"
        )
    bands = policy.face_bands_for(model_id)
    if bands is None:
        # No calibrated thresholds for this model: a distance means nothing, so the
        # check cannot pass; a human compares the faces.
        details["why"] = f"the policy has no face bands for template model {model_id!r}"
        return CheckResult(
            kind="face_match",
            outcome="inconclusive",
            score=None,
            reason_codes=("face_model_not_calibrated",),
            details=MappingProxyType(details),
            model_version=model_version,
        )
    result = compare_faces(selfie.sample.encoding, portrait.sample.encoding, bands)
    details.update(result.to_json())
    details["selfie"] = _sample_json(selfie.sample)
    details["portrait"] = _sample_json(portrait.sample)
    return CheckResult(
        kind="face_match",
        outcome="pass" if result.band == "match" else "fail",
        score=result.similarity,
        reason_codes=result.reason_codes,
        details=MappingProxyType(details),
        model_version=model_version,
    )


def duplicate_check(
    face_hits: Sequence[IndexHit],
    policy: Policy,
    *,
    template_model_id: str,
    document_linked_accounts: Sequence[str] = (),
    model_version: str | None = None,
) -> CheckResult:
    """Duplicate-identity check from 1:N face hits and accounts sharing the document key.

    ``face_hits`` come from a search among templates of ``template_model_id`` only. Hits
    farther than that model's duplicate radius are ignored. Any remaining hit -> fail with
    ``duplicate_face`` / ``duplicate_document`` and ``linked_accounts``. A model the policy
    has no radius for cannot clear the face side: ``face_model_not_calibrated`` (review).
    """
    radius = policy.duplicate_radius_for(template_model_id)
    close = (
        sorted((h for h in face_hits if h.distance <= radius), key=lambda h: h.distance)
        if radius is not None
        else []
    )
    codes: list[str] = [] if radius is not None else ["face_model_not_calibrated"]
    if close:
        codes.append("duplicate_face")
    if document_linked_accounts:
        codes.append("duplicate_document")
    linked = list(dict.fromkeys([h.group for h in close] + list(document_linked_accounts)))
    details: dict[str, Any] = {
        "linked_accounts": linked,
        "face_hits": [
            {"key": h.key, "account": h.group, "distance": round(h.distance, 4)} for h in close
        ],
        "document_linked_accounts": list(document_linked_accounts),
        "max_distance": radius,
        "template_model_id": template_model_id,
    }
    return CheckResult(
        kind="duplicates",
        outcome="fail" if codes else "pass",
        score=close[0].distance if close else None,
        reason_codes=tuple(codes),
        details=MappingProxyType(details),
        model_version=model_version,
    )
