"""Verifications, their attempts, uploaded artifacts, check results and decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.types import UTCDateTime, created_column, id_column, utcnow

# Verification statuses (DESIGN §3).
CREATED = "created"
AWAITING_INPUT = "awaiting_input"
PROCESSING = "processing"
APPROVED = "approved"
DECLINED = "declined"
RESUBMISSION_REQUESTED = "resubmission_requested"
NEEDS_REVIEW = "needs_review"
EXPIRED = "expired"
CANCELED = "canceled"

TERMINAL_STATUSES = frozenset({APPROVED, DECLINED, EXPIRED, CANCELED})
INPUT_STATUSES = frozenset({CREATED, AWAITING_INPUT, RESUBMISSION_REQUESTED})


class Verification(Base):
    """One identity verification session for an account."""

    __tablename__ = "verifications"

    id: Mapped[str] = id_column("ver")
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    status: Mapped[str] = mapped_column(String(32), default=CREATED, index=True)
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    short_code: Mapped[str] = mapped_column(String(16), unique=True)
    reason_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    current_attempt_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    redacted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class Attempt(Base):
    """One submission of a document and a selfie; has its own check results."""

    __tablename__ = "attempts"
    __table_args__ = (
        Index("uq_attempts_verification_number", "verification_id", "number", unique=True),
    )

    id: Mapped[str] = id_column("att")
    verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    # collecting -> processing -> decided (or abandoned when a new attempt starts)
    state: Mapped[str] = mapped_column(String(16), default="collecting")
    stage: Mapped[str | None] = mapped_column(String(32), nullable=True)
    created_at: Mapped[datetime] = created_column()
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    processing_heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    enqueue_count: Mapped[int] = mapped_column(Integer, default=0)


class Artifact(Base):
    """Metadata of an uploaded or derived image; the bytes live encrypted in blob storage."""

    __tablename__ = "artifacts"

    id: Mapped[str] = id_column("art")
    verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"), index=True)
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    # document_front | document_back | selfie | selfie_frame | selfie_video | portrait
    kind: Mapped[str] = mapped_column(String(32))
    media_type: Mapped[str] = mapped_column(String(64))
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    frame_index: Mapped[int | None] = mapped_column(Integer, nullable=True)
    captured_at_s: Mapped[float | None] = mapped_column(Float, nullable=True)
    storage_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = created_column()
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class CheckRecord(Base):
    """The result of one check of one attempt (quality, mrz, liveness, face_match, ...)."""

    __tablename__ = "check_results"
    __table_args__ = (Index("uq_check_results_attempt_kind", "attempt_id", "kind", unique=True),)

    id: Mapped[str] = id_column("chk")
    attempt_id: Mapped[str] = mapped_column(ForeignKey("attempts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    outcome: Mapped[str] = mapped_column(String(16))  # pass | fail | inconclusive
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_version: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = created_column()


class DecisionRecord(Base):
    """A decision on a verification: automated (policy) or by a reviewer."""

    __tablename__ = "decisions"

    id: Mapped[str] = id_column("dec")
    verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"), index=True)
    attempt_id: Mapped[str | None] = mapped_column(ForeignKey("attempts.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(32))
    reason_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    escalations: Mapped[list[str]] = mapped_column(JSON, default=list)
    policy_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    model_versions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    decided_by_type: Mapped[str] = mapped_column(String(20))  # system | reviewer
    decided_by_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = created_column()


class LivenessChallenge(Base):
    """A single-use liveness challenge: the actions to perform and a nonce (hashed)."""

    __tablename__ = "liveness_challenges"

    id: Mapped[str] = id_column("chl")
    verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"), index=True)
    nonce_hash: Mapped[str] = mapped_column(String(64), unique=True)
    actions: Mapped[list[str]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = created_column()
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    attempt_id: Mapped[str | None] = mapped_column(String(40), nullable=True)


class FaceTemplate(Base):
    """A face encoding kept for duplicate search; encrypted at rest, deleted on redaction."""

    __tablename__ = "face_templates"

    id: Mapped[str] = id_column("fce")
    verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # selfie | portrait
    encrypted_encoding: Mapped[bytes] = mapped_column(LargeBinary)
    model_version: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = created_column()


class DocumentFingerprint(Base):
    """A keyed HMAC of issuing country + document number; never the plain number."""

    __tablename__ = "document_fingerprints"

    id: Mapped[str] = id_column("dfp")
    verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"), index=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = created_column()
