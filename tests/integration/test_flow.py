"""End to end on PostgreSQL + Redis with a real worker: flag -> capture -> submit ->
decision -> review -> access, with signed webhooks to a real HTTP receiver."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from app.webhooks.signing import EVENT_ID_HEADER, SIGNATURE_HEADER, verify
from tests.integration.conftest import Stack, WebhookReceiver, wait_for

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def platform(redis_stack: Stack, webhook_receiver: WebhookReceiver) -> dict:
    key = redis_stack.cli("apikey", "create", "platform-it")["api_key"]
    headers = {"Authorization": f"Bearer {key}"}
    endpoint = httpx.post(
        redis_stack.base_url + "/v1/webhook-endpoints",
        headers=headers,
        json={"url": webhook_receiver.url},
    ).json()
    return {"headers": headers, "secret": endpoint["secret"], "endpoint_id": endpoint["id"]}


def _capture(stack: Stack, verification: dict, document: Path, selfie: Path) -> httpx.Response:
    client_headers = {"X-Client-Secret": verification["client_secret"]}
    base = f"{stack.base_url}/v1/sessions/{verification['id']}"
    r = httpx.post(
        base + "/document",
        headers=client_headers,
        data={"side": "front"},
        files={"file": (document.name, document.read_bytes(), "image/jpeg")},
    )
    assert r.status_code == 200, r.text
    r = httpx.post(
        base + "/selfie",
        headers=client_headers,
        files={"files": (selfie.name, selfie.read_bytes(), "image/jpeg")},
    )
    assert r.status_code == 200, r.text
    return httpx.post(base + "/submit", headers=client_headers)


def _status(stack: Stack, verification: dict) -> dict:
    return httpx.get(
        f"{stack.base_url}/v1/sessions/{verification['id']}/status",
        headers={"X-Client-Secret": verification["client_secret"]},
    ).json()


@pytest.fixture(scope="module")
def valid_obama_passport(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic, unexpired TD3 passport with a real portrait of Obama (the shared
    specimens have all expired). This tier tests the service, not reading accuracy (the
    document benchmark does that), so the first render that the current reader reads
    exactly, with a portrait, is used."""
    import dataclasses
    from datetime import date

    import numpy as np
    from PIL import Image

    from app.vision.document.reader import read_document
    from app.vision.faces import load_face_models
    from benchmarks.synth.documents import random_spec, render_document

    folder = tmp_path_factory.mktemp("docs")
    for seed in range(11, 19):
        rng = np.random.default_rng(seed)
        spec = dataclasses.replace(
            random_spec(rng),
            format="TD3",
            document_type="P",
            identity="obama",
            portrait_file="obama.jpg",
            birth_date=date(1961, 8, 4),
            expiry_date=date(2031, 5, 1),
            dpi=300.0,
        )
        page, truth = render_document(spec, rng)
        height, width = page.shape[:2]
        scan = np.full((height + 160, width + 160, 3), 246, np.uint8)  # a flatbed scan
        scan[80 : 80 + height, 80 : 80 + width] = page
        reading = read_document(scan, today=date.today(), models=load_face_models())
        if (
            reading.mrz.valid
            and reading.mrz.lines == tuple(truth.mrz_lines)
            and reading.portrait is not None
        ):
            path = folder / f"obama-td3-{seed}.jpg"
            Image.fromarray(scan).save(path, quality=95)
            return path
    pytest.fail("the document reader read none of 8 synthetic passports exactly")


def _wait_decision(stack: Stack, verification: dict) -> dict:
    return wait_for(
        lambda: (s := _status(stack, verification))["status"] != "processing" and s,
        what="the worker's decision",
    )


