"""Detect the challenge actions in per-frame signal traces (pure numpy, no models).

Every action is measured against the user's own baseline (the median of the first
frames with a face) and expressed as a *strength*: 1.0 means the action reached its
threshold. Actions must appear in the asked order, each starting after the previous one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ActionThresholds:
    """How far from the baseline each action must go. Defaults calibrated on the real clips."""

    # yaw change for turn_left / turn_right (5-point yaw; d3's weakest real turn reads 11.7,
    # the other real turns 20-60)
    turn_deg: float = 11.0
    look_up_deg: float = 15.0  # pitch change for look_up (real: 27-40; talking: <= 11)
    # pitch change for look_down (d3 looks down ~35; womanA's look down in
    # turns_womanA_browdown reads 10 at 12 fps from the first frames that still fit)
    look_down_deg: float = 9.0
    blink_ear_drop: float = 0.35  # EAR falls by this share of the baseline (smile squint ~0.3)
    # ... then recovers to within this share of that drop (womanA opens her eyes wide at
    # the start, then rests at 85 % of that openness)
    blink_recovery: float = 0.6
    smile_width_gain: float = 0.07  # mouth width / eye distance grows by this fraction
    # A pose action that was NOT asked for, performed this strongly (threshold units)
    # BEFORE the last asked action began, fails the challenge: a generic recording that
    # does every movement must not pass. Extra movement after the asked sequence is free.
    unrequested_pose_strength: float = 1.5
    # Coming back from an asked turn may swing past the start: a movement opposite to the
    # previous asked pose action, starting within this many seconds of it ending and
    # weaker than this share of it, is that return, not an unrequested action.
    return_swing_s: float = 1.0
    return_swing_ratio: float = 0.6
    # Looks up/down are read only while the head is within this yaw of its start: at a
    # full turn the 5-point pitch reading is foreshortened noise.
    pitch_max_yaw_deg: float = 25.0
    # A head movement must hold for this long (at least one frame) to count: a single
    # glitched frame is not a turn. Frames per action follow the measured frame rate.
    min_pose_hold_s: float = 0.1
    # A smile holds at least this long (d19 widens her mouth by 8 % for one frame after
    # letting a smile go: not a smile performed on request).
    min_smile_hold_s: float = 0.15
    # After an episode, an action starts anew only once its strength fell below this
    # (threshold units): d19's smile hovering around its threshold after a blink is
    # the same smile, not one performed after the blink.
    rearm_level: float = 0.5
    baseline_frames: int = 3


@dataclass(frozen=True)
class Trace:
    """Per-frame signals of one sequence; NaN where a frame has no usable face."""

    times_s: np.ndarray
    yaw_deg: np.ndarray
    pitch_deg: np.ndarray
    ear: np.ndarray
    mouth_width: np.ndarray

    def __len__(self) -> int:
        return len(self.times_s)


@dataclass(frozen=True)
class Baseline:
    """The user's resting values, from the first frames with a face."""

    yaw_deg: float
    pitch_deg: float
    ear: float
    mouth_width: float
    frame_indices: tuple[int, ...]


@dataclass(frozen=True)
class ActionResult:
    """Whether one asked action was performed, when (onset, seconds) and how strongly."""

    action: str
    passed: bool
    at_s: float | None
    score: float  # peak strength in threshold units (>= 1.0 when performed)
    frame_index: int | None = None  # frame of the peak, None when not performed


def compute_baseline(trace: Trace, n_frames: int = 3) -> Baseline | None:
    """Median signals of the first ``n_frames`` frames with a face; None without faces."""
    valid = [i for i in range(len(trace)) if not math.isnan(trace.yaw_deg[i])][:n_frames]
    if not valid:
        return None
    idx = np.array(valid)

    def median(values: np.ndarray) -> float:
        finite = values[idx][np.isfinite(values[idx])]
        return float(np.median(finite)) if finite.size else math.nan

    return Baseline(
        yaw_deg=median(trace.yaw_deg),
        pitch_deg=median(trace.pitch_deg),
        ear=median(trace.ear),
        mouth_width=median(trace.mouth_width),
        frame_indices=tuple(valid),
    )


