"""Scores and check outcomes in, one decision with reason codes out. Pure and table-driven.

Severity order: declined > resubmission_requested > needs_review > approved. A check that
passed contributes nothing; a check that failed or was inconclusive contributes its reason
codes, each mapped to an action (reasons.FIXED_ACTIONS, or the policy for expiry,
jurisdiction and liveness failure). Review-level codes are always listed in
``escalations``, whatever the final status, so a reviewer sees them on a later attempt.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, Literal

from app.policy.config import Policy
from app.policy.reasons import FIXED_ACTIONS, Action

Outcome = Literal["pass", "fail", "inconclusive"]
Status = Literal["approved", "declined", "needs_review", "resubmission_requested"]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class CheckResult:
    """One check of one attempt.

    kind: quality | mrz | data_consistency | liveness | face_match | duplicates |
    document_rules | selfie. ``details`` is JSON-like; decide() reads ``distance``
    (face_match), ``linked_accounts`` (duplicates) and ``ocr_confidence`` (any kind).
    """

    kind: str
    outcome: Outcome
    score: float | None = None
    reason_codes: tuple[str, ...] = ()
    details: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)
    model_version: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-serialisable form."""
        return {
            "kind": self.kind,
            "outcome": self.outcome,
            "score": self.score,
            "reason_codes": list(self.reason_codes),
            "details": dict(self.details),
            "model_version": self.model_version,
        }


@dataclass(frozen=True)
class DocumentFacts:
    """What the document reader established (from the MRZ, verified by check digits)."""

    document_type: str | None  # MRZ document code, e.g. "P<", "ID", "I<", "AC"
    document_format: str | None  # TD1 | TD2 | TD3 | MRV-A | MRV-B
    issuing_country: str | None  # ICAO code, e.g. "FRA", "D"
    nationality: str | None
    birth_date: date | None
    expiry_date: date | None
    mrz_valid: bool


@dataclass(frozen=True)
class DecisionInput:
    """Everything decide() needs. ``review_sample_draw`` is uniform in [0, 1), drawn by the
    caller so that decide() stays pure; ``attempts_exhausted`` tells that this was the last
    attempt allowed, so a retry cannot be offered."""

    checks: Sequence[CheckResult]
    document: DocumentFacts | None
    today: date
    review_sample_draw: float
    attempts_exhausted: bool = False


@dataclass(frozen=True)
class Decision:
    """The outcome of one attempt, with everything needed to explain and audit it."""

    status: Status
    reason_codes: tuple[str, ...]
    escalations: tuple[str, ...]
    policy_version: str
    model_versions: Mapping[str, str]
    checks: tuple[CheckResult, ...]
    linked_accounts: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain JSON-serialisable form."""
        return {
            "status": self.status,
            "reason_codes": list(self.reason_codes),
            "escalations": list(self.escalations),
            "policy_version": self.policy_version,
            "model_versions": dict(self.model_versions),
            "linked_accounts": list(self.linked_accounts),
            "checks": [c.to_json() for c in self.checks],
        }


def _age_on(birth: date, today: date) -> int:
    years = today.year - birth.year
    if (today.month, today.day) < (birth.month, birth.day):
        years -= 1
    return years


def _country(code: str | None) -> str | None:
    if code is None:
        return None
    cleaned = code.replace("<", "").strip().upper()
    return cleaned or None


def document_rule_check(facts: DocumentFacts, policy: Policy, today: date) -> CheckResult:
    """Expiry, minimum age, accepted document types and restricted jurisdictions.

    Facts from an MRZ whose check digits failed are not trusted for a decline: the check
    is then inconclusive with ``mrz_check_failed`` (a retry), and the rules that would
    have applied are listed in details.
    """
    docs = policy.documents
    codes: list[str] = []
    details: dict[str, Any] = {}

    fmt = facts.document_format
    doc_code = (facts.document_type or "").replace("<", "").strip().upper()
    if fmt is None or not doc_code:
        codes.append("document_data_incomplete")
        details["missing"] = [n for n, v in (("format", fmt), ("type", doc_code)) if not v]
    elif fmt not in docs.accepted_formats or doc_code[0] not in docs.accepted_type_codes:
        codes.append("document_unsupported")
    details["document_format"] = fmt
    details["document_type"] = facts.document_type

    if facts.expiry_date is None:
        if "document_data_incomplete" not in codes:
            codes.append("document_data_incomplete")
        details.setdefault("missing", []).append("expiry_date")
    else:
        details["days_to_expiry"] = (facts.expiry_date - today).days
        if today > facts.expiry_date + timedelta(days=docs.expiry_grace_days):
            codes.append("document_expired")

    if facts.birth_date is None:
        if "document_data_incomplete" not in codes:
            codes.append("document_data_incomplete")
        details.setdefault("missing", []).append("birth_date")
    else:
        age = _age_on(facts.birth_date, today)
        details["age_years"] = age
        if age < docs.min_age_years:
            codes.append("underage")

    restricted = policy.jurisdictions.countries
    hits = sorted(
        {c for c in (_country(facts.issuing_country), _country(facts.nationality)) if c}
        & restricted
    )
    if hits:
        codes.append("restricted_jurisdiction")
        details["restricted"] = hits

    if not facts.mrz_valid:
        details["unverified_rule_codes"] = codes
        return CheckResult(
            kind="document_rules",
            outcome="inconclusive",
            reason_codes=("mrz_check_failed",),
            details=MappingProxyType(details),
        )
    if not codes:
        outcome: Outcome = "pass"
    elif codes == ["document_data_incomplete"]:
        outcome = "inconclusive"
    else:
        outcome = "fail"
    return CheckResult(
        kind="document_rules",
        outcome=outcome,
        reason_codes=tuple(codes),
        details=MappingProxyType(details),
    )


def _action_for(code: str, policy: Policy) -> Action | None:
    """What a reason code does under this policy; None = no effect."""
    if code == "document_expired":
        return "decline" if policy.documents.expiry_action == "decline" else "resubmit"
    if code == "restricted_jurisdiction":
        return policy.jurisdictions.action
    if code == "liveness_failed":
        return policy.liveness.on_failure
    if code == "liveness_not_checked":
        return "review" if policy.liveness.required else None
    return FIXED_ACTIONS.get(code, "review")  # unknown codes fail safe to a human


def _codes_of(check: CheckResult, policy: Policy) -> list[str]:
    """Reason codes a check contributes, with the policy's face bands re-applied."""
    codes: list[str] = [] if check.outcome == "pass" else list(check.reason_codes)
    if check.outcome != "pass" and not codes:
        codes.append("liveness_failed" if check.kind == "liveness" else "check_inconclusive")
    if check.kind == "face_match":
        distance = check.details.get("distance")
        model_id = check.details.get("template_model_id")
        bands = policy.face_bands_for(model_id) if isinstance(model_id, str) else None
        if isinstance(distance, int | float):
            if bands is None:
                # a distance nobody calibrated thresholds for cannot count as a match
                if "face_model_not_calibrated" not in codes:
                    codes.append("face_model_not_calibrated")
            elif not isinstance(distance, bool):
                band = bands.band(float(distance))
                if band == "review":
                    codes.append("face_match_uncertain")
                elif band == "mismatch":
                    codes.append("face_mismatch")
    ocr_confidence = check.details.get("ocr_confidence")
    if (
        isinstance(ocr_confidence, int | float)
        and not isinstance(ocr_confidence, bool)
        and float(ocr_confidence) < policy.ocr_min_confidence
    ):
        codes.append("ocr_low_confidence")
    return codes


