"""Throttling and console sessions (issue 27): guessing is cut short, logout ends a session."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.core.db import session_factory
from app.core.models import AuditEvent
from app.reviews import service
from app.reviews.models import Reviewer

_n = itertools.count()
PASSWORD = "a-long-enough-password"


@pytest.fixture
def browser(client: TestClient) -> Iterator[TestClient]:
    """A client with its own cookie jar (the shared one keeps other tests' sessions)."""
    with TestClient(client.app) as c:
        yield c


def _reviewer(role: str = "reviewer") -> str:
    email = f"sec-{next(_n)}@example.com"
    with session_factory()() as session:
        service.create_reviewer(session, email, PASSWORD, role)
        session.commit()
    return email


def _login(c: TestClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return c.post("/v1/review/login", json={"email": email, "password": password})


def _audit(action: str) -> list[AuditEvent]:
    with session_factory()() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_wrong_passwords_from_one_address_are_throttled(browser: TestClient) -> None:
    emails = [_reviewer() for _ in range(4)]
    codes = []
    for i in range(30):
        r = _login(browser, emails[i % 4], "wrong-password-123")
        codes.append(r.status_code)
    assert codes[:10] == [401] * 10
    assert set(codes[10:]) == {429}
    r = _login(browser, emails[0], "wrong-password-123")
    assert r.json()["error"]["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) > 0
    # the right password is refused too while the address is throttled
    assert _login(browser, emails[0]).status_code == 429


def test_account_is_locked_out_after_failures_and_it_is_audited(browser: TestClient) -> None:
    email = _reviewer()
    codes = [_login(browser, email, "wrong-password-123").status_code for _ in range(5)]
    assert codes == [401] * 5
    # the right password no longer works during the lock-out
    r = _login(browser, email)
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"
    with session_factory()() as session:
        reviewer_id = session.scalar(select(Reviewer.id).where(Reviewer.email == email))
    failed = [e for e in _audit("reviewer.login_failed") if e.subject_id == reviewer_id]
    locked = [e for e in _audit("reviewer.locked_out") if e.subject_id == reviewer_id]
    assert len(failed) == 5 and len(locked) == 1


def test_a_correct_login_costs_nothing(browser: TestClient) -> None:
    email = _reviewer()
    for _ in range(15):
        assert _login(browser, email).status_code == 200


def test_guessed_short_links_are_throttled(client: TestClient) -> None:
    codes = [client.get(f"/c/GUESS{i:05d}").status_code for i in range(40)]
    assert codes[:20] == [404] * 20
    assert set(codes[20:]) == {429}
    r = client.post("/c/GUESS99999")
    assert r.status_code == 429 and "Retry-After" in r.headers


def test_guessed_client_secrets_are_throttled(client: TestClient, flagged: dict) -> None:
    verification = flagged["verification"]
    codes = [
        client.get(
            f"/v1/sessions/{verification['id']}/status",
            headers={"X-Client-Secret": f"vcs_guess{i}"},
        ).status_code
        for i in range(30)
    ]
    assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
    r = client.get(
        f"/v1/sessions/{verification['id']}/status",
        headers={"X-Client-Secret": verification["client_secret"]},
    )
    assert r.status_code == 429 and r.json()["error"]["code"] == "rate_limited"


def test_guessed_api_keys_are_throttled(client: TestClient, api_key: str) -> None:
    prefix = api_key[: len("idg_") + 12]
    codes = [
        client.get(
            "/v1/verifications", headers={"Authorization": f"Bearer {prefix}_guess{i}"}
        ).status_code
        for i in range(30)
    ]
    assert codes[:20] == [401] * 20 and set(codes[20:]) == {429}
    r = client.get("/v1/verifications", headers={"Authorization": f"Bearer {api_key}"})
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


def test_uploads_per_verification_are_throttled(
    client: TestClient, flagged: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.core.config import get_settings

    monkeypatch.setattr(get_settings(), "rate_limit_uploads_verification", "3/hour")
    verification = flagged["verification"]
    headers = {"X-Client-Secret": verification["client_secret"]}
    codes = [
        client.post(f"/v1/sessions/{verification['id']}/challenge", headers=headers).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]


# --- console sessions ------------------------------------------------------------------


def test_logout_ends_the_session_on_the_server(browser: TestClient) -> None:
    email = _reviewer()
    r = _login(browser, email)
    csrf = r.json()["csrf_token"]
    cookie = browser.cookies.get("idgate_session")
    assert cookie and browser.get("/v1/review/me").status_code == 200
    assert browser.post("/v1/review/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    # replay the old cookie, as a thief who copied it would
    browser.cookies.set("idgate_session", cookie)
    assert browser.get("/v1/review/me").status_code == 401
    assert browser.get("/v1/review/cases").status_code == 401
    assert (
        "review_login" in browser.get("/review").text
        or "password" in browser.get("/review").text.lower()
    )


def test_password_change_ends_every_session(client: TestClient) -> None:
    email = _reviewer()
    with TestClient(client.app) as a, TestClient(client.app) as b:
        csrf_a = _login(a, email).json()["csrf_token"]
        assert _login(b, email).status_code == 200
        r = a.post(
            "/v1/review/password",
            json={"current_password": PASSWORD, "new_password": "another-long-password"},
            headers={"X-CSRF-Token": csrf_a},
        )
        assert r.status_code == 204
        assert b.get("/v1/review/me").status_code == 401
        assert _login(a, email).status_code == 401
        assert _login(a, email, "another-long-password").status_code == 200


def test_idle_sessions_end(browser: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from app.core.types import utcnow
    from app.reviews.models import ReviewerSession

    email = _reviewer()
    assert _login(browser, email).status_code == 200
    assert browser.get("/v1/review/me").status_code == 200
    with session_factory()() as session:
        session.execute(
            update(ReviewerSession).values(last_seen_at=utcnow() - timedelta(minutes=31))
        )
        session.commit()
    assert browser.get("/v1/review/me").status_code == 401


def test_user_administration_needs_the_admin_role(client: TestClient) -> None:
    reviewer, admin = _reviewer(), _reviewer("admin")
    with TestClient(client.app) as r_client, TestClient(client.app) as a_client:
        r_csrf = _login(r_client, reviewer).json()["csrf_token"]
        a_csrf = _login(a_client, admin).json()["csrf_token"]
        new = {"email": f"new-{next(_n)}@example.com", "password": PASSWORD}
        denied = r_client.post("/v1/review/reviewers", json=new, headers={"X-CSRF-Token": r_csrf})
        assert denied.status_code == 403 and denied.json()["error"]["code"] == "forbidden"
        assert r_client.get("/v1/review/reviewers").status_code == 403
        made = a_client.post("/v1/review/reviewers", json=new, headers={"X-CSRF-Token": a_csrf})
        assert made.status_code == 201, made.text
        # deactivating a reviewer ends their sessions at once
        with session_factory()() as session:
            target = session.scalar(select(Reviewer).where(Reviewer.email == reviewer))
            assert target is not None
        off = a_client.post(
            f"/v1/review/reviewers/{target.id}/deactivate", headers={"X-CSRF-Token": a_csrf}
        )
        assert off.status_code == 200 and off.json()["active"] is False
        assert r_client.get("/v1/review/me").status_code == 401


def test_ended_sessions_are_purged(browser: TestClient) -> None:
    from datetime import timedelta

    from sqlalchemy import func, update

    from app.core.types import utcnow
    from app.reviews.models import ReviewerSession

    email = _reviewer()
    csrf = _login(browser, email).json()["csrf_token"]
    assert browser.post("/v1/review/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    with session_factory()() as session:
        reviewer_id = session.scalar(select(Reviewer.id).where(Reviewer.email == email))
        mine = ReviewerSession.reviewer_id == reviewer_id
        assert service.purge_ended_sessions(session) >= 0
        session.commit()
        assert session.scalar(select(func.count()).select_from(ReviewerSession).where(mine)) == 1
        session.execute(
            update(ReviewerSession).where(mine).values(revoked_at=utcnow() - timedelta(days=2))
        )
        assert service.purge_ended_sessions(session) >= 1
        session.commit()
        assert session.scalar(select(func.count()).select_from(ReviewerSession).where(mine)) == 0


def test_cli_password_change_ends_sessions(browser: TestClient) -> None:
    import contextlib
    import io

    from app.cli import main

    email = _reviewer()
    assert _login(browser, email).status_code == 200
    assert browser.get("/v1/review/me").status_code == 200
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["reviewer", "password", email, "--password", "a-new-long-password", "--json"])
    assert code == 0
    assert browser.get("/v1/review/me").status_code == 401
    assert _login(browser, email, "a-new-long-password").status_code == 200
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["reviewer", "password", email, "--password", "short", "--json"]) == 2
