"""Verify a challenge-response selfie sequence: live, 3-D, the same face, answered in order."""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from app.vision.faces.models import FaceModels
from app.vision.liveness.actions import (
    ActionResult,
    ActionThresholds,
    Baseline,
    Trace,
    compute_baseline,
    detect_actions,
    unrequested_pose_actions,
)
from app.vision.liveness.challenge import POSE_ACTIONS, is_valid_challenge
from app.vision.liveness.evidence import (
    check_timing,
    common_face_region,
    enclosing_frame_sides,
    face_thumbnail,
    frame_repetition,
    planar_residual,
    rigid_points,
)
from app.vision.liveness.extract import AnalysedFrame, analyse_frames

__all__ = [
    "ActionResult",
    "LivenessResult",
    "LivenessThresholds",
    "verify_liveness",
]

NO_FACE = "selfie_no_face"
MULTIPLE_FACES = "selfie_multiple_faces"
CHALLENGE_FAILED = "liveness_challenge_failed"
REPLAY_SUSPECTED = "liveness_replay_suspected"
LIVENESS_FAILED = "liveness_failed"
_REASON_ORDER = (NO_FACE, MULTIPLE_FACES, REPLAY_SUSPECTED, CHALLENGE_FAILED, LIVENESS_FAILED)


@dataclass(frozen=True)
class LivenessThresholds:
    """Every tunable of the liveness check, with defaults calibrated on the real clips.

    See benchmarks/NOTES-liveness.md for the data behind each default.
    """

    actions: ActionThresholds = field(default_factory=ActionThresholds)
    # input and timing
    min_frames: int = 8
    max_frames_analysed: int = 60  # longer sequences are subsampled evenly
    min_duration_s: float = 1.0
    max_duration_s: float = 60.0
    min_fps: float = 2.0
    max_fps: float = 120.0
    max_gap_s: float = 3.0
    analysis_side: int = 640
    detect_side: int = 320
    detect_every: int = 4  # HOG on every 4th frame, landmark tracking in between
    # faces
    min_face_fraction: float = 0.8  # share of frames that must show the face
    second_face_area_ratio: float = 0.25  # a second face this large (vs the main) counts
    multiple_face_fraction: float = 0.2  # ... in this share of frames -> multiple faces
    # identity across frames (dlib 128-d encodings: dlib's own tolerance is 0.6;
    # d3's grimaces under a 40-degree turn reach 0.55 for the same person)
    max_identity_distance: float = 0.6
    identity_parts: int = 2  # encode the best frame + the most frontal of parts 2..n
    track_jump_ratio: float = 0.5  # centre jump between frames, in face widths: a cut
    # three-dimensionality
    # Measured when a pose action passed or the head rotated this much anyway (a smile
    # alone moves the pitch reading by up to ~17 degrees on d19).
    min_rotation_for_3d_deg: float = 20.0
    min_planar_residual: float = 0.045  # tilted prints 0.013-0.047, real heads >= 0.054
    planarity_frames: int = 3  # residual = mean over the most rotated frames
    # frozen / looped frames (mean abs difference of blurred 32x32 face thumbnails)
    same_frame_level: float = 0.1  # injected noise reads ~0.05, the stillest real clip 0.13
    max_frozen_ratio: float = 0.5
    max_loop_pairs: int = 5
    # screen / print border: straight edges on >= this many sides of the face ...
    frame_min_sides: int = 2  # genuine clips: 0-1 sides; live stills T1/T2: 1
    frame_ratio: float = 0.5  # ... in at least this share of the sampled frames
    frame_samples: int = 6


