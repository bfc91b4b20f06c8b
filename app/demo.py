"""DEMO ONLY: walk one verification from flag to decision against a local ``idgate serve
--demo``, as a platform and a user would, over the public HTTP API.

The server must run in demo mode (a fixed liveness challenge, refused by the settings
unless the database is the embedded SQLite one and the public address is loopback): a
predictable challenge could be pre-recorded, which is exactly what this demo does with a
real clip from the shared test data (d3.mp4, LivePortrait driving clip, MIT). The passport
is synthetic (benchmarks/synth), unexpired, with a frame of the same clip as its portrait.
Needs a source checkout with ``benchmarks/`` and ``../shared/data``.
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import time
from datetime import date
from pathlib import Path
from typing import Any

DEMO_CHALLENGE = ("turn_left", "turn_right")
CLIP = "d3.mp4"
# d3.mp4: 3.45-4.45 s she looks straight ahead; 7.9-11.6 s she turns to her left, then to
# her right (measured for the browser tests, tests/e2e/media.py).
NEUTRAL_S = (3.45, 4.45)
ACTIONS_S = (7.9, 11.6)
PORTRAIT_S = 3.9
FPS = 7.0


class DemoError(Exception):
    """The demo cannot run (missing data, server not in demo mode, ...)."""


def shared_data_dir() -> Path:
    root = Path(__file__).resolve().parents[1]
    return Path(os.environ.get("IDGATE_SHARED_DATA", root.parent / "shared" / "data"))


def _clip_frames(path: Path) -> tuple[list[Any], float]:
    import cv2

    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise DemoError(f"{path}: no frames")
    return frames, fps


def selfie_burst(frames: list[Any], fps: float) -> tuple[list[bytes], list[float]]:
    """JPEG frames at 7 fps: the neutral pose, then the two turns; with their times."""
    import numpy as np

    picked = [
        frames[min(len(frames) - 1, round(t * fps))]
        for a, b in (NEUTRAL_S, ACTIONS_S)
        for t in np.arange(a, b, 1 / FPS)
    ]
    return [_jpeg(f) for f in picked], [round(i / FPS, 3) for i in range(len(picked))]


def _jpeg(rgb: Any, quality: int = 92) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def portrait_crop(frame: Any, size: tuple[int, int]) -> Any:
    """A passport-style crop around the single face of ``frame``, resized to (w, h)."""
    import cv2

    from app.vision.faces.models import load_face_models

    faces = load_face_models().detector(frame, 1)
    if len(faces) != 1:
        raise DemoError(f"expected one face in the portrait frame, found {len(faces)}")
    face = faces[0]
    out_w, out_h = size
    face_h = face.bottom() - face.top()
    crop_h = face_h * 2.1
    crop_w = crop_h * out_w / out_h
    cx = (face.left() + face.right()) / 2
    cy = (face.top() + face.bottom()) / 2 - 0.12 * face_h
    x0, y0 = round(cx - crop_w / 2), round(cy - crop_h / 2)
    x1, y1 = round(cx + crop_w / 2), round(cy + crop_h / 2)
    pad = max(0, -x0, -y0, x1 - frame.shape[1], y1 - frame.shape[0])
    padded = cv2.copyMakeBorder(frame, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    crop = padded[y0 + pad : y1 + pad, x0 + pad : x1 + pad]
    return cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_AREA)


def sample_passport(portrait_frame: Any, seed: int) -> bytes:
    """JPEG of a synthetic TD3 passport, valid for years from today, with this portrait.
    Clearly a specimen: it is rendered by the project's test-data generator."""
    import numpy as np

    try:
        from benchmarks.synth.documents import random_spec, render_document
    except ImportError as exc:  # the container image ships no benchmarks
        raise DemoError("the demo needs a source checkout (benchmarks/synth)") from exc
    rng = np.random.default_rng(seed)
    spec = random_spec(rng, dpi=450)
    today = date.today()
    spec = dataclasses.replace(
        spec,
        format="TD3",
        document_type="P",
        document_number=spec.document_number[:9],
        birth_date=date(1990, 5, 17),
        issue_date=date(today.year - 2, 3, 1),
        expiry_date=date(today.year + 8, 2, 28),
        optional_data="",
    )
    page, truth = render_document(spec, rng)
    x0, y0, x1, y1 = truth.portrait_box
    page = page.copy()
    page[y0:y1, x0:x1] = portrait_crop(portrait_frame, (x1 - x0, y1 - y0))
    return _jpeg(page, quality=95)


def run_demo(base_url: str, api_key: str, account: str, timeout_s: float = 300.0) -> dict:
    """Flag ``account``, capture as the user would (document, challenge, burst), submit,
    wait for the decision and read the account's access. Returns what happened."""
    import httpx

    clip = shared_data_dir() / "video" / CLIP
    if not clip.is_file():
        raise DemoError(f"demo clip not found: {clip} (set IDGATE_SHARED_DATA)")
    frames, fps = _clip_frames(clip)
    document = sample_passport(frames[round(PORTRAIT_S * fps)], seed=int(time.time()) % 10_000)
    burst, times = selfie_burst(frames, fps)

    steps: list[str] = []
    platform = httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {api_key}"}, timeout=120
    )
    flagged = platform.post(f"/v1/accounts/{account}/flag", json={"reason": "demo"})
    flagged.raise_for_status()
    verification = flagged.json()["verification"]
    steps.append(f"flagged {account}: access blocked, link {verification['url']}")
    user = httpx.Client(
        base_url=f"{base_url}/v1/sessions/{verification['id']}",
        headers={"X-Client-Secret": verification["client_secret"]},
        timeout=120,
    )
    r = user.post("/document", files={"file": ("passport.jpg", document, "image/jpeg")})
    r.raise_for_status()
    steps.append("uploaded a synthetic unexpired passport (specimen)")
    challenge = user.post("/challenge")
    challenge.raise_for_status()
    actions = tuple(challenge.json()["actions"])
    if actions != DEMO_CHALLENGE:
        raise DemoError(
            f"the server asked for {list(actions)}: it is not in demo mode "
            "(start it with `idgate serve --demo`)"
        )
    steps.append(f"challenge {list(actions)} (fixed: demo mode)")
    r = user.post(
        "/selfie",
        data={"nonce": challenge.json()["nonce"], "timestamps": json.dumps(times)},
        files=[("files", (f"f{i:02d}.jpg", b, "image/jpeg")) for i, b in enumerate(burst)],
    )
    r.raise_for_status()
    steps.append(f"uploaded {len(burst)} selfie frames performing the challenge")
    user.post("/submit").raise_for_status()
    deadline = time.monotonic() + timeout_s
    status = user.get("/status").json()
    while status["status"] == "processing" and time.monotonic() < deadline:
        time.sleep(1)
        status = user.get("/status").json()
    steps.append(f"decision: {status['status']} {status.get('reason_codes') or ''}".strip())
    access = platform.get(f"/v1/accounts/{account}/access").json()
    steps.append(f"access: {access.get('access')}")
    return {
        "demo": True,
        "verification_id": verification["id"],
        "status": status["status"],
        "reason_codes": status.get("reason_codes", []),
        "access": access.get("access"),
        "steps": steps,
    }
