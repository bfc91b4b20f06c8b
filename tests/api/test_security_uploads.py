"""Hostile uploads (issue 27): one status and message per limit, content checked on every
endpoint, a per-request pixel budget, sane timestamps, decoding off the event loop."""

from __future__ import annotations

import io
import json
import threading

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select

from app.core.config import get_settings
from app.core.db import session_factory
from app.media import MIN_IMAGE_SIDE
from app.verifications.models import Artifact


def _image(width: int, height: int, fmt: str = "JPEG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (120, 110, 100)).save(buf, format=fmt)
    return buf.getvalue()


def _png_bomb(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, height), 0).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def _artifacts() -> int:
    with session_factory()() as s:
        return int(s.scalar(select(func.count()).select_from(Artifact)) or 0)


@pytest.fixture
def session_of(client: TestClient, flagged):  # type: ignore[no-untyped-def]
    verification = flagged["verification"]
    headers = {"X-Client-Secret": verification["client_secret"]}
    return f"/v1/sessions/{verification['id']}", headers


def _challenge(client: TestClient, base: str, headers: dict[str, str]) -> str:
    r = client.post(base + "/challenge", headers=headers)
    assert r.status_code == 200, r.text
    return str(r.json()["nonce"])


HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 400
MP4 = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2" + b"\x00" * 400
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 400


