"""The previous release's face templates (dlib), kept for the benchmark's side-by-side figures.

No decision uses this module: ``app/vision/faces/analyse.py`` is the face pipeline. It stays
so that benchmarks/bench_faces.py can print the old model beside the new on the same sets
in the same run. Detection is dlib's HOG detector (its window is 80 px, so small faces are found by
upsampling), alignment and the head-turn estimate use the 68-point landmarks, and the
template is dlib's ResNet (128-d). Pure: arrays in, dataclasses out.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from app.vision.faces.analyse import as_rgb_uint8, face_sharpness, quality_reasons
from app.vision.faces.models import LEGACY_DLIB_MODEL_ID, FaceModels
from app.vision.faces.types import (
    ENCODING_DIM,
    FaceAnalysis,
    FaceQualityThresholds,
    FaceRole,
    FaceSample,
)

# Large selfies are detected on a copy at most this big (HOG cost grows with pixel count);
# landmarks and the template are then computed on the full-resolution image.
DETECT_MAX_SIDE = 560
# Portrait crops are rescaled so their longer side is about this many pixels before detection.
PORTRAIT_WORK_SIDE = 240
# Share of the crop size added as a border around a portrait: tight crops cut the chin or
# forehead, and HOG needs some context around the face.
PORTRAIT_PAD_FRACTION = 0.3

_DEFAULT_THRESHOLDS = FaceQualityThresholds()


def _yaw_from_landmarks(points: np.ndarray) -> float:
    """Approximate head turn (degrees, positive = face turned to the image's right).

    Uses where the nose tip sits between the jaw ends: centred for a frontal face, moving
    towards one side as the head turns. Coarse (about +/-10 degrees), enough for gating.
    """
    jaw_left, jaw_right, nose = points[0], points[16], points[30]
    span = float(jaw_right[0] - jaw_left[0])
    if span <= 1e-6:
        return 90.0
    offset = (float(nose[0] - jaw_left[0]) / span) * 2.0 - 1.0  # -1 .. 1
    return math.degrees(math.asin(max(-1.0, min(1.0, offset))))


def _detect(
    detector: object, image: np.ndarray, upsamples: tuple[int, ...]
) -> list[tuple[int, int, int, int, float]]:
    """Run HOG with increasing upsampling until something is found: (l, t, r, b, score)."""
    for upsample in upsamples:
        rects, scores, _ = detector.run(image, upsample, 0.0)  # type: ignore[attr-defined]
        if rects:
            return [
                (r.left(), r.top(), r.right(), r.bottom(), float(s))
                for r, s in zip(rects, scores, strict=True)
            ]
    return []


def _prepare(image: np.ndarray, role: FaceRole) -> tuple[np.ndarray, np.ndarray, float, int]:
    """(base, work, scale, pad): ``base`` is the input (portraits: with a replicated border
    of ``pad`` px), ``work`` is ``base`` resized by ``scale`` for detection."""
    height, width = image.shape[:2]
    if role == "selfie":
        base, pad = image, 0
        scale = min(1.0, DETECT_MAX_SIDE / max(height, width))
    else:
        pad = round(PORTRAIT_PAD_FRACTION * max(height, width))
        base = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
        scale = min(4.0, PORTRAIT_WORK_SIDE / max(height, width))
    if abs(scale - 1.0) < 0.05:
        return base, base, 1.0, pad
    interpolation = cv2.INTER_CUBIC if scale > 1.0 else cv2.INTER_AREA
    size = (round(base.shape[1] * scale), round(base.shape[0] * scale))
    return base, cv2.resize(base, size, interpolation=interpolation), scale, pad


def analyse_face_dlib(
    image: np.ndarray,
    *,
    role: FaceRole,
    models: FaceModels,
    thresholds: FaceQualityThresholds = _DEFAULT_THRESHOLDS,
    jitters: int = 0,
) -> FaceAnalysis:
    """Detect, measure and encode the face of a selfie or an ID portrait crop.

    selfie: exactly one non-background face is expected (``selfie_no_face`` /
    ``selfie_multiple_faces``); a small, blurry or turned face yields ``selfie_quality_low``.
    portrait: small crops are upsampled and the largest face is used
    (``face_portrait_not_found``; ``face_quality_low`` when too small or blurry).
    A sample is returned whenever one face could be encoded, even with quality reasons,
    so that the caller can still record a distance for a reviewer.
    ``jitters`` > 1 averages that many jittered encodings (slower; see the benchmark notes).
    """
    rgb = as_rgb_uint8(image)
    base, work, scale, pad = _prepare(rgb, role)
    # Portraits are already upsampled to a workable size; one more doubling rescues
    # faces that fill only part of a larger crop. Selfies get one doubling when nothing is
    # found at the reduced size.
    found = _detect(models.detector, work, (0, 1))
    if not found:
        code = "selfie_no_face" if role == "selfie" else "face_portrait_not_found"
        return FaceAnalysis(faces_found=0, sample=None, reason_codes=(code,))

    found.sort(key=lambda f: (f[2] - f[0]) * (f[3] - f[1]), reverse=True)
    largest_width = found[0][2] - found[0][0]
    min_width = thresholds.background_face_ratio * largest_width
    significant = [f for f in found if (f[2] - f[0]) >= min_width]
    if role == "selfie" and len(significant) > 1:
        return FaceAnalysis(
            faces_found=len(significant), sample=None, reason_codes=("selfie_multiple_faces",)
        )

    # Landmarks and encoding: on the full-resolution base when detection ran on a reduced
    # copy; on the upsampled work image for small portraits (the encoder resamples to 150 px).
    left, top, right, bottom, _ = found[0]
    if scale < 1.0:
        target = base
        rect_coords = (left / scale, top / scale, right / scale, bottom / scale)
        to_input = 1.0
    else:
        target = work
        rect_coords = (float(left), float(top), float(right), float(bottom))
        to_input = 1.0 / scale
    offset = float(pad)

    import dlib  # the models are loaded already; dlib itself is only needed for rectangles

    rect = dlib.rectangle(*(round(v) for v in rect_coords))
    # Aligning with the 68-point landmarks (not the 5-point ones) measured closer genuine
    # distances on small printed portraits (benchmarks/NOTES-faces.md), and the 68 points
    # are needed for the head-turn estimate anyway.
    shape68 = models.shape68(target, rect)
    descriptor = models.encoder.compute_face_descriptor(target, shape68, max(0, jitters))
    encoding = np.asarray(descriptor, dtype=np.float32).reshape(ENCODING_DIM)

    points = np.array([(p.x, p.y) for p in shape68.parts()], dtype=np.float32)
    yaw = _yaw_from_landmarks(points)

    t_h, t_w = target.shape[:2]
    x0, y0 = max(0, round(rect_coords[0])), max(0, round(rect_coords[1]))
    x1, y1 = min(t_w, round(rect_coords[2])), min(t_h, round(rect_coords[3]))
    grey = cv2.cvtColor(target[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY) if x1 > x0 and y1 > y0 else None
    sharpness = face_sharpness(grey) if grey is not None and grey.size else 0.0

    def to_input_px(value: float) -> int:
        return round(value * to_input - offset)

    box = (
        max(0, to_input_px(rect_coords[1])),
        min(rgb.shape[1], to_input_px(rect_coords[2])),
        min(rgb.shape[0], to_input_px(rect_coords[3])),
        max(0, to_input_px(rect_coords[0])),
    )
    width_px = max(1, round((rect_coords[2] - rect_coords[0]) * to_input))

    sample = FaceSample(
        box=box,
        encoding=encoding,
        width_px=width_px,
        sharpness=sharpness,
        yaw_deg=yaw,
        model_id=LEGACY_DLIB_MODEL_ID,
    )
    faces_found = len(significant) if role == "selfie" else len(found)
    reasons = quality_reasons(role, width_px, sharpness, yaw, thresholds)
    return FaceAnalysis(faces_found=faces_found, sample=sample, reason_codes=reasons)
