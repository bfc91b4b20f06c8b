"""Queue isolation: how much does a backlog of webhook deliveries delay a decision?

    uv run python -m benchmarks.ops_webhook_backlog [--deliveries 10000] [--samples 5] [--json]

Runs ``idgate serve`` (PostgreSQL + Redis, two pipeline workers, one webhook worker),
measures submit-to-decision time of ``--samples`` verifications one after another on an
idle service, then registers 10 webhook endpoints on a slow receiver (1 s per request),
flags accounts until ``--deliveries`` deliveries are queued (Redis list length of the
webhook queue), and measures the same verifications again while the backlog is queued.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from benchmarks.ops_common import (
    REDIS_URL,
    flag_and_submit,
    load_average,
    running_service,
    sample_passport,
    status,
)

ENDPOINTS = 10


class _SlowReceiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(1.0)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


def _decision_times(client, document: bytes, selfie: bytes, prefix: str, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for i in range(n):
        verification, submitted = flag_and_submit(client, f"{prefix}-{i}", document, selfie)
        while status(client, verification) == "processing":
            time.sleep(0.1)
        times.append(time.monotonic() - submitted)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import redis

    receiver = ThreadingHTTPServer(("127.0.0.1", 0), _SlowReceiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    document, selfie = sample_passport()
    broker = redis.Redis.from_url(REDIS_URL)
    result: dict[str, object] = {"load_average_before": load_average()}
    with running_service(pipeline_workers=2) as service:
        client = service.api(timeout=60)
        _decision_times(client, document, selfie, "warm", 1)  # first use: caches, JIT paths
        idle = _decision_times(client, document, selfie, "idle", args.samples)

        for _ in range(ENDPOINTS):
            client.post("/v1/webhook-endpoints", json={"url": url}).raise_for_status()
        t0 = time.monotonic()
        flags = 0
        while broker.llen("idgate.webhooks") < args.deliveries:
            client.post(f"/v1/accounts/backlog-{flags}/flag", json={}).raise_for_status()
            flags += 1
        queued = broker.llen("idgate.webhooks")
        result["backlog"] = {
            "flags": flags,
            "queued_deliveries": queued,
            "built_in_s": round(time.monotonic() - t0, 1),
        }
        busy = _decision_times(client, document, selfie, "busy", args.samples)
        result["queued_deliveries_after"] = broker.llen("idgate.webhooks")

    result["submit_to_decision_s"] = {
        "idle": [round(t, 2) for t in idle],
        "with_backlog": [round(t, 2) for t in busy],
        "median_idle": round(statistics.median(idle), 2),
        "median_with_backlog": round(statistics.median(busy), 2),
        "delay_median_s": round(statistics.median(busy) - statistics.median(idle), 2),
        "delay_max_s": round(max(busy) - statistics.median(idle), 2),
    }
    result["load_average_after"] = load_average()
    receiver.shutdown()
    print(json.dumps(result, indent=2))
    delay = result["submit_to_decision_s"]["delay_max_s"]  # type: ignore[index]
    return 0 if delay <= 5.0 else 1


if __name__ == "__main__":
    sys.exit(main())
