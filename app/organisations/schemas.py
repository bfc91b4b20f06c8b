"""Request and response bodies of the organisations API."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, Field, model_validator


class OrganisationIn(BaseModel):
    name: str = Field(min_length=1, max_length=500, description="As registered, any script")
    name_latin: str | None = Field(None, max_length=500)
    registry_id: str | None = Field(None, max_length=200)
    jurisdiction: str | None = Field(
        None,
        min_length=2,
        max_length=3,
        pattern="^[A-Za-z]{2,3}$",
        description="ISO 3166 alpha-3 (ICAO) code, as in the policy's restricted_jurisdictions",
    )


class PersonIn(BaseModel):
    name: str = Field(min_length=1, max_length=500)
    name_latin: str | None = Field(None, max_length=500)
    birth_date: str | None = Field(None, pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")
    nationality: str | None = Field(None, pattern="^[A-Za-z]{2,3}$")


class OwnershipIn(BaseModel):
    owner_id: str = Field(description="The owner's id (an organisation or a person)")
    asset_id: str = Field(description="The owned organisation's id")
    percentage: float | None = Field(None, ge=0, le=100, description="Exact, when known")
    min_pct: float | None = Field(None, ge=0, le=100, description="Range lower bound")
    max_pct: float | None = Field(None, ge=0, le=100, description="Range upper bound")
    start_date: date | None = None
    end_date: date | None = None
    source: str | None = Field(None, max_length=200)

    @model_validator(mode="after")
    def _one_form(self) -> OwnershipIn:
        if self.percentage is not None and (self.min_pct is not None or self.max_pct is not None):
            raise ValueError("give percentage or min_pct/max_pct, not both")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self


class ControlIn(BaseModel):
    controller_id: str
    entity_id: str
    role: str = Field("director", max_length=80, examples=["director", "board_appointment"])
    start_date: date | None = None
    end_date: date | None = None
    source: str | None = Field(None, max_length=200)


class LinkIn(BaseModel):
    organisation_id: str


class DismissIn(BaseModel):
    subject: str = Field(
        description="`organisation:<id>`, `person:<id>` (a party) or `account:<id>` (the "
        "verified person of an account)"
    )
    list: str
    entry_id: str
    reason: str = Field(min_length=3, max_length=2000)


class PartyOut(BaseModel):
    id: str
    kind: str
    name: str
    name_latin: str | None
    registry_id: str | None
    jurisdiction: str | None
    verdict: dict[str, Any] | None = None
