"""The decision policy as versioned data: parsing and strict validation of the YAML file."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

import yaml

from app.vision.document.quality import QualityThresholds
from app.vision.faces.types import FaceQualityThresholds, MatchBands

CHECK_KINDS = frozenset(
    {
        "quality",
        "mrz",
        "data_consistency",
        "liveness",
        "face_match",
        "duplicates",
        "document_rules",
        "selfie",
    }
)
MRZ_FORMATS = frozenset({"TD1", "TD2", "TD3", "MRV-A", "MRV-B"})
_COUNTRY_CODE = re.compile(r"^[A-Z]{1,3}$")


class PolicyError(ValueError):
    """The policy file is not valid; the message names the offending key."""


@dataclass(frozen=True)
class ModelFaceBands:
    """The thresholds that turn one template model's distances into decisions."""

    bands: MatchBands  # selfie vs ID portrait
    duplicate_max_distance: float  # selfie vs other accounts' selfies


@dataclass(frozen=True)
class FacePolicy:
    """Face bands and duplicate radius per template model, and capture quality limits.

    Distances of different models live on different scales, so thresholds are keyed by
    the template model id (``app.vision.faces.TEMPLATE_MODEL_ID``): a policy can never
    apply one model's thresholds to another's scores, and a model without an entry can
    neither match nor search for duplicates.
    """

    models: Mapping[str, ModelFaceBands]
    quality: FaceQualityThresholds

    def for_model(self, model_id: str) -> ModelFaceBands | None:
        """The thresholds calibrated for ``model_id``, or None."""
        return self.models.get(model_id)


@dataclass(frozen=True)
class LivenessPolicy:
    """Whether liveness must be checked, and what a failed check leads to."""

    required: bool
    on_failure: Literal["decline", "review"]


@dataclass(frozen=True)
class DocumentPolicy:
    """Which documents are accepted and the age and expiry rules."""

    accepted_formats: frozenset[str]
    accepted_type_codes: frozenset[str]
    min_age_years: int
    expiry_action: Literal["decline", "resubmission"]
    expiry_grace_days: int
    capture: QualityThresholds


@dataclass(frozen=True)
class JurisdictionPolicy:
    """Countries (issuer or nationality) that are restricted, and the action."""

    countries: frozenset[str]
    action: Literal["decline", "review"]


@dataclass(frozen=True)
class Policy:
    """A validated decision policy. Build it with ``load_policy``."""

    version: str
    face: FacePolicy
    liveness: LivenessPolicy
    documents: DocumentPolicy
    jurisdictions: JurisdictionPolicy
    max_attempts: int
    attempt_window_hours: float
    review_sample_rate: float
    ocr_min_confidence: float
    required_checks: frozenset[str]

    def face_bands_for(self, model_id: str) -> MatchBands | None:
        """Selfie-vs-ID-portrait distance bands of one template model (None: not calibrated)."""
        found = self.face.for_model(model_id)
        return found.bands if found is not None else None

    def duplicate_radius_for(self, model_id: str) -> float | None:
        """1:N duplicate search radius of one template model (None: not calibrated)."""
        found = self.face.for_model(model_id)
        return found.duplicate_max_distance if found is not None else None

    @property
    def face_quality(self) -> FaceQualityThresholds:
        """Capture-quality limits handed to ``analyse_face``."""
        return self.face.quality

    @property
    def document_quality(self) -> QualityThresholds:
        """Capture-quality limits handed to ``read_document``."""
        return self.documents.capture


