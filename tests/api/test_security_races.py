"""Races (issue 27): concurrent first flags, concurrent verification creation, double submit."""

from __future__ import annotations

import io
import itertools
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from app.accounts.models import Account
from app.core.db import session_factory
from app.verifications import models as m
from app.verifications.models import Verification

_n = itertools.count()


def _jpeg(width: int = 640, height: int = 480) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (90, 80, 70)).save(buf, format="JPEG")
    return buf.getvalue()


def _open_verifications(external_id: str) -> list[Verification]:
    with session_factory()() as s:
        return list(
            s.scalars(
                select(Verification)
                .join(Account, Account.id == Verification.account_id)
                .where(
                    Account.external_id == external_id,
                    Verification.status.not_in(m.TERMINAL_STATUSES),
                )
            )
        )


def test_concurrent_first_flags_make_one_account_and_one_open_link(
    client: TestClient, auth
) -> None:
    for _round in range(3):
        external = f"acct-race-{next(_n)}"
        with ThreadPoolExecutor(10) as pool:
            answers = list(
                pool.map(
                    lambda _i, e=external: client.post(
                        f"/v1/accounts/{e}/flag", json={"reason": "x"}, headers=auth
                    ),
                    range(10),
                )
            )
        codes = [a.status_code for a in answers]
        assert set(codes) <= {200, 409}, [a.text for a in answers if a.status_code >= 500]
        assert 200 in codes
        with session_factory()() as s:
            count = s.scalar(
                select(func.count()).select_from(Account).where(Account.external_id == external)
            )
        assert count == 1
        assert len(_open_verifications(external)) == 1


def test_a_new_verification_cancels_the_old_link(client: TestClient, auth, flagged) -> None:
    old = flagged["verification"]
    account_id = flagged["account"]["account_id"]
    r = client.post("/v1/verifications", json={"account_id": account_id}, headers=auth)
    assert r.status_code == 201, r.text
    new = r.json()
    stale = client.get(
        f"/v1/sessions/{old['id']}/status", headers={"X-Client-Secret": old["client_secret"]}
    ).json()
    assert stale["status"] == "canceled" and stale["reason_codes"] == ["superseded"]
    assert [v.id for v in _open_verifications(account_id)] == [new["id"]]
    access = client.get(f"/v1/accounts/{account_id}/access", headers=auth).json()
    assert access["verification_id"] == new["id"]


def test_concurrent_creation_leaves_one_open_verification(client: TestClient, auth) -> None:
    external = f"acct-race-{next(_n)}"
    with ThreadPoolExecutor(8) as pool:
        answers = list(
            pool.map(
                lambda _i: client.post(
                    "/v1/verifications", json={"account_id": external}, headers=auth
                ),
                range(8),
            )
        )
    codes = [a.status_code for a in answers]
    assert set(codes) <= {201, 409}, [a.text for a in answers if a.status_code >= 500]
    assert len(_open_verifications(external)) == 1


def test_double_submit_queues_once(
    client: TestClient, flagged, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.verifications import service

    verification = flagged["verification"]
    headers = {"X-Client-Secret": verification["client_secret"]}
    base = f"/v1/sessions/{verification['id']}"
    assert (
        client.post(base + "/document", headers=headers, files={"file": ("d.jpg", _jpeg())})
    ).status_code == 200
    assert (
        client.post(base + "/selfie", headers=headers, files={"files": ("s.jpg", _jpeg())})
    ).status_code == 200

    enqueued: list[str] = []
    monkeypatch.setattr(service, "enqueue_stage", lambda stage, a: enqueued.append(a))
    # Both requests read the collecting attempt before either writes: the worst interleaving.
    barrier = threading.Barrier(2, timeout=10)
    real = service.live_artifacts

    def synchronised(session, attempt_id, kinds):  # type: ignore[no-untyped-def]
        if kinds == ("selfie", "selfie_frame"):
            barrier.wait()
        return real(session, attempt_id, kinds)

    monkeypatch.setattr(service, "live_artifacts", synchronised)
    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(lambda _i: client.post(base + "/submit", headers=headers), range(2))
        )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409], [a.text for a in answers]
    loser = next(a for a in answers if a.status_code == 409)
    assert loser.json()["error"]["code"] == "already_submitted"
    assert len(enqueued) == 1
