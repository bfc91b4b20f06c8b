"""Ownership data from FollowTheMoney entities and BODS 0.4 statements: parties, holdings and
control edges for the restriction engine.

FollowTheMoney: ``Company``/``Organization``/``LegalEntity``/``PublicBody``/``Person`` are
parties, ``Ownership`` (owner, asset, percentage, startDate, endDate) is a holding and
``Directorship`` (director, organization, role) a control edge.

BODS 0.4: entity and person statements are parties; a relationship statement's *direct*
interests become edges (indirect ones are derived from the direct ones and would count twice):
``shareholding`` (or ``votingRights`` when there is no shareholding) is a holding with its
``share`` (exact, or minimum/maximum with exclusive bounds), any other interest type (board
appointment, senior managing official, ...) a control edge, and an interest of unknown type a
holding of unknown percentage, which goes to review.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from app.screening.lists import ListFormatError, parse_ftm_entities
from app.screening.ownership import EXCLUSIVE_NUDGE_PCT, Control, Holding


@dataclass(frozen=True)
class Party:
    """An organisation or person named in ownership data."""

    id: str
    kind: str  # "organisation" | "person"
    name: str
    jurisdiction: str | None = None
    registry_id: str | None = None
    birth_date: str | None = None
    nationality: str | None = None


@dataclass(frozen=True)
class OwnershipData:
    parties: tuple[Party, ...]
    holdings: tuple[Holding, ...]
    controls: tuple[Control, ...]
    format: str


def _date(value: Any) -> date | None:
    if not value:
        return None
    text = str(value)[:10]
    try:
        if len(text) == 4:
            return date(int(text), 1, 1)
        if len(text) == 7:
            return date(int(text[:4]), int(text[5:7]), 1)
        return date.fromisoformat(text)
    except ValueError:
        return None


def _percent(value: Any) -> float | None:
    if value is None:
        return None
    match = re.search(r"\d+(?:\.\d+)?", str(value))
    if not match:
        return None
    pct = float(match.group(0))
    return pct if 0.0 <= pct <= 100.0 else None


# --- FollowTheMoney -----------------------------------------------------------------------

_FTM_PARTIES = {
    "Company": "organisation",
    "Organization": "organisation",
    "LegalEntity": "organisation",
    "PublicBody": "organisation",
    "Person": "person",
}


def _first(props: dict[str, Any], key: str) -> str | None:
    value = props.get(key)
    if isinstance(value, list):
        return str(value[0]) if value else None
    return None if value is None else str(value)


def parse_ftm_ownership(data: bytes) -> OwnershipData:
    """Parties, holdings and directorships from FollowTheMoney JSON lines."""
    parties, holdings, controls = [], [], []
    for item in parse_ftm_entities(data):
        schema = str(item["schema"])
        props = item.get("properties") or {}
        if not isinstance(props, dict):
            raise ListFormatError(f"entity {item.get('id')}: properties must be an object")
        entity_id = str(item.get("id") or "")
        if schema in _FTM_PARTIES:
            parties.append(
                Party(
                    entity_id,
                    _FTM_PARTIES[schema],
                    _first(props, "name") or entity_id,
                    _first(props, "jurisdiction") or _first(props, "country"),
                    _first(props, "registrationNumber"),
                    _first(props, "birthDate"),
                    _first(props, "nationality"),
                )
            )
        elif schema == "Ownership":
            owner, asset = _first(props, "owner"), _first(props, "asset")
            if owner and asset:
                pct = _percent(_first(props, "percentage"))
                holdings.append(
                    Holding(
                        entity_id,
                        owner,
                        asset,
                        pct,
                        pct,
                        _date(_first(props, "startDate")),
                        _date(_first(props, "endDate")),
                        "ftm",
                    )
                )
        elif schema == "Directorship":
            director, org = _first(props, "director"), _first(props, "organization")
            if director and org:
                controls.append(
                    Control(
                        entity_id,
                        director,
                        org,
                        _first(props, "role") or "director",
                        _date(_first(props, "startDate")),
                        _date(_first(props, "endDate")),
                        "ftm",
                    )
                )
    return OwnershipData(tuple(parties), tuple(holdings), tuple(controls), "ftm")


# --- BODS 0.4 ---------------------------------------------------------------------------

_OWNERSHIP_INTERESTS = ("shareholding", "votingRights")


def _share_bounds(share: dict[str, Any] | None) -> tuple[float | None, float | None]:
    if not share:
        return None, None
    if share.get("exact") is not None:
        exact = float(share["exact"])
        return exact, exact
    low: float | None = None
    high: float | None = None
    if share.get("minimum") is not None:
        low = float(share["minimum"])
    elif share.get("exclusiveMinimum") is not None:
        low = min(100.0, float(share["exclusiveMinimum"]) + EXCLUSIVE_NUDGE_PCT)
    if share.get("maximum") is not None:
        high = float(share["maximum"])
    elif share.get("exclusiveMaximum") is not None:
        high = max(0.0, float(share["exclusiveMaximum"]) - EXCLUSIVE_NUDGE_PCT)
    return low, high


def parse_bods(data: bytes) -> OwnershipData:
    """Parties, holdings and control edges from BODS 0.4 statements (a JSON array or JSON
    lines)."""
    text = data.decode("utf-8").strip()
    try:
        statements = (
            json.loads(text)
            if text.startswith("[")
            else [json.loads(line) for line in text.splitlines() if line.strip()]
        )
    except json.JSONDecodeError as exc:
        raise ListFormatError(f"not BODS JSON: {exc}") from exc
    parties: list[Party] = []
    holdings: list[Holding] = []
    controls: list[Control] = []
    for st in statements:
        if not isinstance(st, dict) or "recordType" not in st:
            raise ListFormatError("BODS statements need a recordType")
        details = st.get("recordDetails") or {}
        record_id = str(st.get("recordId") or st.get("statementId"))
        kind = st["recordType"]
        if kind == "entity":
            ids = details.get("identifiers") or [{}]
            parties.append(
                Party(
                    record_id,
                    "organisation",
                    details.get("name") or record_id,
                    (details.get("jurisdiction") or {}).get("code")
                    or (details.get("incorporatedInJurisdiction") or {}).get("code"),
                    ids[0].get("id"),
                )
            )
        elif kind == "person":
            names = details.get("names") or [{}]
            nationalities = details.get("nationalities") or [{}]
            parties.append(
                Party(
                    record_id,
                    "person",
                    names[0].get("fullName") or record_id,
                    None,
                    None,
                    details.get("birthDate"),
                    nationalities[0].get("code"),
                )
            )
        elif kind == "relationship":
            holdings_, controls_ = _relationship_edges(record_id, details)
            holdings.extend(holdings_)
            controls.extend(controls_)
    return OwnershipData(tuple(parties), tuple(holdings), tuple(controls), "bods")


def _relationship_edges(
    record_id: str, details: dict[str, Any]
) -> tuple[list[Holding], list[Control]]:
    subject = details.get("subject")
    party = details.get("interestedParty")
    if not isinstance(subject, str) or not isinstance(party, str):
        return [], []  # an unspecified party cannot be restricted by name
    direct = [
        i
        for i in details.get("interests") or [{}]
        if i.get("directOrIndirect", "unknown") in ("direct", "unknown")
    ]
    holdings: list[Holding] = []
    controls: list[Control] = []
    by_type = {i.get("type"): i for i in direct}
    ownership = by_type.get("shareholding") or by_type.get("votingRights")
    for n, interest in enumerate(direct):
        itype = interest.get("type")
        start, end = _date(interest.get("startDate")), _date(interest.get("endDate"))
        if interest is ownership or itype is None:
            if itype is None and ownership is not None:
                continue
            low, high = _share_bounds(interest.get("share"))
            holdings.append(
                Holding(f"{record_id}#{n}", party, subject, low, high, start, end, "bods")
            )
        elif itype not in _OWNERSHIP_INTERESTS:
            controls.append(
                Control(f"{record_id}#{n}", party, subject, str(itype), start, end, "bods")
            )
    return holdings, controls


def parse_ownership(data: bytes) -> OwnershipData:
    """FollowTheMoney or BODS, told apart by their first statement."""
    text = data.decode("utf-8", errors="replace").lstrip()
    first = text[1:].lstrip() if text.startswith("[") else text
    if '"recordType"' in first[:4000] or '"statementId"' in first[:4000]:
        return parse_bods(data)
    if '"schema"' in first[:4000]:
        return parse_ftm_ownership(data)
    raise ListFormatError("neither FollowTheMoney entities nor BODS statements")
