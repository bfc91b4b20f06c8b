"""Organisations and their standing: the stored graph in, verdicts and access out.

``recompute()`` builds the restriction engine's graph from the database, seeds it with the
parties that match a loaded list (not dismissed by a reviewer) or belong to a restricted
jurisdiction of the policy, stores each party's verdict with its explanation and the list
versions it used, and emits ``account.access_changed`` for linked accounts whose effective
access changed. ``effective_access()`` combines an account's verification-driven access with
its organisation's verdict and a watchlist screening of the verified person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import ALLOWED, BLOCKED, Account
from app.core.audit import SYSTEM, Actor, record
from app.core.config import get_settings
from app.core.errors import ApiError, not_found
from app.core.types import utcnow
from app.organisations import liststore
from app.organisations.models import (
    ORGANISATION,
    PERSON,
    AccountOrganisation,
    ControlEdge,
    OwnershipEdge,
    Party,
    PartyVerdict,
    PersonScreening,
    ScreeningDismissal,
)
from app.screening.ownership import REGIMES, Control, Holding, OwnershipGraph, Seed
from app.screening.screen import Hit, Query
from app.webhooks.service import emit_event

# What an organisation's standing does to an account's access, and the reason shown.
ORGANISATION_REASONS = {
    "owned_by_restricted": "organisation_restricted",
    "listed": "organisation_restricted",
    "ownership_unknown": "ownership_unknown",
    "controlled_by_restricted": "organisation_controlled",
    "minority_stake_by_restricted": "organisation_controlled",
}


def _regime() -> str:
    regime = get_settings().ownership_regime
    if regime not in REGIMES:
        raise ValueError(f"IDGATE_OWNERSHIP_REGIME must be one of {sorted(REGIMES)}")
    return regime


def _restricted_countries() -> frozenset[str]:
    from app.policy_runtime import get_policy

    return get_policy().jurisdictions.countries


# --- parties and edges ------------------------------------------------------------------


def get_party(session: Session, external_id: str) -> Party | None:
    return session.scalar(select(Party).where(Party.external_id == external_id))


def require_party(session: Session, external_id: str) -> Party:
    party = get_party(session, external_id)
    if party is None:
        raise not_found(f"party {external_id}")
    return party


def upsert_party(
    session: Session, kind: str, external_id: str, fields: dict[str, Any], actor: Actor
) -> Party:
    """Create or update an organisation or a person."""
    party = get_party(session, external_id)
    if party is not None and party.kind != kind:
        raise ApiError(409, "invalid_state", f"{external_id} is a {party.kind}, not a {kind}")
    if party is None:
        party = Party(external_id=external_id, kind=kind, name=fields["name"])
        session.add(party)
    for key, value in fields.items():
        setattr(party, key, value)
    session.flush()
    record(session, actor, f"{kind}.upserted", "party", party.id, external_id=external_id)
    return party


def upsert_ownership(
    session: Session, external_id: str, body: dict[str, Any], actor: Actor
) -> OwnershipEdge:
    """Create or update an ownership edge; percentages are validated by the engine's rules."""
    owner = require_party(session, body["owner_id"])
    asset = require_party(session, body["asset_id"])
    if owner.id == asset.id:
        raise ApiError(422, "validation_error", "an entity cannot own itself")
    if asset.kind != ORGANISATION:
        raise ApiError(422, "validation_error", "only organisations can be owned")
    low, high = body.get("min_pct"), body.get("max_pct")
    if body.get("percentage") is not None:
        low = high = body["percentage"]
    try:
        Holding(external_id, owner.id, asset.id, low, high)
    except ValueError as exc:
        raise ApiError(422, "validation_error", str(exc)) from exc
    edge = session.scalar(select(OwnershipEdge).where(OwnershipEdge.external_id == external_id))
    if edge is None:
        edge = OwnershipEdge(external_id=external_id, owner_id=owner.id, asset_id=asset.id)
        session.add(edge)
    edge.owner_id, edge.asset_id = owner.id, asset.id
    edge.min_pct, edge.max_pct = low, high
    edge.start_date, edge.end_date = body.get("start_date"), body.get("end_date")
    edge.source = body.get("source")
    session.flush()
    record(session, actor, "ownership.upserted", "ownership_edge", edge.id, external_id=external_id)
    return edge


