"""Browser-test fixtures: one real ``idgate serve`` and one headless Debian Chromium per session.

Chromium gets a fake camera fed by a real clip (see media.py). When Chromium or the server
cannot run, tests skip with the reason, or fail when IDGATE_REQUIRE_INTEGRATION=1.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import media

CHROMIUM = "/usr/bin/chromium"
E2E_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = E2E_DIR.parent.parent
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
DOCUMENT_SEEDS = (11, 12, 13, 14, 15, 16, 17, 18)
BLUR_SIGMAS = (4.8, 6.0, 8.0)
OCR_MIN_CONFIDENCE = 0.6  # app/policy/default_policy.yaml ocr.min_confidence
REVIEWER_EMAIL = "reviewer@example.com"
REVIEWER_PASSWORD = "e2e-reviewer-password"
SECOND_REVIEWER_EMAIL = "second@example.com"
PHONE = {"width": 390, "height": 844}
MAX_SCREENSHOT_BYTES = 300_000
CLIP_THUMBNAILS: dict[str, tuple[Any, float]] = {}  # filled by the clips fixture


def unavailable(reason: str) -> None:
    """Fail under IDGATE_REQUIRE_INTEGRATION=1, skip otherwise."""
    if os.environ.get("IDGATE_REQUIRE_INTEGRATION") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    base_url: str
    env: dict[str, str]
    api_key: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the platform API with the test API key; returns the decoded JSON body."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.base_url + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.api_key}", "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def flag(self, account_id: str) -> dict[str, Any]:
        """Flag an account; returns the verification link object."""
        out = self.api("POST", f"/v1/accounts/{account_id}/flag", {"reason": "e2e"})
        return dict(out["verification"])

    def cli(self, *args: str) -> Any:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "idgate"), *args, "--json"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(done.stdout)


def _test_policy(data_dir: Path) -> Path:
    """The shipped policy without the random review sample (a share of approvals goes to a
    human at random, which would make an expected approval flaky)."""
    import re

    from app.policy.config import default_policy_text, load_policy

    text, count = re.subn(
        r"^(\s*sample_rate:\s*)[0-9.]+", r"\g<1>0.0", default_policy_text(), flags=re.M
    )
    if count != 1:
        unavailable("review.sample_rate not found in the default policy: update _test_policy")
    policy = load_policy(text)  # fail here, not in the server, if it does not parse
    assert policy.review_sample_rate == 0.0
    path = data_dir / "policy-e2e.yaml"
    path.write_text(text)
    return path


@contextlib.contextmanager
def running_server(data_dir: Path) -> Iterator[Server]:
    """A real ``idgate serve`` (API + Celery worker + pages) on a free port, with its own
    database and blob folder in ``data_dir``, an API key and two reviewers."""
    executable = Path(sys.executable).parent / "idgate"
    if not executable.exists():
        unavailable(f"idgate command not found at {executable}")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("IDGATE_") or k == "IDGATE_REQUIRE_INTEGRATION"
    }
    env.update(
        IDGATE_DATA_DIR=str(data_dir),
        IDGATE_PUBLIC_BASE_URL=base_url,
        IDGATE_DEBUG_FIXED_CHALLENGE=",".join(media.CHALLENGE),
        IDGATE_POLICY_FILE=str(_test_policy(data_dir)),
    )
    log_path = data_dir / "serve.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [str(executable), "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 90
    ready = False
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(base_url + "/readyz", timeout=2) as r:
                ready = r.status == 200
        except OSError:
            pass
        if ready:
            break
        time.sleep(0.5)
    try:
        if not ready:
            unavailable("idgate serve did not start: " + log_path.read_text()[-2000:])
        srv = Server(base_url, env, "", process, log_path)
        srv.api_key = srv.cli("apikey", "create", "e2e")["api_key"]
        for email in (REVIEWER_EMAIL, SECOND_REVIEWER_EMAIL):
            srv.cli("reviewer", "create", email, "--password", REVIEWER_PASSWORD)
        yield srv
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)
            try:
                # longer than serve's own warm stop of its worker (20 s, then a kill)
                process.wait(timeout=45)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The session's shared server. Tests on it use different people and documents, so
    that no test's outcome depends on another's (duplicate face / document checks)."""
    with running_server(tmp_path_factory.mktemp("idgate-e2e")) as srv:
        yield srv


@pytest.fixture
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with an empty database, for a test that must reuse the happy path's person."""
    with running_server(tmp_path_factory.mktemp("idgate-e2e-fresh")) as srv:
        yield srv


