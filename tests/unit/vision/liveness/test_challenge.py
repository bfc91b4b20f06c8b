import random

from app.vision.liveness.challenge import (
    ACTIONS,
    POSE_ACTIONS,
    is_valid_challenge,
    opposite_action,
    plan_challenge,
)


def test_plans_are_2_to_3_distinct_known_actions_with_a_pose_action() -> None:
    rng = random.Random(1)
    lengths = set()
    for _ in range(500):
        plan = plan_challenge(rng)
        lengths.add(len(plan))
        assert 2 <= len(plan) <= 3
        assert len(set(plan)) == len(plan)
        assert all(a in ACTIONS for a in plan)
        assert any(a in POSE_ACTIONS for a in plan)
    assert lengths == {2, 3}


def test_every_action_gets_drawn_and_plans_are_reproducible() -> None:
    seen = {a for _ in range(300) for a in plan_challenge(random.Random(_))}
    assert seen == set(ACTIONS)
    assert plan_challenge(random.Random(42)) == plan_challenge(random.Random(42))


def test_is_valid_challenge_rejects_unknown_repeated_or_empty() -> None:
    assert is_valid_challenge(("turn_left", "blink"))
    assert not is_valid_challenge(("turn_left", "turn_left"))
    assert not is_valid_challenge(("wave",))
    assert not is_valid_challenge(())


def test_opposites() -> None:
    assert opposite_action("turn_left") == "turn_right"
    assert opposite_action("look_down") == "look_up"
    assert opposite_action("blink") is None
