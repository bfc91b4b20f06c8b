"""Redaction is final and idempotent and leaves no personal data in API answers (issue 27)."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.core.db import session_factory
from app.core.models import AuditEvent
from app.pipeline.stages import run_stage
from app.verifications.models import Attempt, CheckRecord, DocumentFingerprint
from app.webhooks.models import WebhookDelivery, WebhookEndpoint


def _count(model, **where) -> int:  # type: ignore[no-untyped-def]
    with session_factory()() as s:
        query = select(func.count()).select_from(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == value)
        return int(s.scalar(query) or 0)


def _events(verification_id: str, action: str) -> int:
    return _count(AuditEvent, subject_id=verification_id, action=action)


def _redacted_events(verification_id: str) -> int:
    with session_factory()() as s:
        rows = s.scalars(
            select(WebhookDelivery.payload).where(
                WebhookDelivery.event_type == "verification.redacted"
            )
        ).all()
    return sum(1 for p in rows if p["data"]["verification_id"] == verification_id)


def _endpoint() -> None:
    """An (inactive-safe) endpoint so that events become delivery rows we can count."""
    with session_factory()() as s:
        if not s.scalar(select(WebhookEndpoint).where(WebhookEndpoint.url == "https://8.8.8.8/r")):
            from app.webhooks.service import create_endpoint

            create_endpoint(s, "https://8.8.8.8/r", ["verification.redacted"])
            s.commit()


def test_redacting_an_open_verification_ends_it(client: TestClient, auth, flagged) -> None:
    _endpoint()
    verification = flagged["verification"]
    headers = {"X-Client-Secret": verification["client_secret"]}
    base = f"/v1/sessions/{verification['id']}"
    assert client.post(base + "/challenge", headers=headers).status_code == 200

    first = client.post(f"/v1/verifications/{verification['id']}/redact", headers=auth)
    assert first.status_code == 200, first.text
    assert first.json()["redacted"] is True and first.json()["status"] == "canceled"
    # no more input of any kind
    assert client.post(base + "/challenge", headers=headers).status_code == 409
    r = client.post(base + "/selfie", headers=headers, files={"files": ("s.jpg", b"\xff\xd8")})
    assert r.status_code == 409
    manual = client.post(f"/capture/{verification['id']}/manual-review", json={}, headers=headers)
    assert manual.status_code == 409
    # idempotent: same answer, no new audit event, no new webhook event
    audits, events = (
        _events(verification["id"], "verification.redacted"),
        _redacted_events(verification["id"]),
    )
    assert audits == 1 and events == 1
    again = client.post(f"/v1/verifications/{verification['id']}/redact", headers=auth)
    assert again.status_code == 200 and again.json()["redacted"] is True
    assert _events(verification["id"], "verification.redacted") == 1
    assert _redacted_events(verification["id"]) == 1


def test_redacted_verification_shows_no_personal_data(
    client: TestClient, auth, flagged, shared_data: Path
) -> None:
    verification = flagged["verification"]
    headers = {"X-Client-Secret": verification["client_secret"]}
    base = f"/v1/sessions/{verification['id']}"
    document = (shared_data / "documents" / "passport-td3.jpg").read_bytes()
    assert (
        client.post(
            base + "/document", headers=headers, files={"file": ("d.jpg", document)}
        ).status_code
        == 200
    )
    selfie = (shared_data / "faces" / "biden" / "biden.jpg").read_bytes()
    client.post(base + "/selfie", headers=headers, files={"files": ("s.jpg", selfie)})
    assert client.post(base + "/submit", headers=headers).status_code == 200
    with session_factory()() as s:
        attempt_id = s.scalar(
            select(Attempt.id).where(Attempt.verification_id == verification["id"])
        )
    for stage in ("document", "selfie", "face", "decide"):
        run_stage(stage, attempt_id)
    before = client.get(f"/v1/verifications/{verification['id']}", headers=auth).json()
    mrz = next(c for c in before["checks"] if c["kind"] == "mrz")
    surname = mrz["details"]["fields"]["surname"]
    number = mrz["details"]["fields"]["document_number"]
    assert surname and number in json.dumps(before)
    assert _count(DocumentFingerprint, verification_id=verification["id"]) == 1

    assert (
        client.post(f"/v1/verifications/{verification['id']}/redact", headers=auth).status_code
        == 200
    )
    after = client.get(f"/v1/verifications/{verification['id']}", headers=auth)
    text = after.text
    assert surname not in text and number not in text
    assert after.json()["decision"] is not None  # the decision stays
    assert _count(DocumentFingerprint, verification_id=verification["id"]) == 0
    with session_factory()() as s:
        details = s.scalars(select(CheckRecord.details).where(CheckRecord.attempt_id == attempt_id))
        assert all(d == {} for d in details)