def delete_ownership(session: Session, external_id: str, actor: Actor) -> None:
    edge = session.scalar(select(OwnershipEdge).where(OwnershipEdge.external_id == external_id))
    if edge is None:
        raise not_found(f"ownership {external_id}")
    session.delete(edge)
    session.flush()
    record(session, actor, "ownership.deleted", "ownership_edge", edge.id, external_id=external_id)


def upsert_control(
    session: Session, external_id: str, body: dict[str, Any], actor: Actor
) -> ControlEdge:
    controller = require_party(session, body["controller_id"])
    entity = require_party(session, body["entity_id"])
    if entity.kind != ORGANISATION:
        raise ApiError(422, "validation_error", "only organisations can be controlled")
    edge = session.scalar(select(ControlEdge).where(ControlEdge.external_id == external_id))
    if edge is None:
        edge = ControlEdge(
            external_id=external_id, controller_id=controller.id, entity_id=entity.id, role=""
        )
        session.add(edge)
    edge.controller_id, edge.entity_id = controller.id, entity.id
    edge.role = body.get("role") or "director"
    edge.start_date, edge.end_date = body.get("start_date"), body.get("end_date")
    edge.source = body.get("source")
    session.flush()
    record(session, actor, "control.upserted", "control_edge", edge.id, external_id=external_id)
    return edge


def link_account(session: Session, account: Account, party: Party, actor: Actor) -> None:
    if party.kind != ORGANISATION:
        raise ApiError(422, "validation_error", "an account belongs to an organisation")
    link = session.get(AccountOrganisation, account.id)
    if link is None:
        session.add(AccountOrganisation(account_id=account.id, party_id=party.id))
    else:
        link.party_id = party.id
    session.flush()
    record(session, actor, "account.organisation_linked", "account", account.id, party=party.id)


def dismiss_hit(
    session: Session, subject: str, list_name: str, entry_id: str, reason: str, actor: Actor
) -> ScreeningDismissal:
    """Record that a list entry is not this subject, so that the pair does not fire again."""
    existing = session.scalar(
        select(ScreeningDismissal).where(
            ScreeningDismissal.subject == subject,
            ScreeningDismissal.list == list_name,
            ScreeningDismissal.entry_id == entry_id,
        )
    )
    if existing is not None:
        return existing
    row = ScreeningDismissal(
        subject=subject, list=list_name, entry_id=entry_id, reason=reason, dismissed_by=actor.id
    )
    session.add(row)
    session.flush()
    record(session, actor, "screening.hit_dismissed", "screening", subject, entry=entry_id)
    return row


def _dismissed(session: Session, subject: str) -> set[tuple[str, str]]:
    rows = session.scalars(select(ScreeningDismissal).where(ScreeningDismissal.subject == subject))
    return {(r.list, r.entry_id) for r in rows}


# --- screening and the verdicts ------------------------------------------------------------


def _screen_party(session: Session, party: Party, screener: Any) -> list[Hit]:
    dismissed = _dismissed(session, f"party:{party.id}")
    kind = "person" if party.kind == PERSON else "organisation"
    hits: dict[tuple[str, str], Hit] = {}
    for name in dict.fromkeys(n for n in (party.name, party.name_latin) if n):
        query = Query(name, kind, party.birth_date)  # type: ignore[arg-type]
        for hit in screener.screen(query, dismissed=dismissed):
            if hit.match and (hit.list, hit.entry_id) not in hits:
                hits[(hit.list, hit.entry_id)] = hit
    return list(hits.values())


@dataclass
class RecomputeResult:
    verdicts: dict[str, PartyVerdict] = field(default_factory=dict)
    changed_accounts: list[str] = field(default_factory=list)


