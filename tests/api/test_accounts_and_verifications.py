"""Platform API: flag, access, verifications, authorisation, upload validation."""

from __future__ import annotations

import io
import re
from pathlib import Path

from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from app.core.db import session_factory
from app.verifications.models import Artifact


def _jpeg(width: int = 640, height: int = 480) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (120, 130, 140)).save(buf, format="JPEG")
    return buf.getvalue()


def _artifact_count() -> int:
    with session_factory()() as s:
        return s.scalar(select(func.count()).select_from(Artifact)) or 0


def test_flag_blocks_access_and_returns_a_link(client: TestClient, auth, account_id, flagged):
    assert flagged["account"]["access"] == "blocked"
    link = flagged["verification"]
    assert link["url"].startswith("http") and link["client_secret"] in link["url"]
    access = client.get(f"/v1/accounts/{account_id}/access", headers=auth).json()
    assert access == {
        "account_id": account_id,
        "access": "blocked",
        "reason": "multi_account_abuse",
        "verification_id": link["id"],
    }


def test_flag_twice_reuses_the_open_verification_and_rotates_the_secret(
    client: TestClient, auth, account_id, flagged
):
    again = client.post(f"/v1/accounts/{account_id}/flag", json={}, headers=auth).json()
    assert again["verification"]["id"] == flagged["verification"]["id"]
    assert again["verification"]["client_secret"] != flagged["verification"]["client_secret"]
    old = client.get(
        f"/v1/sessions/{flagged['verification']['id']}/status",
        headers={"X-Client-Secret": flagged["verification"]["client_secret"]},
    )
    assert old.status_code == 401


def test_unknown_account_is_allowed(client: TestClient, auth):
    r = client.get("/v1/accounts/never-flagged/access", headers=auth)
    assert r.json()["access"] == "allowed"


