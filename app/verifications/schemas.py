"""Request and response bodies of the verification and account endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, model_serializer


class FlagRequest(BaseModel):
    reason: str = Field("flagged_for_abuse", max_length=200, examples=["multi_account_abuse"])


class VerificationLink(BaseModel):
    id: str
    status: str
    url: str = Field(description="Send this link to the user; it carries the client secret.")
    client_secret: str
    short_code: str
    expires_at: datetime


class AccessOut(BaseModel):
    account_id: str
    access: str = Field(examples=["blocked"])
    reason: str | None
    verification_id: str | None
    # organisations: every reason that applies, the organisation's verdict, person screening
    reasons: list[str] = Field(default_factory=list)
    organisation: dict[str, Any] | None = None
    screening: dict[str, Any] | None = None

    @model_serializer(mode="wrap")
    def _only_what_applies(self, handler: Any) -> dict[str, Any]:
        """The organisation fields appear only for accounts they apply to."""
        data = handler(self)
        for key in ("reasons", "organisation", "screening"):
            if not data.get(key):
                data.pop(key, None)
        return data


class FlagResponse(BaseModel):
    account: AccessOut
    verification: VerificationLink


class CreateVerificationRequest(BaseModel):
    account_id: str = Field(description="The platform's own account id.", max_length=200)


class CheckOut(BaseModel):
    kind: str
    outcome: str
    score: float | None
    reason_codes: list[str]
    model_version: str | None
    details: dict[str, Any]


class DecisionOut(BaseModel):
    status: str
    reason_codes: list[str]
    escalations: list[str]
    policy_version: str | None
    model_versions: dict[str, str]
    decided_by: str
    note: str | None
    created_at: datetime


class VerificationOut(BaseModel):
    id: str
    account_id: str
    status: str
    reason_codes: list[str]
    messages: dict[str, str]
    attempts: int
    created_at: datetime
    expires_at: datetime
    decided_at: datetime | None
    redacted: bool
    checks: list[CheckOut] = []
    decision: DecisionOut | None = None


class VerificationList(BaseModel):
    data: list[VerificationOut]
    next_cursor: str | None


class ChallengeOut(BaseModel):
    challenge_id: str
    nonce: str
    actions: list[str]
    expires_at: datetime
    prompts: dict[str, str]


class CaptureQuality(BaseModel):
    """The immediate verdict on a document photo: retake at once when ``ok`` is false."""

    ok: bool
    reason_codes: list[str]
    messages: dict[str, str]
    mrz_found: bool


class UploadOut(BaseModel):
    artifact_ids: list[str]
    kind: str
    status: str
    quality: CaptureQuality | None = None


class SessionStatus(BaseModel):
    id: str
    status: str
    reason_codes: list[str]
    messages: dict[str, str]
    next_step: str
    has_document: bool
    has_selfie: bool
    attempts: int
