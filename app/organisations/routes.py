"""Platform API for organisations, persons, ownership and control edges, account links and
dismissed screening hits. Every write recomputes the verdicts in the same transaction."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from app.accounts.service import get_or_create_account
from app.core.deps import ApiPrincipal, DbSession, require_scope
from app.core.errors import ApiError, not_found
from app.organisations import service
from app.organisations.models import ORGANISATION, PERSON, Party
from app.organisations.schemas import (
    ControlIn,
    DismissIn,
    LinkIn,
    OrganisationIn,
    OwnershipIn,
    PartyOut,
    PersonIn,
)

router = APIRouter(prefix="/v1", tags=["organisations"])

WriteKey = Annotated[ApiPrincipal, Depends(require_scope("accounts:write"))]
ReadKey = Annotated[ApiPrincipal, Depends(require_scope("accounts:read"))]


def _party_out(session: DbSession, party: Party) -> PartyOut:
    return PartyOut(
        id=party.external_id,
        kind=party.kind,
        name=party.name,
        name_latin=party.name_latin,
        registry_id=party.registry_id,
        jurisdiction=party.jurisdiction,
        verdict=service.organisation_view(session, party),
    )


@router.put("/organisations/{organisation_id}", response_model=PartyOut)
def put_organisation(
    organisation_id: str, body: OrganisationIn, session: DbSession, principal: WriteKey
) -> PartyOut:
    """Create or update an organisation (registry id, jurisdiction, names)."""
    fields = body.model_dump()
    if fields.get("jurisdiction"):
        fields["jurisdiction"] = fields["jurisdiction"].upper()
    party = service.upsert_party(session, ORGANISATION, organisation_id, fields, principal.actor)
    service.recompute(session, principal.actor)
    session.commit()
    return _party_out(session, party)


@router.put("/persons/{person_id}", response_model=PartyOut)
def put_person(person_id: str, body: PersonIn, session: DbSession, principal: WriteKey) -> PartyOut:
    """Create or update a person who owns or controls organisations."""
    party = service.upsert_party(session, PERSON, person_id, body.model_dump(), principal.actor)
    service.recompute(session, principal.actor)
    session.commit()
    return _party_out(session, party)


@router.get("/organisations/{organisation_id}", response_model=PartyOut)
def get_organisation(organisation_id: str, session: DbSession, principal: ReadKey) -> PartyOut:
    """The organisation with its verdict: status, reasons, ownership paths, sums, list hits
    and the list versions used."""
    party = service.get_party(session, organisation_id)
    if party is None or party.kind != ORGANISATION:
        raise not_found("organisation")
    return _party_out(session, party)


@router.put("/ownerships/{ownership_id}")
def put_ownership(
    ownership_id: str, body: OwnershipIn, session: DbSession, principal: WriteKey
) -> dict[str, Any]:
    """Create or update an ownership edge (exact percentage, a range, or unknown)."""
    edge = service.upsert_ownership(session, ownership_id, body.model_dump(), principal.actor)
    result = service.recompute(session, principal.actor)
    session.commit()
    return {
        "id": edge.external_id,
        "owner_id": body.owner_id,
        "asset_id": body.asset_id,
        "min_pct": edge.min_pct,
        "max_pct": edge.max_pct,
        "accounts_changed": result.changed_accounts,
    }


@router.delete("/ownerships/{ownership_id}")
def delete_ownership(ownership_id: str, session: DbSession, principal: WriteKey) -> dict[str, Any]:
    service.delete_ownership(session, ownership_id, principal.actor)
    result = service.recompute(session, principal.actor)
    session.commit()
    return {"id": ownership_id, "deleted": True, "accounts_changed": result.changed_accounts}


@router.put("/controls/{control_id}")
def put_control(
    control_id: str, body: ControlIn, session: DbSession, principal: WriteKey
) -> dict[str, Any]:
    """Create or update a control edge (director, board appointment, ...)."""
    edge = service.upsert_control(session, control_id, body.model_dump(), principal.actor)
    result = service.recompute(session, principal.actor)
    session.commit()
    return {"id": edge.external_id, "role": edge.role, "accounts_changed": result.changed_accounts}


@router.put("/accounts/{account_id}/organisation")
def link_account(
    account_id: str, body: LinkIn, session: DbSession, principal: WriteKey
) -> dict[str, Any]:
    """Declare the organisation an account belongs to."""
    party = service.get_party(session, body.organisation_id)
    if party is None:
        raise not_found("organisation")
    account = get_or_create_account(session, account_id)
    service.link_account(session, account, party, principal.actor)
    service.recompute(session, principal.actor)
    session.commit()
    view = service.effective_access(session, account)
    return {"account_id": account_id, "organisation_id": party.external_id, "access": view.access}


@router.post("/screening/dismissals")
def dismiss_hit(body: DismissIn, session: DbSession, principal: WriteKey) -> dict[str, Any]:
    """Record that a list entry is not this subject (after review): it does not fire again."""
    kind, _, external_id = body.subject.partition(":")
    if kind in ("organisation", "person"):
        subject = f"party:{service.require_party(session, external_id).id}"
    elif kind == "account":
        from app.accounts.service import get_account

        account = get_account(session, external_id)
        if account is None:
            raise not_found("account")
        subject = f"account:{account.id}"
        service.forget_person_screening(session, account.id)
    else:
        raise ApiError(
            422, "validation_error", "subject must be organisation:, person: or account:"
        )
    row = service.dismiss_hit(
        session, subject, body.list, body.entry_id, body.reason, principal.actor
    )
    party_id = subject.split(":", 1)[1] if subject.startswith("party:") else None
    service.recompute(session, principal.actor, rescreen={party_id} if party_id else None)
    session.commit()
    return {"id": row.id, "subject": body.subject, "list": row.list, "entry_id": row.entry_id}


MAX_IMPORT_BYTES = 10 * 1024 * 1024


@router.post("/ownership-imports")
async def import_ownership(
    request: Request, session: DbSession, principal: WriteKey
) -> dict[str, Any]:
    """Import FollowTheMoney entities (JSON lines) or BODS 0.4 statements sent as the body;
    the file's ids become the platform's ids. Verdicts are recomputed in the same commit."""
    from app.screening.formats import parse_ownership
    from app.screening.lists import ListFormatError

    body = await request.body()
    if len(body) > MAX_IMPORT_BYTES:
        raise ApiError(413, "upload_too_large")
    try:
        data = parse_ownership(body)
    except (ListFormatError, ValueError, UnicodeDecodeError) as exc:
        raise ApiError(422, "validation_error", f"not FollowTheMoney or BODS data: {exc}") from exc
    counts = service.import_ownership(session, data, principal.actor)
    result = service.recompute(session, principal.actor)
    session.commit()
    return {"format": data.format, "imported": counts, "accounts_changed": result.changed_accounts}