def test_missing_and_wrong_api_keys_are_refused(client: TestClient, account_id):
    assert client.get(f"/v1/accounts/{account_id}/access").status_code == 401
    r = client.get(
        f"/v1/accounts/{account_id}/access",
        headers={"Authorization": "Bearer idg_000000000000_nope"},
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "invalid_api_key"


def test_scopes_are_enforced(client: TestClient, read_only_key, account_id):
    r = client.post(
        f"/v1/accounts/{account_id}/flag",
        json={},
        headers={"Authorization": f"Bearer {read_only_key}"},
    )
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "insufficient_scope"


def test_client_secret_cannot_touch_another_verification(client: TestClient, auth):
    a = client.post("/v1/accounts/a-owner/flag", json={}, headers=auth).json()["verification"]
    b = client.post("/v1/accounts/b-owner/flag", json={}, headers=auth).json()["verification"]
    r = client.get(
        f"/v1/sessions/{b['id']}/status", headers={"X-Client-Secret": a["client_secret"]}
    )
    assert r.status_code == 401
    r = client.post(
        f"/v1/sessions/{b['id']}/document",
        headers={"X-Client-Secret": a["client_secret"]},
        files={"file": ("d.jpg", _jpeg(), "image/jpeg")},
    )
    assert r.status_code == 401


def _upload(client, verification, data: bytes, name="doc.jpg"):
    return client.post(
        f"/v1/sessions/{verification['id']}/document",
        headers={"X-Client-Secret": verification["client_secret"]},
        files={"file": (name, data, "image/jpeg")},
        data={"side": "front"},
    )


def test_bad_uploads_are_refused_and_nothing_is_stored(client: TestClient, flagged, tmp_path: Path):
    verification = flagged["verification"]
    before = _artifact_count()
    pdf = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n" + b"0" * 500
    cases = {
        "unsupported_media_type": pdf,
        "image_corrupt": b"\xff\xd8\xff\xe0" + b"garbage" * 100,
        "image_too_small": _jpeg(1, 1),
    }
    for expected, data in cases.items():
        r = _upload(client, verification, data, name="photo.jpg")
        assert r.status_code == 422, (expected, r.text)
        assert r.json()["error"]["code"] == expected
    # A pixel bomb: a small PNG that claims 20000 x 20000 pixels.
    buf = io.BytesIO()
    Image.new("L", (20000, 12000), 0).save(buf, format="PNG", optimize=True)
    r = _upload(client, verification, buf.getvalue(), name="bomb.jpg")
    assert r.status_code == 422 and r.json()["error"]["code"] == "image_too_large"
    assert _artifact_count() == before
    status = client.get(
        f"/v1/sessions/{verification['id']}/status",
        headers={"X-Client-Secret": verification["client_secret"]},
    ).json()
    assert status["status"] == "created" and not status["has_document"]


def test_upload_is_encrypted_at_rest(client: TestClient, flagged, test_data_dir: Path):
    verification = flagged["verification"]
    data = _jpeg()
    r = _upload(client, verification, data)
    assert r.status_code == 200, r.text
    blobs = [p for p in (test_data_dir / "blobs" / verification["id"]).rglob("*") if p.is_file()]
    assert len(blobs) == 1
    stored = blobs[0].read_bytes()
    assert data[:64] not in stored and stored != data
    assert oct(blobs[0].stat().st_mode & 0o777) == "0o600"


def test_submit_requires_document_and_selfie(client: TestClient, flagged):
    verification = flagged["verification"]
    headers = {"X-Client-Secret": verification["client_secret"]}
    r = client.post(f"/v1/sessions/{verification['id']}/submit", headers=headers)
    assert r.status_code == 422 and r.json()["error"]["code"] == "document_missing"
    assert _upload(client, verification, _jpeg()).status_code == 200
    r = client.post(f"/v1/sessions/{verification['id']}/submit", headers=headers)
    assert r.json()["error"]["code"] == "selfie_missing"


def test_cancel_and_list(client: TestClient, auth, flagged, account_id):
    vid = flagged["verification"]["id"]
    r = client.post(f"/v1/verifications/{vid}/cancel", headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "canceled"
    assert client.post(f"/v1/verifications/{vid}/cancel", headers=auth).status_code == 409
    listed = client.get("/v1/verifications", params={"account_id": account_id}, headers=auth).json()
    assert [v["id"] for v in listed["data"]] == [vid]


def test_health_ready_openapi(client: TestClient, monkeypatch):
    from app.core import readiness

    assert client.get("/healthz").json() == {"status": "ok"}
    # no worker consumes the pipeline queue here: not ready, and it says why
    readiness.reset_cache()
    monkeypatch.setattr(readiness, "inspect_pipeline_consumers", lambda: [])
    not_ready = client.get("/readyz")
    assert not_ready.status_code == 503
    assert not_ready.json()["error"]["code"] == "not_ready"
    assert not_ready.json()["error"]["details"] == {"database": "ok", "workers": []}
    readiness.reset_cache()
    monkeypatch.setattr(readiness, "inspect_pipeline_consumers", lambda: ["pipeline-1@h"])
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["workers"] == ["pipeline-1@h"]
    readiness.reset_cache()
    spec = client.get("/openapi.json").json()
    assert "/v1/accounts/{account_id}/flag" in spec["paths"]
    assert "idgate_http_requests_total" in client.get("/metrics").text


def test_idempotency_key_replays_the_first_response(client: TestClient, auth, account_id):
    headers = {**auth, "Idempotency-Key": f"flag-{account_id}"}
    first = client.post(f"/v1/accounts/{account_id}/flag", json={"reason": "x"}, headers=headers)
    again = client.post(f"/v1/accounts/{account_id}/flag", json={"reason": "x"}, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json() == first.json()
    other = client.post(f"/v1/accounts/{account_id}/flag", json={"reason": "y"}, headers=headers)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    created = client.post(
        "/v1/verifications",
        json={"account_id": account_id},
        headers={**auth, "Idempotency-Key": f"create-{account_id}"},
    )
    replay = client.post(
        "/v1/verifications",
        json={"account_id": account_id},
        headers={**auth, "Idempotency-Key": f"create-{account_id}"},
    )
    assert created.status_code == replay.status_code == 201
    assert created.json()["id"] == replay.json()["id"]


def test_unflag_restores_access_and_cancels_the_open_verification(
    client: TestClient, auth, account_id, flagged
):
    vid = flagged["verification"]["id"]
    r = client.post(f"/v1/accounts/{account_id}/unflag", headers=auth)
    assert r.status_code == 200
    assert r.json() == {
        "account_id": account_id,
        "access": "allowed",
        "reason": "unflagged_by_platform",
        "verification_id": None,
    }
    read = client.get(f"/v1/verifications/{vid}", headers=auth).json()
    assert read["status"] == "canceled" and read["account_id"] == account_id
    assert client.post("/v1/accounts/nobody-here/unflag", headers=auth).status_code == 404


def test_docs_and_redoc_load_their_assets_locally(client: TestClient):
    for page in ("/docs", "/redoc"):
        html = client.get(page).text
        assert "cdn" not in html.lower() and "googleapis" not in html
        assets = re.findall(r'(?:src|href)="(/docs-assets/[^"]+)"', html)
        assert assets, page
        for asset in assets:
            r = client.get(asset)
            assert r.status_code == 200 and len(r.content) > 1000, asset
