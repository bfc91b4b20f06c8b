"""Service benchmark: API latency and end-to-end pipeline time through a real `idgate serve`.

Starts the embedded service (SQLite, filesystem broker, one real worker process) in a
temporary folder, then measures: flag requests, document uploads, and the wall time from
submit to decision for verifications built from real media in ../shared/data.

    uv run python -m benchmarks.bench_api [--flags 50] [--pipelines 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("IDGATE_SHARED_DATA", ROOT.parent / "shared" / "data"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 1),
        "p95_ms": round(_pct(values, 0.95), 1),
        "max_ms": round(max(values), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--flags", type=int, default=50)
    parser.add_argument("--pipelines", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="idgate-bench-")
    port = _free_port()
    env = {**os.environ, "IDGATE_DATA_DIR": data_dir}
    for var in ("IDGATE_DATABASE_URL", "IDGATE_BROKER_URL"):
        env.pop(var, None)

    def create_key(check: bool) -> str | None:
        out = subprocess.run(
            [sys.executable, "-m", "app.cli", "apikey", "create", "bench", "--json"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=check,
        ).stdout
        return json.loads(out or "{}").get("api_key")

    key = create_key(check=False)
    if not key:  # the database is created by migrate on first use
        subprocess.run(
            [sys.executable, "-m", "app.cli", "migrate"],
            env=env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        key = create_key(check=True)
        if not key:
            raise RuntimeError("idgate apikey create printed no api_key")
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    results: dict[str, object] = {}
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        api = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30)
        flag_ms: list[float] = []
        links = []
        for i in range(args.flags):
            t = time.perf_counter()
            r = api.post(f"/v1/accounts/bench-{i}/flag", json={"reason": "bench"})
            flag_ms.append((time.perf_counter() - t) * 1000)
            links.append(r.json()["verification"])
        results["flag"] = _summary(flag_ms)

        document = (SHARED / "documents" / "passport-td3.jpg").read_bytes()
        selfie = (SHARED / "faces" / "obama" / "obama2.jpg").read_bytes()
        upload_ms: list[float] = []
        pipeline_s: list[float] = []
        for link in links[: args.pipelines]:
            headers = {"X-Client-Secret": link["client_secret"]}
            session = f"/v1/sessions/{link['id']}"
            t = time.perf_counter()
            api.post(session + "/document", headers=headers, files={"file": ("d.jpg", document)})
            upload_ms.append((time.perf_counter() - t) * 1000)
            api.post(session + "/selfie", headers=headers, files={"files": ("s.jpg", selfie)})
            t = time.perf_counter()
            api.post(session + "/submit", headers=headers)
            while api.get(session + "/status", headers=headers).json()["status"] == "processing":
                time.sleep(0.1)
            pipeline_s.append(time.perf_counter() - t)
        results["document_upload"] = _summary(upload_ms)
        results["submit_to_decision_s"] = {
            "n": len(pipeline_s),
            "median_s": round(statistics.median(pipeline_s), 2),
            "max_s": round(max(pipeline_s), 2),
        }
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=30)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("service benchmark (embedded: SQLite + filesystem broker + 1 worker process)")
        for name, value in results.items():
            print(f"  {name:22s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