class _Section:
    """Reads one mapping of the file, tracking the dotted path and rejecting unknown keys."""

    def __init__(self, raw: Any, path: str) -> None:
        if not isinstance(raw, Mapping):
            raise PolicyError(f"{path or 'policy'}: expected a mapping, got {type(raw).__name__}")
        self.raw = raw
        self.path = path
        self.used: set[str] = set()

    def _name(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def get(self, key: str) -> Any:
        if key not in self.raw:
            raise PolicyError(f"{self._name(key)}: missing")
        self.used.add(key)
        return self.raw[key]

    def section(self, key: str) -> _Section:
        return _Section(self.get(key), self._name(key))

    def number(self, key: str, *, low: float, high: float, integer: bool = False) -> float:
        value = self.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PolicyError(f"{self._name(key)}: expected a number, got {value!r}")
        if integer and not isinstance(value, int):
            raise PolicyError(f"{self._name(key)}: expected a whole number, got {value!r}")
        if not low <= value <= high:
            raise PolicyError(f"{self._name(key)}: {value!r} is outside [{low}, {high}]")
        return float(value)

    def integer(self, key: str, *, low: int, high: int) -> int:
        return int(self.number(key, low=low, high=high, integer=True))

    def choice(self, key: str, options: tuple[str, ...]) -> str:
        value = self.get(key)
        if value not in options:
            raise PolicyError(f"{self._name(key)}: {value!r} is not one of {', '.join(options)}")
        return str(value)

    def string_set(self, key: str, *, allowed: frozenset[str] | None = None) -> frozenset[str]:
        value = self.get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise PolicyError(f"{self._name(key)}: expected a list of strings, got {value!r}")
        if allowed is not None:
            unknown = sorted(set(value) - allowed)
            if unknown:
                raise PolicyError(
                    f"{self._name(key)}: unknown value(s) {', '.join(unknown)}; "
                    f"allowed: {', '.join(sorted(allowed))}"
                )
        return frozenset(value)

    def finish(self) -> None:
        unknown = sorted(set(map(str, self.raw)) - self.used)
        if unknown:
            where = f" in {self.path}" if self.path else ""
            raise PolicyError(f"unknown key(s){where}: {', '.join(unknown)}")


_MODEL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]{0,79}$")


def _parse_model_bands(section: _Section) -> ModelFaceBands:
    match_max = section.number("match_max_distance", low=0.05, high=2.0)
    mismatch_min = section.number("mismatch_min_distance", low=0.05, high=2.0)
    if match_max > mismatch_min:
        raise PolicyError(
            f"{section.path}: match_max_distance ({match_max}) must not exceed "
            f"mismatch_min_distance ({mismatch_min})"
        )
    duplicate = section.number("duplicate_max_distance", low=0.05, high=2.0)
    section.finish()
    return ModelFaceBands(
        bands=MatchBands(match_max_distance=match_max, mismatch_min_distance=mismatch_min),
        duplicate_max_distance=duplicate,
    )


def _parse_face(face: _Section) -> FacePolicy:
    models_section = face.section("models")
    if not models_section.raw:
        raise PolicyError("face.models: at least one template model needs its bands")
    models: dict[str, ModelFaceBands] = {}
    for model_id in list(models_section.raw):
        if not isinstance(model_id, str) or not _MODEL_ID.match(model_id):
            raise PolicyError(f"face.models: {model_id!r} is not a template model id")
        models[model_id] = _parse_model_bands(models_section.section(model_id))
    models_section.finish()
    q = face.section("quality")
    quality = FaceQualityThresholds(
        min_selfie_face_width_px=q.integer("min_selfie_face_width_px", low=1, high=4096),
        min_portrait_face_width_px=q.integer("min_portrait_face_width_px", low=1, high=4096),
        min_sharpness=q.number("min_sharpness", low=0.0, high=100.0),
        min_portrait_sharpness=q.number("min_portrait_sharpness", low=0.0, high=100.0),
        max_abs_yaw_deg=q.number("max_abs_yaw_deg", low=1.0, high=90.0),
        background_face_ratio=q.number("background_face_ratio", low=0.01, high=1.0),
    )
    q.finish()
    face.finish()
    return FacePolicy(models=MappingProxyType(models), quality=quality)


def _parse_capture_quality(section: _Section) -> QualityThresholds:
    """The document capture gate (blur, glare, resolution, cropping, legibility)."""
    thresholds = QualityThresholds(
        min_char_height_px=section.number("min_char_height_px", low=1.0, high=100.0),
        min_sharpness=section.number("min_sharpness", low=0.0, high=100.0),
        max_glare_mrz=section.number("max_glare_mrz", low=0.0, high=1.0),
        max_glare_page=section.number("max_glare_page", low=0.0, high=1.0),
        crop_tolerance=section.number("crop_tolerance", low=0.0, high=0.5),
        min_mrz_glyph_score=section.number("min_mrz_glyph_score", low=0.0, high=1.0),
        min_mrz_stroke_sharpness=section.number("min_mrz_stroke_sharpness", low=0.0, high=5.0),
    )
    section.finish()
    return thresholds


