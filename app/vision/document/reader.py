"""One entry point for a document photo: find it, judge the capture, read the MRZ, crop
the portrait. Never raises on bad input; problems come back as reason codes."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import cv2
import numpy as np

from app.vision.document.localize import DocumentLocation, locate_document
from app.vision.document.mrz import MrzResult, mrz_not_found
from app.vision.document.ocr import (
    MrzRead,
    MrzSearch,
    OcrParams,
    read_mrz,
    read_search,
    search_mrz,
    start_loading_mrz_models,
)
from app.vision.document.portrait import PortraitCrop, find_portrait
from app.vision.document.quality import (
    REASON_UNREADABLE,
    QualityReport,
    QualityThresholds,
    assess_quality,
)
from app.vision.faces.models import FaceModels, load_face_models

__all__ = [
    "DocumentReading",
    "PortraitCrop",
    "QualityReport",
    "QualityThresholds",
    "read_document",
]

_MIN_SIDE_PX = 32
_MAX_SIDE_PX = 4000  # larger photos are downscaled first: MRZ glyphs stay far above 6 px


@dataclass(frozen=True)
class DocumentReading:
    """Everything the document stage learned from one image."""

    quality: QualityReport
    mrz: MrzResult
    portrait: PortraitCrop | None
    document_format: str | None
    normalised: np.ndarray | None = field(repr=False)
    reason_codes: tuple[str, ...]
    elapsed_ms: float


def _as_rgb(image: object) -> np.ndarray | None:
    """Coerce the input to RGB uint8 HxWx3, or None if it is not an image."""
    if not isinstance(image, np.ndarray) or image.ndim not in (2, 3) or image.size == 0:
        return None
    array = image
    if array.dtype != np.uint8:
        if not np.issubdtype(array.dtype, np.number):
            return None
        array = np.clip(np.nan_to_num(array.astype(np.float64)), 0, 255).astype(np.uint8)
    if array.ndim == 2:
        return cv2.cvtColor(array, cv2.COLOR_GRAY2RGB)
    channels = array.shape[2]
    if channels == 1:
        return cv2.cvtColor(array[..., 0], cv2.COLOR_GRAY2RGB)
    if channels == 4:
        return np.ascontiguousarray(array[..., :3])
    if channels == 3:
        return np.ascontiguousarray(array)
    return None


def _unreadable(started: float, metrics: dict[str, float] | None = None) -> DocumentReading:
    quality = QualityReport(ok=False, reason_codes=(REASON_UNREADABLE,), metrics=metrics or {})
    mrz = mrz_not_found()
    return DocumentReading(
        quality=quality,
        mrz=mrz,
        portrait=None,
        document_format=None,
        normalised=None,
        reason_codes=(REASON_UNREADABLE, *mrz.reason_codes),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


# An upright read whose glyphs look less like OCR-B than this (mean best template
# correlation) may be other text, or the MRZ seen sideways: the quarter turns are tried
# too. Measured: every read of the seed 7 hard tier that found lines scored >= 0.73, the
# specimens >= 0.78; the Latvian booklet's upright read (its MRZ runs down the page, only
# the facing page's few printed lines run across) scored 0.62, its quarter turn 0.95 and
# valid.
_SIDEWAYS_GLYPH_SCORE = 0.7

# Fewer glyphs than this in the upright search's largest line group (two TD1 lines hold
# 60): the photo may be sideways, and a quarter turn is searched too (about 60 ms).
_FULL_MRZ_GLYPHS = 60


def _read_any_orientation(
    rgb: np.ndarray, today: date, params: OcrParams
) -> tuple[np.ndarray, MrzRead]:
    """Read the MRZ whichever way up the photo was taken.

    A quarter turn is read first when more MRZ-like text runs across the turned image
    than across the upright one (a sideways MRZ chains into no line upright). It is read
    either way up, since nothing tells a clockwise turn from a counter-clockwise one, and
    so stands for both turns. Otherwise the upright image is read (the OCR handles 180
    degrees) and, when nothing was found or what was found is not valid and does not look
    like OCR-B, both quarter turns. A turn replaces the upright read when it is valid, or
    when it looks more like OCR-B and at least ``_SIDEWAYS_GLYPH_SCORE`` so."""
    upright = search_mrz(rgb, params)
    clockwise: tuple[np.ndarray, MrzSearch] | None = None
    sideways: tuple[np.ndarray, MrzRead] | None = None
    if upright.glyph_count < _FULL_MRZ_GLYPHS:
        turned = cv2.rotate(rgb, cv2.ROTATE_90_CLOCKWISE)
        clockwise = (turned, search_mrz(turned, params))
        if clockwise[1].glyph_count > upright.glyph_count:
            read = read_search(clockwise[1], today=today, params=params, either_way_up=True)
            if read.result.valid:
                return turned, read
            sideways = (turned, read)
    read = read_search(upright, today=today, params=params)
    if read.result.valid or (read.lines and read.glyph_score >= _SIDEWAYS_GLYPH_SCORE):
        return rgb, read

    def quarter_turn_reads() -> Iterator[tuple[np.ndarray, MrzRead]]:
        if sideways is not None:
            yield sideways
            return
        for turn in (cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE):
            if turn == cv2.ROTATE_90_CLOCKWISE and clockwise is not None:
                turned, search = clockwise
            else:
                turned = cv2.rotate(rgb, turn)
                search = search_mrz(turned, params)
            yield turned, read_search(search, today=today, params=params)

    best = (rgb, read)
    for turned, candidate in quarter_turn_reads():
        if candidate.result.valid:
            return turned, candidate
        if not candidate.lines:
            continue
        if not best[1].lines or (
            candidate.glyph_score >= _SIDEWAYS_GLYPH_SCORE
            and candidate.glyph_score > best[1].glyph_score
        ):
            best = (turned, candidate)
    return best


def read_document(
    image: np.ndarray,
    *,
    today: date,
    thresholds: QualityThresholds = QualityThresholds(),
    models: FaceModels | None = None,
    find_portrait: bool = True,
    ocr_params: OcrParams | None = None,
) -> DocumentReading:
    """Read a document photo (RGB uint8 HxWx3, EXIF orientation already applied)."""
    started = time.perf_counter()
    rgb = _as_rgb(image)
    if rgb is None or min(rgb.shape[:2]) < _MIN_SIDE_PX:
        return _unreadable(started, {"too_small": 1.0})
    if max(rgb.shape[:2]) > _MAX_SIDE_PX:
        factor = _MAX_SIDE_PX / max(rgb.shape[:2])
        rgb = cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    params = ocr_params or OcrParams()
    start_loading_mrz_models()  # a fresh process: load while the lines are searched
    try:
        rgb, read = _read_any_orientation(rgb, today, params)
        location = locate_document(rgb, read, crop_tolerance=thresholds.crop_tolerance)
        soft = bool(read.lines) and read.stroke_sharpness < params.min_settle_sharpness
        if not read.result.valid and location.method == "outline" and not soft:
            # Perspective bends the fixed pitch; the flattened page reads straight. (Not
            # for an MRZ whose strokes are soft: flattening does not sharpen them, and
            # the second read is the slowest part of a failing image.)
            assert location.normalised is not None
            flat = read_mrz(location.normalised, today=today, params=params)
            # Taken when it is valid, or when the photo gave no MRZ at all: a read that
            # is not proven (an MRV's optional data with O/0 look-alikes) still reports
            # what is printed, rather than "no MRZ" (seed 7 normal_0091).
            if flat.result.valid or (flat.result.found and not read.result.found):
                read = MrzRead(
                    result=flat.result,
                    lines=read.lines,
                    engine=flat.engine + "@page",
                    glyph_score=flat.glyph_score,
                    upside_down=read.upside_down,
                    corners=read.corners,
                    touches_border=read.touches_border,
                    stroke_sharpness=flat.stroke_sharpness,
                )
        quality = assess_quality(rgb, location, read, thresholds)
    except (cv2.error, ValueError, FloatingPointError) as error:
        # A malformed image that slipped past the checks above: report, never raise.
        return _unreadable(started, {"error": 1.0, "error_len": float(len(str(error)))})
    portrait = None
    if find_portrait and location.normalised is not None:
        portrait = _locate_portrait(location, models)
    reasons = list(quality.reason_codes)
    for code in read.result.reason_codes:
        if code not in reasons:
            reasons.append(code)
    return DocumentReading(
        quality=quality,
        mrz=read.result,
        portrait=portrait,
        document_format=read.result.format or (location.format if location.found else None),
        normalised=location.normalised,
        reason_codes=tuple(reasons),
        elapsed_ms=round((time.perf_counter() - started) * 1000, 1),
    )


def _locate_portrait(location: DocumentLocation, models: FaceModels | None) -> PortraitCrop | None:
    assert location.normalised is not None
    return find_portrait(location.normalised, location.format, models or load_face_models())
