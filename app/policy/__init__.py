"""Decision policy (pure): versioned thresholds as data, checks -> decision + reason codes."""

from app.policy.checks import duplicate_check, face_match_check
from app.policy.config import (
    CHECK_KINDS,
    DocumentPolicy,
    FacePolicy,
    JurisdictionPolicy,
    LivenessPolicy,
    Policy,
    PolicyError,
    default_policy_text,
    load_policy,
)
from app.policy.decision import (
    CheckResult,
    Decision,
    DecisionInput,
    DocumentFacts,
    Outcome,
    Status,
    decide,
    document_rule_check,
)
from app.policy.reasons import FIXED_ACTIONS, REASON_MESSAGES

__all__ = [
    "CHECK_KINDS",
    "FIXED_ACTIONS",
    "REASON_MESSAGES",
    "CheckResult",
    "Decision",
    "DecisionInput",
    "DocumentFacts",
    "DocumentPolicy",
    "FacePolicy",
    "JurisdictionPolicy",
    "LivenessPolicy",
    "Outcome",
    "Policy",
    "PolicyError",
    "Status",
    "decide",
    "default_policy_text",
    "document_rule_check",
    "duplicate_check",
    "face_match_check",
    "load_policy",
]