def test_flag_capture_retry_review_restore(
    redis_stack: Stack,
    platform: dict,
    webhook_receiver: WebhookReceiver,
    shared_data: Path,
    valid_obama_passport: Path,
) -> None:
    base, headers = redis_stack.base_url, platform["headers"]
    flagged = httpx.post(
        base + "/v1/accounts/it-user-1/flag",
        headers=headers,
        json={"reason": "multi_account_abuse"},
    ).json()
    verification = flagged["verification"]
    assert flagged["account"]["access"] == "blocked"

    # Attempt 1: the ICAO specimen (expired in 2012, portrait not Obama), a still selfie.
    submitted = _capture(
        redis_stack,
        verification,
        shared_data / "documents" / "passport-td3.jpg",
        shared_data / "faces" / "obama" / "obama.jpg",
    )
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "processing"
    first = _wait_decision(redis_stack, verification)
    assert first["status"] == "resubmission_requested", first
    assert {"document_expired", "face_mismatch", "liveness_not_checked"} <= set(
        first["reason_codes"]
    )
    assert first["next_step"] == "retry"
    detail = httpx.get(f"{base}/v1/verifications/{verification['id']}", headers=headers).json()
    checks = {c["kind"]: c for c in detail["checks"]}
    assert checks["mrz"]["outcome"] == "pass"
    assert checks["mrz"]["details"]["fields"]["surname"] == "ERIKSSON"
    assert checks["mrz"]["details"]["fields"]["document_number"] == "L898902C3"
    assert checks["face_match"]["outcome"] == "fail"
    assert detail["decision"]["policy_version"] and detail["decision"]["model_versions"]
    assert (
        httpx.get(base + "/v1/accounts/it-user-1/access", headers=headers).json()["access"]
        == "blocked"
    )

    # Attempt 2: a valid passport of the same person as the selfie. Without liveness it is
    # never auto-approved: it goes to a reviewer.
    assert (
        _capture(
            redis_stack,
            verification,
            valid_obama_passport,
            shared_data / "faces" / "obama" / "obama2.jpg",
        ).status_code
        == 200
    )
    second = _wait_decision(redis_stack, verification)
    assert second["status"] == "needs_review", second
    assert "liveness_not_checked" in second["reason_codes"]
    assert "face_mismatch" not in second["reason_codes"]
    assert (
        httpx.get(base + "/v1/accounts/it-user-1/access", headers=headers).json()["access"]
        == "blocked"
    )

    # A reviewer looks at the evidence and approves.
    redis_stack.cli(
        "reviewer", "create", "it-reviewer@example.com", "--password", "correct horse battery"
    )
    with httpx.Client(base_url=base) as reviewer:
        login = reviewer.post(
            "/v1/review/login",
            json={"email": "it-reviewer@example.com", "password": "correct horse battery"},
        )
        assert login.status_code == 200, login.text
        csrf = login.json()["csrf_token"]
        cases = reviewer.get("/v1/review/cases").json()
        case = next(c for c in cases if c["verification_id"] == verification["id"])
        detail = reviewer.get(f"/v1/review/cases/{case['id']}").json()
        kinds = {a["kind"] for a in detail["artifacts"]}
        assert {"document_front", "selfie", "portrait"} <= kinds
        portrait = next(a for a in detail["artifacts"] if a["kind"] == "portrait")
        image = reviewer.get(portrait["url"])
        assert image.status_code == 200 and image.content[:3] == b"\xff\xd8\xff"
        # without the CSRF token the decision is refused
        refused = reviewer.post(
            f"/v1/review/cases/{case['id']}/decision",
            json={"decision": "approve", "reason": "same person"},
        )
        assert refused.status_code == 403
        decided = reviewer.post(
            f"/v1/review/cases/{case['id']}/decision",
            headers={"X-CSRF-Token": csrf},
            json={"decision": "approve", "reason": "portrait matches on manual comparison"},
        )
        assert decided.status_code == 200, decided.text
    # Images are for logged-in reviewers only.
    assert httpx.get(base + portrait["url"]).status_code == 401

    access = httpx.get(base + "/v1/accounts/it-user-1/access", headers=headers).json()
    assert access["access"] == "allowed"

    # Signed webhooks arrived, verifiable by an independent client.
    def _access_event():
        return [
            e
            for e in webhook_receiver.events()
            if e["type"] == "account.access_changed"
            and e["data"]["access"] == "allowed"
            and e["data"]["account_id"] == "it-user-1"
        ]

    wait_for(_access_event, timeout=60, what="the access_changed webhook")
    for hook in webhook_receiver.received:
        assert verify(platform["secret"], hook.body, hook.headers[SIGNATURE_HEADER])
        assert hook.headers[EVENT_ID_HEADER].startswith("evt_")
        assert not verify("whsec_wrong", hook.body, hook.headers[SIGNATURE_HEADER])
    types = {e["type"] for e in webhook_receiver.events()}
    assert {
        "verification.created",
        "verification.resubmission_requested",
        "verification.needs_review",
        "verification.approved",
    } <= types


def test_same_face_and_document_on_another_account_is_a_duplicate(
    redis_stack: Stack, platform: dict, shared_data: Path, valid_obama_passport: Path
) -> None:
    """Runs after the test above: it-user-1's selfie template and document are on file."""
    base, headers = redis_stack.base_url, platform["headers"]
    verification = httpx.post(
        base + "/v1/accounts/it-user-3/flag", headers=headers, json={}
    ).json()["verification"]
    assert (
        _capture(
            redis_stack,
            verification,
            valid_obama_passport,
            shared_data / "faces" / "obama" / "obama3.jpg",
        ).status_code
        == 200
    )
    final = _wait_decision(redis_stack, verification)
    assert final["status"] == "needs_review", final
    assert {"duplicate_face", "duplicate_document"} <= set(final["reason_codes"])
    detail = httpx.get(f"{base}/v1/verifications/{verification['id']}", headers=headers).json()
    duplicates = next(c for c in detail["checks"] if c["kind"] == "duplicates")
    assert duplicates["details"]["linked_accounts"] == ["it-user-1"]


def test_pipeline_rejects_a_blank_document_with_a_reason(
    redis_stack: Stack, platform: dict, shared_data: Path, tmp_path: Path
) -> None:
    import numpy as np
    from PIL import Image

    blank = tmp_path / "blank.jpg"
    Image.fromarray(np.full((900, 1300, 3), 235, np.uint8)).save(blank)
    flagged = httpx.post(
        redis_stack.base_url + "/v1/accounts/it-user-2/flag", headers=platform["headers"], json={}
    ).json()
    verification = flagged["verification"]
    r = _capture(redis_stack, verification, blank, shared_data / "faces" / "biden" / "biden.jpg")
    assert r.status_code == 200
    final = wait_for(
        lambda: (s := _status(redis_stack, verification))["status"] != "processing" and s,
        what="a decision",
    )
    assert final["status"] == "resubmission_requested", final
    assert final["next_step"] == "retry"
    assert any(
        code.startswith("document_") or code.startswith("mrz_") for code in final["reason_codes"]
    ), final
