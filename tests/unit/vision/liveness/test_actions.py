import numpy as np

from app.vision.liveness.actions import (
    ActionThresholds,
    Trace,
    compute_baseline,
    detect_actions,
    unrequested_pose_actions,
)

TH = ActionThresholds()


def make_trace(n: int = 40, **signals: np.ndarray) -> Trace:
    """A resting face at 10 fps with some signals overridden."""
    base = {
        "yaw_deg": np.zeros(n),
        "pitch_deg": np.zeros(n),
        "ear": np.full(n, 0.30),
        "mouth_width": np.full(n, 0.80),
    }
    base.update(signals)
    return Trace(times_s=np.arange(n) / 10.0, **base)


def bump(n: int, start: int, end: int, height: float, rest: float = 0.0) -> np.ndarray:
    values = np.full(n, rest)
    values[start:end] = height
    return values


def test_turn_left_then_right_in_order() -> None:
    yaw = bump(40, 8, 14, 25.0) + bump(40, 22, 28, -25.0)
    trace = make_trace(yaw_deg=yaw)
    baseline = compute_baseline(trace)
    assert baseline is not None
    results = detect_actions(("turn_left", "turn_right"), trace, baseline, TH)
    assert [r.passed for r in results] == [True, True]
    assert results[0].at_s == 0.8 and results[1].at_s == 2.2
    assert results[0].score >= 1.0


def test_wrong_order_fails() -> None:
    yaw = bump(40, 8, 14, 25.0) + bump(40, 22, 28, -25.0)
    trace = make_trace(yaw_deg=yaw)
    baseline = compute_baseline(trace)
    assert baseline is not None
    results = detect_actions(("turn_right", "turn_left"), trace, baseline, TH)
    assert results[0].passed
    assert not results[1].passed and results[1].at_s is None


def test_small_movement_is_not_a_turn() -> None:
    trace = make_trace(yaw_deg=bump(40, 8, 14, 10.0))
    baseline = compute_baseline(trace)
    assert baseline is not None
    assert not detect_actions(("turn_left",), trace, baseline, TH)[0].passed


def test_action_held_from_before_does_not_count_as_the_next_one() -> None:
    # Looks up at 0.5 s and stays up; turns right at 1.5 s. "turn_right then look_up"
    # must fail: the look up did not start after the turn.
    trace = make_trace(pitch_deg=bump(40, 5, 35, 25.0), yaw_deg=bump(40, 15, 25, -25.0))
    baseline = compute_baseline(trace)
    assert baseline is not None
    ok = detect_actions(("look_up", "turn_right"), trace, baseline, TH)
    assert all(r.passed for r in ok)
    reordered = detect_actions(("turn_right", "look_up"), trace, baseline, TH)
    assert not reordered[1].passed


def test_blink_needs_the_eyes_to_reopen() -> None:
    closes_and_opens = make_trace(ear=bump(40, 10, 12, 0.08, rest=0.30))
    stays_closed = make_trace(ear=bump(40, 10, 40, 0.08, rest=0.30))
    for trace, expected in ((closes_and_opens, True), (stays_closed, False)):
        baseline = compute_baseline(trace)
        assert baseline is not None
        assert detect_actions(("blink",), trace, baseline, TH)[0].passed is expected


def test_smile_is_a_wider_mouth_against_the_baseline() -> None:
    trace = make_trace(mouth_width=bump(40, 10, 20, 0.95, rest=0.80))
    baseline = compute_baseline(trace)
    assert baseline is not None
    assert detect_actions(("smile",), trace, baseline, TH)[0].passed
    flat = make_trace(mouth_width=bump(40, 10, 20, 0.83, rest=0.80))
    flat_baseline = compute_baseline(flat)
    assert flat_baseline is not None
    assert not detect_actions(("smile",), flat, flat_baseline, TH)[0].passed


