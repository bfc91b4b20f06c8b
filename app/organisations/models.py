"""Organisations, persons, ownership and control edges, verdicts and dismissed hits."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base
from app.core.types import UTCDateTime, created_column, id_column, utcnow

ORGANISATION = "organisation"
PERSON = "person"


class Party(Base):
    """An organisation or a person of the ownership graph, known by the platform's id."""

    __tablename__ = "parties"

    id: Mapped[str] = id_column("pty")
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # organisation | person
    name: Mapped[str] = mapped_column(String(500))  # as registered, in the original script
    name_latin: Mapped[str | None] = mapped_column(String(500), nullable=True)
    registry_id: Mapped[str | None] = mapped_column(String(200), nullable=True)
    jurisdiction: Mapped[str | None] = mapped_column(String(8), nullable=True)
    birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    nationality: Mapped[str | None] = mapped_column(String(8), nullable=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class OwnershipEdge(Base):
    """``owner`` holds between ``min_pct`` and ``max_pct`` of ``asset`` (NULL: unknown)."""

    __tablename__ = "ownership_edges"

    id: Mapped[str] = id_column("own")
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    owner_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    asset_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    min_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_pct: Mapped[float | None] = mapped_column(Float, nullable=True)
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = created_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ControlEdge(Base):
    """Control without (or beside) ownership: a director, a board appointment, ..."""

    __tablename__ = "control_edges"

    id: Mapped[str] = id_column("ctl")
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    controller_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    entity_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    role: Mapped[str] = mapped_column(String(80))
    start_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    end_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = created_column()


class AccountOrganisation(Base):
    """The organisation an account belongs to (at most one)."""

    __tablename__ = "account_organisations"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), index=True)
    created_at: Mapped[datetime] = created_column()


class PartyVerdict(Base):
    """The latest restriction verdict of a party, with its explanation and list versions."""

    __tablename__ = "party_verdicts"

    party_id: Mapped[str] = mapped_column(ForeignKey("parties.id"), primary_key=True)
    regime: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # restricted | review | clear
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    explanation: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    hits: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    list_versions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ScreeningDismissal(Base):
    """A reviewer's decision that a list entry is not this subject: it does not fire again."""

    __tablename__ = "screening_dismissals"
    __table_args__ = (
        Index("uq_screening_dismissals_subject_entry", "subject", "list", "entry_id", unique=True),
    )

    id: Mapped[str] = id_column("dis")
    subject: Mapped[str] = mapped_column(String(200))  # "party:<id>" or "account:<id>"
    list: Mapped[str] = mapped_column(String(80))
    entry_id: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    dismissed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = created_column()


class PersonScreening(Base):
    """The latest watchlist screening of an account's verified person (MRZ name and birth
    date of the latest approved verification), with the list versions it used."""

    __tablename__ = "person_screenings"

    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), primary_key=True)
    verification_id: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(500))
    birth_date: Mapped[str | None] = mapped_column(String(10), nullable=True)
    hits: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    list_versions: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
