"""Secrets at rest and in logs (issue 27): idempotency records, data files, access log."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.core.config import get_settings
from app.core.db import session_factory
from app.core.log_redaction import RedactSecrets, redact_text
from app.core.models import IdempotencyRecord


def test_idempotency_records_hold_no_secret_or_plain_key(client: TestClient, auth, account_id):
    key = f"flag-secret-{account_id}"
    headers = {**auth, "Idempotency-Key": key}
    first = client.post(f"/v1/accounts/{account_id}/flag", json={"reason": "x"}, headers=headers)
    secret = first.json()["verification"]["client_secret"]
    with session_factory()() as s:
        rows = list(s.scalars(select(IdempotencyRecord)))
    dumped = json.dumps([[r.key, r.response] for r in rows])
    assert secret not in dumped and key not in dumped
    replay = client.post(f"/v1/accounts/{account_id}/flag", json={"reason": "x"}, headers=headers)
    assert replay.json() == first.json()  # the sealed response still replays


def test_database_file_is_private(client: TestClient) -> None:
    url = get_settings().resolved_database_url
    path = Path(url.removeprefix("sqlite:///"))
    assert path.exists()
    for candidate in (path, path.with_name(path.name + "-wal")):
        if candidate.exists():
            assert stat.S_IMODE(candidate.stat().st_mode) == 0o600, candidate


def test_fresh_sqlite_database_is_created_0600(tmp_path: Path) -> None:
    from app.core.migrate import upgrade

    target = tmp_path / "sub" / "fresh.db"
    upgrade(f"sqlite:///{target}")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert stat.S_IMODE(target.parent.stat().st_mode) == 0o700


def test_access_log_lines_do_not_carry_secrets() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/capture/ver_1?secret=vcs_abcdefghijklmnop&x=1", "1.1", 200),
        None,
    )
    RedactSecrets().filter(record)
    line = record.getMessage()
    assert "vcs_abcdefghijklmnop" not in line and "x=1" in line
    assert "abcdefghij" not in redact_text("token whsec_abcdefghijkl in a message")


def test_capture_page_drops_the_secret_from_the_address_bar() -> None:
    """The page script moves the secret out of the URL and fetches the QR with a header."""
    script = (Path(__file__).resolve().parents[2] / "app/web/static/capture.js").read_text()
    assert "history.replaceState" in script
    assert "qr.svg?secret" not in script


def test_qr_code_takes_the_secret_from_a_header_only(client: TestClient, flagged) -> None:
    verification = flagged["verification"]
    url = f"/capture/{verification['id']}/qr.svg"
    assert client.get(url, params={"secret": verification["client_secret"]}).status_code == 401
    r = client.get(url, headers={"X-Client-Secret": verification["client_secret"]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
