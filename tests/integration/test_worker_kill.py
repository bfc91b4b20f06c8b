"""A worker killed in the middle of a verification loses nothing: the task is redelivered
and the verification completes exactly once (PostgreSQL + RabbitMQ + real processes)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.verifications.models import Attempt, CheckRecord, DecisionRecord
from tests.integration.conftest import (
    AMQP_URL,
    Stack,
    _port_open,
    _unavailable,
    make_stack,
    wait_for,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def kill_db_url() -> Iterator[str]:
    """Its own database: the other stack's rows are sealed with another data dir's keys."""
    from tests.integration.conftest import _fresh_database

    yield from _fresh_database()


@pytest.fixture(scope="module")
def rabbit_stack(kill_db_url: str) -> Iterator[Stack]:
    if not _port_open("127.0.0.1", 5672):
        _unavailable("RabbitMQ is not listening on 127.0.0.1:5672")
    stack = make_stack(kill_db_url, AMQP_URL, "rabbit")
    try:
        stack.start_api()
        yield stack
    finally:
        stack.stop()


def test_killed_worker_mid_task_completes_exactly_once(
    rabbit_stack: Stack, kill_db_url: str, shared_data: Path
) -> None:
    key = rabbit_stack.cli("apikey", "create", "kill-test")["api_key"]
    base = rabbit_stack.base_url
    verification = httpx.post(
        base + "/v1/accounts/kill-user/flag", headers={"Authorization": f"Bearer {key}"}, json={}
    ).json()["verification"]
    client = {"X-Client-Secret": verification["client_secret"]}
    session_url = f"{base}/v1/sessions/{verification['id']}"
    document = shared_data / "documents" / "passport-td3.jpg"
    selfie = shared_data / "faces" / "obama" / "obama2.jpg"
    assert (
        httpx.post(
            session_url + "/document",
            headers=client,
            files={"file": ("d.jpg", document.read_bytes())},
        ).status_code
        == 200
    )
    assert (
        httpx.post(
            session_url + "/selfie", headers=client, files={"files": ("s.jpg", selfie.read_bytes())}
        ).status_code
        == 200
    )

    # The first worker stalls inside the document stage so that the kill lands mid-task.
    doomed = rabbit_stack.start_worker(IDGATE_DEBUG_STAGE_DELAY_S="20")
    log = rabbit_stack.worker_logs[-1]
    assert httpx.post(session_url + "/submit", headers=client).json()["status"] == "processing"
    wait_for(
        lambda: "idgate.stage.document" in log.read_text(errors="replace"),
        timeout=120,
        what="the worker to receive the document stage",
    )
    time.sleep(2)
    rabbit_stack.kill_worker(doomed)

    engine = create_engine(kill_db_url)
    with Session(engine) as db:
        attempt = db.scalar(select(Attempt).where(Attempt.verification_id == verification["id"]))
        assert attempt is not None and attempt.state == "processing"
        assert attempt.stage == "document"
        assert (
            db.scalar(
                select(func.count())
                .select_from(CheckRecord)
                .where(CheckRecord.attempt_id == attempt.id)
            )
            == 0
        )  # nothing half-written

    # A fresh worker gets the redelivered message and finishes the verification.
    rabbit_stack.start_worker()

    def decided() -> bool:
        status = httpx.get(session_url + "/status", headers=client).json()["status"]
        return status not in ("processing",)

    wait_for(decided, timeout=240, what="the redelivered verification to finish")
    time.sleep(3)  # any duplicate delivery would have landed by now
    with Session(engine) as db:
        decisions = db.scalars(
            select(DecisionRecord).where(DecisionRecord.verification_id == verification["id"])
        ).all()
        assert len(decisions) == 1
        kinds = db.scalars(
            select(CheckRecord.kind).where(CheckRecord.attempt_id == attempt.id)
        ).all()
        assert len(kinds) == len(set(kinds))
        assert {"quality", "mrz", "liveness", "selfie", "face_match", "duplicates"} <= set(kinds)
    engine.dispose()
