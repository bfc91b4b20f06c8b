"""Run face detection and landmarks over a frame sequence.

Each frame is downscaled to at most ``analysis_side`` pixels. YuNet (the face model of
``app.vision.faces``, ~3-6 ms per frame) runs on every frame: it keeps finding the face
up to full profile, where dlib's HOG detector loses it. Its 5 points give the head pose;
dlib's 68-point predictor, placed in a box derived from YuNet's, gives eye and mouth
geometry and the rigid points of the 3-D check.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from app.vision.faces.embedding import detect_faces
from app.vision.faces.models import FaceModels
from app.vision.liveness.signals import FrameSignals, measure_landmarks, shape_to_array

# Where dlib's HOG box sits relative to YuNet's 5 points, measured on 100 frontal frames
# of 7 real clips: centred between the eye midpoint and the mouth midpoint (0.02 lower),
# a square of 1.69 x hypot(eye-to-mouth height, eye distance). The points are steadier
# than YuNet's box: on nods_manE (still, 0-3.4 s) dlib's pitch from a box derived from
# YuNet's box at 320 px wandered by 16 degrees (std).
_HOG_DROP, _HOG_SIDE = 0.02, 1.69


@dataclass(frozen=True)
class AnalysedFrame:
    """A frame prepared for analysis: its downscaled RGB and grey copies and signals."""

    rgb: np.ndarray
    gray: np.ndarray
    signals: FrameSignals
    other_face_areas: tuple[float, ...]  # areas of the non-dominant faces (analysis pixels)


def _resize_to(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    h, w = image.shape[:2]
    scale = min(1.0, max_side / float(max(h, w)))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), scale


def _box_area(box: tuple[int, int, int, int]) -> float:
    return float(max(0, box[2] - box[0]) * max(0, box[3] - box[1]))


def _prepare(frame: np.ndarray, analysis_side: int) -> tuple[np.ndarray, np.ndarray]:
    rgb, _ = _resize_to(np.ascontiguousarray(frame), analysis_side)
    return rgb, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


def dlib_box(points5: np.ndarray) -> tuple[int, int, int, int]:
    """The box dlib's 68-point predictor expects (left, top, right, bottom), placed from
    the detector's 5 points."""
    p = np.asarray(points5, dtype=np.float64).reshape(5, 2)
    eyes, mouth = (p[0] + p[1]) / 2.0, (p[3] + p[4]) / 2.0
    scale = math.hypot(float(np.linalg.norm(mouth - eyes)), float(np.linalg.norm(p[1] - p[0])))
    cx, cy = (eyes + mouth) / 2.0 + np.array([0.0, _HOG_DROP * scale])
    half = _HOG_SIDE * scale / 2.0
    return round(cx - half), round(cy - half), round(cx + half), round(cy + half)


def _landmarks_in(
    models: FaceModels, rgb: np.ndarray, box: tuple[int, int, int, int]
) -> np.ndarray:
    import dlib  # local: keeps the module importable for model-free unit tests

    shape: Any = models.shape68(rgb, dlib.rectangle(*box))
    return shape_to_array(shape)


def analyse_frame(
    index: int,
    frame: np.ndarray,
    models: FaceModels,
    *,
    analysis_side: int = 640,
    detect_side: int = 480,
) -> AnalysedFrame:
    """Downscale one RGB frame, detect its dominant face and measure its signals."""
    rgb, gray = _prepare(frame, analysis_side)
    faces = detect_faces(rgb, models, max_side=detect_side)
    if not faces:
        return AnalysedFrame(rgb, gray, FrameSignals(index, 0, None, None), ())
    main = faces[0]
    x, y, w, h = main.box
    box = (round(x), round(y), round(x + w), round(y + h))
    landmarks = _landmarks_in(models, rgb, dlib_box(main.landmarks))
    signals = measure_landmarks(
        index, len(faces), box, landmarks, gray, points5=main.landmarks, detector_score=main.score
    )
    return AnalysedFrame(rgb, gray, signals, tuple(f.area for f in faces[1:]))


def analyse_frames(
    frames: Sequence[np.ndarray],
    models: FaceModels,
    *,
    analysis_side: int = 640,
    detect_side: int = 480,
) -> list[AnalysedFrame]:
    """Analyse every frame of a sequence (detection on each frame: no tracking drift)."""
    return [
        analyse_frame(i, frame, models, analysis_side=analysis_side, detect_side=detect_side)
        for i, frame in enumerate(frames)
    ]
