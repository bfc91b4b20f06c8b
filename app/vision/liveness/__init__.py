"""Active (challenge-response) liveness: plan a challenge, verify the captured frames.

Public API: :func:`plan_challenge` and :data:`ACTIONS` (challenge.py),
:func:`verify_liveness`, :class:`LivenessThresholds`, :class:`LivenessResult` and
:class:`ActionResult` (verify.py). Importing this package does not load any model.
"""

from app.vision.liveness.challenge import ACTIONS, plan_challenge
from app.vision.liveness.verify import (
    ActionResult,
    LivenessResult,
    LivenessThresholds,
    verify_liveness,
)

__all__ = [
    "ACTIONS",
    "ActionResult",
    "LivenessResult",
    "LivenessThresholds",
    "plan_challenge",
    "verify_liveness",
]
