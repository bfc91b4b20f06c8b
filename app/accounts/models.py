"""Platform accounts and the history of their API access."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.types import UTCDateTime, created_column, id_column, utcnow

ALLOWED = "allowed"
BLOCKED = "blocked"


class Account(Base):
    """An account on the platform, known by the platform's own id."""

    __tablename__ = "accounts"

    id: Mapped[str] = id_column("acc")
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    access: Mapped[str] = mapped_column(String(16), default=ALLOWED)
    access_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    open_verification_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AccessChange(Base):
    """One change of an account's access, with who caused it and why."""

    __tablename__ = "access_changes"

    id: Mapped[str] = id_column("acx")
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    from_access: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_access: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200))
    actor_type: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    verification_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    created_at: Mapped[datetime] = created_column()