def _dedupe(codes: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


def decide(inp: DecisionInput, policy: Policy) -> Decision:
    """Apply the policy to one attempt's checks (and its document facts) -> a Decision."""
    if not 0.0 <= inp.review_sample_draw <= 1.0:
        raise ValueError("review_sample_draw must be in [0, 1]")
    checks = list(inp.checks)
    if inp.document is not None:
        checks.append(document_rule_check(inp.document, policy, inp.today))
    else:
        checks.append(
            CheckResult(
                kind="document_rules",
                outcome="inconclusive",
                reason_codes=("check_not_run",),
                details=MappingProxyType({"missing": "document facts"}),
            )
        )

    required = set(policy.required_checks)
    if policy.liveness.required:
        required.add("liveness")
    present = {c.kind for c in checks}
    for kind in sorted(required - present):
        code = "liveness_not_checked" if kind == "liveness" else "check_not_run"
        checks.append(
            CheckResult(
                kind=kind,
                outcome="inconclusive",
                reason_codes=(code,),
                details=MappingProxyType({"missing": True}),
            )
        )

    contributed: list[str] = []
    for check in checks:
        contributed.extend(_codes_of(check, policy))

    by_action: dict[Action, list[str]] = {"decline": [], "resubmit": [], "review": []}
    reason_codes: list[str] = []
    for code in _dedupe(contributed):
        action = _action_for(code, policy)
        if action is None:
            continue
        by_action[action].append(code)
        reason_codes.append(code)

    status: Status
    if by_action["decline"]:
        status = "declined"
    elif by_action["resubmit"]:
        if inp.attempts_exhausted:
            status = "declined"
            reason_codes.append("attempts_exceeded")
        else:
            status = "resubmission_requested"
    elif by_action["review"]:
        status = "needs_review"
    elif inp.review_sample_draw < policy.review_sample_rate:
        status = "needs_review"
        reason_codes.append("review_sampled")
        by_action["review"].append("review_sampled")
    else:
        status = "approved"

    linked: list[str] = []
    for check in checks:
        accounts = check.details.get("linked_accounts")
        if check.kind == "duplicates" and isinstance(accounts, list | tuple):
            linked.extend(str(a) for a in accounts)

    # Most severe first, so the first reason explains the status.
    severity = {"decline": 0, "resubmit": 1, "review": 2}
    ordered = sorted(
        _dedupe(reason_codes),
        key=lambda c: severity.get(_action_for(c, policy) or "review", 3),
    )
    model_versions = {c.kind: c.model_version for c in checks if c.model_version}
    return Decision(
        status=status,
        reason_codes=tuple(ordered),
        escalations=_dedupe(by_action["review"]),
        policy_version=policy.version,
        model_versions=MappingProxyType(model_versions),
        checks=tuple(checks),
        linked_accounts=_dedupe(linked),
    )
