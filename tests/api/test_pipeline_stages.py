"""The pipeline stages in-process on SQLite: order, status guard, exactly-once decision,
redaction of images and templates (the worker and broker tier is tests/integration)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.core.db import session_factory
from app.pipeline.stages import run_stage, stale_attempts
from app.verifications.models import Artifact, Attempt, CheckRecord, DecisionRecord, FaceTemplate


def _attempt(verification_id: str) -> Attempt:
    with session_factory()() as s:
        attempt = s.scalar(select(Attempt).where(Attempt.verification_id == verification_id))
        assert attempt is not None
        return attempt


def test_stages_run_in_order_once_and_redaction_deletes_biometrics(
    client: TestClient, auth, flagged, shared_data: Path, test_data_dir: Path
):
    verification = flagged["verification"]
    headers = {"X-Client-Secret": verification["client_secret"]}
    base = f"/v1/sessions/{verification['id']}"
    document = (shared_data / "documents" / "passport-td3.jpg").read_bytes()
    upload = client.post(base + "/document", headers=headers, files={"file": ("d.jpg", document)})
    assert upload.status_code == 200
    assert upload.json()["quality"]["ok"] is True
    selfie = (shared_data / "faces" / "biden" / "biden.jpg").read_bytes()
    assert (
        client.post(
            base + "/selfie", headers=headers, files={"files": ("s.jpg", selfie)}
        ).status_code
        == 200
    )
    assert client.post(base + "/submit", headers=headers).json()["status"] == "processing"
    attempt_id = _attempt(verification["id"]).id

    # A stage delivered out of order does nothing (the status guard).
    assert run_stage("face", attempt_id) == "skipped"
    assert run_stage("document", attempt_id) == "document_read"
    assert run_stage("document", attempt_id) == "skipped"  # redelivered: no second run
    assert run_stage("selfie", attempt_id) == "selfie_checked"
    assert run_stage("face", attempt_id) == "face_checked"
    status = run_stage("decide", attempt_id)
    assert status in ("resubmission_requested", "needs_review", "declined")
    assert run_stage("decide", attempt_id) == "skipped"

    with session_factory()() as s:
        kinds = list(
            s.scalars(select(CheckRecord.kind).where(CheckRecord.attempt_id == attempt_id))
        )
        assert len(kinds) == len(set(kinds))
        assert {
            "quality",
            "mrz",
            "liveness",
            "selfie",
            "face_match",
            "duplicates",
            "document_rules",
        } <= set(kinds)
        assert (
            s.scalar(
                select(func.count())
                .select_from(DecisionRecord)
                .where(DecisionRecord.verification_id == verification["id"])
            )
            == 1
        )
        assert (
            s.scalar(
                select(func.count())
                .select_from(FaceTemplate)
                .where(FaceTemplate.verification_id == verification["id"])
            )
            == 1
        )
        assert stale_attempts(s, older_than_s=0) == []

    final = client.get(base + "/status", headers=headers).json()
    assert final["status"] == status
    # the specimen's portrait is another person: never a match, a reviewer looks
    assert {"face_mismatch", "face_match_uncertain"} & set(final["reason_codes"])

    redacted = client.post(f"/v1/verifications/{verification['id']}/redact", headers=auth)
    assert redacted.status_code == 200 and redacted.json()["redacted"] is True
    assert redacted.json()["decision"]["status"] == status  # the decision stays
    with session_factory()() as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(FaceTemplate)
                .where(FaceTemplate.verification_id == verification["id"])
            )
            == 0
        )
        keys = list(
            s.scalars(
                select(Artifact.storage_key).where(Artifact.verification_id == verification["id"])
            )
        )
        assert keys and all(k is None for k in keys)
    blob_dir = test_data_dir / "blobs" / verification["id"]
    assert not [p for p in blob_dir.rglob("*") if p.is_file()]
