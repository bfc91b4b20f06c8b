"""Policy file loading and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from app.policy import REASON_MESSAGES, Policy, PolicyError, default_policy_text, load_policy
from app.policy.reasons import FIXED_ACTIONS
from app.vision.faces import LEGACY_DLIB_MODEL_ID, TEMPLATE_MODEL_ID

DESIGN_REASON_CODES = [
    "document_unreadable",
    "document_blurry",
    "document_glare",
    "document_cropped",
    "document_expired",
    "document_unsupported",
    "mrz_not_found",
    "mrz_check_failed",
    "data_mismatch",
    "underage",
    "restricted_jurisdiction",
    "selfie_no_face",
    "selfie_multiple_faces",
    "liveness_failed",
    "liveness_challenge_failed",
    "liveness_replay_suspected",
    "face_mismatch",
    "face_match_uncertain",
    "liveness_not_checked",
    "duplicate_face",
    "duplicate_document",
    "attempts_exceeded",
]


def _edited(**changes: object) -> str:
    """The default policy with dotted keys replaced (value None deletes the key)."""
    data = yaml.safe_load(default_policy_text())
    for dotted, value in changes.items():
        *parents, last = dotted.split("__")
        node = data
        for part in parents:
            node = node[part]
        if value is None:
            del node[last]
        else:
            node[last] = value
    return yaml.safe_dump(data)


def test_default_policy_loads_with_documented_defaults() -> None:
    policy = load_policy()
    assert isinstance(policy, Policy)
    assert policy.version
    bands = policy.face_bands_for(TEMPLATE_MODEL_ID)
    assert bands is not None and bands.match_max_distance <= bands.mismatch_min_distance
    assert policy.face_bands_for(LEGACY_DLIB_MODEL_ID) is None  # thresholds never cross models
    assert policy.liveness.required is True
    assert policy.max_attempts == 5 and policy.attempt_window_hours == 6
    assert policy.documents.min_age_years == 18
    assert 0 <= policy.review_sample_rate < 0.2
    assert {"mrz", "face_match", "duplicates", "quality"} <= policy.required_checks


def test_loading_the_same_text_is_equal() -> None:
    assert load_policy(default_policy_text()) == load_policy()


MK = f"face__models__{TEMPLATE_MODEL_ID}__"  # dotted key prefix of the shipped model's bands
MP = f"face.models.{TEMPLATE_MODEL_ID}."  # ... as error messages name it


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"surprise": 1}, "unknown key(s): surprise"),
        ({"face__extra": 1}, "unknown key(s) in face: extra"),
        ({"face__quality__min_blur": 3}, "in face.quality: min_blur"),
        (
            {MK + "match_max_distance": "0.5"},
            MP + "match_max_distance: expected a number",
        ),
        ({MK + "match_max_distance": 1.3}, "must not exceed"),
        ({MK + "mismatch_min_distance": 9}, "outside"),
        (
            {MK + "match_max_distance": 0.0},
            MP + "match_max_distance: 0.0 is outside",
        ),
        (
            {MK + "match_max_distance": True},
            MP + "match_max_distance: expected a number",
        ),
        (
            {MK + "match_max_distance": None},
            MP + "match_max_distance: missing",
        ),
        (
            {MK + "mismatch_min_distance": None},
            MP + "mismatch_min_distance: missing",
        ),
        (
            {MK + "duplicate_max_distance": None},
            MP + "duplicate_max_distance: missing",
        ),
        (
            {MK + "mismatch_min_distance": [0.6]},
            MP + "mismatch_min_distance: expected",
        ),
        (
            {MK + "surprise": 1},
            "unknown key(s) in " + MP[:-1] + ": surprise",
        ),
        ({"face__models": {}}, "at least one template model"),
        ({"face__models": None}, "face.models: missing"),
        ({"face__models__bad id!": {}}, "is not a template model id"),
        ({"liveness__requirement": "sometimes"}, "liveness.requirement"),
        ({"documents__accepted_formats": ["TD4"]}, "unknown value(s) TD4"),
        ({"documents__accepted_type_codes": ["PP"]}, "single letters"),
        ({"documents__min_age_years": 17.5}, "whole number"),
        ({"documents__expiry__action": "ignore"}, "documents.expiry.action"),
        ({"documents__capture_quality__max_glare_mrz": 2}, "capture_quality.max_glare_mrz"),
        ({"documents__capture_quality__min_blur": 1}, "in documents.capture_quality: min_blur"),
        ({"documents__capture_quality": None}, "documents.capture_quality: missing"),
        ({"restricted_jurisdictions__countries": ["fra"]}, "upper-case ICAO"),
        ({"restricted_jurisdictions__action": "approve"}, "restricted_jurisdictions.action"),
        ({"attempts__max_attempts": 0}, "attempts.max_attempts"),
        ({"review__sample_rate": 1.5}, "review.sample_rate"),
        ({"ocr__min_confidence": True}, "expected a number"),
        ({"ocr": None}, "ocr: missing"),
        ({"required_checks": ["mrz", "vibes"]}, "unknown value(s) vibes"),
        ({"required_checks": ["mrz", "liveness"]}, "liveness.requirement"),
    ],
)
def test_bad_policies_are_rejected_with_the_key_named(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(PolicyError) as excinfo:
        load_policy(_edited(**changes))
    assert message in str(excinfo.value)


def test_non_mapping_and_broken_yaml_are_rejected() -> None:
    with pytest.raises(PolicyError):
        load_policy("- a\n- b\n")
    with pytest.raises(PolicyError):
        load_policy("version: [unclosed\n")


def test_operator_copy_changes_take_effect() -> None:
    policy = load_policy(
        _edited(
            version="ops-7",
            restricted_jurisdictions__countries=["XXA", "D"],
            restricted_jurisdictions__action="decline",
            liveness__requirement="optional",
        )
    )
    assert policy.version == "ops-7"
    assert policy.jurisdictions.countries == frozenset({"XXA", "D"})
    assert policy.jurisdictions.action == "decline"
    assert policy.liveness.required is False


def test_every_reason_code_has_a_message() -> None:
    for code in DESIGN_REASON_CODES:
        assert REASON_MESSAGES.get(code), code
    for code in FIXED_ACTIONS:
        assert REASON_MESSAGES.get(code), code
    for code in ("document_expired", "restricted_jurisdiction", "liveness_failed"):
        assert code in REASON_MESSAGES


def test_the_example_in_docs_policy_md_loads() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "policy.md").read_text("utf-8")
    example = doc.split("## Example: a stricter copy", 1)[1].split("```yaml", 1)[1]
    policy = load_policy(example.split("```", 1)[0])
    assert policy.version == "acme-2026-12-01"
    assert policy.liveness.on_failure == "review"
    assert "data_consistency" in policy.required_checks


def test_document_capture_limits_come_from_the_policy_file() -> None:
    from app.vision.document.quality import QualityThresholds

    assert load_policy().document_quality == QualityThresholds()  # shipped = measured defaults
    strict = load_policy(_edited(documents__capture_quality__min_mrz_stroke_sharpness=0.9))
    assert strict.document_quality.min_mrz_stroke_sharpness == 0.9
