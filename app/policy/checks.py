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
    result = compare_faces(selfie.sample.encoding, portrait.sample.encoding, policy.face_bands)
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
    document_linked_accounts: Sequence[str] = (),
    model_version: str | None = None,
) -> CheckResult:
    """Duplicate-identity check from 1:N face hits and accounts sharing the document key.

    Hits farther than the policy's duplicate radius are ignored. Any remaining hit ->
    fail with ``duplicate_face`` / ``duplicate_document`` and ``linked_accounts``.
    """
    radius = policy.duplicate_max_distance
    close = sorted((h for h in face_hits if h.distance <= radius), key=lambda h: h.distance)
    codes: list[str] = []
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
    }
    return CheckResult(
        kind="duplicates",
        outcome="fail" if codes else "pass",
        score=close[0].distance if close else None,
        reason_codes=tuple(codes),
        details=MappingProxyType(details),
        model_version=model_version,
    )
