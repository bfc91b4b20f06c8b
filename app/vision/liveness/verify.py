"""Verify a challenge-response selfie sequence: live, 3-D, the same face, answered in order."""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np

from app.vision.faces.embedding import align_face, embed_aligned
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
    face_thumbnail,
    frame_repetition,
    frame_sides_around,
    planar_residual,
    rigid_points,
)
from app.vision.liveness.extract import AnalysedFrame, analyse_frames
from app.vision.liveness.signals import MAX_LANDMARK_MISFIT, FrameSignals

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
    max_frames_analysed: int = 120  # longer sequences are subsampled evenly
    min_duration_s: float = 1.0
    max_duration_s: float = 60.0
    min_fps: float = 2.0
    max_fps: float = 120.0
    max_gap_s: float = 3.0
    analysis_side: int = 640
    detect_side: int = 320  # YuNet input (longer side): ~12 ms vs ~35-55 ms at 480 px
    # faces: share of frames that must show the face or lie in a bridged gap of its track
    min_face_fraction: float = 0.8
    second_face_area_ratio: float = 0.25  # a second face this large (vs the main) counts
    multiple_face_fraction: float = 0.2  # ... in this share of frames -> multiple faces
    # tracking: a face lost (full profile, a hand) and found again is the same track when
    # the gap is short, the box has not jumped and the face region changed smoothly
    # in between; otherwise the sequence is cut and each part must prove its identity.
    max_track_gap_s: float = 1.5
    track_jump_ratio: float = 0.5  # centre jump between face frames, in face widths
    max_track_change: float = 40.0  # grey levels, 16x16 thumbnails, per step in a gap
    min_track_frames: int = 3  # shorter tracks are ignored (neither face nor identity)
    # identity across frames: MobileFaceNet templates (unit vectors, Euclidean distance
    # 0..2) of the most frontal frame of each stretch of the sequence, the second-largest
    # distance to the best frame (the largest when fewer than 4 were compared). Tune
    # split: the same person <= 0.83 (looking up/down, grimacing), splices of two people
    # >= 1.36 when both are compared.
    max_identity_distance: float = 1.0
    identity_frames: int = 8  # stretches per sequence, spread over its tracks
    frontal_max_yaw_deg: float = 15.0  # near-frontal: yaw and pitch within these of
    frontal_max_pitch_deg: float = 12.0  # the start (templates drift on turned faces)
    # ... and the face box's height/width within this share of the start's: a head bent
    # down or back shortens the box even where the 68-point pitch misreads it
    frontal_max_aspect_change: float = 0.1
    # eye and mouth geometry (dlib 68 points) only within this yaw of the start
    expression_max_yaw_deg: float = 25.0
    # no yaw reading where the face box's height/width fell by this share (bent head)
    bent_aspect_drop: float = 0.2
    # three-dimensionality
    # Frames rotated at least half this much from the most frontal one are compared.
    min_rotation_for_3d_deg: float = 20.0
    min_planar_residual: float = 0.045  # tilted prints 0.013-0.047, real heads >= 0.054
    planarity_frames: int = 3  # residual = mean over the most rotated frames
    # frozen / looped frames (mean abs difference of blurred 32x32 face thumbnails)
    same_frame_level: float = 0.1  # injected noise reads ~0.05, the stillest real clip 0.13
    max_frozen_ratio: float = 0.5
    max_loop_pairs: int = 5
    # screen / print border: straight edges on >= this many sides of the face, or on two
    # opposite sides (a room's door or window frame, a collar or scarf line gives one
    # side or two adjacent ones: turns_womanD_webcam reads "bottom+left") ...
    frame_min_sides: int = 3
    frame_ratio: float = 0.5  # ... in at least this share of the sampled frames
    frame_samples: int = 10


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
    # Near-frontal, sharp, neutral frames, best first (indices into the input frames).
    frontal_frame_indices: tuple[int, ...] = ()
    # YuNet's 5 points of those frames in the input frames' pixels (None where a frame had
    # none), so the selfie template is built without detecting the faces again.
    frontal_frame_points: tuple[np.ndarray | None, ...] = ()

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
            "frontal_frame_indices": list(self.frontal_frame_indices),
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
    frontal: tuple[int, ...] = (),
    frontal_points: tuple[np.ndarray | None, ...] = (),
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
        frontal_frame_indices=frontal,
        frontal_frame_points=frontal_points,
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
    )
    n = len(analysed)
    tracks = _tracks(analysed, times, th)
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
    if sum(len(t) for t in tracks) < 2:
        signals["face_fraction"] = sum(len(t) for t in tracks) / n
        return _result(started, reasons | {NO_FACE}, signals=signals, frames_used=n)
    trace = _trace(analysed, times, tracks)
    baseline = compute_baseline(trace, th.actions.baseline_frames)
    assert baseline is not None  # at least two frames have a face
    # A track that never shows a near-frontal face cannot prove whose face it is: its
    # frames count as faceless (neither for the actions nor for identity).
    base_aspect = _base_aspect(analysed, baseline)
    verified = [
        t
        for t in tracks
        if any(
            _near_frontal(
                analysed[k].signals,
                abs(trace.yaw_deg[k] - baseline.yaw_deg),
                abs(trace.pitch_deg[k] - baseline.pitch_deg),
                base_aspect,
                th,
            )
            for k in t
        )
    ]
    signals["unverified_tracks"] = float(len(tracks) - len(verified))
    if verified and len(verified) < len(tracks):
        tracks = verified
        trace = _trace(analysed, times, tracks)
        baseline = compute_baseline(trace, th.actions.baseline_frames)
        assert baseline is not None
        base_aspect = _base_aspect(analysed, baseline)
    in_tracks = {k for track in tracks for k in track}
    bridged = sum(b - a - 1 for t in tracks for a, b in itertools.pairwise(t))
    signals["face_fraction"] = (len(in_tracks) + bridged) / n
    signals["track_cuts"] = float(len(tracks) - 1)
    if len(in_tracks) + bridged < th.min_face_fraction * n:
        reasons.add(NO_FACE)
    # dlib's eye and mouth points drift on a turned head: read them near-frontal only.
    # A head bent far down or back shortens the face box; the nose point then leaves the
    # eye-mouth line and the 5-point yaw swings (turns_womanA_eyewide at 14 s reads 30
    # degrees while looking down): no yaw there.
    # There, and where dlib's points no longer fit, the pitch CHANGE comes from the 5
    # points, whose nose point reads a look down well (0.56 -> 0.9 of the eye-to-mouth
    # height on womanA's hard look down, where dlib's pitch moves by 8 degrees only).
    turned = np.abs(trace.yaw_deg - baseline.yaw_deg) > th.expression_max_yaw_deg
    aspect = np.array([_aspect(a.signals) for a in analysed]) / base_aspect
    bent = aspect < 1.0 - th.bent_aspect_drop
    pitch5 = np.array([a.signals.pitch5_deg for a in analysed])
    base_pitch5 = float(np.nanmedian(pitch5[list(baseline.frame_indices)]))
    from_points = (bent | np.isnan(trace.pitch_deg)) & ~np.isnan(trace.yaw_deg)
    trace = Trace(
        times_s=trace.times_s,
        yaw_deg=np.where(bent, np.nan, trace.yaw_deg),
        # ... a look down only: YuNet's nose point follows a look up by a third of it
        pitch_deg=np.where(
            from_points,
            np.where(pitch5 <= base_pitch5, baseline.pitch_deg + pitch5 - base_pitch5, np.nan),
            trace.pitch_deg,
        ),
        ear=np.where(turned, np.nan, trace.ear),
        mouth_width=np.where(turned, np.nan, trace.mouth_width),
    )
    steps = np.diff(times)
    frame_step = float(np.median(steps)) if steps.size else 1.0
    hold = max(1, round(th.actions.min_pose_hold_s / max(frame_step, 1e-3)))
    signals["min_hold_frames"] = float(hold)
    smile_hold = max(1, round(th.actions.min_smile_hold_s / max(frame_step, 1e-3)))
    actions = detect_actions(
        challenge,
        trace,
        baseline,
        th.actions,
        windows_s=windows,
        min_hold_frames=hold,
        min_smile_frames=smile_hold,
    )
    extra = unrequested_pose_actions(challenge, trace, baseline, th.actions, actions)
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
    residual, rotation = _planarity(analysed, trace, baseline.yaw_deg, baseline.pitch_deg, th)
    signals.update(planar_residual=residual, max_rotation_deg=rotation)
    pose_passed = any(a.passed and a.action in POSE_ACTIONS for a in actions)
    # Measured when an asked head movement was performed: without one, incidental
    # rotation is small and noisy (womanG's blinks read 22 degrees of yaw+pitch with a
    # residual of 0.034 on a real head), and production challenges always ask for one.
    three_d_measured = math.isfinite(residual) and pose_passed
    signals["three_d_measured"] = float(three_d_measured)
    if three_d_measured and residual < th.min_planar_residual:
        reasons.add(LIVENESS_FAILED)

    # the same face throughout, on near-frontal frames of every track
    frontal = _frontal_ranking(analysed, trace, baseline, th)
    best = frontal[0] if frontal else _best_frame(analysed, baseline)
    identity_distance = _identity(analysed, trace, baseline, tracks, best, models, th)
    signals["identity_distance"] = identity_distance
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
        frontal=tuple(int(keep[k]) for k in frontal[:5]),
        frontal_points=tuple(
            _input_points(analysed[k], rgb_frames[int(keep[k])]) for k in frontal[:5]
        ),
    )


