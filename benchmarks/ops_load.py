"""Load benchmark: ``idgate serve`` on PostgreSQL + Redis with two pipeline worker
processes, under a mixed open-loop load (status reads, flag/access calls, full
submissions), then a burst of submissions for decisions per minute.

    uv run python -m benchmarks.ops_load [--rates 50,100,200,300] [--step-s 20] [--burst 40]

Phase 1, per step: status reads at R req/s (round-robin over 50 open verifications),
account access reads at R/10, flags at R/20, and one full submission (flag, document,
selfie, submit) every 4 s; latency is measured from each request's scheduled time, so a
client or server that falls behind shows up (no coordinated omission). The knee is the
first rate whose status p99 exceeds 50 ms or whose achieved rate falls below 95 % of R.
Phase 2: ``--burst`` verifications submitted back to back; decisions per minute = burst /
(time from first submit to last decision) * 60.

The load generator runs on the same 2-core machine as the service and the database, and
the machine is shared with other engineers: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections import defaultdict

import httpx

from benchmarks.ops_common import (
    flag_and_submit,
    load_average,
    running_service,
    sample_passport,
    status,
)

STATUS_P99_TARGET_MS = 50.0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def _summary(values: list[float], seconds: float, errors: int) -> dict[str, float]:
    if not values:
        return {"n": 0, "errors": errors}
    return {
        "n": len(values),
        "rps": round(len(values) / seconds, 1),
        "p50_ms": round(_pct(values, 0.50), 1),
        "p95_ms": round(_pct(values, 0.95), 1),
        "p99_ms": round(_pct(values, 0.99), 1),
        "max_ms": round(max(values), 1),
        "errors": errors,
    }


async def _step(
    client: httpx.AsyncClient,
    key: str,
    open_verifications: list[dict],
    rate: float,
    seconds: float,
    document: bytes,
    selfie: bytes,
    step_no: int,
) -> dict[str, dict[str, float]]:
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    auth = {"Authorization": f"Bearer {key}"}
    tasks: list[asyncio.Task[None]] = []
    loop = asyncio.get_running_loop()
    start = loop.time()

    async def timed(route: str, scheduled: float, request) -> None:  # type: ignore[no-untyped-def]
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        try:
            r = await request()
            ok = r.status_code < 400
        except httpx.HTTPError:
            ok = False
        latency = (loop.time() - scheduled) * 1000
        if ok:
            latencies[route].append(latency)
        else:
            errors[route] += 1

    def schedule(route: str, every_s: float, make) -> None:  # type: ignore[no-untyped-def]
        i = 0
        while i * every_s < seconds:
            tasks.append(asyncio.create_task(timed(route, start + i * every_s, make(i))))
            i += 1

    def status_read(i: int):  # type: ignore[no-untyped-def]
        v = open_verifications[i % len(open_verifications)]
        return lambda: client.get(
            f"/v1/sessions/{v['id']}/status", headers={"X-Client-Secret": v["client_secret"]}
        )

    def access_read(i: int):  # type: ignore[no-untyped-def]
        return lambda: client.get(f"/v1/accounts/load-open-{i % 50}/access", headers=auth)

    def flag(i: int):  # type: ignore[no-untyped-def]
        return lambda: client.post(
            f"/v1/accounts/load-{step_no}-{i}/flag", headers=auth, json={"reason": "load"}
        )

    def submission(i: int):  # type: ignore[no-untyped-def]
        async def run() -> httpx.Response:
            r = await client.post(
                f"/v1/accounts/load-sub-{step_no}-{i}/flag", headers=auth, json={}
            )
            v = r.json()["verification"]
            session = f"/v1/sessions/{v['id']}"
            headers = {"X-Client-Secret": v["client_secret"]}
            await client.post(session + "/document", headers=headers, files={"file": document})
            await client.post(session + "/selfie", headers=headers, files={"files": selfie})
            return await client.post(session + "/submit", headers=headers)

        return run

    schedule("GET status", 1 / rate, status_read)
    schedule("GET access", 10 / rate, access_read)
    schedule("POST flag", 20 / rate, flag)
    schedule("submission (4 calls)", 4.0, submission)
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    return {
        route: _summary(latencies[route], elapsed, errors[route])
        for route in sorted(set(latencies) | set(errors))
    }


async def _phase_mixed(service, rates: list[float], seconds: float, document, selfie) -> list:  # type: ignore[no-untyped-def]
    sync = service.api(timeout=60)
    open_verifications = [
        sync.post(f"/v1/accounts/load-open-{i}/flag", json={}).json()["verification"]
        for i in range(50)
    ]
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    steps = []
    async with httpx.AsyncClient(base_url=service.base_url, timeout=60, limits=limits) as client:
        for step_no, rate in enumerate(rates):
            load_before = load_average()
            routes = await _step(
                client,
                service.api_key,
                open_verifications,
                rate,
                seconds,
                document,
                selfie,
                step_no,
            )
            steps.append(
                {
                    "status_rate_target": rate,
                    "routes": routes,
                    "load_average_before": load_before,
                    "load_average_after": load_average(),
                }
            )
            print(json.dumps(steps[-1]), file=sys.stderr, flush=True)
    return steps


def _phase_burst(service, n: int, document: bytes, selfie: bytes) -> dict:  # type: ignore[no-untyped-def]
    client = service.api(timeout=120)
    pending = []
    first = None
    for i in range(n):
        v, submitted = flag_and_submit(client, f"burst-{i}", document, selfie)
        first = first or submitted
        pending.append(v)
    decided_at: list[float] = []
    outcomes: dict[str, int] = defaultdict(int)
    deadline = time.monotonic() + 1800
    while pending and time.monotonic() < deadline:
        still = []
        for v in pending:
            s = status(client, v)
            if s == "processing":
                still.append(v)
            else:
                decided_at.append(time.monotonic())
                outcomes[s] += 1
        pending = still
        time.sleep(0.5)
    span = max(decided_at) - first if decided_at else float("nan")
    return {
        "submitted": n,
        "decided": len(decided_at),
        "outcomes": dict(outcomes),
        "first_submit_to_last_decision_s": round(span, 1),
        "decisions_per_minute": round(len(decided_at) / span * 60, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rates", default="50,100,200,300")
    parser.add_argument("--step-s", type=float, default=20.0)
    parser.add_argument("--burst", type=int, default=40)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rates = [float(r) for r in args.rates.split(",")]
    document, selfie = sample_passport()
    result: dict[str, object] = {"load_average_start": load_average()}
    with running_service(pipeline_workers=2) as service:
        steps = asyncio.run(_phase_mixed(service, rates, args.step_s, document, selfie))
        result["mixed"] = steps
        # let the submissions of phase 1 finish before the burst
        time.sleep(20)
        result["burst"] = _phase_burst(service, args.burst, document, selfie)
    knee = None
    for step in steps:
        status_route = step["routes"].get("GET status", {})
        achieved = status_route.get("rps", 0.0)
        if (
            status_route.get("p99_ms", 1e9) > STATUS_P99_TARGET_MS
            or achieved < 0.95 * step["status_rate_target"]
        ):
            knee = step["status_rate_target"]
            break
    result["knee_status_rate"] = knee
    result["load_average_end"] = load_average()
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for step in steps:
            print(
                f"status reads at {step['status_rate_target']:.0f}/s "
                f"(load {step['load_average_before']})"
            )
            for route, s in step["routes"].items():
                print(f"  {route:22s} {s}")
        print("burst:", result["burst"])
        print("knee (first status rate over p99 50 ms or under 95 % achieved):", knee)
    return 0


if __name__ == "__main__":
    sys.exit(main())