def test_hostile_uploads_are_refused_with_one_code_and_nothing_is_stored(
    client: TestClient, session_of
) -> None:
    base, headers = session_of
    before = _artifacts()
    settings = get_settings()
    big = b"\xff\xd8\xff\xe0" + b"\x00" * (settings.max_upload_bytes + 10)
    huge = b"\xff\xd8\xff\xe0" + b"\x00" * (settings.max_video_bytes + 10)
    refusals = []
    for data in (big, huge):
        for path, field in (("/document", "file"), ("/selfie", "files")):
            r = client.post(base + path, headers=headers, files={field: ("x.jpg", data)})
            refusals.append(
                (r.status_code, r.json()["error"]["code"], r.json()["error"]["message"])
            )
    assert len(set(refusals)) == 1, refusals
    assert refusals[0][:2] == (413, "upload_too_large")

    for data in (HEIC, MP4, WEBM, b"%PDF-1.7" + b"0" * 300, b"GIF89a" + b"\x00" * 300):
        for path, field in (("/document", "file"), ("/selfie", "files")):
            r = client.post(base + path, headers=headers, files={field: ("x.jpg", data)})
            assert r.status_code == 422, (path, data[:12], r.text)
            assert r.json()["error"]["code"] == "unsupported_media_type", r.text
    # a HEIC file is no challenge video either
    nonce = _challenge(client, base, headers)
    r = client.post(
        base + "/selfie", headers=headers, files={"files": ("x.mp4", HEIC)}, data={"nonce": nonce}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "unsupported_media_type"
    assert _artifacts() == before


def test_image_size_limits_match_their_messages(client: TestClient, session_of) -> None:
    base, headers = session_of
    small = MIN_IMAGE_SIDE - 1
    r = client.post(
        base + "/document", headers=headers, files={"file": ("s.jpg", _image(small, small))}
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "image_too_small"
    assert f"{MIN_IMAGE_SIDE} x {MIN_IMAGE_SIDE}" in r.json()["error"]["message"]
    ok = client.post(
        base + "/document",
        headers=headers,
        files={"file": ("s.jpg", _image(MIN_IMAGE_SIDE, MIN_IMAGE_SIDE))},
    )
    assert ok.status_code == 200, ok.text
    from app.core.reasons import message_for

    megapixels = get_settings().max_image_pixels // 1_000_000
    assert f"at most {megapixels} megapixels" in message_for("image_too_large")


def test_one_file_per_field(client: TestClient, session_of) -> None:
    base, headers = session_of
    before = _artifacts()
    jpeg = _image(320, 240)
    r = client.post(
        base + "/document",
        headers=headers,
        files=[("file", ("a.jpg", jpeg)), ("file", ("b.jpg", jpeg))],
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    # a still selfie is one image, not 90 of which one is kept
    r = client.post(
        base + "/selfie", headers=headers, files=[("files", (f"{i}.jpg", jpeg)) for i in range(5)]
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    too_many = get_settings().max_selfie_frames + 1
    r = client.post(
        base + "/selfie",
        headers=headers,
        files=[("files", (f"{i}.jpg", jpeg)) for i in range(too_many)],
        data={"nonce": "x"},
    )
    assert r.status_code == 422
    assert _artifacts() == before


@pytest.mark.parametrize(
    "timestamps",
    [
        "[NaN, 0.1, 0.2]",
        "[0, Infinity, 1]",
        "[0, -Infinity, 1]",
        "[0.0, 0.2, 0.1]",
        "[0, 0, 0]",
        '{"a": 1}',
        "[-1, 0, 1]",
    ],
)
def test_timestamps_must_be_finite_and_increasing(
    client: TestClient, session_of, timestamps: str
) -> None:
    base, headers = session_of
    nonce = _challenge(client, base, headers)
    jpeg = _image(320, 240)
    r = client.post(
        base + "/selfie",
        headers=headers,
        files=[("files", (f"{i}.jpg", jpeg)) for i in range(3)],
        data={"nonce": nonce, "timestamps": timestamps},
    )
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "validation_error"
    good = client.post(
        base + "/selfie",
        headers=headers,
        files=[("files", (f"{i}.jpg", jpeg)) for i in range(3)],
        data={"nonce": nonce, "timestamps": json.dumps([0.0, 0.1, 0.2])},
    )
    assert good.status_code == 200, good.text  # the refused request did not use the nonce


def test_request_pixel_budget_is_checked_before_decoding(client: TestClient, session_of) -> None:
    base, headers = session_of
    bomb = _png_bomb(6000, 6500)  # 39 MP each, tiny on the wire
    nonce = _challenge(client, base, headers)
    r = client.post(
        base + "/selfie",
        headers=headers,
        files=[("files", (f"{i}.png", bomb)) for i in range(3)],
        data={"nonce": nonce, "timestamps": "[0, 0.1, 0.2]"},
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "upload_pixels_exceeded"


def test_decoding_runs_off_the_event_loop(
    client: TestClient, session_of, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While one upload is being decoded, the API still answers other requests."""
    from app.verifications import service

    base, headers = session_of
    started, release = threading.Event(), threading.Event()
    order: list[str] = []
    real_decode = service._decode

    def slow_decode(data: bytes):  # type: ignore[no-untyped-def]
        order.append("decode_started")
        started.set()
        # On the event loop this would block /healthz until the timeout gives up.
        if not release.wait(timeout=5):
            order.append("decode_timed_out")
        return real_decode(data)

    monkeypatch.setattr(service, "_decode", slow_decode)
    result: dict[str, int] = {}

    def upload() -> None:
        r = client.post(
            base + "/selfie", headers=headers, files={"files": ("s.jpg", _image(320, 240))}
        )
        result["status"] = r.status_code

    worker = threading.Thread(target=upload)
    worker.start()
    assert started.wait(timeout=20)
    assert client.get("/healthz").status_code == 200
    order.append("healthz_answered")
    release.set()
    order.append("released")
    worker.join(timeout=30)
    assert order == ["decode_started", "healthz_answered", "released"]
    assert result["status"] == 200


def test_request_bodies_over_the_limit_are_refused_before_parsing(
    client: TestClient, session_of, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, headers = session_of
    monkeypatch.setattr(get_settings(), "max_request_bytes", 100_000)
    jpeg = _image(640, 480)
    files = [("files", (f"{i}.jpg", jpeg)) for i in range(30)]
    r = client.post(base + "/selfie", headers=headers, files=files, data={"nonce": "x"})
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload_too_large"

    def chunks():  # no Content-Length: the limit is counted as the body arrives
        boundary = b"--b\r\n"
        yield boundary + b'Content-Disposition: form-data; name="files"; filename="a.jpg"\r\n\r\n'
        for _ in range(20):
            yield b"\xff" * 10_000
        yield b"\r\n--b--\r\n"

    r = client.post(
        base + "/selfie",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=b"},
        content=chunks(),
    )
    assert r.status_code == 413 and r.json()["error"]["code"] == "upload_too_large"
