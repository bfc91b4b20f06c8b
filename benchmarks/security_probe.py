"""Attack a running idgate as issue 27 describes and print what it answers.

Start a fresh server first (its own data folder), create an API key and a reviewer, then:

    IDGATE_DATA_DIR=/tmp/probe uv run idgate serve --port 8765 &
    IDGATE_DATA_DIR=/tmp/probe uv run idgate apikey create probe --json      # -> KEY
    IDGATE_DATA_DIR=/tmp/probe uv run idgate reviewer create probe@example.com  # PASSWORD
    uv run python -m benchmarks.security_probe --base-url http://127.0.0.1:8765 \\
        --api-key KEY --reviewer probe@example.com --password PASSWORD --data-dir /tmp/probe

Each line is one probe with its figure; nothing here asserts (the tests do).
"""

from __future__ import annotations

import argparse
import io
import json
import stat
import threading
import time
from pathlib import Path

import httpx
from PIL import Image


def _first_429(codes: list[int]) -> int | None:
    return next((i + 1 for i, c in enumerate(codes) if c == 429), None)


def _png_bomb(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, height), 0).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--api-key", required=True)
    parser.add_argument("--reviewer", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    args = parser.parse_args()
    api = httpx.Client(
        base_url=args.base_url, headers={"Authorization": f"Bearer {args.api_key}"}, timeout=120
    )
    anon = httpx.Client(base_url=args.base_url, timeout=120)
    out: dict[str, object] = {}

    # 0. logout ends the session (before the login throttle below blocks this address)
    console = httpx.Client(base_url=args.base_url, timeout=60)
    login = console.post(
        "/v1/review/login", json={"email": args.reviewer, "password": args.password}
    )
    cookie = console.cookies.get("idgate_session")
    csrf = login.json()["csrf_token"]
    out["me_before_logout"] = console.get("/v1/review/me").status_code
    out["logout"] = console.post("/v1/review/logout", headers={"X-CSRF-Token": csrf}).status_code
    replay = httpx.get(
        f"{args.base_url}/v1/review/cases", cookies={"idgate_session": cookie or ""}, timeout=60
    )
    out["old_cookie_after_logout"] = replay.status_code

    # the probes that need working credentials first: the guessing below throttles this address
    out.update(_with_credentials(args, api))
    out.update(_guessing(api, anon))
    print(json.dumps(out, indent=2))


def _guessing(api: httpx.Client, anon: httpx.Client) -> dict[str, object]:
    out: dict[str, object] = {}
    # 1. wrong reviewer passwords from one address
    codes = [
        anon.post(
            "/v1/review/login", json={"email": f"x{i % 3}@example.com", "password": "wrong-pw-123"}
        ).status_code
        for i in range(200)
    ]
    out["wrong_passwords_first_429_at"] = _first_429(codes)
    out["wrong_passwords_codes"] = {c: codes.count(c) for c in set(codes)}

    # 2. guessed short links, guessed client secrets, guessed API keys
    codes = [anon.get(f"/c/GUESS{i:05d}").status_code for i in range(200)]
    out["short_links_first_429_at"] = _first_429(codes)
    flagged = api.post("/v1/accounts/probe-1/flag", json={}).json()["verification"]
    codes = [
        anon.get(
            f"/v1/sessions/{flagged['id']}/status", headers={"X-Client-Secret": f"vcs_{i}"}
        ).status_code
        for i in range(200)
    ]
    out["client_secrets_first_429_at"] = _first_429(codes)
    codes = [
        anon.get(
            "/v1/verifications", headers={"Authorization": f"Bearer idg_{i:012d}_x"}
        ).status_code
        for i in range(200)
    ]
    out["api_keys_first_429_at"] = _first_429(codes)
    retry = anon.get("/v1/verifications", headers={"Authorization": "Bearer idg_000000000000_x"})
    out["retry_after_s"] = retry.headers.get("Retry-After")

    return out


def _with_credentials(args: argparse.Namespace, api: httpx.Client) -> dict[str, object]:
    out: dict[str, object] = {}
    # SSRF
    r = api.post("/v1/webhook-endpoints", json={"url": "http://127.0.0.1:6379/"})
    out["webhook_loopback"] = (
        r.status_code,
        r.json()["error"]["code"] if r.status_code >= 400 else None,
    )
    r = api.post("/v1/webhook-endpoints", json={"url": "http://169.254.169.254/latest/meta-data/"})
    out["webhook_metadata"] = r.status_code

    # data file modes
    db = args.data_dir / "idgate.db"
    out["sqlite_mode"] = oct(stat.S_IMODE(db.stat().st_mode)) if db.exists() else None

    # 90-file upload vs /healthz
    flagged = api.post("/v1/accounts/probe-2/flag", json={}).json()["verification"]
    headers = {"X-Client-Secret": flagged["client_secret"]}
    nonce = httpx.post(
        f"{args.base_url}/v1/sessions/{flagged['id']}/challenge", headers=headers, timeout=60
    ).json()["nonce"]
    bomb = _png_bomb(6000, 6500)
    files = [("files", (f"{i}.png", bomb, "image/png")) for i in range(90)]
    result: dict[str, object] = {}

    def upload() -> None:
        start = time.perf_counter()
        r = httpx.post(
            f"{args.base_url}/v1/sessions/{flagged['id']}/selfie",
            headers=headers,
            files=files,
            data={"nonce": nonce, "timestamps": json.dumps([i / 10 for i in range(90)])},
            timeout=300,
        )
        result["status"] = r.status_code
        result["code"] = r.json().get("error", {}).get("code")
        result["seconds"] = round(time.perf_counter() - start, 2)

    thread = threading.Thread(target=upload)
    thread.start()
    delays = []
    while thread.is_alive():
        start = time.perf_counter()
        httpx.get(f"{args.base_url}/healthz", timeout=60)
        delays.append(time.perf_counter() - start)
        time.sleep(0.05)
    thread.join()
    out["upload_90_bombs"] = result
    out["healthz_during_upload_max_ms"] = round(1000 * max(delays), 1) if delays else None
    out["healthz_samples"] = len(delays)

    # redaction twice
    vid = flagged["id"]
    first = api.post(f"/v1/verifications/{vid}/redact").json()
    second = api.post(f"/v1/verifications/{vid}/redact")
    out["redact"] = (first["status"], first["redacted"], second.status_code)
    r = httpx.post(f"{args.base_url}/v1/sessions/{vid}/challenge", headers=headers, timeout=60)
    out["input_after_redaction"] = r.status_code
    return out


if __name__ == "__main__":
    main()
