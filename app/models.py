"""Imports every model so that ``Base.metadata`` is complete (Alembic, tests)."""

from app.accounts.models import AccessChange, Account
from app.core.db import Base
from app.core.models import ApiKey, AuditEvent, IdempotencyRecord
from app.organisations.models import (
    AccountOrganisation,
    ControlEdge,
    OwnershipEdge,
    Party,
    PartyVerdict,
    PersonScreening,
    ScreeningDismissal,
)
from app.reviews.models import ReviewCase, Reviewer
from app.verifications.models import (
    Artifact,
    Attempt,
    CheckRecord,
    DecisionRecord,
    DocumentFingerprint,
    FaceTemplate,
    LivenessChallenge,
    Verification,
)
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

__all__ = [
    "AccessChange",
    "Account",
    "AccountOrganisation",
    "ApiKey",
    "Artifact",
    "Attempt",
    "AuditEvent",
    "Base",
    "CheckRecord",
    "ControlEdge",
    "DecisionRecord",
    "DocumentFingerprint",
    "FaceTemplate",
    "IdempotencyRecord",
    "LivenessChallenge",
    "OwnershipEdge",
    "Party",
    "PartyVerdict",
    "PersonScreening",
    "ReviewCase",
    "Reviewer",
    "ScreeningDismissal",
    "Verification",
    "WebhookDelivery",
    "WebhookEndpoint",
]
