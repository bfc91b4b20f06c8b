"""Organisations through the API: the 50 % rule behind the access check, unknown stakes,
watchlist hits on organisations and on verified persons, dismissals and bad input."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from app.accounts.models import Account
from app.core.config import get_settings
from app.core.db import session_factory
from app.core.types import new_id, utcnow
from app.organisations import liststore, service
from app.screening.lists import parse_ftm_list
from app.verifications import models as m

_n = itertools.count()

# Made-up listed parties (names no test document carries).
LIST_LINES = [
    {
        "id": "zx-1",
        "schema": "Company",
        "properties": {"name": ["ZORBLAX ARMS TRADING COMPANY LIMITED"], "country": ["xx"]},
    },
    {
        "id": "zx-2",
        "schema": "Person",
        "properties": {"name": ["QUIXTAR, Vombelund Harrowgate"], "birthDate": ["1961-04-02"]},
    },
]


@pytest.fixture(scope="module", autouse=True)
def loaded_list(client: TestClient) -> None:
    data = "\n".join(json.dumps(x) for x in LIST_LINES).encode()
    liststore.save(get_settings().data_dir, parse_ftm_list(data, "test_list"), ["test.jsonl"])


def _ids(prefix: str) -> str:
    return f"{prefix}-{next(_n)}"


def _org(client: TestClient, auth: dict[str, str], org_id: str, name: str, **kw: str) -> dict:
    r = client.put(f"/v1/organisations/{org_id}", json={"name": name, **kw}, headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def _own(client: TestClient, auth: dict[str, str], edge: str, owner: str, asset: str, **kw) -> dict:
    r = client.put(
        f"/v1/ownerships/{edge}", json={"owner_id": owner, "asset_id": asset, **kw}, headers=auth
    )
    assert r.status_code == 200, r.text
    return r.json()


def _access(client: TestClient, auth: dict[str, str], account: str) -> dict:
    r = client.get(f"/v1/accounts/{account}/access", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def _chain(client: TestClient, auth: dict[str, str]) -> dict[str, str]:
    """A listed company owns 60 % of H1, H1 100 % of H2, H2 51 % of the target."""
    ids = {k: _ids(k) for k in ("listed", "h1", "h2", "target", "e1", "e2", "e3", "account")}
    _org(client, auth, ids["listed"], "Zorblax Arms Trading Co., Ltd.")
    _org(client, auth, ids["h1"], "First Holding GmbH")
    _org(client, auth, ids["h2"], "Second Holding BV")
    _org(client, auth, ids["target"], "Target Software Ltd")
    _own(client, auth, ids["e1"], ids["listed"], ids["h1"], percentage=60)
    _own(client, auth, ids["e2"], ids["h1"], ids["h2"], percentage=100)
    _own(client, auth, ids["e3"], ids["h2"], ids["target"], percentage=51)
    r = client.put(
        f"/v1/accounts/{ids['account']}/organisation",
        json={"organisation_id": ids["target"]},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    return ids


def test_majority_owned_through_two_holdings_by_a_listed_entity_is_blocked(
    client: TestClient, auth: dict[str, str]
) -> None:
    ids = _chain(client, auth)
    out = _access(client, auth, ids["account"])
    assert out["access"] == "blocked"
    assert out["reason"] == "organisation_restricted"
    org = out["organisation"]
    assert org["status"] == "restricted"
    explanation = org["explanation"]
    assert explanation["sum_pct"] == 51
    (path,) = explanation["paths"]
    assert [(s["owner"], s["asset"]) for s in path] == [
        (ids["listed"], ids["h1"]),
        (ids["h1"], ids["h2"]),
        (ids["h2"], ids["target"]),
    ]
    assert "test_list" in org["list_versions"]
    # the listed company itself carries the hit with the matched entry
    listed = client.get(f"/v1/organisations/{ids['listed']}", headers=auth).json()
    assert listed["verdict"]["status"] == "restricted"
    assert listed["verdict"]["hits"][0]["entry_id"] == "zx-1"


def test_one_unknown_stake_goes_to_review(client: TestClient, auth: dict[str, str]) -> None:
    ids = _chain(client, auth)
    _own(client, auth, ids["e2"], ids["h1"], ids["h2"])  # percentage now unknown
    out = _access(client, auth, ids["account"])
    assert out["access"] == "blocked"
    assert out["reason"] == "ownership_unknown"
    assert out["organisation"]["status"] == "review"


def test_removing_the_chain_restores_access_and_emits_the_event(
    client: TestClient, auth: dict[str, str]
) -> None:
    ids = _chain(client, auth)
    r = client.delete(f"/v1/ownerships/{ids['e3']}", headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["accounts_changed"] == [ids["account"]]
    out = _access(client, auth, ids["account"])
    assert out["access"] == "allowed"
    assert out["organisation"]["status"] == "clear"


def test_a_dismissed_hit_does_not_fire_again(client: TestClient, auth: dict[str, str]) -> None:
    ids = _chain(client, auth)
    r = client.post(
        "/v1/screening/dismissals",
        json={
            "subject": f"organisation:{ids['listed']}",
            "list": "test_list",
            "entry_id": "zx-1",
            "reason": "different company: registry numbers differ",
        },
        headers=auth,
    )
    assert r.status_code == 200, r.text
    assert _access(client, auth, ids["account"])["access"] == "allowed"
    # the same pair stays dismissed after another change
    _own(client, auth, ids["e3"], ids["h2"], ids["target"], percentage=80)
    assert _access(client, auth, ids["account"])["access"] == "allowed"


def test_restricted_jurisdiction_seeds_the_graph(
    client: TestClient, auth: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "_restricted_countries", lambda: frozenset({"XXA"}))
    parent, child, edge, account = _ids("p"), _ids("c"), _ids("e"), _ids("a")
    _org(client, auth, parent, "Parent State Enterprise", jurisdiction="xxa")
    _org(client, auth, child, "Child Trading LLC", jurisdiction="DEU")
    _own(client, auth, edge, parent, child, min_pct=50, max_pct=75)
    client.put(
        f"/v1/accounts/{account}/organisation", json={"organisation_id": child}, headers=auth
    )
    out = _access(client, auth, account)
    assert out["reason"] == "organisation_restricted"
    assert out["organisation"]["explanation"]["paths"][0][0]["owner"] == parent


def test_control_without_majority_is_review(client: TestClient, auth: dict[str, str]) -> None:
    ids = _chain(client, auth)
    other, account = _ids("o"), _ids("a")
    _org(client, auth, other, "Independent Widgets SA")
    r = client.put(
        f"/v1/controls/{_ids('ctl')}",
        json={"controller_id": ids["listed"], "entity_id": other, "role": "board_appointment"},
        headers=auth,
    )
    assert r.status_code == 200, r.text
    client.put(
        f"/v1/accounts/{account}/organisation", json={"organisation_id": other}, headers=auth
    )
    out = _access(client, auth, account)
    assert out["access"] == "blocked" and out["reason"] == "organisation_controlled"


@pytest.mark.parametrize(
    "body",
    [
        {"percentage": 120},
        {"min_pct": 60, "max_pct": 40},
        {"percentage": 50, "min_pct": 40},
        {"percentage": 10, "start_date": "2025-01-01", "end_date": "2024-01-01"},
    ],
)
def test_bad_percentages_are_refused(client: TestClient, auth: dict[str, str], body: dict) -> None:
    a, b = _ids("a"), _ids("b")
    _org(client, auth, a, "Alpha Ltd")
    _org(client, auth, b, "Beta Ltd")
    r = client.put(
        f"/v1/ownerships/{_ids('e')}", json={"owner_id": a, "asset_id": b, **body}, headers=auth
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"


def test_unknown_parties_and_self_ownership(client: TestClient, auth: dict[str, str]) -> None:
    a = _ids("a")
    _org(client, auth, a, "Alpha Ltd")
    r = client.put(
        f"/v1/ownerships/{_ids('e')}",
        json={"owner_id": "nobody", "asset_id": a, "percentage": 10},
        headers=auth,
    )
    assert r.status_code == 404
    r = client.put(
        f"/v1/ownerships/{_ids('e')}",
        json={"owner_id": a, "asset_id": a, "percentage": 10},
        headers=auth,
    )
    assert r.status_code == 422


def test_read_only_key_cannot_write(client: TestClient, read_only_key: str) -> None:
    r = client.put(
        f"/v1/organisations/{_ids('o')}",
        json={"name": "X"},
        headers={"Authorization": f"Bearer {read_only_key}"},
    )
    assert r.status_code == 403


def _approved_person(given: str, surname: str, birth: str) -> str:
    """An account whose latest verification was approved with these MRZ details."""
    with session_factory()() as session:
        external = _ids("acct-person")
        account = Account(id=new_id("acc"), external_id=external, access="allowed")
        session.add(account)
        session.flush()
        verification = m.Verification(
            id=new_id("ver"),
            account_id=account.id,
            status=m.APPROVED,
            client_secret_hash="x" * 64,
            short_code=new_id("s")[-10:].upper(),
            expires_at=utcnow() + timedelta(hours=1),
        )
        session.add(verification)
        session.flush()
        attempt = m.Attempt(id=new_id("att"), verification_id=verification.id, number=1)
        session.add(attempt)
        session.flush()
        session.add(
            m.CheckRecord(
                attempt_id=attempt.id,
                kind="mrz",
                outcome="pass",
                details={"fields": {"surname": surname, "given_names": given, "birth_date": birth}},
            )
        )
        session.add(
            m.DecisionRecord(
                verification_id=verification.id,
                attempt_id=attempt.id,
                status=m.APPROVED,
                decided_by_type="system",
            )
        )
        session.commit()
        return external


def _access_changes(external_id: str) -> list[tuple[str, str]]:
    from sqlalchemy import select

    from app.core.models import AuditEvent

    with session_factory()() as session:
        account = session.scalar(select(Account).where(Account.external_id == external_id))
        assert account is not None
        events = session.scalars(
            select(AuditEvent).where(
                AuditEvent.subject_id == account.id, AuditEvent.action == "account.access_changed"
            )
        )
        return [(e.data["to_access"], e.data["cause"]) for e in events]


def test_verified_person_matching_a_listed_person_goes_to_review(
    client: TestClient, auth: dict[str, str]
) -> None:
    account = _approved_person("VOMBELUND HARROWGATE", "QUIXTAR", "1961-04-02")
    out = _access(client, auth, account)
    assert out["access"] == "blocked"
    assert _access_changes(account) == [("blocked", "person_screening")]  # announced once
    _access(client, auth, account)
    assert len(_access_changes(account)) == 1
    assert out["reason"] == "watchlist_match"
    (hit,) = out["screening"]["hits"]
    assert hit["entry_id"] == "zx-2" and "birth_date_agrees" in hit["reasons"]
    # another birth date: the same name is not this listed person
    other = _approved_person("VOMBELUND HARROWGATE", "QUIXTAR", "1990-01-01")
    assert _access(client, auth, other)["access"] == "allowed"
    # a reviewer's dismissal clears the hit for this account
    r = client.post(
        "/v1/screening/dismissals",
        json={"subject": f"account:{account}", "list": "test_list", "entry_id": "zx-2",
              "reason": "passport number differs from the listed person's"},
        headers=auth,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    assert _access(client, auth, account)["access"] == "allowed"


def test_a_new_list_recomputes_the_verdicts(
    client: TestClient, auth: dict[str, str], tmp_path
) -> None:
    import contextlib
    import io

    from app.cli import main

    org, account = _ids("plumbrook"), _ids("acct")
    _org(client, auth, org, "Plumbrook Vexley Industrial Holdings")
    client.put(f"/v1/accounts/{account}/organisation", json={"organisation_id": org}, headers=auth)
    assert _access(client, auth, account)["access"] == "allowed"
    newer = tmp_path / "newer_list.jsonl"
    newer.write_text(
        json.dumps(
            {"id": "pv-1", "schema": "Company",
             "properties": {"name": ["PLUMBROOK VEXLEY INDUSTRIAL HOLDINGS"]}}
        )
    )  # fmt: skip
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["lists", "load", str(newer), "--recompute", "--json"]) == 0
    assert account in json.loads(out.getvalue())["recomputed"]["accounts_changed"]
    after = _access(client, auth, account)
    assert after["reason"] == "organisation_restricted"
    assert after["organisation"]["list_versions"]["newer_list"].startswith("sha256:")


def test_reviewer_queue_graph_and_dismissal(client: TestClient, auth: dict[str, str]) -> None:
    from app.reviews.service import create_reviewer

    ids = _chain(client, auth)
    email, password = f"orgs-{next(_n)}@example.com", "a-long-enough-password"
    with session_factory()() as session:
        create_reviewer(session, email, password)
        session.commit()
    login = client.post("/v1/review/login", json={"email": email, "password": password})
    assert login.status_code == 200, login.text
    csrf = login.json()["csrf_token"]

    queue = client.get("/v1/review/organisations").json()
    assert {ids["target"], ids["listed"]} <= {row["id"] for row in queue}
    svg = client.get(f"/v1/review/organisations/{ids['target']}/graph.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert svg.text.count("<rect") == 4 and "51 %" in svg.text and "Zorblax" in svg.text

    body = {"list": "test_list", "entry_id": "zx-1", "reason": "another company"}
    assert (
        client.post(f"/v1/review/organisations/{ids['listed']}/dismissals", json=body).status_code
        == 403
    )
    r = client.post(
        f"/v1/review/organisations/{ids['listed']}/dismissals",
        json=body,
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "clear" and ids["account"] in r.json()["accounts_changed"]
    client.post("/v1/review/logout", headers={"X-CSRF-Token": csrf})
    assert client.get("/v1/review/organisations").status_code == 401


def test_import_bods_through_the_api(client: TestClient, auth: dict[str, str], shared_data) -> None:
    path = shared_data / "screening" / "bods_examples" / "indirect-ownership.json"
    r = client.post("/v1/ownership-imports", content=path.read_bytes(), headers=auth)
    assert r.status_code == 200, r.text
    assert r.json()["imported"] == {"parties": 3, "ownerships": 2, "controls": 0}
    company_a = client.get("/v1/organisations/ad3f6c2fcc9e", headers=auth).json()
    assert company_a["name"] == "Company A" and company_a["verdict"]["status"] == "clear"
    bad = client.post("/v1/ownership-imports", content=b"{not json", headers=auth)
    assert bad.status_code == 422


def test_import_cli(client: TestClient, shared_data) -> None:
    import contextlib
    import io

    from app.cli import main

    path = shared_data / "screening" / "bods_examples" / "joint-ownership.json"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["organisations", "import", str(path), "--json"]) == 0
    result = json.loads(out.getvalue())
    assert result["format"] == "bods" and result["imported"]["ownerships"] == 3


def test_person_hits_reach_the_reviewer_and_a_new_list_rescreens(
    client: TestClient, auth: dict[str, str], tmp_path
) -> None:
    import contextlib
    import io

    from app.cli import main
    from app.reviews.service import create_reviewer

    account = _approved_person("ODALRIC PEMBERTHWAITE", "YSGARDEN", "1955-09-09")
    assert _access(client, auth, account)["access"] == "allowed"  # not listed yet
    newer = tmp_path / "persons_list.jsonl"
    newer.write_text(
        json.dumps(
            {"id": "ys-1", "schema": "Person",
             "properties": {"name": ["YSGARDEN, Odalric Pemberthwaite"], "birthDate": ["1955"]}}
        )
    )  # fmt: skip
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["lists", "load", str(newer), "--recompute", "--json"]) == 0
    # the stored screening was redone with the new list and the access change announced
    assert account in json.loads(out.getvalue())["recomputed"]["accounts_changed"]
    assert _access(client, auth, account)["reason"] == "watchlist_match"

    email, password = f"persons-{next(_n)}@example.com", "a-long-enough-password"
    with session_factory()() as session:
        create_reviewer(session, email, password)
        session.commit()
    csrf = client.post("/v1/review/login", json={"email": email, "password": password}).json()[
        "csrf_token"
    ]
    queue = client.get("/v1/review/organisations/persons/hits").json()
    (row,) = [r for r in queue if r["account_id"] == account]
    assert row["hits"][0]["entry_id"] == "ys-1" and "persons_list" in row["list_versions"]
    r = client.post(
        f"/v1/review/organisations/persons/{account}/dismissals",
        json={"list": "persons_list", "entry_id": "ys-1", "reason": "passport number differs"},
        headers={"X-CSRF-Token": csrf},
    )
    assert r.status_code == 200, r.text
    assert r.json()["access"] == "allowed"
    assert _access(client, auth, account)["access"] == "allowed"
    client.post("/v1/review/logout", headers={"X-CSRF-Token": csrf})
