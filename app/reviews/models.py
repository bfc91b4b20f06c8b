"""Reviewers and the cases escalated to them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.types import UTCDateTime, created_column, id_column


class Reviewer(Base):
    """A console user; the password is stored as an argon2 hash."""

    __tablename__ = "reviewers"

    id: Mapped[str] = id_column("rev")
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16), default="reviewer")  # reviewer | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = created_column()


class ReviewCase(Base):
    """A verification waiting for a human decision."""

    __tablename__ = "review_cases"

    id: Mapped[str] = id_column("case")
    verification_id: Mapped[str] = mapped_column(ForeignKey("verifications.id"), index=True)
    attempt_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open|closed
    escalations: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee_id: Mapped[str | None] = mapped_column(ForeignKey("reviewers.id"), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = created_column()
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ReviewerSession(Base):
    """A console login. The cookie holds a random token; only its SHA-256 is stored.

    A session ends at logout, when the reviewer's password changes or the reviewer is
    deactivated (``revoked_at``), after idle time (``last_seen_at``) or at ``expires_at``.
    """

    __tablename__ = "reviewer_sessions"

    id: Mapped[str] = id_column("rses")
    reviewer_id: Mapped[str] = mapped_column(ForeignKey("reviewers.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = created_column()
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