def action_strength(
    action: str, trace: Trace, baseline: Baseline, thresholds: ActionThresholds
) -> np.ndarray:
    """Per-frame strength of ``action`` in threshold units (NaN where no face)."""
    t = thresholds
    if action == "turn_left":
        return (trace.yaw_deg - baseline.yaw_deg) / t.turn_deg
    if action == "turn_right":
        return (baseline.yaw_deg - trace.yaw_deg) / t.turn_deg
    if action in ("look_up", "look_down"):
        turned = np.abs(np.nan_to_num(trace.yaw_deg - baseline.yaw_deg)) > t.pitch_max_yaw_deg
        pitch = np.where(turned, np.nan, trace.pitch_deg)
        if action == "look_up":
            return (pitch - baseline.pitch_deg) / t.look_up_deg
        return (baseline.pitch_deg - pitch) / t.look_down_deg
    if action == "blink":
        if baseline.ear <= 0:
            return np.full(len(trace), np.nan)
        return (1.0 - trace.ear / baseline.ear) / t.blink_ear_drop
    if action == "smile":
        if baseline.mouth_width <= 0:
            return np.full(len(trace), np.nan)
        return (trace.mouth_width / baseline.mouth_width - 1.0) / t.smile_width_gain
    raise ValueError(f"unknown action {action!r}")


def _find_action(
    action: str,
    strength: np.ndarray,
    start: int,
    thresholds: ActionThresholds,
    min_hold: int = 1,
) -> tuple[int, int] | None:
    """Return (onset index, peak index) of the first episode that STARTS at or after
    ``start``, lasts ``min_hold`` frames and follows a release of the action: an action
    still held from before (e.g. a head already up when the turn began) does not count
    as performed after the previous one."""
    filled = np.nan_to_num(strength, nan=-np.inf)
    n = len(filled)
    armed, k = True, 0
    while k < n:
        if filled[k] < 1.0:
            # Re-armed only once the action has really been let go (frames without a
            # reading keep the state): a smile hovering at its threshold is one smile.
            if np.isfinite(strength[k]) and strength[k] < thresholds.rearm_level:
                armed = True
            k += 1
            continue
        onset, end = k, k
        while end + 1 < n and filled[end + 1] >= 1.0:
            end += 1
        k = end + 1
        if end - onset + 1 < min_hold:
            continue
        if armed and onset >= start:
            peak = onset + int(np.argmax(filled[onset : end + 1]))
            if action != "blink":
                return onset, peak
            # A blink closes and opens again: a later frame must recover most of the
            # drop (to blink_recovery, or to 40 % of a deep closure's peak).
            reopen = max(thresholds.blink_recovery, 0.4 * float(filled[peak]))
            if np.nonzero(filled[end + 1 :] <= reopen)[0].size:
                return onset, peak
        armed = False
    return None


def detect_actions(
    challenge: Sequence[str],
    trace: Trace,
    baseline: Baseline,
    thresholds: ActionThresholds,
    *,
    windows_s: Sequence[tuple[float, float]] | None = None,
    min_hold_frames: int = 1,
    min_smile_frames: int = 1,
) -> tuple[ActionResult, ...]:
    """Look for each asked action in order; each must start after the previous one.

    Pose actions (turns, looks) are taken at their first occurrence, which must follow
    the previous action's onset; blinks and smiles at their first occurrence after it.

    ``windows_s`` optionally bounds each action's onset (seconds from capture start), as
    prompted by the capture page. After the first missing action the rest are reported
    as not performed. Pose actions must hold ``min_hold_frames`` frames, smiles
    ``min_smile_frames`` (a blink is short by nature).
    """
    from app.vision.liveness.challenge import POSE_ACTIONS

    results: list[ActionResult] = []
    after_baseline = max(baseline.frame_indices) + 1 if baseline.frame_indices else 0
    search_from = after_baseline
    failed = False
    for k, action in enumerate(challenge):
        strength = action_strength(action, trace, baseline, thresholds)
        found = None
        if not failed:
            if action in POSE_ACTIONS:
                # Head movements count from their FIRST occurrence: a recording that turns
                # left, then looks up, then turns left again does not answer "look up,
                # then turn left". Blinks and smiles happen unasked, so for them any
                # occurrence after the previous action counts.
                found = _find_action(
                    action, strength, after_baseline, thresholds, max(1, min_hold_frames)
                )
                if found is not None and found[0] < search_from:
                    found = None
            else:
                hold = max(1, min_smile_frames) if action == "smile" else 1
                found = _find_action(action, strength, search_from, thresholds, hold)
        if found is not None and windows_s is not None and k < len(windows_s):
            low, high = windows_s[k]
            if not low <= float(trace.times_s[found[0]]) <= high:
                found = None
        if found is None:
            failed = True
            finite = strength[np.isfinite(strength)]
            peak_value = float(finite.max()) if finite.size else 0.0
            results.append(ActionResult(action, False, None, round(max(0.0, peak_value), 3)))
            continue
        onset, peak = found
        results.append(
            ActionResult(
                action,
                True,
                round(float(trace.times_s[onset]), 3),
                round(float(strength[peak]), 3),
                peak,
            )
        )
        search_from = onset + 1
    return tuple(results)


