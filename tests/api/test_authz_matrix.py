"""Authorization matrix generated from the route table (issue 27).

Every route of the app must have an entry here; a new route without one fails
``test_every_route_has_an_entry``. Each entry says who may call it, and the tests check
that nobody else gets a 2xx: no credentials, a wrong secret, a key without the scope, a
reviewer without the admin role.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.main import create_app

PUBLIC = "public"
CLIENT = "client_secret"
REVIEWER = "reviewer"
ADMIN = "admin"

MATRIX: dict[str, str] = {
    "GET /healthz": PUBLIC,
    "GET /readyz": PUBLIC,
    "GET /metrics": PUBLIC,
    "GET /": PUBLIC,
    "GET /review": PUBLIC,  # the login form when there is no session
    "GET /capture/{verification_id}": PUBLIC,  # the page; its API calls need the secret
    "GET /c/{short_code}": PUBLIC,  # throttled per address
    "POST /c/{short_code}": PUBLIC,  # throttled per address
    "POST /v1/review/login": PUBLIC,  # throttled per address and per account
    "POST /v1/accounts/{account_id}/flag": "api:accounts:write",
    "POST /v1/accounts/{account_id}/unflag": "api:accounts:write",
    "GET /v1/accounts/{account_id}/access": "api:accounts:read",
    "POST /v1/verifications": "api:verifications:write",
    "GET /v1/verifications": "api:verifications:read",
    "GET /v1/verifications/{verification_id}": "api:verifications:read",
    "POST /v1/verifications/{verification_id}/cancel": "api:verifications:write",
    "POST /v1/verifications/{verification_id}/redact": "api:verifications:write",
    "POST /v1/webhook-endpoints": "api:webhooks:write",
    "GET /v1/webhook-endpoints": "api:webhooks:write",
    "POST /v1/webhook-endpoints/{endpoint_id}/rotate-secret": "api:webhooks:write",
    "DELETE /v1/webhook-endpoints/{endpoint_id}": "api:webhooks:write",
    "GET /v1/webhook-endpoints/{endpoint_id}/deliveries": "api:webhooks:write",
    "POST /v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver": (
        "api:webhooks:write"
    ),
    "POST /v1/sessions/{verification_id}/challenge": CLIENT,
    "POST /v1/sessions/{verification_id}/document": CLIENT,
    "POST /v1/sessions/{verification_id}/selfie": CLIENT,
    "POST /v1/sessions/{verification_id}/submit": CLIENT,
    "GET /v1/sessions/{verification_id}/status": CLIENT,
    "GET /capture/{verification_id}/qr.svg": CLIENT,
    "POST /capture/{verification_id}/manual-review": CLIENT,
    "POST /v1/review/logout": REVIEWER,
    "POST /v1/review/password": REVIEWER,
    "GET /v1/review/me": REVIEWER,
    "GET /v1/review/cases": REVIEWER,
    "GET /v1/review/cases/{case_id}": REVIEWER,
    "GET /v1/review/manual-requests": REVIEWER,
    "POST /v1/review/cases/{case_id}/claim": REVIEWER,
    "POST /v1/review/cases/{case_id}/decision": REVIEWER,
    "GET /v1/review/artifacts/{artifact_id}": REVIEWER,
    "PUT /v1/organisations/{organisation_id}": "api:accounts:write",
    "GET /v1/organisations/{organisation_id}": "api:accounts:read",
    "PUT /v1/persons/{person_id}": "api:accounts:write",
    "PUT /v1/ownerships/{ownership_id}": "api:accounts:write",
    "DELETE /v1/ownerships/{ownership_id}": "api:accounts:write",
    "PUT /v1/controls/{control_id}": "api:accounts:write",
    "PUT /v1/accounts/{account_id}/organisation": "api:accounts:write",
    "POST /v1/screening/dismissals": "api:accounts:write",
    "POST /v1/ownership-imports": "api:accounts:write",
    "GET /v1/review/organisations": REVIEWER,
    "GET /v1/review/organisations/{party_id}": REVIEWER,
    "GET /v1/review/organisations/{party_id}/graph.svg": REVIEWER,
    "POST /v1/review/organisations/{party_id}/dismissals": REVIEWER,
    "GET /v1/review/organisations/persons/hits": REVIEWER,
    "POST /v1/review/organisations/persons/{account_id}/dismissals": REVIEWER,
    "GET /v1/review/reviewers": ADMIN,
    "POST /v1/review/reviewers": ADMIN,
    "POST /v1/review/reviewers/{reviewer_id}/deactivate": ADMIN,
}


def _walk(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:  # FastAPI's included router wrapper
            context = getattr(route, "include_context", None)
            yield from _walk(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, APIRoute):
            for method in sorted(route.methods):
                yield method, prefix + route.path


ROUTES = sorted(set(_walk(create_app().routes)))


def test_every_route_has_an_entry() -> None:
    found = {f"{m} {p}" for m, p in ROUTES}
    assert len(found) >= 40, found  # the walk must see the included routers
    assert found - set(MATRIX) == set(), "add these routes to the authorization matrix"
    assert set(MATRIX) - found == set(), "these entries name routes that no longer exist"


def _url(path: str) -> str:
    return path.replace("{", "").replace("}", "")  # ids that exist nowhere


def _request(client: TestClient, method: str, path: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    body: dict[str, Any] = {"json": {}} if method in ("POST", "PUT", "PATCH") else {}
    # well-formed uploads, so that only the credentials are wrong
    if path.endswith("/document"):
        body = {"files": {"file": ("d.jpg", b"\xff\xd8\xff")}}
    elif path.endswith("/selfie"):
        body = {"files": {"files": ("s.jpg", b"\xff\xd8\xff")}}
    return client.request(method, _url(path), **body, **kwargs)


_n = itertools.count()


def _key(scopes: str) -> str:
    from app.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["apikey", "create", f"matrix-{next(_n)}", "--scopes", scopes, "--json"]) == 0
    return str(json.loads(out.getvalue())["api_key"])


SCOPES = (
    "accounts:read",
    "accounts:write",
    "verifications:read",
    "verifications:write",
    "webhooks:write",
)


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_nobody_without_the_right_credentials_gets_a_2xx(
    client: TestClient, method: str, path: str
) -> None:
    rule = MATRIX[f"{method} {path}"]
    with TestClient(client.app, follow_redirects=False) as anonymous:
        r = _request(anonymous, method, path)
        # /readyz is 503 here by design: no worker consumes the queue in this tier
        assert r.status_code < 500 or (path == "/readyz" and r.status_code == 503), r.text
        if rule == PUBLIC:
            return
        assert r.status_code == 401, (rule, r.status_code, r.text)
        if rule == CLIENT:
            wrong = _request(anonymous, method, path, headers={"X-Client-Secret": "vcs_wrong"})
            assert wrong.status_code == 401
        elif rule.startswith("api:"):
            scope = rule.removeprefix("api:")
            others = ",".join(s for s in SCOPES if s != scope)
            other = _request(
                anonymous, method, path, headers={"Authorization": f"Bearer {_key(others)}"}
            )
            assert other.status_code == 403, other.text
            assert other.json()["error"]["code"] == "insufficient_scope"
            bad = _request(anonymous, method, path, headers={"Authorization": "Bearer idg_nope"})
            assert bad.status_code == 401
        elif rule == ADMIN:
            from app.core.db import session_factory
            from app.reviews import service

            email = f"matrix-{next(_n)}@example.com"
            with session_factory()() as s:
                service.create_reviewer(s, email, "a-long-enough-password")
                s.commit()
            login = anonymous.post(
                "/v1/review/login", json={"email": email, "password": "a-long-enough-password"}
            )
            csrf = login.json()["csrf_token"]
            denied = _request(anonymous, method, path, headers={"X-CSRF-Token": csrf})
            assert denied.status_code == 403, denied.text