def test_time_windows_bound_the_onset() -> None:
    trace = make_trace(yaw_deg=bump(40, 20, 26, 25.0))
    baseline = compute_baseline(trace)
    assert baseline is not None
    inside = detect_actions(("turn_left",), trace, baseline, TH, windows_s=[(1.5, 3.0)])
    outside = detect_actions(("turn_left",), trace, baseline, TH, windows_s=[(0.0, 1.5)])
    assert inside[0].passed and not outside[0].passed


def test_strong_unrequested_pose_action_is_reported() -> None:
    trace = make_trace(yaw_deg=bump(40, 8, 14, 25.0) + bump(40, 20, 26, -45.0))
    baseline = compute_baseline(trace)
    assert baseline is not None
    assert unrequested_pose_actions(("turn_left", "blink"), trace, baseline, TH) == ("turn_right",)
    assert unrequested_pose_actions(("turn_left", "turn_right"), trace, baseline, TH) == ()


def test_baseline_skips_frames_without_face() -> None:
    yaw = np.zeros(10)
    yaw[:2] = np.nan
    trace = make_trace(10, yaw_deg=yaw)
    baseline = compute_baseline(trace, 3)
    assert baseline is not None and baseline.frame_indices == (2, 3, 4)
    assert compute_baseline(make_trace(3, yaw_deg=np.full(3, np.nan))) is None


def test_a_turn_repeated_later_does_not_answer_a_later_slot() -> None:
    # Turns left at 0.8 s, looks up at 1.6 s, turns left again at 2.6 s: this answers
    # "turn_left, look_up" but not "look_up, turn_left" (the first turn came first).
    yaw = bump(40, 8, 12, 25.0) + bump(40, 26, 30, 25.0)
    trace = make_trace(yaw_deg=yaw, pitch_deg=bump(40, 16, 20, 25.0))
    baseline = compute_baseline(trace)
    assert baseline is not None
    assert all(r.passed for r in detect_actions(("turn_left", "look_up"), trace, baseline, TH))
    reordered = detect_actions(("look_up", "turn_left"), trace, baseline, TH)
    assert reordered[0].passed and not reordered[1].passed


def test_a_natural_blink_before_the_prompt_does_not_spoil_a_later_blink() -> None:
    ear = bump(40, 5, 6, 0.08, rest=0.30) + bump(40, 25, 27, 0.08 - 0.30)
    trace = make_trace(ear=ear, yaw_deg=bump(40, 12, 18, 25.0))
    baseline = compute_baseline(trace)
    assert baseline is not None
    results = detect_actions(("turn_left", "blink"), trace, baseline, TH)
    assert all(r.passed for r in results) and results[1].at_s == 2.5


def _asked_and_extra(challenge, trace, hold: int = 1):
    baseline = compute_baseline(trace)
    assert baseline is not None
    asked = detect_actions(challenge, trace, baseline, TH, min_hold_frames=hold)
    return asked, unrequested_pose_actions(challenge, trace, baseline, TH, asked)


def test_returning_from_a_turn_past_the_start_is_not_a_turn_the_other_way() -> None:
    # Turns to her right (-45 degrees), swings back past the start to +25 on the way
    # home, then looks up: the swing is the return, not an unrequested turn_left.
    yaw = bump(50, 8, 16, -45.0) + bump(50, 16, 19, 25.0)
    trace = make_trace(50, yaw_deg=yaw, pitch_deg=bump(50, 30, 36, 25.0))
    asked, extra = _asked_and_extra(("turn_right", "look_up"), trace)
    assert all(a.passed for a in asked) and extra == ()


def test_extra_movement_after_the_asked_sequence_is_free() -> None:
    # Asked: turn_left, look_up. After looking up she also turns right and looks down.
    yaw = bump(60, 8, 14, 30.0) + bump(60, 36, 42, -40.0)
    pitch = bump(60, 22, 28, 25.0) + bump(60, 48, 54, -30.0)
    asked, extra = _asked_and_extra(
        ("turn_left", "look_up"), make_trace(60, yaw_deg=yaw, pitch_deg=pitch)
    )
    assert all(a.passed for a in asked) and extra == ()


