"""Retention (issue 27): finished verifications lose their personal data after the period."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from app.core.db import session_factory
from app.core.models import AuditEvent
from app.core.types import utcnow
from app.verifications.models import Artifact, DecisionRecord, Verification
from app.verifications.retention import run_retention


def _upload_document(client: TestClient, verification: dict) -> None:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (10, 20, 30)).save(buf, format="JPEG")
    r = client.post(
        f"/v1/sessions/{verification['id']}/document",
        headers={"X-Client-Secret": verification["client_secret"]},
        files={"file": ("d.jpg", buf.getvalue())},
    )
    assert r.status_code == 200, r.text


def test_retention_redacts_old_finished_verifications_once(
    client: TestClient, auth, flagged, test_data_dir: Path
) -> None:
    verification = flagged["verification"]
    _upload_document(client, verification)
    assert (
        client.post(f"/v1/verifications/{verification['id']}/cancel", headers=auth).status_code
        == 200
    )
    blob_dir = test_data_dir / "blobs" / verification["id"]
    assert [p for p in blob_dir.rglob("*") if p.is_file()]

    # within the period: nothing happens
    run_retention(days=30)
    with session_factory()() as s:
        row = s.get(Verification, verification["id"])
        assert row is not None and row.redacted_at is None
        s.execute(
            update(Verification)
            .where(Verification.id == verification["id"])
            .values(decided_at=utcnow() - timedelta(days=31))
        )
        s.commit()

    assert run_retention(days=30) >= 1
    assert run_retention(days=30) == 0  # idempotent
    with session_factory()() as s:
        row = s.get(Verification, verification["id"])
        assert row is not None and row.redacted_at is not None and row.status == "canceled"
        keys = s.scalars(
            select(Artifact.storage_key).where(Artifact.verification_id == verification["id"])
        ).all()
        assert keys and all(k is None for k in keys)
        redactions = s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.subject_id == verification["id"],
                AuditEvent.action == "verification.redacted",
            )
        )
        assert redactions == 1
        # the audit trail of what happened before stays
        assert s.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(
                AuditEvent.subject_id == verification["id"],
                AuditEvent.action == "artifact.uploaded",
            )
        )
        assert s.scalar(select(func.count()).select_from(DecisionRecord)) is not None
    assert not [p for p in blob_dir.rglob("*") if p.is_file()]


def test_unfinished_links_are_redacted_after_expiry_plus_the_period(
    client: TestClient, flagged
) -> None:
    verification = flagged["verification"]
    _upload_document(client, verification)
    with session_factory()() as s:
        s.execute(
            update(Verification)
            .where(Verification.id == verification["id"])
            .values(expires_at=utcnow() - timedelta(days=31))
        )
        s.commit()
    run_retention(days=30)
    with session_factory()() as s:
        row = s.get(Verification, verification["id"])
        assert row is not None and row.redacted_at is not None and row.status == "expired"


def test_consent_page_states_the_retention_period(client: TestClient, flagged) -> None:
    from app.core.config import get_settings

    page = client.get(f"/capture/{flagged['verification']['id']}")
    assert f"{get_settings().retention_days} days" in page.text
