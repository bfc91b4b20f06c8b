"""Value types of the face stage: thresholds, samples, analyses and match results.

Kept free of OpenCV and dlib so that the policy layer can build thresholds cheaply.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

FaceRole = Literal["selfie", "portrait"]
MatchBand = Literal["match", "review", "mismatch"]

ENCODING_DIM = 128


@dataclass(frozen=True)
class FaceQualityThresholds:
    """Capture-quality limits for a face; defaults calibrated in benchmarks/NOTES-faces.md.

    min_selfie_face_width_px: a selfie face narrower than this (in the image handed in)
        is too far away to trust.
    min_portrait_face_width_px: a printed ID portrait narrower than this is unusable; small
        portraits are still matched (upsampled) above it, their distances just run higher.
    min_sharpness: scale-normalised focus score of the face region (see ``face_sharpness``)
        below which a selfie is too blurry; portraits use ``min_portrait_sharpness``.
    max_abs_yaw_deg: approximate head turn beyond which a selfie is not frontal enough.
    background_face_ratio: in a selfie, faces narrower than this fraction of the largest
        face are treated as background (people behind the user) and ignored.
    """

    min_selfie_face_width_px: int = 80
    min_portrait_face_width_px: int = 30
    min_sharpness: float = 0.02
    min_portrait_sharpness: float = 0.005
    max_abs_yaw_deg: float = 45.0
    background_face_ratio: float = 0.45

    def __post_init__(self) -> None:
        if self.min_selfie_face_width_px < 1 or self.min_portrait_face_width_px < 1:
            raise ValueError("minimum face widths must be at least 1 px")
        if self.min_sharpness < 0 or self.min_portrait_sharpness < 0:
            raise ValueError("sharpness minimums must be >= 0")
        if not 0 < self.max_abs_yaw_deg <= 90:
            raise ValueError("max_abs_yaw_deg must be in (0, 90]")
        if not 0 < self.background_face_ratio <= 1:
            raise ValueError("background_face_ratio must be in (0, 1]")


@dataclass(frozen=True)
class FaceSample:
    """One detected face: where it is, its 128-d template and its quality measurements.

    ``model_id`` names the template space (templates of different models are never
    compared); ``template_frames`` is how many frames of a burst the template averages.
    """

    box: tuple[int, int, int, int]  # top, right, bottom, left in the input image's pixels
    encoding: np.ndarray  # (128,) float32; unit length for MobileFaceNet templates
    width_px: int
    sharpness: float
    yaw_deg: float | None
    model_id: str = ""
    template_frames: int = 1


@dataclass(frozen=True)
class FaceAnalysis:
    """Result of looking for the face in one image."""

    faces_found: int
    sample: FaceSample | None
    reason_codes: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """True when a face template exists to compare (quality reasons may still be set)."""
        return self.sample is not None


@dataclass(frozen=True)
class MatchBands:
    """Distance bands: <= match_max_distance matches, >= mismatch_min_distance mismatches,
    anything between is the grey band that goes to a human. The defaults mirror the shipped
    policy's ID-portrait-vs-selfie bands for the MobileFaceNet templates
    (benchmarks/NOTES-faces.md)."""

    match_max_distance: float = 1.04
    mismatch_min_distance: float = 1.23

    def __post_init__(self) -> None:
        if not 0 < self.match_max_distance <= self.mismatch_min_distance:
            raise ValueError(
                "face bands need 0 < match_max_distance <= mismatch_min_distance, got "
                f"{self.match_max_distance} and {self.mismatch_min_distance}"
            )

    def band(self, distance: float) -> MatchBand:
        """The band a distance falls in."""
        if distance <= self.match_max_distance:
            return "match"
        if distance >= self.mismatch_min_distance:
            return "mismatch"
        return "review"


@dataclass(frozen=True)
class FaceMatchResult:
    """Comparison of two face templates under given bands."""

    distance: float
    band: MatchBand
    similarity: float  # monotone display score in [0, 1]; 0.5 in the middle of the grey band
    reason_codes: tuple[str, ...]
    match_max_distance: float
    mismatch_min_distance: float

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-serialisable form (for check details and the CLI)."""
        return {
            "distance": round(self.distance, 4),
            "band": self.band,
            "match": self.band == "match",
            "similarity": round(self.similarity, 4),
            "reason_codes": list(self.reason_codes),
            "threshold": self.match_max_distance,
            "match_max_distance": self.match_max_distance,
            "mismatch_min_distance": self.mismatch_min_distance,
        }
