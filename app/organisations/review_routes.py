"""Reviewer API for organisations: the queue of restricted and under-review parties, their
explanation, the ownership graph as SVG, and dismissing a false watchlist hit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.core.audit import record
from app.core.deps import CurrentReviewer, DbSession
from app.core.errors import not_found
from app.organisations import service
from app.organisations.graph import ownership_svg
from app.organisations.models import AccountOrganisation, Party, PartyVerdict

router = APIRouter(prefix="/v1/review/organisations", tags=["review"])


class ReviewerDismissIn(BaseModel):
    list: str
    entry_id: str
    reason: str = Field(min_length=3, max_length=2000)


@router.get("")
def queue(session: DbSession, reviewer: CurrentReviewer) -> list[dict[str, Any]]:
    """Parties that are restricted or under review, with their reasons and hit counts."""
    rows = session.execute(
        select(Party, PartyVerdict)
        .join(PartyVerdict, PartyVerdict.party_id == Party.id)
        .where(PartyVerdict.status.in_(("restricted", "review")))
        .order_by(PartyVerdict.computed_at.desc())
        .limit(500)
    ).all()
    linked = {
        link.party_id
        for link in session.scalars(
            select(AccountOrganisation).where(
                AccountOrganisation.party_id.in_([p.id for p, _ in rows])
            )
        )
    }
    return [
        {
            "id": party.external_id,
            "kind": party.kind,
            "name": party.name,
            "status": verdict.status,
            "reasons": verdict.reasons,
            "hits": len(verdict.hits or []),
            "has_accounts": party.id in linked,
            "computed_at": verdict.computed_at,
        }
        for party, verdict in rows
    ]


def _party(session: DbSession, external_id: str) -> Party:
    party = service.get_party(session, external_id)
    if party is None:
        raise not_found("party")
    return party


@router.get("/{party_id}")
def detail(party_id: str, session: DbSession, reviewer: CurrentReviewer) -> dict[str, Any]:
    party = _party(session, party_id)
    record(session, reviewer.actor, "organisation.viewed", "party", party.id)
    session.commit()
    return service.organisation_view(session, party)


@router.get("/{party_id}/graph.svg")
def graph(party_id: str, session: DbSession, reviewer: CurrentReviewer) -> Response:
    """The verdict's ownership paths as a small graph (listed party on the left)."""
    party = _party(session, party_id)
    view = service.organisation_view(session, party)
    paths = view["explanation"].get("paths") or []
    ids = {party.external_id} | {s[k] for p in paths for s in p for k in ("owner", "asset")}
    parties = session.scalars(select(Party).where(Party.external_id.in_(ids))).all()
    verdicts = {
        v.party_id: v.status
        for v in session.scalars(
            select(PartyVerdict).where(PartyVerdict.party_id.in_([p.id for p in parties]))
        )
    }
    names = {p.external_id: p.name for p in parties}
    status = {p.external_id: verdicts.get(p.id, "clear") for p in parties}
    svg = ownership_svg(party.external_id, paths, names, status)
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})


@router.post("/{party_id}/dismissals")
def dismiss(
    party_id: str, body: ReviewerDismissIn, session: DbSession, reviewer: CurrentReviewer
) -> dict[str, Any]:
    """Record that the list entry is not this party; the pair does not fire again."""
    party = _party(session, party_id)
    row = service.dismiss_hit(
        session, f"party:{party.id}", body.list, body.entry_id, body.reason, reviewer.actor
    )
    result = service.recompute(session, reviewer.actor, rescreen={party.id})
    session.commit()
    return {
        "id": row.id,
        "party": party.external_id,
        "status": service.organisation_view(session, party)["status"],
        "accounts_changed": result.changed_accounts,
    }


@router.get("/persons/hits")
def person_hits(session: DbSession, reviewer: CurrentReviewer) -> list[dict[str, Any]]:
    """Verified persons whose MRZ name (and birth date) match a list entry."""
    from app.accounts.models import Account
    from app.organisations.models import PersonScreening

    rows = session.execute(
        select(PersonScreening, Account)
        .join(Account, Account.id == PersonScreening.account_id)
        .order_by(PersonScreening.computed_at.desc())
        .limit(500)
    ).all()
    return [
        {
            "account_id": account.external_id,
            "verification_id": row.verification_id,
            "name": row.name,
            "birth_date": row.birth_date,
            "hits": row.hits,
            "list_versions": row.list_versions,
            "computed_at": row.computed_at,
        }
        for row, account in rows
        if row.hits
    ]


@router.post("/persons/{account_id}/dismissals")
def dismiss_person_hit(
    account_id: str, body: ReviewerDismissIn, session: DbSession, reviewer: CurrentReviewer
) -> dict[str, Any]:
    """Record that the list entry is not this verified person; the pair does not fire again."""
    from app.accounts.service import get_account

    account = get_account(session, account_id)
    if account is None:
        raise not_found("account")
    row = service.dismiss_hit(
        session, f"account:{account.id}", body.list, body.entry_id, body.reason, reviewer.actor
    )
    service.forget_person_screening(session, account.id)
    view = service.effective_access(session, account)
    session.commit()
    return {"id": row.id, "account_id": account_id, "access": view.access}
