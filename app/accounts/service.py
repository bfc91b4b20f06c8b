"""Account access: flag (block + open a verification), read access, restore."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.accounts.models import ALLOWED, BLOCKED, AccessChange, Account
from app.core.audit import Actor, record
from app.webhooks.service import emit_event


def get_account(session: Session, external_id: str) -> Account | None:
    return session.scalar(select(Account).where(Account.external_id == external_id))


def get_or_create_account(session: Session, external_id: str) -> Account:
    """The account, created on first use. Safe under concurrency: when another request
    inserts the same account first, its row is used (no unique-constraint error)."""
    account = get_account(session, external_id)
    if account is not None:
        return account
    try:
        with session.begin_nested():
            account = Account(external_id=external_id, access=ALLOWED)
            session.add(account)
    except IntegrityError:
        account = get_account(session, external_id)
        if account is None:  # pragma: no cover - the winner's row must be visible now
            raise
    return account


def set_access(
    session: Session,
    account: Account,
    access: str,
    *,
    reason: str,
    actor: Actor,
    verification_id: str | None = None,
) -> bool:
    """Change an account's access, record the history, audit it and emit a webhook event.

    Returns True when the access actually changed.
    """
    if account.access == access and account.access_reason == reason:
        return False
    changed = account.access != access
    session.add(
        AccessChange(
            account_id=account.id,
            from_access=account.access,
            to_access=access,
            reason=reason,
            actor_type=actor.type,
            actor_id=actor.id,
            verification_id=verification_id,
        )
    )
    previous = account.access
    account.access = access
    account.access_reason = reason
    record(
        session,
        actor,
        "account.access_changed",
        "account",
        account.id,
        from_access=previous,
        to_access=access,
        reason=reason,
        verification_id=verification_id,
    )
    if changed:
        emit_event(
            session,
            "account.access_changed",
            {
                "account_id": account.external_id,
                "access": access,
                "previous_access": previous,
                "reason": reason,
                "verification_id": verification_id,
            },
        )
    return changed


@dataclass(frozen=True)
class AccessView:
    external_id: str
    access: str
    reason: str | None
    verification_id: str | None


def access_view(account: Account) -> AccessView:
    return AccessView(
        account.external_id, account.access, account.access_reason, account.open_verification_id
    )


__all__ = [
    "ALLOWED",
    "BLOCKED",
    "AccessView",
    "access_view",
    "get_account",
    "get_or_create_account",
    "set_access",
]
