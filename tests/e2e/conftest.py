"""Browser-test fixtures: one real ``idgate serve`` and one headless Debian Chromium per session.

Chromium gets a fake camera fed by a real clip (see media.py). When Chromium or the server
cannot run, tests skip with the reason, or fail when IDGATE_REQUIRE_INTEGRATION=1.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e import media

CHROMIUM = "/usr/bin/chromium"
E2E_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = E2E_DIR.parent.parent
AXE_JS = E2E_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = PROJECT_ROOT / "docs" / "screenshots"
CACHE = Path(tempfile.gettempdir()) / "idgate-e2e-cache"
REVIEWER_EMAIL = "reviewer@example.com"
REVIEWER_PASSWORD = "e2e-reviewer-password"
SECOND_REVIEWER_EMAIL = "second@example.com"
PHONE = {"width": 390, "height": 844}


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


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A real ``idgate serve`` (API + Celery worker + pages) on a free port."""
    executable = Path(sys.executable).parent / "idgate"
    if not executable.exists():
        unavailable(f"idgate command not found at {executable}")
    data_dir = tmp_path_factory.mktemp("idgate-e2e")
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
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        log.close()


@pytest.fixture(scope="session")
def clips(shared_data: Path) -> dict[str, Path]:
    """Fake-camera clips: the challenge performed in order, and in the wrong order."""
    CACHE.mkdir(exist_ok=True)
    video = shared_data / "video"
    return {
        "good": media.camera_clip(video, CACHE, media.GOOD_SEGMENT, "d3-left-up-right"),
        "wrong": media.camera_clip(video, CACHE, media.WRONG_ORDER_SEGMENT, "d3-right-down-left"),
    }


@pytest.fixture(scope="session")
def documents(shared_data: Path) -> dict[str, Path]:
    """A synthetic passport of the clip's person, sharp and blurred."""
    CACHE.mkdir(exist_ok=True)
    sharp, blurry = CACHE / "passport-d3.jpg", CACHE / "passport-d3-blurry.jpg"
    if not (sharp.exists() and blurry.exists()):
        page = media.document_of_clip_person(shared_data / "video")
        media.save_jpeg(page, sharp)
        media.save_jpeg(page, blurry, blur_sigma=4.8)
    return {"sharp": sharp, "blurry": blurry}


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


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot to docs/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


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