def recompute(
    session: Session,
    actor: Actor,
    as_of: date | None = None,
    rescreen: set[str] | None = None,
) -> RecomputeResult:
    """Recompute every party's verdict from the stored graph and the loaded lists.

    A party is screened again only when it changed since its last verdict, the lists changed,
    or it is in ``rescreen`` (after a dismissal); otherwise its stored hits are reused.
    """
    accounts_before = _linked_effective(session)
    screener, versions = liststore.load_screener(get_settings().data_dir)
    countries = _restricted_countries()
    parties = list(session.scalars(select(Party)))
    stored = {v.party_id: v for v in session.scalars(select(PartyVerdict))}
    seeds: list[Seed] = []
    party_hits: dict[str, list[dict[str, Any]]] = {}
    for party in parties:
        previous = stored.get(party.id)
        if (
            previous is not None
            and previous.list_versions == versions
            and party.updated_at <= previous.computed_at
            and party.id not in (rescreen or set())
        ):
            hits = list(previous.hits or [])
        else:
            hits = [h.to_json() for h in _screen_party(session, party, screener)]
        party_hits[party.id] = hits
        seeds.extend(Seed(party.id, f"listed:{h['list']}:{h['entry_id']}") for h in hits)
        if party.jurisdiction and party.jurisdiction.upper() in countries:
            seeds.append(Seed(party.id, f"jurisdiction:{party.jurisdiction.upper()}"))
    holdings = [
        Holding(e.id, e.owner_id, e.asset_id, e.min_pct, e.max_pct, e.start_date, e.end_date)
        for e in session.scalars(select(OwnershipEdge))
    ]
    controls = [
        Control(e.id, e.controller_id, e.entity_id, e.role, e.start_date, e.end_date)
        for e in session.scalars(select(ControlEdge))
    ]
    regime = _regime()
    graph = OwnershipGraph(holdings, controls, seeds, regime=regime, as_of=as_of)
    result = RecomputeResult()
    by_id = {p.id: p for p in parties}
    external = {p.id: p.external_id for p in parties}
    external.update({e.id: e.external_id for e in session.scalars(select(OwnershipEdge))})
    external.update({e.id: e.external_id for e in session.scalars(select(ControlEdge))})
    for party in parties:
        verdict = graph.verdict(party.id)
        row = session.get(PartyVerdict, party.id) or PartyVerdict(party_id=party.id)
        row.regime = regime
        row.status = verdict.status
        row.reasons = list(verdict.reasons)
        row.explanation = _external_ids(verdict.to_json(), external)
        row.hits = party_hits[party.id]
        row.list_versions = dict(versions)
        row.computed_at = utcnow()
        session.add(row)
        result.verdicts[by_id[party.id].external_id] = row
    session.flush()
    # verified persons screened with older lists are screened again
    for row in list(session.scalars(select(PersonScreening))):
        if row.list_versions != versions:
            person_account = session.get(Account, row.account_id)
            if person_account is not None:
                screen_person(session, person_account, announce=False)  # announced below
    accounts_after = _linked_effective(session)
    for account_id, after in accounts_after.items():
        before = accounts_before.get(account_id)
        if before is None or before[0] != after[0]:
            account = session.get(Account, account_id)
            assert account is not None
            emit_event(
                session,
                "account.access_changed",
                {
                    "account_id": account.external_id,
                    "access": after[0],
                    "previous_access": before[0] if before else account.access,
                    "reason": after[1],
                    "verification_id": account.open_verification_id,
                },
            )
            record(
                session, actor, "account.access_changed", "account", account_id,
                to_access=after[0], reason=after[1], cause="organisation_verdict",
            )  # fmt: skip
            result.changed_accounts.append(account.external_id)
    return result


