"""In-process API tests: FastAPI TestClient on a migrated SQLite database (no worker)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.core.config import get_settings
from app.core.migrate import upgrade

_counter = itertools.count()


@pytest.fixture(scope="session")
def client() -> Iterator[TestClient]:
    upgrade(get_settings().resolved_database_url)
    from app.main import create_app

    with TestClient(create_app()) as c:
        yield c


def _create_key(scopes: str) -> str:
    import contextlib
    import io
    import json

    from app.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert (
            main(["apikey", "create", f"test-{next(_counter)}", "--scopes", scopes, "--json"]) == 0
        )
    return json.loads(out.getvalue())["api_key"]


@pytest.fixture(scope="session")
def api_key(client: TestClient) -> str:
    return _create_key(
        "accounts:read,accounts:write,verifications:read,verifications:write,webhooks:write"
    )


@pytest.fixture(scope="session")
def read_only_key(client: TestClient) -> str:
    return _create_key("accounts:read,verifications:read")


@pytest.fixture
def auth(api_key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"}


@pytest.fixture
def account_id() -> str:
    return f"acct-{next(_counter)}"


@pytest.fixture
def flagged(client: TestClient, auth: dict[str, str], account_id: str) -> dict:
    r = client.post(
        f"/v1/accounts/{account_id}/flag", json={"reason": "multi_account_abuse"}, headers=auth
    )
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> Iterator[None]:
    """Every test starts with empty throttling counters (they are per process in tests)."""
    from app.core import throttle

    throttle.reset()
    yield