def _input_points(analysed: AnalysedFrame, frame: np.ndarray | None) -> np.ndarray | None:
    """A frame's 5 detector points in the input frame's pixels (analysis is downscaled)."""
    points = analysed.signals.points5
    if points is None or frame is None:
        return None
    scale = frame.shape[1] / float(analysed.rgb.shape[1])
    return np.asarray(points, dtype=np.float64).reshape(5, 2) * scale


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
        sides = frame_sides_around(faces[int(k)].gray, box)
        if (
            len(sides) >= th.frame_min_sides
            or {"left", "right"} <= sides
            or {"top", "bottom"} <= sides
        ):
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


def _thumb(a: AnalysedFrame, region: tuple[int, int, int, int]) -> np.ndarray:
    return face_thumbnail(a.gray, region)


def _continuous(
    analysed: Sequence[AnalysedFrame],
    times: np.ndarray,
    previous: int,
    current: int,
    th: LivenessThresholds,
) -> bool:
    """Whether the face at ``current`` continues the track of the face at ``previous``:
    a short gap, no jump of the box, and a smooth change of the face region in every
    step between (a cut to other footage changes it at once)."""
    before, after = analysed[previous].signals.box, analysed[current].signals.box
    assert before is not None and after is not None
    if current - previous > 1 and times[current] - times[previous] > th.max_track_gap_s:
        return False
    width = max(1.0, float(before[2] - before[0]))
    dx = (after[0] + after[2] - before[0] - before[2]) / 2.0
    dy = (after[1] + after[3] - before[1] - before[3]) / 2.0
    size_change = max(_area(after), 1.0) / max(_area(before), 1.0)
    if math.hypot(dx, dy) > th.track_jump_ratio * width * (current - previous) ** 0.5:
        return False
    if not 0.5 < size_change < 2.0:
        return False
    pad = 0.2 * width
    region = (
        int(min(before[0], after[0]) - pad),
        int(min(before[1], after[1]) - pad),
        int(max(before[2], after[2]) + pad),
        int(max(before[3], after[3]) + pad),
    )
    thumbs = [_thumb(analysed[k], region) for k in range(previous, current + 1)]
    change = max(float(np.abs(b - a).mean()) for a, b in itertools.pairwise(thumbs))
    return change <= th.max_track_change