def _external_ids(data: Any, external: dict[str, str]) -> Any:
    """The explanation with internal ids replaced by the platform's own ids."""
    if isinstance(data, dict):
        return {
            k: (
                external.get(v, v)
                if isinstance(v, str) and k in ("entity_id", "owner", "asset", "holding_id")
                else _external_ids(v, external)
            )
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [
            external.get(x, x) if isinstance(x, str) else _external_ids(x, external) for x in data
        ]
    return data


def _linked_effective(session: Session) -> dict[str, tuple[str, str | None]]:
    """Effective access of the accounts an organisation verdict or a stored person screening
    bears on (stored results only: nothing is screened here)."""
    out = {}
    ids = set(session.scalars(select(AccountOrganisation.account_id)))
    ids |= set(session.scalars(select(PersonScreening.account_id)))
    for account_id in sorted(ids):
        account = session.get(Account, account_id)
        if account is not None:
            view = effective_access(session, account, include_person=False)
            out[account.id] = (view.access, view.reason)
    return out


# --- the access check ------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveAccess:
    access: str
    reason: str | None
    reasons: tuple[str, ...]
    organisation: dict[str, Any] | None
    screening: dict[str, Any] | None


def organisation_view(session: Session, party: Party) -> dict[str, Any]:
    verdict = session.get(PartyVerdict, party.id)
    return {
        "id": party.external_id,
        "name": party.name,
        "status": verdict.status if verdict else "unknown",
        "reasons": list(verdict.reasons) if verdict else ["not_computed"],
        "explanation": verdict.explanation if verdict else {},
        "hits": verdict.hits if verdict else [],
        "list_versions": verdict.list_versions if verdict else {},
        "computed_at": verdict.computed_at.isoformat() if verdict else None,
    }


def _person_facts(session: Session, account: Account) -> dict[str, Any] | None:
    """MRZ name, birth date and nationality of the account's latest approved verification."""
    from app.verifications.models import APPROVED, CheckRecord, DecisionRecord, Verification

    decision = session.scalar(
        select(DecisionRecord)
        .join(Verification, Verification.id == DecisionRecord.verification_id)
        .where(Verification.account_id == account.id, DecisionRecord.status == APPROVED)
        .order_by(DecisionRecord.created_at.desc())
        .limit(1)
    )
    if decision is None or decision.attempt_id is None:
        return None
    mrz = session.scalar(
        select(CheckRecord).where(
            CheckRecord.attempt_id == decision.attempt_id, CheckRecord.kind == "mrz"
        )
    )
    fields = ((mrz.details or {}).get("fields") or {}) if mrz is not None else {}
    name = " ".join(x for x in (fields.get("given_names"), fields.get("surname")) if x)
    if not name.strip():
        return None
    return {
        "name": name,
        "birth_date": fields.get("birth_date"),
        "nationality": fields.get("nationality"),
        "verification_id": decision.verification_id,
    }


def screen_person(
    session: Session, account: Account, *, refresh: bool = True, announce: bool = True
) -> dict[str, Any] | None:
    """Screen the verified person (MRZ name and birth date) against the loaded lists.

    The result is kept per account (``person_screenings``) and reused while the verification
    and the list versions are the same; with ``refresh=False`` only the stored result is read.
    """
    row = session.get(PersonScreening, account.id)
    if not refresh:
        return _person_view(account, row) if row is not None else None
    facts = _person_facts(session, account)
    if facts is None:
        return None
    screener, versions = liststore.load_screener(get_settings().data_dir)
    if not versions:
        return {"checked": False, "reason": "no_lists_loaded", "hits": [], "list_versions": {}}
    if (
        row is not None
        and row.verification_id == facts["verification_id"]
        and (row.list_versions == versions)
    ):
        return _person_view(account, row)
    hits = screener.screen(
        Query(facts["name"], "person", facts["birth_date"], facts["nationality"]),
        dismissed=_dismissed(session, f"account:{account.id}"),
    )
    before = effective_access(session, account, include_person=False)
    if row is None:
        row = PersonScreening(account_id=account.id)
        session.add(row)
    row.verification_id = facts["verification_id"]
    row.name = facts["name"][:500]
    row.birth_date = facts["birth_date"]
    row.hits = [h.to_json() for h in hits if h.match]
    row.list_versions = dict(versions)
    row.computed_at = utcnow()
    session.flush()
    after = effective_access(session, account, include_person=False)
    if announce and after.access != before.access:
        record(
            session, SYSTEM, "account.access_changed", "account", account.id,
            to_access=after.access, reason=after.reason, cause="person_screening",
        )  # fmt: skip
        emit_event(
            session,
            "account.access_changed",
            {
                "account_id": account.external_id,
                "access": after.access,
                "previous_access": before.access,
                "reason": after.reason,
                "verification_id": row.verification_id,
            },
        )
    return _person_view(account, row)


def _person_view(account: Account, row: PersonScreening) -> dict[str, Any]:
    return {
        "checked": True,
        "subject": f"account:{account.external_id}",
        "verification_id": row.verification_id,
        "hits": list(row.hits or []),
        "list_versions": dict(row.list_versions or {}),
        "computed_at": row.computed_at.isoformat(),
    }


def forget_person_screening(session: Session, account_id: str) -> None:
    """Drop the stored screening (after a dismissal) so that the next check screens again."""
    row = session.get(PersonScreening, account_id)
    if row is not None:
        session.delete(row)
        session.flush()


def effective_access(
    session: Session, account: Account, *, include_person: bool = True
) -> EffectiveAccess:
    """The account's access from its verification, combined with its organisation's verdict
    and (when a verification was approved) a watchlist screening of the person."""
    access, reason = account.access, account.access_reason
    reasons: list[str] = []
    org_view = None
    link = session.get(AccountOrganisation, account.id)
    if link is not None:
        party = session.get(Party, link.party_id)
        assert party is not None
        org_view = organisation_view(session, party)
        status = org_view["status"]
        if status in ("restricted", "review", "unknown"):
            codes = [ORGANISATION_REASONS.get(r, "ownership_unknown") for r in org_view["reasons"]]
            if status == "unknown":
                codes = ["ownership_unknown"]
            if org_view["hits"]:
                codes.append("watchlist_match")
            reasons.extend(dict.fromkeys(codes))
    person = screen_person(session, account, refresh=include_person)
    if person and person["hits"]:
        reasons.append("watchlist_match")
    reasons = list(dict.fromkeys(reasons))
    if reasons and access == ALLOWED:
        access, reason = BLOCKED, reasons[0]
    return EffectiveAccess(access, reason, tuple(reasons), org_view, person)


# --- import ----------------------------------------------------------------------------------


def import_ownership(session: Session, data: Any, actor: Actor) -> dict[str, int]:
    """Upsert the parties, holdings and control edges of parsed FollowTheMoney or BODS data
    (``app.screening.formats.OwnershipData``); ids of the file become the platform ids."""
    known = {p.id for p in data.parties}
    for party in data.parties:
        fields: dict[str, Any] = {"name": party.name[:500]}
        if party.kind == ORGANISATION:
            fields["registry_id"] = party.registry_id
            fields["jurisdiction"] = (party.jurisdiction or "").upper()[:8] or None
        else:
            fields["birth_date"] = (party.birth_date or "")[:10] or None
            fields["nationality"] = (party.nationality or "").upper()[:8] or None
        upsert_party(session, party.kind, party.id, fields, actor)
    holdings = controls = 0
    for h in data.holdings:
        if h.owner not in known or h.asset not in known:
            continue  # an edge to a party the file does not describe
        body = {
            "owner_id": h.owner,
            "asset_id": h.asset,
            "min_pct": h.min_pct,
            "max_pct": h.max_pct,
            "start_date": h.start,
            "end_date": h.end,
            "source": h.source or data.format,
        }
        upsert_ownership(session, h.id, body, actor)
        holdings += 1
    for c in data.controls:
        if c.controller not in known or c.entity not in known:
            continue
        body = {
            "controller_id": c.controller,
            "entity_id": c.entity,
            "role": c.role,
            "start_date": c.start,
            "end_date": c.end,
            "source": c.source or data.format,
        }
        upsert_control(session, c.id, body, actor)
        controls += 1
    return {"parties": len(data.parties), "ownerships": holdings, "controls": controls}
