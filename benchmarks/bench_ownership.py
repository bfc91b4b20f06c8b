"""The restriction engine at scale: a full recompute over 1,000,000 ownership edges and
incremental updates after one changed edge.

    uv run python -m benchmarks.bench_ownership [--edges 1000000] [--changes 200]

The graph is generated (seed 25), shaped like corporate registers: 60 % as many companies as
edges, owned by one to three holders drawn mostly from earlier companies and from persons
(so groups form chains and trees), 1 % cross-holdings that close cycles, 5 % unknown and 5 %
ranged percentages, 5 % ended holdings, and 0.5 % of the parties listed. The figures are
development aids on generated data: no public register of this size ships here.

Each incremental update is checked against a full recompute for the first few changes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import date

from app.screening.ownership import Holding, OwnershipGraph, Seed

AS_OF = date(2026, 12, 6)


def generate(n_edges: int, rng: random.Random) -> tuple[list[Holding], list[Seed]]:
    n_companies = int(0.6 * n_edges)
    n_persons = n_companies // 3
    holdings: list[Holding] = []
    edge = 0
    for c in range(n_companies):
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            if edge >= n_edges:
                break
            if c > 10 and rng.random() < 0.55:
                owner = f"c{rng.randrange(max(0, c - 5000), c)}"  # an earlier company
            else:
                owner = f"p{rng.randrange(n_persons)}"
            holdings.append(_holding(f"e{edge}", owner, f"c{c}", rng))
            edge += 1
    while edge < n_edges:  # cross-holdings close cycles
        a, b = rng.randrange(n_companies), rng.randrange(n_companies)
        holdings.append(_holding(f"e{edge}", f"c{max(a, b)}", f"c{min(a, b)}", rng))
        edge += 1
    parties = n_companies + n_persons
    seeds = []
    for _ in range(parties // 200):
        k = rng.randrange(parties)
        seeds.append(Seed(f"c{k}" if k < n_companies else f"p{k - n_companies}", "listed:bench"))
    return holdings, seeds


def _holding(edge_id: str, owner: str, asset: str, rng: random.Random) -> Holding:
    roll = rng.random()
    end = date(2024, 1, 1) if rng.random() < 0.05 else None
    if roll < 0.05:
        return Holding(edge_id, owner, asset, None, None, end=end)
    if roll < 0.10:
        low = rng.choice((10.0, 25.0, 50.0, 75.0))
        return Holding(edge_id, owner, asset, low, min(100.0, low + 25.0), end=end)
    pct = rng.choice((5.0, 10.0, 20.0, 25.0, 33.0, 50.0, 51.0, 60.0, 100.0))
    return Holding(edge_id, owner, asset, pct, pct, end=end)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--regime", default="ofac", choices=["ofac", "eu", "uk"])
    parser.add_argument("--check", type=int, default=3, help="changes checked by full recompute")
    args = parser.parse_args()
    rng = random.Random(25)
    t0 = time.perf_counter()
    holdings, seeds = generate(args.edges, rng)
    print(
        f"generated {len(holdings):,} edges, {len(seeds):,} listed seeds "
        f"in {time.perf_counter() - t0:.1f} s"
    )

    t0 = time.perf_counter()
    graph = OwnershipGraph(holdings, seeds=seeds, regime=args.regime, as_of=AS_OF)
    t_build = time.perf_counter() - t0
    t0 = time.perf_counter()
    graph.compute()
    t_fixed = time.perf_counter() - t0
    t0 = time.perf_counter()
    flagged = graph.flagged()
    t_flag = time.perf_counter() - t0
    restricted = sum(1 for s in flagged.values() if s == "restricted")
    print(
        f"full recompute ({args.regime}): index {t_build:.1f} s + fixed point {t_fixed:.1f} s "
        f"+ status of every flagged entity {t_flag:.1f} s = {t_build + t_fixed + t_flag:.1f} s; "
        f"{restricted:,} restricted, {len(flagged) - restricted:,} review"
    )
    t0 = time.perf_counter()
    sample = list(flagged)[:1000]
    for entity in sample:
        graph.verdict(entity)
    print(
        f"explanations: {1000 * (time.perf_counter() - t0) / max(1, len(sample)):.2f} ms"
        " per verdict"
    )

    timings, changed_counts = [], []
    ids = list(graph.holdings)
    for i in range(args.changes):
        kind = i % 3
        t0 = time.perf_counter()
        if kind == 0:  # a percentage changes
            old = graph.holdings[rng.choice(ids)]
            pct = rng.choice((10.0, 50.0, 100.0, None))
            changed = graph.put_holding(Holding(old.id, old.owner, old.asset, pct, pct))
        elif kind == 1:  # a holding ends or is removed
            changed = graph.remove_holding(ids.pop(rng.randrange(len(ids))))
        else:  # a new holding
            owner, asset = (
                f"c{rng.randrange(args.edges // 2)}",
                f"c{rng.randrange(args.edges // 2)}",
            )
            new = Holding(f"n{i}", owner, asset, 60.0, 60.0)
            changed = graph.put_holding(new)
            ids.append(new.id)
        timings.append(time.perf_counter() - t0)
        changed_counts.append(len(changed))
        if i < args.check:
            fresh = OwnershipGraph(
                graph.holdings.values(), seeds=seeds, regime=args.regime, as_of=AS_OF
            )
            fresh.compute()
            assert fresh.flagged() == graph.flagged(), (
                "incremental update disagrees with full recompute"
            )
    # worst case found: the edge (of 2,000 sampled) whose asset has the largest downstream
    sample_ids = rng.sample(ids, min(2000, len(ids)))
    widest = max(sample_ids, key=lambda e: len(graph._downstream([graph.holdings[e].asset])))
    reach = len(graph._downstream([graph.holdings[widest].asset]))
    old_h = graph.holdings[widest]
    t0 = time.perf_counter()
    graph.put_holding(Holding(old_h.id, old_h.owner, old_h.asset, None, None))
    t_wide = time.perf_counter() - t0
    print(
        f"widest sampled change (asset with {reach:,} entities downstream): {1000 * t_wide:.1f} ms"
    )
    timings.sort()
    print(
        f"one changed edge: median {1000 * statistics.median(timings):.1f} ms, "
        f"p95 {1000 * timings[int(0.95 * len(timings))]:.1f} ms, max {1000 * timings[-1]:.1f} ms "
        f"over {len(timings)} changes (statuses changed per update: max {max(changed_counts)}); "
        f"first {args.check} checked against a full recompute"
    )


if __name__ == "__main__":
    main()