@dataclass(frozen=True)
class LivenessResult:
    """The verdict with its evidence; ``reasons`` is empty when ``live`` is True."""

    live: bool
    score: float
    reasons: tuple[str, ...]
    actions: tuple[ActionResult, ...]
    best_frame_index: int | None
    signals: Mapping[str, float]
    frames_used: int
    elapsed_ms: float

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (the shape of ``idgate liveness --json``)."""
        return {
            "live": self.live,
            "score": round(self.score, 4),
            "reasons": list(self.reasons),
            "actions": [
                {"action": a.action, "passed": a.passed, "at_s": a.at_s, "score": a.score}
                for a in self.actions
            ],
            "best_frame_index": self.best_frame_index,
            "signals": {
                k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in self.signals.items()
            },
            "frames_used": self.frames_used,
            "elapsed_ms": round(self.elapsed_ms, 1),
        }


def _result(
    started: float,
    reasons: set[str],
    *,
    score: float = 0.0,
    actions: tuple[ActionResult, ...] = (),
    best: int | None = None,
    signals: dict[str, float] | None = None,
    frames_used: int = 0,
) -> LivenessResult:
    ordered = tuple(r for r in _REASON_ORDER if r in reasons)
    return LivenessResult(
        live=not ordered,
        score=score if not ordered else min(score, 0.49),
        reasons=ordered,
        actions=actions,
        best_frame_index=best,
        signals=MappingProxyType(dict(signals or {})),
        frames_used=frames_used,
        elapsed_ms=(time.perf_counter() - started) * 1000.0,
    )


def _as_rgb(frame: Any) -> np.ndarray | None:
    if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8:
        return None
    if frame.ndim == 2:
        return np.repeat(frame[:, :, None], 3, axis=2)
    if frame.ndim == 3 and frame.shape[2] in (3, 4) and min(frame.shape[:2]) >= 32:
        return frame[:, :, :3]
    return None


def _margin_score(value: float, threshold: float) -> float:
    """0.5 at the threshold, towards 1 when ``value`` is twice the threshold or more."""
    if not math.isfinite(value) or threshold <= 0:
        return 0.0
    return float(min(1.0, max(0.0, 0.5 * value / threshold)))


def verify_liveness(
    frames: Sequence[np.ndarray],
    timestamps_s: Sequence[float],
    challenge: Sequence[str],
    *,
    models: FaceModels,
    thresholds: LivenessThresholds = LivenessThresholds(),
    action_windows_s: Sequence[tuple[float, float]] | None = None,
) -> LivenessResult:
    """Check that ``frames`` show one live person performing ``challenge`` in order.

    ``frames`` are RGB uint8 camera frames (unmirrored), ``timestamps_s`` seconds from
    capture start. ``action_windows_s`` optionally bounds when each action may start.
    Never raises: bad input yields ``liveness_failed`` with a ``signals["input_error"]``.
    """
    started = time.perf_counter()
    try:
        return _verify(frames, timestamps_s, challenge, models, thresholds, action_windows_s)
    except Exception:  # never a 500: an unexpected failure is a failed check, flagged
        return _result(started, {LIVENESS_FAILED}, signals={"internal_error": 1.0})


def _verify(
    frames: Sequence[np.ndarray],
    timestamps_s: Sequence[float],
    challenge: Sequence[str],
    models: FaceModels,
    th: LivenessThresholds,
    windows: Sequence[tuple[float, float]] | None,
) -> LivenessResult:
    started = time.perf_counter()
    challenge = tuple(challenge)
    if not is_valid_challenge(challenge):
        return _result(started, {LIVENESS_FAILED}, signals={"input_error": 1.0})
    if len(frames) != len(timestamps_s) or len(frames) < th.min_frames:
        return _result(started, {LIVENESS_FAILED}, signals={"input_error": 2.0})
    rgb_frames = [_as_rgb(f) for f in frames]
    if any(f is None for f in rgb_frames):
        return _result(started, {LIVENESS_FAILED}, signals={"input_error": 3.0})

    signals: dict[str, float] = {}
    reasons: set[str] = set()
    timing = check_timing(
        timestamps_s,
        min_duration_s=th.min_duration_s,
        max_duration_s=th.max_duration_s,
        min_fps=th.min_fps,
        max_fps=th.max_fps,
        max_gap_s=th.max_gap_s,
    )
    signals.update(duration_s=timing.duration_s, fps=timing.fps, timing_ok=float(timing.plausible))
    if not timing.plausible:
        reasons.add(REPLAY_SUSPECTED)

    keep = np.arange(len(rgb_frames))
    if len(keep) > th.max_frames_analysed:
        keep = np.unique(np.linspace(0, len(keep) - 1, th.max_frames_analysed).round().astype(int))
    times = np.asarray(timestamps_s, dtype=np.float64)[keep]
    analysed = analyse_frames(
        [rgb_frames[int(i)] for i in keep],  # type: ignore[misc]
        models,
        analysis_side=th.analysis_side,
        detect_side=th.detect_side,
        detect_every=th.detect_every,
    )
    n = len(analysed)
    with_face = [k for k, a in enumerate(analysed) if a.signals.has_face]
    signals["face_fraction"] = len(with_face) / n
    if len(with_face) < th.min_face_fraction * n:
        reasons.add(NO_FACE)
    multi = sum(
        1
        for a in analysed
        if a.signals.box is not None
        and any(
            area >= th.second_face_area_ratio * _area(a.signals.box) for area in a.other_face_areas
        )
    )
    signals["multiple_face_fraction"] = multi / n
    if multi >= max(1, th.multiple_face_fraction * n):
        reasons.add(MULTIPLE_FACES)
    if len(with_face) < 2:
        return _result(started, reasons | {NO_FACE}, signals=signals, frames_used=n)

    trace = Trace(
        times_s=times,
        yaw_deg=np.array([a.signals.yaw_deg for a in analysed]),
        pitch_deg=np.array([a.signals.pitch_deg for a in analysed]),
        ear=np.array([a.signals.ear for a in analysed]),
        mouth_width=np.array([a.signals.mouth_width for a in analysed]),
    )
    baseline = compute_baseline(trace, th.actions.baseline_frames)
    assert baseline is not None  # at least two frames have a face
    actions = detect_actions(challenge, trace, baseline, th.actions, windows_s=windows)
    extra = unrequested_pose_actions(challenge, trace, baseline, th.actions)
    signals["unrequested_pose_actions"] = float(len(extra))
    if not all(a.passed for a in actions) or extra:
        reasons.add(CHALLENGE_FAILED)

    # frozen, duplicated or looped frames
    region = common_face_region([a.signals.landmarks for a in analysed])
    thumbs = [face_thumbnail(a.gray, region) for a in analysed]
    repetition = frame_repetition(thumbs, same_level=th.same_frame_level)
    signals.update(
        frozen_ratio=repetition.frozen_ratio,
        loop_pairs=float(repetition.loop_pairs),
        median_frame_change=repetition.median_change,
    )
    if repetition.frozen_ratio > th.max_frozen_ratio or repetition.loop_pairs > th.max_loop_pairs:
        reasons.add(REPLAY_SUSPECTED)

    # the straight border of a screen, tablet or print around the face
    framed = _framed_ratio(analysed, th)
    signals["framed_ratio"] = framed
    if framed >= th.frame_ratio:
        reasons.add(REPLAY_SUSPECTED)

    # three-dimensionality across the largest rotation
    base_k = baseline.frame_indices[0]
    residual, rotation = _planarity(analysed, trace, baseline.yaw_deg, baseline.pitch_deg, th)
    signals.update(planar_residual=residual, max_rotation_deg=rotation)
    pose_passed = any(a.passed and a.action in POSE_ACTIONS for a in actions)
    three_d_measured = math.isfinite(residual) and (
        pose_passed or rotation >= th.min_rotation_for_3d_deg
    )
    signals["three_d_measured"] = float(three_d_measured)
    if three_d_measured and residual < th.min_planar_residual:
        reasons.add(LIVENESS_FAILED)

    # the same face throughout
    best = _best_frame(analysed, baseline)
    rotation_from_base = np.nan_to_num(
        np.abs(trace.yaw_deg - baseline.yaw_deg) + np.abs(trace.pitch_deg - baseline.pitch_deg),
        nan=np.inf,
    )
    identity_distance, cuts = _identity(analysed, rotation_from_base, base_k, best, models, th)
    signals.update(identity_distance=identity_distance, track_cuts=float(cuts))
    if not math.isfinite(identity_distance) or identity_distance > th.max_identity_distance:
        reasons.add(LIVENESS_FAILED)

    parts = [a.score / 2.0 if a.passed else 0.0 for a in actions]
    if three_d_measured:
        parts.append(_margin_score(residual, th.min_planar_residual))
    parts.append(
        min(1.0, max(0.0, 1.0 - 0.5 * identity_distance / th.max_identity_distance))
        if math.isfinite(identity_distance)
        else 0.0
    )
    score = float(min(1.0, min(min(p, 1.0) for p in parts)))
    return _result(
        started,
        reasons,
        score=score,
        actions=actions,
        best=int(keep[best]) if best is not None else None,
        signals=signals,
        frames_used=n,
    )


def _framed_ratio(analysed: Sequence[AnalysedFrame], th: LivenessThresholds) -> float:
    """Share of a few evenly spread face frames with a straight border around the face."""
    faces = [a for a in analysed if a.signals.landmarks is not None]
    if not faces:
        return 0.0
    picks = np.unique(np.linspace(0, len(faces) - 1, th.frame_samples).round().astype(int))
    framed = 0
    for k in picks:
        landmarks = faces[int(k)].signals.landmarks
        assert landmarks is not None
        x0, y0 = landmarks.min(axis=0)
        x1, y1 = landmarks.max(axis=0)
        forehead = 0.35 * (y1 - y0)  # landmarks stop at the brows
        box = (int(x0), int(y0 - forehead), int(x1), int(y1))
        if enclosing_frame_sides(faces[int(k)].gray, box) >= th.frame_min_sides:
            framed += 1
    return framed / len(picks)


def _area(box: tuple[int, int, int, int]) -> float:
    return float(max(0, box[2] - box[0]) * max(0, box[3] - box[1]))


def _planarity(
    analysed: Sequence[AnalysedFrame],
    trace: Trace,
    base_yaw: float,
    base_pitch: float,
    th: LivenessThresholds,
) -> tuple[float, float]:
    """Mean homography residual (rigid landmarks) from the most frontal frame to the most
    rotated frames, and the largest rotation seen (degrees). The mean, not the max: one
    badly fitted landmark set on a blurred print must not look like parallax."""
    deviation = np.abs(trace.yaw_deg - base_yaw) + np.abs(trace.pitch_deg - base_pitch)
    finite = np.where(np.isfinite(deviation))[0]
    if finite.size < 2:
        return math.nan, 0.0
    frontal = int(finite[np.argmin(deviation[finite])])
    rotation = deviation - deviation[frontal]
    order = [int(k) for k in finite[np.argsort(-rotation[finite])] if k != frontal]
    reference = analysed[frontal].signals
    assert reference.landmarks is not None
    scale = reference.interocular
    residuals = []
    for k in order[: th.planarity_frames]:
        if rotation[k] < 0.5 * th.min_rotation_for_3d_deg:
            break
        target = analysed[k].signals.landmarks
        assert target is not None
        residuals.append(
            planar_residual(rigid_points(reference.landmarks), rigid_points(target), scale)
        )
    max_rotation = float(np.nanmax(rotation[finite]))
    valid = [r for r in residuals if math.isfinite(r)]
    return (float(np.mean(valid)) if valid else math.nan), max_rotation


def _best_frame(analysed: Sequence[AnalysedFrame], baseline: Baseline) -> int | None:
    """The frontal, sharp, eyes-open, neutral-mouth frame (position in ``analysed``)."""
    best, best_cost = None, math.inf
    sharp = [a.signals.sharpness for a in analysed if a.signals.has_face]
    top_sharpness = max(sharp) if sharp else 1.0
    for k, a in enumerate(analysed):
        s = a.signals
        if not s.has_face or not math.isfinite(s.yaw_deg):
            continue
        eyes_closed = s.ear < 0.8 * baseline.ear
        expression = s.mouth_open > 0.15 or s.mouth_width > 1.08 * baseline.mouth_width
        cost = (
            abs(s.yaw_deg - baseline.yaw_deg)
            + abs(s.pitch_deg - baseline.pitch_deg)
            + (10.0 if eyes_closed else 0.0)
            + (10.0 if expression else 0.0)
            - 5.0 * s.sharpness / max(top_sharpness, 1e-6)
        )
        if cost < best_cost:
            best, best_cost = k, cost
    return best


def _track_cuts(analysed: Sequence[AnalysedFrame], jump_ratio: float) -> list[int]:
    """Positions where the face box jumps implausibly between neighbouring frames."""
    cuts = []
    previous: tuple[int, int, int, int] | None = None
    for k, a in enumerate(analysed):
        box = a.signals.box
        if box is None:
            continue
        if previous is not None:
            width = max(1.0, float(previous[2] - previous[0]))
            dx = (box[0] + box[2] - previous[0] - previous[2]) / 2.0
            dy = (box[1] + box[3] - previous[1] - previous[3]) / 2.0
            size_change = max(_area(box), 1.0) / max(_area(previous), 1.0)
            if math.hypot(dx, dy) > jump_ratio * width or not 0.5 < size_change < 2.0:
                cuts.append(k)
        previous = box
    return cuts


def _encode(a: AnalysedFrame, models: FaceModels) -> np.ndarray | None:
    import dlib

    if a.signals.box is None:
        return None
    shape = models.shape5(a.rgb, dlib.rectangle(*a.signals.box))
    return np.asarray(models.encoder.compute_face_descriptor(a.rgb, shape), dtype=np.float64)


def _identity(
    analysed: Sequence[AnalysedFrame],
    rotation: np.ndarray,
    base_k: int,
    best: int | None,
    models: FaceModels,
    th: LivenessThresholds,
) -> tuple[float, int]:
    """Largest encoding distance from the baseline face to a few other frames.

    Frames checked (each encoding costs ~0.1 s): both sides of any track cut, the best
    frame, and the most frontal frame of each later part of the sequence (``rotation`` is
    each frame's pose deviation from the baseline).
    """
    cuts = _track_cuts(analysed, th.track_jump_ratio)
    wanted: list[int] = []
    for k in (*[c for cut in cuts for c in (cut - 1, cut)], best):
        if k is not None and k != base_k and k not in wanted and analysed[k].signals.has_face:
            wanted.append(k)
    # The most frontal frame of each later part of the sequence: a splice to another
    # person shows up there, while strongly turned faces (whose encodings drift) are
    # avoided. The first part holds the baseline itself.
    parts = np.array_split(np.arange(len(analysed)), max(2, th.identity_parts))[1:]
    for chunk in parts:
        candidates = [
            int(k)
            for k in chunk
            if analysed[int(k)].signals.has_face and int(k) not in wanted and int(k) != base_k
        ]
        if candidates:
            wanted.append(min(candidates, key=lambda k: rotation[k]))
    reference = _encode(analysed[base_k], models)
    if reference is None:
        return math.nan, len(cuts)
    distances = []
    for k in wanted:
        encoding = _encode(analysed[k], models)
        if encoding is not None:
            distances.append(float(np.linalg.norm(encoding - reference)))
    return (max(distances) if distances else math.nan), len(cuts)
