"""Platform API for accounts: flag, unflag, read access."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from app.accounts.models import ALLOWED, BLOCKED
from app.accounts.service import access_view, get_account, get_or_create_account, set_access
from app.core.deps import ApiPrincipal, DbSession, require_scope
from app.core.errors import errors, not_found
from app.core.idempotency import run_idempotent
from app.verifications import models as m
from app.verifications import service
from app.verifications.models import Verification
from app.verifications.schemas import AccessOut, FlagRequest, FlagResponse
from app.verifications.views import verification_link

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])

WriteKey = Annotated[ApiPrincipal, Depends(require_scope("accounts:write"))]
ReadKey = Annotated[ApiPrincipal, Depends(require_scope("accounts:read"))]


def _access_out(account) -> AccessOut:  # type: ignore[no-untyped-def]
    view = access_view(account)
    return AccessOut(
        account_id=view.external_id,
        access=view.access,
        reason=view.reason,
        verification_id=view.verification_id,
    )


@router.post("/{account_id}/flag", response_model=FlagResponse, responses=errors(409))
def flag_account(
    account_id: str,
    body: FlagRequest,
    session: DbSession,
    principal: WriteKey,
    idempotency_key: Annotated[str | None, Header()] = None,
) -> JSONResponse:
    """Block the account's API access and open a verification; returns the link for the user.

    Flagging an account that already has an open verification returns that verification
    with a fresh link (the previous link stops working). With an ``Idempotency-Key``
    header, a retried request returns the first response instead.
    """

    def _flag() -> FlagResponse:
        account = get_or_create_account(session, account_id)
        set_access(session, account, BLOCKED, reason=body.reason, actor=principal.actor)
        verification = (
            session.get(Verification, account.open_verification_id)
            if account.open_verification_id
            else None
        )
        if verification is not None and service.expire_if_due(session, verification):
            verification = None
        if verification is None or verification.status in m.TERMINAL_STATUSES:
            verification, secret = service.create_verification(session, account, principal.actor)
        else:
            secret = service.rotate_client_secret(verification)
        session.flush()
        return FlagResponse(
            account=_access_out(account),
            verification=verification_link(verification, secret),
        )

    return run_idempotent(
        session,
        principal.key_id,
        idempotency_key,
        ["flag", account_id, body.model_dump()],
        200,
        _flag,
    )


@router.post("/{account_id}/unflag", response_model=AccessOut)
def unflag_account(account_id: str, session: DbSession, principal: WriteKey) -> AccessOut:
    """Restore access without a verification (the platform's own decision); audited."""
    account = get_account(session, account_id)
    if account is None:
        raise not_found("account")
    set_access(session, account, ALLOWED, reason="unflagged_by_platform", actor=principal.actor)
    if account.open_verification_id:
        verification = session.get(Verification, account.open_verification_id)
        if (
            verification is not None
            and verification.status not in m.TERMINAL_STATUSES
            and verification.status != m.PROCESSING
        ):
            service.cancel(session, verification, principal.actor)
    session.commit()
    return _access_out(account)


@router.get("/{account_id}/access", response_model=AccessOut)
def read_access(account_id: str, session: DbSession, principal: ReadKey) -> AccessOut:
    """``allowed`` or ``blocked``, why, and the open verification if any.

    Unknown accounts have never been flagged, so they are allowed. An account that belongs to
    an organisation is blocked while the organisation is restricted or under review
    (``organisation_restricted``, ``ownership_unknown``, ``organisation_controlled``), and a
    verified person who matches a watchlist entry is blocked pending review
    (``watchlist_match``); ``organisation`` and ``screening`` carry the explanation.
    """
    account = get_account(session, account_id)
    if account is None:
        return AccessOut(account_id=account_id, access=ALLOWED, reason=None, verification_id=None)
    from app.organisations.service import effective_access

    # the verification's access, combined with the organisation's verdict and screening
    view = effective_access(session, account)
    session.commit()  # keeps the person's screening result for reviewers
    return AccessOut(
        account_id=account.external_id,
        access=view.access,
        reason=view.reason,
        verification_id=account.open_verification_id,
        reasons=list(view.reasons),
        organisation=view.organisation,
        screening=view.screening,
    )