def _parse(raw: Any) -> Policy:
    root = _Section(raw, "")
    version = root.get("version")
    if not isinstance(version, str | int | float) or isinstance(version, bool) or not str(version):
        raise PolicyError(f"version: expected a non-empty string, got {version!r}")

    face = _parse_face(root.section("face"))

    live = root.section("liveness")
    liveness = LivenessPolicy(
        required=live.choice("requirement", ("required", "optional")) == "required",
        on_failure=live.choice("on_failure", ("decline", "review")),  # type: ignore[arg-type]
    )
    live.finish()

    docs = root.section("documents")
    accepted_formats = docs.string_set("accepted_formats", allowed=MRZ_FORMATS)
    type_codes = docs.string_set("accepted_type_codes")
    bad_codes = sorted(c for c in type_codes if not re.fullmatch(r"[A-Z]", c))
    if bad_codes:
        raise PolicyError(f"documents.accepted_type_codes: not single letters A-Z: {bad_codes}")
    if not accepted_formats or not type_codes:
        raise PolicyError("documents: accepted_formats and accepted_type_codes must not be empty")
    min_age = docs.integer("min_age_years", low=0, high=120)
    expiry = docs.section("expiry")
    expiry_action = expiry.choice("action", ("decline", "resubmission"))
    grace_days = expiry.integer("grace_days", low=0, high=3650)
    expiry.finish()
    capture = _parse_capture_quality(docs.section("capture_quality"))
    docs.finish()
    documents = DocumentPolicy(
        accepted_formats=accepted_formats,
        accepted_type_codes=type_codes,
        min_age_years=min_age,
        expiry_action=expiry_action,  # type: ignore[arg-type]
        expiry_grace_days=grace_days,
        capture=capture,
    )

    juris = root.section("restricted_jurisdictions")
    countries = juris.string_set("countries")
    bad = sorted(c for c in countries if not _COUNTRY_CODE.match(c))
    if bad:
        raise PolicyError(
            f"restricted_jurisdictions.countries: not upper-case ICAO codes: {', '.join(bad)}"
        )
    jurisdictions = JurisdictionPolicy(
        countries=countries,
        action=juris.choice("action", ("decline", "review")),  # type: ignore[arg-type]
    )
    juris.finish()

    attempts = root.section("attempts")
    max_attempts = attempts.integer("max_attempts", low=1, high=1000)
    window_hours = attempts.number("window_hours", low=0.01, high=24 * 365)
    attempts.finish()

    review = root.section("review")
    sample_rate = review.number("sample_rate", low=0.0, high=1.0)
    review.finish()

    ocr = root.section("ocr")
    ocr_min = ocr.number("min_confidence", low=0.0, high=1.0)
    ocr.finish()

    listed = root.raw.get("required_checks")
    if isinstance(listed, list) and "liveness" in listed:
        raise PolicyError("required_checks: list liveness under liveness.requirement instead")
    # document_rules is always derived by decide(); liveness is governed by its own section.
    required = root.string_set(
        "required_checks", allowed=CHECK_KINDS - {"document_rules", "liveness"}
    )
    root.finish()

    return Policy(
        version=str(version),
        face=face,
        liveness=liveness,
        documents=documents,
        jurisdictions=jurisdictions,
        max_attempts=max_attempts,
        attempt_window_hours=window_hours,
        review_sample_rate=sample_rate,
        ocr_min_confidence=ocr_min,
        required_checks=required,
    )


def default_policy_text() -> str:
    """The shipped default policy file's text."""
    return resources.files("app.policy").joinpath("default_policy.yaml").read_text("utf-8")


def load_policy(text: str | None = None) -> Policy:
    """Parse and validate a policy file's text; ``None`` loads the shipped default.

    Raises PolicyError with the dotted key path on unknown keys or bad values.
    """
    source = default_policy_text() if text is None else text
    try:
        raw = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise PolicyError(f"policy is not valid YAML: {exc}") from exc
    try:
        return _parse(raw)
    except PolicyError:
        raise
    except ValueError as exc:  # dataclass invariants
        raise PolicyError(str(exc)) from exc