def _tracks(
    analysed: Sequence[AnalysedFrame], times: np.ndarray, th: LivenessThresholds
) -> list[list[int]]:
    """Face frames grouped into tracks (see :func:`_continuous`). Tracks shorter than
    ``min_track_frames`` are dropped (a stray detection) unless nothing longer exists."""
    with_face = [k for k, a in enumerate(analysed) if a.signals.box is not None]
    if not with_face:
        return []
    tracks: list[list[int]] = [[with_face[0]]]
    for previous, current in itertools.pairwise(with_face):
        if _continuous(analysed, times, previous, current, th):
            tracks[-1].append(current)
        else:
            tracks.append([current])
    kept = [t for t in tracks if len(t) >= th.min_track_frames]
    return kept or tracks


def _trace(
    analysed: Sequence[AnalysedFrame], times: np.ndarray, tracks: Sequence[Sequence[int]]
) -> Trace:
    """The per-frame signals of the frames on ``tracks`` (NaN elsewhere)."""
    on = {k for t in tracks for k in t}

    def values(name: str) -> np.ndarray:
        return np.array(
            [getattr(a.signals, name) if k in on else math.nan for k, a in enumerate(analysed)]
        )

    return Trace(
        times_s=times,
        yaw_deg=values("yaw_deg"),
        pitch_deg=values("pitch_deg"),
        ear=values("ear"),
        mouth_width=values("mouth_width"),
    )


def _aspect(s: FrameSignals) -> float:
    if s.box is None:
        return math.nan
    return (s.box[3] - s.box[1]) / max(1.0, float(s.box[2] - s.box[0]))