def _episodes(strength: np.ndarray, level: float) -> list[tuple[int, int, float]]:
    """(onset, end, peak strength) of each run of frames at or above ``level``."""
    filled = np.nan_to_num(strength, nan=-np.inf)
    runs: list[tuple[int, int, float]] = []
    k, n = 0, len(filled)
    while k < n:
        if filled[k] < level:
            k += 1
            continue
        end = k
        while end + 1 < n and filled[end + 1] >= level:
            end += 1
        runs.append((k, end, float(filled[k : end + 1].max())))
        k = end + 1
    return runs


def unrequested_pose_actions(
    challenge: Sequence[str],
    trace: Trace,
    baseline: Baseline,
    thresholds: ActionThresholds,
    actions: Sequence[ActionResult] | None = None,
) -> tuple[str, ...]:
    """Pose actions not asked for that could let a generic recording pass.

    Without ``actions`` (the asked actions as detected): any unrequested pose action at
    ``unrequested_pose_strength`` or more. With them, only those that START before the
    onset of the last asked action, i.e. before the asked sequence is complete: a clip
    that does every movement in a fixed order then answers only challenges that are its
    prefix. Extra movement after the sequence (looking around, turning further) is free,
    a weaker swing opposite to the previous asked pose action right after it (coming
    back from a turn) is the return, not an action, and a movement that starts while an
    asked head movement is held is part of it (a diagonal turn).
    """
    from app.vision.liveness.challenge import POSE_ACTIONS

    t = thresholds
    asked = [a for a in (actions or ()) if a.passed and a.at_s is not None]
    if actions is not None and len(asked) < len(actions):
        asked = []  # the challenge already failed; nothing more to explain
    last_onset_s = max((float(a.at_s) for a in asked if a.at_s is not None), default=None)
    # Frames inside an asked head movement: a look down that starts while the head is
    # turned as asked is the same, diagonal movement (d3 looks down 14 degrees as she
    # turns to her left), not a second action.
    during_asked: set[int] = set()
    for a in asked:
        if a.action in POSE_ACTIONS:
            for start, end, _ in _episodes(action_strength(a.action, trace, baseline, t), 1.0):
                during_asked.update(range(start, end + 1))
    extra = []
    for action in sorted(POSE_ACTIONS - set(challenge)):
        strength = action_strength(action, trace, baseline, t)
        for onset, _end, peak in _episodes(strength, t.unrequested_pose_strength):
            if actions is None:
                extra.append(action)
                break
            onset_s = float(trace.times_s[onset])
            if last_onset_s is None or onset_s >= last_onset_s:
                continue
            if _is_return_swing(action, onset_s, peak, asked, trace, baseline, t):
                continue
            if onset in during_asked:
                continue
            extra.append(action)
            break
    return tuple(extra)


def _is_return_swing(
    action: str,
    onset_s: float,
    peak: float,
    asked: Sequence[ActionResult],
    trace: Trace,
    baseline: Baseline,
    thresholds: ActionThresholds,
) -> bool:
    """True when ``action`` reverses the asked pose action just before it, weakly."""
    from app.vision.liveness.challenge import opposite_action

    previous = [a for a in asked if a.at_s is not None and a.at_s <= onset_s]
    if not previous or opposite_action(previous[-1].action) != action:
        return False
    prior = previous[-1]
    strength = action_strength(prior.action, trace, baseline, thresholds)
    runs = [r for r in _episodes(strength, 1.0) if float(trace.times_s[r[0]]) <= onset_s]
    if not runs:
        return False
    ended_s = float(trace.times_s[runs[-1][1]])
    return (
        onset_s - ended_s <= thresholds.return_swing_s
        and peak <= thresholds.return_swing_ratio * prior.score
    )
