"""Plan the random challenge a user performs in front of the camera."""

from __future__ import annotations

import random

ACTIONS: tuple[str, ...] = ("turn_left", "turn_right", "look_up", "look_down", "blink", "smile")
POSE_ACTIONS: frozenset[str] = frozenset({"turn_left", "turn_right", "look_up", "look_down"})
_OPPOSITE = {
    "turn_left": "turn_right",
    "turn_right": "turn_left",
    "look_up": "look_down",
    "look_down": "look_up",
}


def plan_challenge(
    rng: random.Random, *, min_actions: int = 2, max_actions: int = 3
) -> tuple[str, ...]:
    """Draw 2-3 distinct actions in a random order.

    At least one action is a head turn or look up/down: the three-dimensionality check
    (a real head cannot be mapped between poses by one homography, a photo can) needs a
    rotation, and blink/smile alone can be answered by a replayed video. Opposite pose
    actions may follow each other (turn_left then turn_right is easy to tell apart);
    no action repeats.
    """
    low = max(2, min(min_actions, len(ACTIONS)))
    high = max(low, min(max_actions, len(ACTIONS)))
    count = rng.randint(low, high)
    while True:
        actions = tuple(rng.sample(ACTIONS, count))
        if any(a in POSE_ACTIONS for a in actions):
            return actions


def is_valid_challenge(challenge: tuple[str, ...] | list[str]) -> bool:
    """True when every action is known and none repeats."""
    return (
        len(challenge) > 0
        and all(a in ACTIONS for a in challenge)
        and len(set(challenge)) == len(challenge)
    )


def opposite_action(action: str) -> str | None:
    """The pose action in the opposite direction, or None for blink/smile."""
    return _OPPOSITE.get(action)
