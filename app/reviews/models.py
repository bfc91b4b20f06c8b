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
