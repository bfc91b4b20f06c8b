"""Run face detection and landmarks over a frame sequence, cheaply.

Each frame is downscaled to at most ``analysis_side`` pixels (landmarks, pose, sharpness)
and the HOG detector runs on a further downscaled copy (``detect_side``): a selfie face
is large, and HOG at 320 px costs ~10 ms instead of ~40-100 ms at 640 px. When the small
copy shows no face, the detector retries once at the analysis size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from app.vision.faces.models import FaceModels
from app.vision.liveness.signals import FrameSignals, measure_landmarks, shape_to_array


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


def _detect(
    models: FaceModels, rgb: np.ndarray, detect_side: int
) -> list[tuple[int, int, int, int]]:
    small, scale = _resize_to(rgb, detect_side)
    rects = list(models.detector(small, 0))
    if not rects and scale < 1.0:
        rects, scale = list(models.detector(rgb, 0)), 1.0
    boxes = [
        (
            round(r.left() / scale),
            round(r.top() / scale),
            round(r.right() / scale),
            round(r.bottom() / scale),
        )
        for r in rects
    ]
    return sorted(boxes, key=_box_area, reverse=True)


def _landmark_box(landmarks: np.ndarray) -> tuple[float, float, float, float]:
    x0, y0 = landmarks.min(axis=0)
    x1, y1 = landmarks.max(axis=0)
    return float(x0), float(y0), float(x1), float(y1)


@dataclass(frozen=True)
class _BoxFromLandmarks:
    """How a detector box relates to the landmark extent (learnt on a detected frame)."""

    dx0: float
    dy0: float
    dx1: float
    dy1: float  # offsets of the detector box edges, in landmark-extent widths/heights

    @classmethod
    def learn(cls, box: tuple[int, int, int, int], landmarks: np.ndarray) -> _BoxFromLandmarks:
        x0, y0, x1, y1 = _landmark_box(landmarks)
        w, h = max(1.0, x1 - x0), max(1.0, y1 - y0)
        return cls((box[0] - x0) / w, (box[1] - y0) / h, (box[2] - x1) / w, (box[3] - y1) / h)

    def apply(self, landmarks: np.ndarray) -> tuple[int, int, int, int]:
        x0, y0, x1, y1 = _landmark_box(landmarks)
        w, h = max(1.0, x1 - x0), max(1.0, y1 - y0)
        return (
            round(x0 + self.dx0 * w),
            round(y0 + self.dy0 * h),
            round(x1 + self.dx1 * w),
            round(y1 + self.dy1 * h),
        )


def _prepare(frame: np.ndarray, analysis_side: int) -> tuple[np.ndarray, np.ndarray]:
    rgb, _ = _resize_to(np.ascontiguousarray(frame), analysis_side)
    return rgb, cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)


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
    detect_side: int = 320,
) -> AnalysedFrame:
    """Downscale one RGB frame, detect its dominant face and measure the landmark signals."""
    rgb, gray = _prepare(frame, analysis_side)
    boxes = _detect(models, rgb, detect_side)
    if not boxes:
        return AnalysedFrame(rgb, gray, FrameSignals(index, 0, None, None), ())
    landmarks = _landmarks_in(models, rgb, boxes[0])
    signals = measure_landmarks(index, len(boxes), boxes[0], landmarks, gray)
    return AnalysedFrame(rgb, gray, signals, tuple(_box_area(b) for b in boxes[1:]))


def analyse_frames(
    frames: Sequence[np.ndarray],
    models: FaceModels,
    *,
    analysis_side: int = 640,
    detect_side: int = 320,
    detect_every: int = 3,
) -> list[AnalysedFrame]:
    """Analyse a sequence, running the detector on every ``detect_every``-th frame only.

    In between, the face is tracked: the landmarks are predicted inside the previous
    frame's box, then again inside the box derived from those landmarks (the relation
    between detector box and landmark extent is learnt on the last detected frame).
    Frames without a tracked face are always re-detected. ``n_faces`` and the other
    faces' areas come from detected frames only (tracked frames report n_faces=1).
    """
    results: list[AnalysedFrame] = []
    previous_box: tuple[int, int, int, int] | None = None
    relation: _BoxFromLandmarks | None = None
    for i, frame in enumerate(frames):
        if previous_box is None or relation is None or i % max(1, detect_every) == 0:
            analysed = analyse_frame(
                i, frame, models, analysis_side=analysis_side, detect_side=detect_side
            )
            s = analysed.signals
            if s.box is not None and s.landmarks is not None:
                relation = _BoxFromLandmarks.learn(s.box, s.landmarks)
                previous_box = s.box
            else:
                previous_box = None
            results.append(analysed)
            continue
        rgb, gray = _prepare(frame, analysis_side)
        landmarks = _landmarks_in(models, rgb, previous_box)
        box = relation.apply(landmarks)
        landmarks = _landmarks_in(models, rgb, box)
        box = relation.apply(landmarks)
        results.append(AnalysedFrame(rgb, gray, measure_landmarks(i, 1, box, landmarks, gray), ()))
        previous_box = box
    return results
