"""CheckResult builders for face matching and duplicates."""

from __future__ import annotations

import numpy as np
import pytest

from app.policy import duplicate_check, face_match_check, load_policy
from app.vision.faces import (
    LEGACY_DLIB_MODEL_ID,
    TEMPLATE_MODEL_ID,
    FaceAnalysis,
    FaceSample,
    IndexHit,
)

POLICY = load_policy()
BANDS = POLICY.face_bands_for(TEMPLATE_MODEL_ID)
assert BANDS is not None


def _analysis(
    vector_value: float | None, *codes: str, model_id: str = TEMPLATE_MODEL_ID
) -> FaceAnalysis:
    if vector_value is None:
        return FaceAnalysis(faces_found=0, sample=None, reason_codes=codes)
    encoding = np.zeros(128, dtype=np.float32)
    encoding[0] = vector_value
    sample = FaceSample(
        box=(0, 10, 10, 0),
        encoding=encoding,
        width_px=90,
        sharpness=0.2,
        yaw_deg=1.0,
        model_id=model_id,
    )
    return FaceAnalysis(faces_found=1, sample=sample, reason_codes=codes)


def test_match_band_passes_and_keeps_quality_notes_in_details() -> None:
    check = face_match_check(
        _analysis(0.0), _analysis(0.3, "face_quality_low"), POLICY, model_version="m1"
    )
    assert check.kind == "face_match" and check.outcome == "pass"
    assert check.reason_codes == ()
    assert check.details["distance"] == 0.3
    assert check.details["portrait_quality_codes"] == ["face_quality_low"]
    assert check.details["template_model_id"] == TEMPLATE_MODEL_ID
    assert check.model_version == "m1"
    assert check.score is not None and 0.5 < check.score <= 1.0


def test_grey_band_and_mismatch_fail_with_review_codes() -> None:
    grey = (BANDS.match_max_distance + BANDS.mismatch_min_distance) / 2
    uncertain = face_match_check(_analysis(0.0), _analysis(grey), POLICY, model_version="m1")
    assert uncertain.outcome == "fail" and uncertain.reason_codes == ("face_match_uncertain",)
    mismatch = face_match_check(_analysis(0.0), _analysis(1.5), POLICY, model_version="m1")
    assert mismatch.outcome == "fail" and mismatch.reason_codes == ("face_mismatch",)


def test_missing_face_is_inconclusive_with_the_side_reason() -> None:
    check = face_match_check(
        _analysis(0.0), _analysis(None, "face_portrait_not_found"), POLICY, model_version="m1"
    )
    assert check.outcome == "inconclusive"
    assert check.reason_codes == ("face_portrait_not_found",)
    check = face_match_check(
        _analysis(None, "selfie_no_face"), _analysis(0.0), POLICY, model_version="m1"
    )
    assert check.reason_codes == ("selfie_no_face",)


def test_duplicate_check_filters_by_radius_and_lists_accounts() -> None:
    radius = POLICY.duplicate_radius_for(TEMPLATE_MODEL_ID)
    assert radius is not None
    hits = [
        IndexHit("t1", "acct_a", radius - 0.1),
        IndexHit("t2", "acct_b", radius + 0.05),
        IndexHit("t3", "acct_a", radius - 0.2),
    ]
    check = duplicate_check(
        hits, POLICY, template_model_id=TEMPLATE_MODEL_ID, document_linked_accounts=["acct_c"]
    )
    assert check.outcome == "fail"
    assert check.reason_codes == ("duplicate_face", "duplicate_document")
    assert check.details["linked_accounts"] == ["acct_a", "acct_c"]
    assert [h["key"] for h in check.details["face_hits"]] == ["t3", "t1"]
    clean = duplicate_check(
        [IndexHit("t2", "acct_b", radius + 0.05)], POLICY, template_model_id=TEMPLATE_MODEL_ID
    )
    assert clean.outcome == "pass" and clean.reason_codes == ()


def test_a_model_without_bands_can_neither_match_nor_clear_duplicates() -> None:
    # identical templates, but of a model the policy has no thresholds for
    selfie = _analysis(0.0, model_id=LEGACY_DLIB_MODEL_ID)
    portrait = _analysis(0.0, model_id=LEGACY_DLIB_MODEL_ID)
    check = face_match_check(selfie, portrait, POLICY, model_version="m0")
    assert check.outcome == "inconclusive"
    assert check.reason_codes == ("face_model_not_calibrated",)
    assert "distance" not in check.details
    duplicates = duplicate_check([], POLICY, template_model_id=LEGACY_DLIB_MODEL_ID)
    assert duplicates.outcome == "fail"
    assert duplicates.reason_codes == ("face_model_not_calibrated",)


def test_templates_of_two_models_are_never_compared() -> None:
    with pytest.raises(ValueError, match="different models"):
        face_match_check(
            _analysis(0.0),
            _analysis(0.0, model_id=LEGACY_DLIB_MODEL_ID),
            POLICY,
            model_version="m1",
        )
