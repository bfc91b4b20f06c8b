"""FastAPI dependencies: database session, API keys, client secrets, reviewer sessions."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.core import throttle
from app.core.audit import Actor
from app.core.config import get_settings
from app.core.db import session_factory
from app.core.errors import ApiError
from app.core.models import ApiKey
from app.core.security import constant_time_equal, hmac_hex, parse_api_key, sha256_hex
from app.core.types import new_secret, utcnow
from app.reviews.models import Reviewer, ReviewerSession
from app.storage.blobs import get_keys

SESSION_COOKIE = "idgate_session"
CSRF_HEADER = "X-CSRF-Token"


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


# Security schemes: declared so that the OpenAPI document says how each route authenticates.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="Platform API key: `Authorization: Bearer idg_…` (scoped, stored hashed).",
)
_client_secret = APIKeyHeader(
    name="X-Client-Secret",
    auto_error=False,
    scheme_name="ClientSecret",
    description="The verification's client secret (end user's capture session).",
)
_session_cookie = APIKeyCookie(
    name="idgate_session",
    auto_error=False,
    scheme_name="ReviewerSession",
    description="Reviewer console session cookie; unsafe methods also need `X-CSRF-Token`.",
)


def _api_key(
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)] = None,
) -> ApiPrincipal:
    if credentials is None or not credentials.credentials:
        raise ApiError(401, "invalid_api_key")
    throttle.check_address("api_key_address")
    token = credentials.credentials.strip()
    prefix = parse_api_key(token)
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix)) if prefix else None
    if (
        key is None
        or key.revoked_at is not None
        or not constant_time_equal(key.secret_hash, sha256_hex(token))
    ):
        throttle.fail_address("api_key_address")
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
    x_client_secret: Annotated[str | None, Security(_client_secret)] = None,
) -> str | None:
    return x_client_secret


# --- reviewer sessions -------------------------------------------------------------

# A session's last_seen_at is written at most this often (not on every request).
_TOUCH_EVERY = timedelta(seconds=60)


def start_reviewer_session(session: Session, reviewer_id: str) -> str:
    """Open a server-side console session; returns the cookie value (a random token)."""
    settings = get_settings()
    token = "rs_" + new_secret(32)
    now = utcnow()
    session.add(
        ReviewerSession(
            reviewer_id=reviewer_id,
            token_hash=sha256_hex(token),
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.reviewer_session_max_hours),
        )
    )
    return token


def revoke_reviewer_sessions(
    session: Session, reviewer_id: str, reason: str, *, token: str | None = None
) -> int:
    """End the reviewer's sessions (only the one of ``token`` when given); returns how many."""
    query = update(ReviewerSession).where(
        ReviewerSession.reviewer_id == reviewer_id, ReviewerSession.revoked_at.is_(None)
    )
    if token is not None:
        query = query.where(ReviewerSession.token_hash == sha256_hex(token))
    result = session.execute(query.values(revoked_at=utcnow(), revoked_reason=reason))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def csrf_token_for(cookie: str) -> str:
    """The CSRF token bound to a session cookie (sent back in a header or form field)."""
    return hmac_hex(get_keys().app_secret, "csrf:" + cookie)[:40]


def reviewer_for_cookie(session: Session, cookie: str | None) -> Reviewer | None:
    """The active reviewer of a live session cookie, else None. Refreshes the idle clock."""
    if not cookie or not cookie.startswith("rs_") or len(cookie) > 100:
        return None
    row = session.scalar(
        select(ReviewerSession).where(ReviewerSession.token_hash == sha256_hex(cookie))
    )
    if row is None or row.revoked_at is not None:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().reviewer_session_idle_minutes)
    if now >= row.expires_at or now - row.last_seen_at >= idle:
        return None
    reviewer = session.get(Reviewer, row.reviewer_id)
    if reviewer is None or not reviewer.active:
        return None
    if now - row.last_seen_at >= _TOUCH_EVERY:
        # Its own small transaction, so the idle clock moves even on read-only requests.
        session.execute(
            update(ReviewerSession).where(ReviewerSession.id == row.id).values(last_seen_at=now)
        )
        session.commit()
    return reviewer


@dataclass(frozen=True)
class ReviewerPrincipal:
    id: str
    email: str
    role: str

    @property
    def actor(self) -> Actor:
        return Actor("reviewer", self.id)


async def current_reviewer(
    request: Request,
    session: DbSession,
    cookie: Annotated[str | None, Security(_session_cookie)] = None,
) -> ReviewerPrincipal:
    """The logged-in reviewer; unsafe methods also need the CSRF token."""
    reviewer = reviewer_for_cookie(session, cookie)
    if reviewer is None:
        raise ApiError(401, "unauthorized", "Log in to the reviewer console.")
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


def require_role(role: str):  # type: ignore[no-untyped-def]
    """Dependency factory: a logged-in reviewer with ``role`` (403 ``forbidden`` otherwise)."""

    def _check(reviewer: CurrentReviewer) -> ReviewerPrincipal:
        if reviewer.role != role:
            raise ApiError(403, "forbidden", f"This needs the {role} role.")
        return reviewer

    return _check


AdminReviewer = Annotated[ReviewerPrincipal, Depends(require_role("admin"))]