def test_a_generic_clip_doing_other_movements_first_fails() -> None:
    # A recording that turns right, then left, then looks up, answering "turn_left,
    # look_up": the full turn_right before the asked sequence completes is refused.
    yaw = bump(60, 8, 14, -40.0) + bump(60, 22, 28, 40.0)
    pitch = bump(60, 36, 42, 25.0)
    trace = make_trace(60, yaw_deg=yaw, pitch_deg=pitch)
    asked, extra = _asked_and_extra(("turn_left", "look_up"), trace)
    assert all(a.passed for a in asked) and extra == ("turn_right",)
    # ... and a full-strength opposite turn right after an asked turn is no return swing
    yaw = bump(60, 8, 14, 40.0) + bump(60, 16, 22, -40.0)
    trace = make_trace(60, yaw_deg=yaw, pitch_deg=pitch)
    asked, extra = _asked_and_extra(("turn_left", "look_up"), trace)
    assert all(a.passed for a in asked) and extra == ("turn_right",)


def test_a_turn_must_hold_for_the_frames_the_frame_rate_asks() -> None:
    glitch = bump(40, 10, 11, 40.0)  # one frame: a landmark glitch, not a turn
    assert not _asked_and_extra(("turn_left",), make_trace(yaw_deg=glitch), hold=2)[0][0].passed
    held = bump(40, 10, 13, 40.0)
    assert _asked_and_extra(("turn_left",), make_trace(yaw_deg=held), hold=2)[0][0].passed


def test_pitch_is_not_read_while_the_head_is_turned_far() -> None:
    # At a full turn the pitch reading swings (foreshortening): not a look up.
    yaw = bump(40, 10, 20, -60.0)
    pitch = bump(40, 12, 18, 30.0)
    trace = make_trace(yaw_deg=yaw, pitch_deg=pitch)
    _asked, extra = _asked_and_extra(("turn_right", "look_down"), trace)
    baseline = compute_baseline(trace)
    assert baseline is not None
    assert detect_actions(("look_up",), trace, baseline, TH)[0].passed is False
    assert extra == ()


def test_a_smile_hovering_at_its_threshold_is_one_smile() -> None:
    # Smiles from 0.5 s, dips just under the threshold around a blink at 1.3 s and
    # widens again: "blink, smile" is not answered (the smile began before the blink).
    width = np.full(40, 0.80)
    width[5:12] = 0.88
    width[12:15] = 0.85  # strength ~0.9: still smiling
    width[15:30] = 0.88
    ear = bump(40, 13, 14, 0.08, rest=0.30)
    trace = make_trace(mouth_width=width, ear=ear)
    baseline = compute_baseline(trace)
    assert baseline is not None
    assert all(r.passed for r in detect_actions(("smile", "blink"), trace, baseline, TH))
    assert not detect_actions(("blink", "smile"), trace, baseline, TH)[1].passed


def test_a_look_down_while_turning_as_asked_is_one_diagonal_movement() -> None:
    # Asked: turn_left, turn_right. She looks down by 15 degrees during the left turn
    # (d3 does): part of the turn. The same look down on its own before the turns fails.
    yaw = bump(60, 10, 20, 25.0) + bump(60, 30, 40, -25.0)
    during = make_trace(60, yaw_deg=yaw, pitch_deg=bump(60, 13, 18, -15.0))
    asked, extra = _asked_and_extra(("turn_left", "turn_right"), during)
    assert all(a.passed for a in asked) and extra == ()
    before = make_trace(60, yaw_deg=yaw, pitch_deg=bump(60, 4, 8, -15.0))
    asked, extra = _asked_and_extra(("turn_left", "turn_right"), before)
    assert all(a.passed for a in asked) and extra == ("look_down",)
