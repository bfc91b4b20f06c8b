"""FastAPI dependencies: database session, API keys, client secrets, reviewer sessions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.audit import Actor
from app.core.db import session_factory
from app.core.errors import ApiError
from app.core.models import ApiKey
from app.core.security import constant_time_equal, hmac_hex, parse_api_key, sha256_hex
from app.reviews.models import Reviewer
from app.storage.blobs import get_keys

SESSION_COOKIE = "idgate_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_TTL_S = 8 * 3600


def db_session() -> Iterator[Session]:
    """One session per request. Routes commit once, explicitly; anything else rolls back."""
    session = session_factory()()
    try:
        yield session
    finally:
        if session.in_transaction():
            session.rollback()
        session.close()


DbSession = Annotated[Session, Depends(db_session)]


@dataclass(frozen=True)
class ApiPrincipal:
    key_id: str
    scopes: tuple[str, ...]

    @property
    def actor(self) -> Actor:
        return Actor("api_key", self.key_id)


def _api_key(
    session: DbSession, authorization: Annotated[str | None, Header()] = None
) -> ApiPrincipal:
    if not authorization or not authorization.lower().startswith("bearer "):
        raise ApiError(401, "invalid_api_key")
    token = authorization.split(" ", 1)[1].strip()
    prefix = parse_api_key(token)
    if prefix is None:
        raise ApiError(401, "invalid_api_key")
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if (
        key is None
        or key.revoked_at is not None
        or not constant_time_equal(key.secret_hash, sha256_hex(token))
    ):
        raise ApiError(401, "invalid_api_key")
    return ApiPrincipal(key.id, tuple(key.scopes or ()))


def require_scope(scope: str):  # type: ignore[no-untyped-def]
    """Dependency factory: an API key that holds ``scope`` (or ``admin``)."""

    def _check(principal: Annotated[ApiPrincipal, Depends(_api_key)]) -> ApiPrincipal:
        if scope not in principal.scopes and "admin" not in principal.scopes:
            raise ApiError(403, "insufficient_scope", required=scope)
        return principal

    return _check


def client_secret_header(
    x_client_secret: Annotated[str | None, Header()] = None,
) -> str | None:
    return x_client_secret


# --- reviewer sessions -------------------------------------------------------------


def make_session_cookie(reviewer_id: str, now: int | None = None) -> str:
    """``<reviewer>.<expiry>.<hmac>``, signed with the app secret."""
    expiry = (now or int(time.time())) + SESSION_TTL_S
    body = f"{reviewer_id}.{expiry}"
    return body + "." + hmac_hex(get_keys().app_secret, "session:" + body)


def csrf_token_for(cookie: str) -> str:
    """The CSRF token bound to a session cookie (sent back in a header or form field)."""
    return hmac_hex(get_keys().app_secret, "csrf:" + cookie)[:40]


def _read_session_cookie(cookie: str | None) -> str | None:
    if not cookie or cookie.count(".") != 2:
        return None
    reviewer_id, expiry, mac = cookie.split(".")
    if not constant_time_equal(
        mac, hmac_hex(get_keys().app_secret, f"session:{reviewer_id}.{expiry}")
    ):
        return None
    if not expiry.isdigit() or int(expiry) < time.time():
        return None
    return reviewer_id


@dataclass(frozen=True)
class ReviewerPrincipal:
    id: str
    email: str
    role: str

    @property
    def actor(self) -> Actor:
        return Actor("reviewer", self.id)


async def current_reviewer(request: Request, session: DbSession) -> ReviewerPrincipal:
    """The logged-in reviewer; unsafe methods also need the CSRF token."""
    cookie = request.cookies.get(SESSION_COOKIE)
    reviewer_id = _read_session_cookie(cookie)
    if reviewer_id is None:
        raise ApiError(401, "unauthorized", "Log in to the reviewer console.")
    reviewer = session.get(Reviewer, reviewer_id)
    if reviewer is None or not reviewer.active:
        raise ApiError(401, "unauthorized")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get(CSRF_HEADER)
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            form = await request.form()
            value = form.get("csrf_token")
            sent = value if isinstance(value, str) else None
        assert cookie is not None
        if not sent or not constant_time_equal(sent, csrf_token_for(cookie)):
            raise ApiError(403, "csrf_failed")
    return ReviewerPrincipal(reviewer.id, reviewer.email, reviewer.role)


CurrentReviewer = Annotated[ReviewerPrincipal, Depends(current_reviewer)]