def _near_frontal(
    s: FrameSignals, dyaw: float, dpitch: float, base_aspect: float, th: LivenessThresholds
) -> bool:
    """Within the frontal pose limits of the start (yaw, pitch, box shape), with dlib's
    68 points fitting the detector's 5 (when they do not, the pitch reading is coarse
    and the head may be bent far: such a face is not compared)."""
    return (
        s.points5 is not None
        and dyaw <= th.frontal_max_yaw_deg
        and dpitch <= th.frontal_max_pitch_deg
        and abs(_aspect(s) / base_aspect - 1.0) <= th.frontal_max_aspect_change
        and s.landmark_misfit <= MAX_LANDMARK_MISFIT
    )


def _base_aspect(analysed: Sequence[AnalysedFrame], baseline: Baseline) -> float:
    return float(np.median([_aspect(analysed[k].signals) for k in baseline.frame_indices]))


def _frontal_ranking(
    analysed: Sequence[AnalysedFrame], trace: Trace, baseline: Baseline, th: LivenessThresholds
) -> list[int]:
    """Near-frontal face frames, best selfie first (frontal, sharp, eyes open, neutral)."""
    base_aspect = _base_aspect(analysed, baseline)
    sharp = [a.signals.sharpness for a in analysed if a.signals.has_face]
    top_sharpness = max(sharp) if sharp else 1.0
    costs = []
    for k, a in enumerate(analysed):
        s = a.signals
        dyaw = abs(trace.yaw_deg[k] - baseline.yaw_deg)
        dpitch = abs(trace.pitch_deg[k] - baseline.pitch_deg)
        if not _near_frontal(s, dyaw, dpitch, base_aspect, th):
            continue
        eyes_closed = s.ear < 0.8 * baseline.ear
        expression = s.mouth_open > 0.15 or s.mouth_width > 1.08 * baseline.mouth_width
        cost = (
            dyaw
            + dpitch
            + (10.0 if eyes_closed else 0.0)
            + (10.0 if expression else 0.0)
            - 5.0 * s.sharpness / max(top_sharpness, 1e-6)
        )
        costs.append((cost, k))
    return [k for _, k in sorted(costs)]


def _identity(
    analysed: Sequence[AnalysedFrame],
    trace: Trace,
    baseline: Baseline,
    tracks: Sequence[Sequence[int]],
    best: int | None,
    models: FaceModels,
    th: LivenessThresholds,
) -> float:
    """Template distance from the best frame to the most frontal frame of each stretch
    of every track: the second-largest (the largest when fewer than 4 were compared).

    Each track is cut into stretches (``identity_frames`` over the sequence); from each,
    the frame closest to the starting pose (yaw, pitch, box shape) whose landmarks fit
    is compared, however it is posed: another person spliced into the sequence has
    their own face shape and is compared too. Faceless frames and frames turned beyond
    ``expression_max_yaw_deg`` never enter: a profile template drifts away from the
    frontal one of the same person, and a missing face proves nothing either way.
    """
    if best is None or analysed[best].signals.points5 is None:
        return math.inf
    n_faces = sum(len(t) for t in tracks)
    base_aspect = _base_aspect(analysed, baseline)
    picks: list[int] = []
    for track in tracks:
        cost = {}
        for k in track:
            s = analysed[k].signals
            dyaw = abs(trace.yaw_deg[k] - baseline.yaw_deg)
            dpitch = abs(trace.pitch_deg[k] - baseline.pitch_deg)
            value = dyaw + dpitch + 100.0 * abs(_aspect(s) / base_aspect - 1.0)
            if (
                s.points5 is not None
                and s.landmark_misfit <= MAX_LANDMARK_MISFIT
                and dyaw <= th.expression_max_yaw_deg
                and math.isfinite(value)
            ):
                cost[k] = value
        if not cost:
            return math.inf
        stretches = max(1, round(th.identity_frames * len(track) / max(1, n_faces)))
        for stretch in np.array_split(np.asarray(track), stretches):
            candidates = [int(k) for k in stretch if int(k) in cost]
            if candidates:
                k = min(candidates, key=lambda c: cost[c])
                if k != best:
                    picks.append(k)
    if not picks:
        return 0.0
    crops = []
    for k in (best, *picks):
        points = analysed[k].signals.points5
        assert points is not None
        crops.append(align_face(analysed[k].rgb, points))
    templates = embed_aligned(crops, models)
    distances = sorted(
        (float(np.linalg.norm(t - templates[0])) for t in templates[1:]), reverse=True
    )
    return distances[1] if len(distances) >= 4 else distances[0]
