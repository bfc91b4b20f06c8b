"""Capture quality of a document photo: blur, glare, resolution, cropping.

Measured before the MRZ result is trusted, so that the user can be asked at once to
retake the photo. Every metric is scale-normalised:

- ``mrz_char_height_px``: cap height of the MRZ glyphs in the input image.
- ``sharpness``: variance of the Laplacian over intensity variance, measured on the MRZ
  band warped to a fixed 24 px character pitch (or on the page at 8 px/mm when no MRZ was
  found), so that it does not depend on the photo's resolution or contrast.
- ``glare_mrz`` / ``glare_page``: share of near-white, low-saturation pixels in blobs on
  the MRZ band / the page (specular reflection on the laminate).
- ``outside_fraction``: share of the page outside the frame.

Thresholds are parameters; the defaults were calibrated on the ICAO specimens in the
shared data (all sharp, glare-free) and the synthetic generator's normal and hard tiers
(see benchmarks/NOTES-mrz.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import cv2
import numpy as np

from app.vision.document.localize import DocumentLocation
from app.vision.document.ocr import MrzRead

REASON_BLURRY = "document_blurry"
REASON_GLARE = "document_glare"
REASON_UNREADABLE = "document_unreadable"
REASON_CROPPED = "document_cropped"

_BAND_PITCH_PX = 24.0


@dataclass(frozen=True)
class QualityThresholds:
    """Limits for a usable document capture.

    min_char_height_px: MRZ cap height below which OCR-B glyphs are not reliably legible
        (the 25 px-wide specimen 25_pass-uto.jpg still reads at 6.2 px).
    min_sharpness: normalised Laplacian variance on the MRZ band; sharp specimens score
        well above 1, the synthetic hard tier's blurred captures fall below.
    max_glare_mrz: share of saturated pixels allowed on the MRZ band.
    max_glare_page: share of saturated pixels allowed on the page.
    crop_tolerance: share of the page that may fall outside the frame.
    min_mrz_glyph_score: mean OCR-B template correlation of the MRZ cells below which an
        MRZ that did not read is called unreadable (retake) rather than misread.
    min_mrz_stroke_sharpness: crispness of the MRZ's blurriest line (99th-percentile ink
        gradient, ``cells._stroke_sharpness``) below which an MRZ that did not read is
        called blurry (retake). Valid reads of the normal tier measure >= 0.70.
    """

    min_char_height_px: float = 5.0
    min_sharpness: float = 0.35
    max_glare_mrz: float = 0.02
    max_glare_page: float = 0.06
    crop_tolerance: float = 0.04
    min_mrz_glyph_score: float = 0.85
    min_mrz_stroke_sharpness: float = 0.65


@dataclass(frozen=True)
class QualityReport:
    """Outcome of the capture checks."""

    ok: bool
    reason_codes: tuple[str, ...]
    metrics: Mapping[str, float]


def _band_image(gray: np.ndarray, mrz: MrzRead) -> np.ndarray | None:
    """The MRZ band warped upright at a fixed character pitch."""
    if mrz.corners is None or not mrz.lines:
        return None
    pitch = float(np.median([g.pitch for g in mrz.lines]))
    if pitch <= 0:
        return None
    corners = mrz.corners.astype(np.float32)
    width = float(np.linalg.norm(corners[1] - corners[0]))
    height = float(np.linalg.norm(corners[3] - corners[0]))
    k = _BAND_PITCH_PX / pitch
    out_w, out_h = max(round(width * k), 8), max(round(height * k), 8)
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners, dst)
    return cv2.warpPerspective(gray, matrix, (out_w, out_h), flags=cv2.INTER_AREA)


def normalised_sharpness(gray: np.ndarray) -> float:
    """Variance of the Laplacian divided by the intensity variance (scale-free focus)."""
    values = gray.astype(np.float32)
    variance = float(values.var())
    if variance < 1.0:
        return 0.0
    return float(cv2.Laplacian(values, cv2.CV_32F, ksize=3).var() / variance)


def paper_level(rgb: np.ndarray) -> float:
    """Typical brightness (HSV value) of the page: its median."""
    return float(np.median(cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)[..., 2]))


def glare_fraction(rgb: np.ndarray, paper: float) -> float:
    """Share of pixels in specular blobs: near-white, colourless and clearly brighter than
    the paper. On white paper (``paper`` >= 230) glare cannot be told from the page: 0."""
    if paper >= 230:
        return 0.0
    hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
    value = hsv[..., 2]
    mask = ((value >= max(245.0, paper + 25)) & (hsv[..., 1] <= 50)).astype(np.uint8)
    if not mask.any():
        return 0.0
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    min_area = max(4, int(0.0005 * mask.size))
    return int(areas[areas >= min_area].sum()) / mask.size


def assess_quality(
    image: np.ndarray,
    location: DocumentLocation,
    mrz: MrzRead,
    thresholds: QualityThresholds | None = None,
) -> QualityReport:
    """Measure the capture and list the reasons it is not good enough (if any)."""
    thresholds = thresholds or QualityThresholds()
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    metrics: dict[str, float] = {}
    reasons: list[str] = []

    char_height = mrz.char_height_px
    metrics["mrz_char_height_px"] = round(char_height, 2)
    band = _band_image(gray, mrz)
    page = location.normalised if location.normalised is not None else image
    paper = paper_level(page)
    metrics["paper_level"] = round(paper, 1)
    if band is not None:
        sharpness = normalised_sharpness(band)
        band_rgb = _band_image_rgb(image, mrz)
        metrics["glare_mrz"] = (
            round(glare_fraction(band_rgb, paper), 4) if band_rgb is not None else 0.0
        )
    elif location.normalised is not None:
        sharpness = normalised_sharpness(cv2.cvtColor(location.normalised, cv2.COLOR_RGB2GRAY))
        metrics["glare_mrz"] = 0.0
    else:
        sharpness = normalised_sharpness(gray)
        metrics["glare_mrz"] = 0.0
    metrics["sharpness"] = round(sharpness, 4)
    metrics["glare_page"] = round(glare_fraction(page, paper), 4)
    metrics["outside_fraction"] = location.outside_fraction
    metrics["document_found"] = 1.0 if location.found else 0.0

    metrics["mrz_glyph_score"] = round(mrz.glyph_score, 4)
    nothing_found = not location.found and not mrz.lines
    too_small = bool(mrz.lines) and char_height < thresholds.min_char_height_px
    # Found but neither read nor looking like OCR-B: the capture is the likelier cause.
    illegible = (
        bool(mrz.lines)
        and not mrz.result.valid
        and mrz.glyph_score < thresholds.min_mrz_glyph_score
    )
    if nothing_found or too_small or illegible:
        reasons.append(REASON_UNREADABLE)
    if location.found and location.cropped:
        reasons.append(REASON_CROPPED)
    metrics["mrz_stroke_sharpness"] = round(mrz.stroke_sharpness, 4)
    # An MRZ that did not read, with strokes too soft to tell E from F: ask for a retake.
    soft_mrz = (
        bool(mrz.lines)
        and not mrz.result.valid
        and mrz.stroke_sharpness < thresholds.min_mrz_stroke_sharpness
    )
    if ((location.found or mrz.lines) and sharpness < thresholds.min_sharpness) or soft_mrz:
        reasons.append(REASON_BLURRY)
    if (
        metrics["glare_mrz"] > thresholds.max_glare_mrz
        or metrics["glare_page"] > thresholds.max_glare_page
    ):
        reasons.append(REASON_GLARE)
    return QualityReport(
        ok=not reasons, reason_codes=tuple(reasons), metrics=MappingProxyType(metrics)
    )


def _band_image_rgb(image: np.ndarray, mrz: MrzRead) -> np.ndarray | None:
    channels = [_band_image(np.ascontiguousarray(image[..., c]), mrz) for c in range(3)]
    if any(c is None for c in channels):
        return None
    return np.dstack([c for c in channels if c is not None])
