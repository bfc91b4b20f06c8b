"""Kill test: SIGKILL idle and busy pipeline workers of a real ``idgate serve`` (PostgreSQL +
Redis, two pipeline workers) and hang others with SIGSTOP; every verification must still be
decided exactly once, and serve must bring a working worker back each time.

    uv run python -m benchmarks.ops_kill_test [--idle 10] [--busy 10] [--hangs 5] [--json]

A busy kill lands while the victim runs a stage (Celery's ``inspect active`` over the broker
names the worker executing one); a hang is
a worker that is alive but answers nothing (the failure the issue saw), which only the
ping-based supervision can notice. Recovery = from the signal until /readyz lists as
many pipeline consumers as before, with the victim's node back under a new pid.
Redis redelivers an unacknowledged stage after the visibility timeout (15 s here).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import sys
import time

from benchmarks.ops_common import (
    REDIS_URL,
    decision_counts,
    flag_and_submit,
    load_average,
    running_service,
    sample_passport,
    status,
)


def _worker_in_a_task(control, pids, timeout_s: float = 20.0):  # type: ignore[no-untyped-def]
    """(name, pid) of a pipeline worker that Celery's inspection shows executing a task."""
    by_node = {node: (name, pid) for name, (pid, node) in pids.items()}
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        active = control.inspect(destination=list(by_node), timeout=1.0).active() or {}
        for node, tasks in active.items():
            if tasks and node in by_node:
                return by_node[node]
        time.sleep(0.2)
    return None, 0


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--idle", type=int, default=10)
    parser.add_argument("--busy", type=int, default=10)
    parser.add_argument("--hangs", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    document, selfie = sample_passport()
    plan = ["idle"] * args.idle + ["busy"] * args.busy + ["hang"] * args.hangs
    # interleave the kinds so that each meets workers in every state
    plan = [plan[i] for i in sorted(range(len(plan)), key=lambda i: (i % 5, i))]
    results: list[dict[str, object]] = []
    verifications: list[dict] = []
    started = time.monotonic()
    load_before = load_average()
    with running_service(
        pipeline_workers=2,
        extra_env={"IDGATE_BROKER_VISIBILITY_TIMEOUT_S": "15"},
    ) as service:
        from celery import Celery

        control = Celery("kill-test", broker=REDIS_URL).control
        client = service.api(timeout=60)
        for round_no, kind in enumerate(plan):
            pids = {n: p for n, p in service.worker_pids().items() if n.startswith("pipeline")}
            if kind == "busy":
                for k in range(2):  # both workers get a verification
                    v, _ = flag_and_submit(client, f"kill-{round_no}-{k}", document, selfie)
                    verifications.append(v)
                # the victim is a worker that the broker reports running a stage right now
                name, pid = _worker_in_a_task(control, pids)
                was_busy = name is not None
                if name is None:  # none caught mid-task: kill one anyway, reported as idle
                    name = sorted(pids)[round_no % len(pids)]
                    pid = pids[name][0]
            else:
                name = sorted(pids)[round_no % len(pids)]
                pid, was_busy = pids[name][0], False
            t0 = time.monotonic()
            os.kill(pid, signal.SIGSTOP if kind == "hang" else signal.SIGKILL)
            while True:
                current = service.worker_pids().get(name)
                # the replacement (a new node name) answers the broker inspection
                if current and current[0] != pid and current[1] in service.ready_workers():
                    break
                if time.monotonic() - t0 > 300:
                    raise RuntimeError(f"round {round_no}: {name} did not come back")
                time.sleep(0.5)
            recovery = time.monotonic() - t0
            results.append(
                {
                    "round": round_no,
                    "kind": kind,
                    "worker": name,
                    "busy": was_busy,
                    "recovery_s": round(recovery, 1),
                }
            )
            if not args.json:
                print(
                    f"round {round_no:2d} {kind:4s} {name} busy={was_busy} "
                    f"recovered in {recovery:.1f} s",
                    flush=True,
                )
            # an idle round also submits one, decided by the fresh workers
            if kind == "idle":
                v, _ = flag_and_submit(client, f"kill-{round_no}-after", document, selfie)
                verifications.append(v)

        deadline = time.monotonic() + 600
        pending = list(verifications)
        while pending and time.monotonic() < deadline:
            pending = [v for v in pending if status(client, v) == "processing"]
            time.sleep(2)
        time.sleep(5)  # a doubled delivery would land by now
        counts = decision_counts(service.database_url, [v["id"] for v in verifications])
        restarts = service.log_path.read_text(errors="replace").count("restarting it")

    recoveries = [float(r["recovery_s"]) for r in results]  # type: ignore[arg-type]
    summary = {
        "rounds": len(results),
        "kills_idle": args.idle,
        "kills_busy": args.busy,
        "busy_confirmed": sum(1 for r in results if r["busy"]),
        "hangs": args.hangs,
        "supervisor_restarts": restarts,
        "verifications": len(verifications),
        "stuck": len(pending),
        "lost": sum(1 for n in counts.values() if n == 0),
        "doubled": sum(1 for n in counts.values() if n > 1),
        "recovery_s": {
            "median": round(statistics.median(recoveries), 1),
            "max": round(max(recoveries), 1),
            "max_by_kind": {
                k: max(float(r["recovery_s"]) for r in results if r["kind"] == k)  # type: ignore[arg-type]
                for k in sorted({str(r["kind"]) for r in results})
            },
        },
        "elapsed_s": round(time.monotonic() - started),
        "load_average_before": load_before,
        "load_average_after": load_average(),
    }
    print(json.dumps({"summary": summary, "rounds": results} if args.json else summary, indent=2))
    ok = summary["stuck"] == summary["lost"] == summary["doubled"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
