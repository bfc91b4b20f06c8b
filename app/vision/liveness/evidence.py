"""Sequence-level evidence: flatness (one homography), frozen/looped frames, timing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from app.vision.liveness.signals import RIGID_POINTS


def planar_residual(source: np.ndarray, target: np.ndarray, scale: float) -> float:
    """RMS error of the best single homography from ``source`` to ``target`` points.

    Divided by ``scale`` (the baseline inter-ocular distance). A flat photo or screen
    moved in front of the camera maps almost exactly (~0.01-0.02, landmark noise); a real
    head turning shows parallax between nose, eyes and jaw outline that no homography
    explains. Least squares over all points (no RANSAC): outliers ARE the evidence.
    """
    if len(source) < 5 or scale <= 0:
        return math.nan
    src = source.astype(np.float64).reshape(-1, 1, 2)
    dst = target.astype(np.float64).reshape(-1, 1, 2)
    homography, _ = cv2.findHomography(src, dst, 0)
    if homography is None:
        return math.nan
    mapped = cv2.perspectiveTransform(src, homography).reshape(-1, 2)
    error = np.linalg.norm(mapped - target.reshape(-1, 2), axis=1)
    return float(np.sqrt(np.mean(error**2)) / scale)


def rigid_points(landmarks: np.ndarray) -> np.ndarray:
    """The landmarks that move with the skull (jaw outline, nose, eye corners)."""
    return landmarks[list(RIGID_POINTS)]


def common_face_region(
    landmark_sets: Sequence[np.ndarray | None], padding: float = 0.2
) -> tuple[int, int, int, int] | None:
    """One crop box for the whole sequence: the median landmark extent, padded.

    A fixed crop keeps landmark jitter out of the frame comparison: a frozen frame with
    injected noise then differs from its neighbours by the noise only.
    """
    extents = np.array(
        [(*lm.min(axis=0), *lm.max(axis=0)) for lm in landmark_sets if lm is not None]
    )
    if extents.size == 0:
        return None
    x0, y0, x1, y1 = np.median(extents, axis=0)
    pad_x, pad_y = padding * (x1 - x0), padding * (y1 - y0)
    return int(x0 - pad_x), int(y0 - pad_y), int(x1 + pad_x), int(y1 + pad_y)


def face_thumbnail(
    gray: np.ndarray, region: tuple[int, int, int, int] | None, size: int = 16
) -> np.ndarray:
    """A blurred, downsampled grey crop of ``region`` (the whole frame when None).

    Blurring and downsampling average out sensor or injected noise, so that a frame
    repeated with small noise still reads as the same frame.
    """
    h, w = gray.shape[:2]
    crop = gray
    if region is not None:
        left, top = max(0, region[0]), max(0, region[1])
        right, bottom = min(w, region[2]), min(h, region[3])
        if right - left > 8 and bottom - top > 8:
            crop = gray[top:bottom, left:right]
    small = cv2.resize(crop, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    return cv2.GaussianBlur(small, (3, 3), 0)


@dataclass(frozen=True)
class FrameRepetition:
    """How many frames look like copies of their neighbour or of an earlier frame."""

    frozen_ratio: float  # share of consecutive pairs that are near-identical
    loop_pairs: int  # non-adjacent pairs that are near-identical
    median_change: float  # median mean-absolute difference of consecutive thumbnails


def frame_repetition(
    thumbnails: Sequence[np.ndarray], *, same_level: float, min_gap: int = 3
) -> FrameRepetition:
    """Compare thumbnails: consecutive pairs for frozen frames, distant pairs for loops."""
    if len(thumbnails) < 2:
        return FrameRepetition(0.0, 0, math.nan)
    stack = np.stack([t.ravel() for t in thumbnails]).astype(np.float32)
    consecutive = np.abs(np.diff(stack, axis=0)).mean(axis=1)
    frozen = float(np.mean(consecutive < same_level))
    loops = 0
    n = len(stack)
    for i in range(n):
        j0 = i + min_gap
        if j0 >= n:
            break
        diffs = np.abs(stack[j0:] - stack[i]).mean(axis=1)
        loops += int(np.sum(diffs < same_level))
    return FrameRepetition(frozen, loops, float(np.median(consecutive)))


@dataclass(frozen=True)
class TimingCheck:
    """Whether the capture timestamps are plausible for a live camera."""

    plausible: bool
    duration_s: float
    fps: float
    problem: str | None


def check_timing(
    timestamps_s: Sequence[float],
    *,
    min_duration_s: float,
    max_duration_s: float,
    min_fps: float,
    max_fps: float,
    max_gap_s: float,
) -> TimingCheck:
    """Timestamps must increase strictly, span a plausible duration and frame rate."""
    ts = np.asarray(timestamps_s, dtype=np.float64)
    if ts.size < 2 or not np.all(np.isfinite(ts)):
        return TimingCheck(False, 0.0, 0.0, "too_few_or_invalid_timestamps")
    steps = np.diff(ts)
    duration = float(ts[-1] - ts[0])
    fps = (len(ts) - 1) / duration if duration > 0 else math.inf
    problem = None
    if np.any(steps <= 0):
        problem = "timestamps_not_increasing"
    elif duration < min_duration_s or duration > max_duration_s:
        problem = "implausible_duration"
    elif fps < min_fps or fps > max_fps:
        problem = "implausible_frame_rate"
    elif float(steps.max()) > max_gap_s:
        problem = "gap_in_capture"
    return TimingCheck(problem is None, duration, fps, problem)


def enclosing_frame_sides(
    gray: np.ndarray, face_box: tuple[int, int, int, int], *, min_length_ratio: float = 0.6
) -> int:
    """How many sides (0-4) of a straight-edged frame surround the face (see
    :func:`frame_sides_around`)."""
    return len(frame_sides_around(gray, face_box, min_length_ratio=min_length_ratio))


def frame_sides_around(
    gray: np.ndarray, face_box: tuple[int, int, int, int], *, min_length_ratio: float = 0.6
) -> set[str]:
    """How many sides (0-4) of a straight-edged frame surround the face.

    A phone, tablet or monitor held up to the camera, and the edge of a print, show long
    straight edges around the face: vertical ones left and right of it, horizontal ones
    above and below. Each side counts when a straight segment at least
    ``min_length_ratio`` of the face size runs alongside the face on that side.
    """
    left, top, right, bottom = face_box
    face_w, face_h = max(1, right - left), max(1, bottom - top)
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    edges = cv2.Canny(blurred, 50, 150)
    min_length = int(min_length_ratio * min(face_w, face_h))
    lines = cv2.HoughLinesP(
        edges,
        1,
        np.pi / 180,
        threshold=max(20, min_length // 2),
        minLineLength=min_length,
        maxLineGap=10,
    )
    if lines is None:
        return set()
    sides: set[str] = set()
    for x1, y1, x2, y2 in lines.reshape(-1, 4):
        dx, dy = float(x2 - x1), float(y2 - y1)
        angle = abs(math.degrees(math.atan2(dy, dx))) % 180
        if 75 < angle < 105:  # near-vertical
            y_low, y_high = min(y1, y2), max(y1, y2)
            overlap = min(y_high, bottom) - max(y_low, top)
            if overlap < 0.5 * face_h:
                continue
            x = (x1 + x2) / 2
            if left - 0.8 * face_w < x < left - 0.05 * face_w:
                sides.add("left")
            elif right + 0.05 * face_w < x < right + 0.8 * face_w:
                sides.add("right")
        elif angle < 15 or angle > 165:  # near-horizontal
            x_low, x_high = min(x1, x2), max(x1, x2)
            overlap = min(x_high, right) - max(x_low, left)
            if overlap < 0.5 * face_w:
                continue
            y = (y1 + y2) / 2
            if top - 0.8 * face_h < y < top - 0.05 * face_h:
                sides.add("top")
            elif bottom + 0.05 * face_h < y < bottom + 0.8 * face_h:
                sides.add("bottom")
    return sides
