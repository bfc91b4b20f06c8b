"""Liveness benchmark: APCER per attack type, BPCER on genuine segments, time per sequence.

Usage::

    uv run python -m benchmarks.bench_liveness            # table + rewrite the results
    uv run python -m benchmarks.bench_liveness --json     # machine-readable
    uv run python -m benchmarks.bench_liveness --kinds genuine,print --verbose
    uv run python -m benchmarks.bench_liveness --output new.json --compare old.json
    uv run python -m benchmarks.bench_liveness --summary new.json --compare old.json

Every figure is given per split: "tune" (thresholds were fitted on these segments) and
"heldout" (no threshold was fitted on them); see benchmarks/synth/liveness.py.
``--compare`` puts the figures of another run (e.g. the previous release's code on the
same sequences, saved with ``--output``) beside this run's in the notes.

APCER (ISO/IEC 30107-3) = share of attack presentations of one type accepted as live;
BPCER = share of genuine presentations rejected. Genuine data is REAL (clip segments);
attacks are SYNTHETIC transformations of real frames (benchmarks/synth/liveness.py).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from app.vision.faces.models import load_face_models
from app.vision.liveness.verify import verify_liveness
from benchmarks.synth.liveness import all_sequences

NOTES = Path(__file__).resolve().parent / "NOTES-liveness.md"
BEGIN, END = "<!-- bench_liveness:begin -->", "<!-- bench_liveness:end -->"


def run(seed: int, kinds: set[str] | None, verbose: bool) -> dict[str, Any]:
    """Verify every sequence and aggregate error rates and timings per kind."""
    models = load_face_models()
    per_kind: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for sample in all_sequences(seed):
        if kinds and sample.kind not in kinds:
            continue
        started, cpu_started = time.perf_counter(), time.process_time()
        result = verify_liveness(
            sample.frames, sample.timestamps_s, sample.challenge, models=models
        )
        wall_ms = (time.perf_counter() - started) * 1000.0
        cpu_ms = (time.process_time() - cpu_started) * 1000.0
        row = {
            "name": sample.name,
            "split": sample.split,
            "challenge": list(sample.challenge),
            "frames": len(sample.frames),
            "live": result.live,
            "reasons": list(result.reasons),
            "ms": round(wall_ms, 1),
            "ms_per_30": round(wall_ms * 30.0 / max(1, len(sample.frames)), 1),
            "cpu_ms": round(cpu_ms, 1),
            "signals": {k: round(v, 4) for k, v in result.signals.items()},
            "actions": [(a.action, a.passed, a.at_s, a.score) for a in result.actions],
        }
        per_kind[(sample.split, sample.kind)].append(row)
        if verbose:
            print(json.dumps(row), file=sys.stderr)
    summary: dict[str, Any] = {"seed": seed, "kinds": {}}
    all_ms: list[float] = []
    all_cpu: list[float] = []
    for (split, kind), rows in sorted(per_kind.items()):
        n = len(rows)
        accepted = sum(1 for r in rows if r["live"])
        ms = sorted(r["ms_per_30"] for r in rows)
        all_ms += ms
        all_cpu += [r["cpu_ms"] * 30.0 / max(1, r["frames"]) for r in rows]
        reasons: dict[str, int] = defaultdict(int)
        for r in rows:
            for reason in r["reasons"]:
                reasons[reason] += 1
        entry = {
            "n": n,
            "metric": "BPCER" if kind == "genuine" else "APCER",
            "error_rate": (n - accepted) / n if kind == "genuine" else accepted / n,
            "errors": [r["name"] for r in rows if r["live"] != (kind == "genuine")],
            "reasons": dict(reasons),
            "median_ms": statistics.median(ms),
            "p95_ms": ms[min(n - 1, round(0.95 * (n - 1)))],
        }
        summary["kinds"][f"{split}/{kind}"] = entry
    if all_ms:
        all_ms.sort()
        summary["median_ms"] = statistics.median(all_ms)
        summary["p95_ms"] = all_ms[min(len(all_ms) - 1, round(0.95 * (len(all_ms) - 1)))]
        all_cpu.sort()
        summary["median_cpu_ms"] = statistics.median(all_cpu)
        summary["p95_cpu_ms"] = all_cpu[min(len(all_cpu) - 1, round(0.95 * (len(all_cpu) - 1)))]
        summary["load_average_1min"] = os.getloadavg()[0]
    return summary


def format_table(summary: dict[str, Any], previous: dict[str, Any] | None = None) -> str:
    """A markdown table of the summary, with ``previous`` run's figures beside it."""
    old = previous["kinds"] if previous else {}
    lines = [
        "| split | kind | n | metric | error rate | previous release | median ms / 30 frames "
        "| previous | reasons |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, e in summary["kinds"].items():
        split, kind = key.split("/", 1)
        reasons = ", ".join(f"{k}:{v}" for k, v in sorted(e["reasons"].items()))
        before = old.get(key)
        before_rate = f"{100 * before['error_rate']:.1f}%" if before else "-"
        before_ms = f"{before['median_ms']:.0f}" if before else "-"
        lines.append(
            f"| {split} | {kind} | {e['n']} | {e['metric']} | {100 * e['error_rate']:.1f}% "
            f"| {before_rate} | {e['median_ms']:.0f} | {before_ms} | {reasons} |"
        )
    if "median_ms" in summary:
        lines.append(
            f"\nAll sequences, per 30 frames: median {summary['median_ms']:.0f} ms, "
            f"p95 {summary['p95_ms']:.0f} ms wall; CPU time median "
            f"{summary['median_cpu_ms']:.0f} ms, p95 {summary['p95_cpu_ms']:.0f} ms "
            f"(<= 640 px, models loaded; 2 shared cores, 1-min load average "
            f"{summary['load_average_1min']:.1f} at the end of the run)."
        )
        if previous and "median_ms" in previous:
            lines.append(
                f"Previous release on the same sequences: median {previous['median_ms']:.0f} "
                f"ms, p95 {previous['p95_ms']:.0f} ms wall per 30 frames."
            )
    for key, e in summary["kinds"].items():
        if e["errors"]:
            lines.append(f"\n{key} errors: {', '.join(e['errors'])}")
    for key, e in old.items():
        if e["errors"]:
            lines.append(f"\nprevious release, {key} errors: {', '.join(e['errors'])}")
    return "\n".join(lines)


def write_notes(summary: dict[str, Any], previous: dict[str, Any] | None = None) -> None:
    """Replace the results block of NOTES-liveness.md (create the file if needed)."""
    block = (
        f"{BEGIN}\n_Latest run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"seed {summary['seed']}, command `uv run python -m benchmarks.bench_liveness`; "
        f"previous release = main at d2f464f run on the same sequences (see Reproduce)._\n\n"
        f"{format_table(summary, previous)}\n{END}"
    )
    text = NOTES.read_text() if NOTES.exists() else f"# Liveness benchmark\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text:
        text += f"\n{BEGIN}\n{END}\n"
    text = re.sub(re.escape(BEGIN) + ".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    NOTES.write_text(text)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--kinds", help="comma-separated kinds to run (default: all)")
    parser.add_argument("--verbose", action="store_true", help="one JSON line per sequence")
    parser.add_argument("--no-notes", action="store_true", help="do not rewrite the notes")
    parser.add_argument("--output", help="also save the summary as JSON to this file")
    parser.add_argument("--compare", help="a saved summary to show beside this run")
    parser.add_argument("--summary", help="report a saved summary instead of running")
    args = parser.parse_args(argv)
    kinds = set(args.kinds.split(",")) if args.kinds else None
    if args.summary:
        summary = json.loads(Path(args.summary).read_text())
    else:
        summary = run(args.seed, kinds, args.verbose)
    previous = json.loads(Path(args.compare).read_text()) if args.compare else None
    if args.output:
        Path(args.output).write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2) if args.json else format_table(summary, previous))
    if not args.no_notes and kinds is None:
        write_notes(summary, previous)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
