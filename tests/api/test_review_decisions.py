"""Reviewer decisions: the four-eyes rule for approvals that override identity escalations."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.accounts.models import Account
from app.core.db import session_factory
from app.core.types import new_id, utcnow
from app.reviews import service
from app.reviews.models import ReviewCase
from app.verifications import models as m
from app.verifications.models import Verification

_n = itertools.count()
PASSWORD = "a-long-enough-password"


def _case(escalations: list[str]) -> tuple[str, str]:
    """A verification in needs_review with an open case; returns (case id, account id)."""
    with session_factory()() as session:
        external = f"acct-review-{next(_n)}"
        account = Account(id=new_id("acc"), external_id=external, access="blocked")
        session.add(account)
        session.flush()
        verification = Verification(
            id=new_id("ver"),
            account_id=account.id,
            status=m.NEEDS_REVIEW,
            client_secret_hash="x" * 64,
            short_code=new_id("s")[-10:].upper(),
            expires_at=utcnow() + timedelta(hours=1),
            reason_codes=list(escalations),
        )
        session.add(verification)
        session.flush()
        case = ReviewCase(
            id=new_id("case"), verification_id=verification.id, escalations=escalations
        )
        session.add(case)
        session.commit()
        return case.id, external


def _login(client: TestClient, email: str) -> str:
    with session_factory()() as session:
        service.create_reviewer(session, email, PASSWORD)
        session.commit()
    r = client.post("/v1/review/login", json={"email": email, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return str(r.json()["csrf_token"])


@pytest.fixture(scope="module")
def reviewers(client: TestClient) -> tuple[str, str]:
    return f"first-{next(_n)}@example.com", f"second-{next(_n)}@example.com"


def _decide(client: TestClient, email: str, case_id: str, decision: str) -> dict:
    csrf = _login_cached(client, email)
    r = client.post(
        f"/v1/review/cases/{case_id}/decision",
        json={"decision": decision, "reason": "checked the evidence"},
        headers={"X-CSRF-Token": csrf},
    )
    return {"status_code": r.status_code, **r.json()}


_tokens: dict[str, str] = {}


def _login_cached(client: TestClient, email: str) -> str:
    if email not in _tokens:
        _tokens[email] = _login(client, email)
        return _tokens[email]
    r = client.post("/v1/review/login", json={"email": email, "password": PASSWORD})
    _tokens[email] = str(r.json()["csrf_token"])
    return _tokens[email]


def test_duplicate_face_approval_needs_a_second_reviewer(
    client: TestClient, reviewers: tuple[str, str]
) -> None:
    first, second = reviewers
    case_id, _account = _case(["duplicate_face"])
    out = _decide(client, first, case_id, "approve")
    assert out["status_code"] == 200 and out["status"] == "second_review"
    assert out["details"]["first_approval"]["reason"] == "checked the evidence"
    again = _decide(client, first, case_id, "approve")
    assert again["status_code"] == 403
    assert again["error"]["code"] == "second_reviewer_required"
    done = _decide(client, second, case_id, "approve")
    assert done["status_code"] == 200 and done["status"] == "closed"
    with session_factory()() as session:
        case = session.get(ReviewCase, case_id)
        assert case is not None
        verification = session.get(Verification, case.verification_id)
        assert verification is not None and verification.status == m.APPROVED


def test_plain_case_is_approved_by_one_reviewer(
    client: TestClient, reviewers: tuple[str, str]
) -> None:
    case_id, _ = _case(["liveness_not_checked"])
    out = _decide(client, reviewers[0], case_id, "approve")
    assert out["status_code"] == 200 and out["status"] == "closed"


def test_queue_filters_by_reason_and_assignee(
    client: TestClient, reviewers: tuple[str, str]
) -> None:
    case_id, _ = _case(["face_mismatch"])
    csrf = _login_cached(client, reviewers[0])
    r = client.get("/v1/review/cases", params={"reason": "face_mismatch", "assignee": "none"})
    assert case_id in [c["id"] for c in r.json()]
    client.post(f"/v1/review/cases/{case_id}/claim", headers={"X-CSRF-Token": csrf})
    mine = client.get("/v1/review/cases", params={"assignee": "me"}).json()
    assert case_id in [c["id"] for c in mine]
    unclaimed = client.get("/v1/review/cases", params={"assignee": "none"}).json()
    assert case_id not in [c["id"] for c in unclaimed]
    detail = client.get(f"/v1/review/cases/{case_id}").json()
    assert any(e["action"] == "review.claimed" for e in detail["history"])