@pytest.fixture(scope="session")
def clips(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Fake-camera clips, checked offline against the current liveness verifier: "good"
    performs the challenge in order, "wrong" in the wrong order, for any capture start
    in media.CHECK_OFFSETS_S."""
    out_dir = tmp_path_factory.mktemp("clips")
    video = shared_data / "video"
    paths: dict[str, Path] = {}
    problems: list[str] = []
    for key, plan, want_live in (("good", media.GOOD, True), ("wrong", media.WRONG_ORDER, False)):
        path, frames, fps = media.camera_clip(video, out_dir, plan)
        paths[key] = path
        CLIP_THUMBNAILS[key] = (media.thumbnails(frames), fps)
        for offset, result in media.liveness_at_offsets(frames, fps).items():
            ok = result.live if want_live else result.reasons == media.WRONG_ORDER_REASONS
            if not ok:
                problems.append(f"{plan.name} captured from {offset} s: {result.to_json()}")
    if problems:
        pytest.fail(
            "the current liveness verifier (app.vision.liveness.verify_liveness) does not "
            "judge the fake-camera clips as expected, so the browser tests cannot pass: "
            + "; ".join(problems)
        )
    return paths


def _readable(reading: Any, lines: tuple[str, ...]) -> str | None:
    """Why the reader's result is not a clean, exact read of ``lines`` (None when it is)."""
    if not reading.mrz.valid:
        return f"MRZ not valid ({reading.mrz.reason_codes})"
    if tuple(reading.mrz.lines) != lines:
        return f"MRZ read {reading.mrz.lines} instead of {lines}"
    if reading.reason_codes:
        return f"reason codes {reading.reason_codes}"
    if reading.mrz.confidence < OCR_MIN_CONFIDENCE:
        return f"OCR confidence {reading.mrz.confidence:.2f}"
    return None


@pytest.fixture(scope="session")
def documents(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Synthetic passports the CURRENT document reader reads valid and exact, one person
    each (d3, obama, kit), and a blurred copy of kit's that it rejects as document_blurry.

    Candidates are rendered with a few seeds; the first clean read wins. The reader is
    being improved by others, so the choice is made again in every session.
    """
    from app.vision.document.reader import read_document

    out_dir = tmp_path_factory.mktemp("documents")
    today = date.today()
    chosen: dict[str, Path] = {}
    pages: dict[str, Any] = {}
    for number, person in enumerate((media.D3, media.OBAMA, media.KIT)):
        tried: list[str] = []
        for seed in DOCUMENT_SEEDS:
            seed += 100 * number  # another document number for each person
            page, lines = media.render_passport(person, shared_data / "video", seed)
            data = media.encode_jpeg(page)
            why = _readable(read_document(media.decode_rgb(data), today=today), lines)
            if why is None:
                path = out_dir / f"passport-{person.key}.jpg"
                path.write_bytes(data)
                chosen[person.key] = path
                pages[person.key] = page
                break
            tried.append(f"seed {seed}: {why}")
        else:
            pytest.fail(
                f"the current document reader (app.vision.document.reader.read_document) "
                f"reads none of {len(DOCUMENT_SEEDS)} synthetic passports of {person.key} "
                f"valid and exact: " + "; ".join(tried)
            )
    tried = []
    for sigma in BLUR_SIGMAS:
        data = media.encode_jpeg(pages[media.KIT.key], blur_sigma=sigma)
        codes = read_document(media.decode_rgb(data), today=today).reason_codes
        if "document_blurry" in codes:
            path = out_dir / "passport-kit-blurry.jpg"
            path.write_bytes(data)
            chosen["kit-blurry"] = path
            break
        tried.append(f"sigma {sigma}: {codes}")
    else:
        pytest.fail(
            "the current document reader does not report document_blurry on a blurred "
            "passport: " + "; ".join(tried)
        )
    return chosen


@pytest.fixture(scope="session")
def selfies(shared_data: Path) -> dict[str, Path]:
    """Still selfies (real photos) of the people whose passports carry faces/ portraits."""
    faces = shared_data / "faces"
    return {p.key: faces / str(p.identity) / str(p.selfie_file) for p in (media.OBAMA, media.KIT)}


def _launch(playwright: Any, clip: Path) -> Any:
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={clip}",
        ],
    )


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        unavailable(f"Chromium not found at {CHROMIUM}")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        unavailable(f"playwright is not installed: {exc}")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Any, clips: dict[str, Path]) -> Iterator[Any]:
    """Chromium whose camera plays the clip that performs the challenge in order."""
    try:
        b = _launch(playwright_instance, clips["good"])
    except Exception as exc:
        unavailable(f"Chromium could not be launched: {exc}")
    yield b
    b.close()


@pytest.fixture(scope="session")
def wrong_order_browser(playwright_instance: Any, clips: dict[str, Path]) -> Iterator[Any]:
    """A second Chromium whose camera performs the actions in the wrong order."""
    try:
        b = _launch(playwright_instance, clips["wrong"])
    except Exception as exc:
        unavailable(f"Chromium could not be launched: {exc}")
    yield b
    b.close()


@pytest.fixture
def phone(browser: Any) -> Iterator[Any]:
    """A fresh phone-sized page with camera permission."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1, permissions=["camera"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    context.close()
    assert not errors, f"JavaScript errors: {errors}"


def clip_time_on_screen(page: Any, clip: str) -> float | None:
    """The clip time (s) of the frame the selfie video shows now; None if unknown."""
    import base64

    if clip not in CLIP_THUMBNAILS:
        return None
    try:
        url = page.locator("#selfie-video").evaluate(
            "v => { const c = document.createElement('canvas'); c.width = v.videoWidth;"
            " c.height = v.videoHeight; c.getContext('2d').drawImage(v, 0, 0);"
            " return c.toDataURL('image/jpeg', 0.9); }"
        )
    except Exception:  # diagnostics only: never fail a test here
        return None
    jpeg = base64.b64decode(str(url).split(",", 1)[1])
    thumbs, fps = CLIP_THUMBNAILS[clip]
    return media.clip_time_of(jpeg, thumbs, fps)


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot to docs/screenshots/<name>.png, at most MAX_SCREENSHOT_BYTES:
    larger ones are reduced to a 256-colour palette, then scaled down."""
    import io

    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(io.BytesIO(page.screenshot(full_page=full_page))).convert("RGB")
    data = _png(image)
    while len(data) > MAX_SCREENSHOT_BYTES:
        small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        data = _png(small)
        if len(data) > MAX_SCREENSHOT_BYTES:
            width, height = image.size
            image = image.resize((width * 7 // 8, height * 7 // 8), Image.Resampling.LANCZOS)
    (SCREENSHOTS / f"{name}.png").write_bytes(data)


def _png(image: Any) -> bytes:
    import io

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the page as it is now."""
    if not AXE_JS.exists():
        unavailable(f"axe-core missing: run `npm install --prefix {E2E_DIR}`")
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result
        if v.get("impact") in ("serious", "critical")
    ]
