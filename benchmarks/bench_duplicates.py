"""Duplicate-identity index benchmark: query time at 10k/100k/1M templates, planted detection.

Templates are the shipped model's (YuNet + MobileFaceNet, 128-d unit vectors).

Data:
- Distractors are SYNTHETIC templates, seeded: a diagonal Gaussian fitted to the REAL
  templates, each draw scaled to unit length like a real template, its spread chosen so
  that the median distance between two synthetic templates equals the median REAL
  impostor distance. They are not real people, so false-hit counts against them are
  indicative only; the REAL impostor pairs inside the radius are counted apart.
- Planted duplicates are REAL: every selfie template of each real person (the photos,
  and a burst template of each half of each real clip, as bench_faces builds them) is
  enrolled under its own account, and each is then searched for from another account; a
  duplicate is detected when the person's other accounts come back. A second planted set
  enrols SYNTHETIC printed ID portraits (100 px, see bench_faces) of the real photos and
  searches with the other real photos.

Run:  uv run python -m benchmarks.bench_duplicates [--sizes 10000,100000,1000000]
"""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Sequence

import numpy as np

from app.policy import load_policy
from app.vision.faces import (
    TEMPLATE_MODEL_ID,
    TemplateIndex,
    analyse_face,
    face_distance,
    load_face_models,
)
from benchmarks.bench_faces import (
    SEED,
    Encoders,
    load_data,
    passport_crop,
    print_and_photograph,
)

RADIUS_SWEEP = (0.95, 1.0, 1.05, 1.11, 1.15, 1.2)


def synthetic_templates(real: np.ndarray, n: int, target_median: float, seed: int) -> np.ndarray:
    """``n`` unit templates from a diagonal Gaussian fitted to ``real``, spread-matched."""
    mean = real.mean(axis=0)
    spread = real.std(axis=0)

    def draw(count: int, k: float, rng: np.random.Generator) -> np.ndarray:
        z = rng.standard_normal((count, real.shape[1]), dtype=np.float32)
        rows = mean + z * (spread * k)
        return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)

    low, high = 0.1, 10.0  # bisect the spread factor on a small sample
    for _ in range(30):
        k = (low + high) / 2
        probe = draw(2000, k, np.random.default_rng(seed + 7))
        median = float(np.median(np.linalg.norm(probe[:1000] - probe[1000:], axis=1)))
        low, high = (k, high) if median < target_median else (low, k)
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    step = 200_000
    for start in range(0, n, step):
        stop = min(n, start + step)
        out[start:stop] = draw(stop - start, (low + high) / 2, rng)
    return out


def planted_detection(
    index: TemplateIndex,
    enrolled: Sequence[tuple[str, str, np.ndarray]],
    queries: Sequence[tuple[str, str, np.ndarray]],
    radius: float,
    missed: list[str] | None = None,
) -> tuple[int, int, int]:
    """(detected pairs, planted pairs, queries whose top-10 was crowded by distractors)."""
    detected = planted = crowded = 0
    by_account = {account: vector for _, account, vector in enrolled}
    for query_identity, query_account, encoding in queries:
        # every other account of the same person, never the query's own source image
        # (acct:X and doc:X come from the same photo X)
        expected = {
            account
            for identity, account, _ in enrolled
            if identity == query_identity
            and account.split(":", 1)[1] != query_account.split(":", 1)[1]
        }
        if not expected:
            continue
        hits = index.search(encoding, max_distance=radius, exclude_group=query_account, limit=10)
        found = {h.group for h in hits}
        planted += len(expected)
        detected += len(expected & found)
        if missed is not None:
            missed.extend(
                f"{query_account} -> {account} at "
                f"{face_distance(encoding, by_account[account]):.3f}"
                for account in sorted(expected - found)
            )
        if len(hits) == 10 and any(h.group.startswith("syn") for h in hits):
            crowded += 1
    return detected, planted, crowded


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="duplicate index benchmark")
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--queries", type=int, default=40)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    radius = load_policy().duplicate_radius_for(TEMPLATE_MODEL_ID)
    assert radius is not None, "the shipped policy has no duplicate radius for the shipped model"

    models = load_face_models()
    faces, sources = load_data(Encoders(models), models=("new",))
    real = [f for f in faces if "new" in f.templates]
    photos = [f for f in real if not f.identity.startswith("video:")]
    real_matrix = np.stack([f.templates["new"] for f in real])
    impostor = [
        face_distance(a.templates["new"], b.templates["new"])
        for a, b in itertools.combinations(real, 2)
        if a.identity != b.identity
    ]
    target_median = float(np.median(impostor))
    print(
        f"REAL templates: {len(real)} ({len(photos)} photos, {len(real) - len(photos)} "
        f"clip-half burst templates), model {TEMPLATE_MODEL_ID}"
    )
    print(
        f"REAL impostor distance median {target_median:.3f}, min {min(impostor):.3f}; "
        f"duplicate radius {radius}; REAL impostor pairs inside it "
        f"{sum(1 for d in impostor if d <= radius)}/{len(impostor)}"
    )

    selfie_planted = [(f.identity, f"acct:{f.name}", f.templates["new"]) for f in real]
    portraits = []
    photo_sources = [s for s in sources if not s.identity.startswith("video:")]
    for index_no, source in enumerate(photo_sources):
        rng = np.random.default_rng([SEED, 100, 0, index_no])
        image = print_and_photograph(passport_crop(source.image, source.box), 100, rng)
        result = analyse_face(image, role="portrait", models=models)
        if result.sample is not None:
            portraits.append((source.identity, f"doc:{source.own_selfie}", result.sample.encoding))
    # the accounts differ from every doc:* account; a portrait is never searched for
    # with the photo it was printed from
    portrait_queries = [(f.identity, f"acct:{f.name}", f.templates["new"]) for f in photos]

    largest = max(sizes)
    t0 = time.perf_counter()
    distractors = synthetic_templates(real_matrix, largest, target_median, SEED)
    sample = distractors[:2000]
    syn_d = np.linalg.norm(sample[:1000] - sample[1000:], axis=1)
    print(
        f"SYNTHETIC distractors: {largest} generated in {time.perf_counter() - t0:.1f}s; "
        f"norm median {np.median(np.linalg.norm(sample, axis=1)):.3f} "
        f"(REAL {np.median(np.linalg.norm(real_matrix, axis=1)):.3f}); pair distance "
        f"median {np.median(syn_d):.3f}, p0.1 {np.percentile(syn_d, 0.1):.3f}"
    )

    index = TemplateIndex()
    loaded = 0
    rng = np.random.default_rng(SEED + 1)
    for size in sizes:
        t0 = time.perf_counter()
        names = [f"syn{row}" for row in range(loaded, size)]
        index.add_many(names, names, distractors[loaded:size])
        loaded = size
        add_s = time.perf_counter() - t0
        for _identity, account, encoding in selfie_planted + portraits:
            index.add(account, account, encoding)
        query_rows = rng.integers(0, size, size=args.queries)
        times = []
        false_hits = 0
        for row in query_rows:
            probe = distractors[row] + rng.normal(0, 0.05, 128).astype(np.float32)
            start = time.perf_counter()
            hits = index.search(probe, max_distance=radius, exclude_group=f"syn{row}")
            times.append(time.perf_counter() - start)
            false_hits += len(hits)
        ms = np.asarray(times) * 1000
        missed: list[str] = []
        det_s, planted_s, crowded_s = planted_detection(
            index, selfie_planted, selfie_planted, radius, missed
        )
        doc_enrolled = [p for p in portraits if p[1].startswith("doc:")]
        det_p, planted_p, crowded_p = planted_detection(
            index, doc_enrolled, portrait_queries, radius
        )
        print(
            f"\n== {size:>9,} SYNTHETIC templates (+{len(selfie_planted) + len(portraits)} REAL "
            f"planted), {index.capacity * 128 * 4 / 2**20:.0f} MiB matrix, added in {add_s:.1f}s"
        )
        print(
            f"  query (exact, radius {radius}): median {np.median(ms):.1f} ms, "
            f"p95 {np.percentile(ms, 95):.1f} ms, max {ms.max():.1f} ms (n={ms.size})"
        )
        print(f"  SYNTHETIC distractor hits within radius: {false_hits} over {ms.size} queries")
        real_hits = sum(
            sum(1 for h in index.search(encoding, max_distance=radius, limit=100_000)
                if h.group.startswith("syn"))
            for _identity, _account, encoding in selfie_planted
        )  # fmt: skip
        pairs = len(selfie_planted) * size
        print(
            f"  SYNTHETIC templates within the radius of a REAL selfie query: {real_hits} over "
            f"{len(selfie_planted)} queries ({real_hits / pairs:.1e} per pair; target <= 1e-4)"
        )
        print(
            f"  planted REAL selfie duplicates detected: {det_s}/{planted_s} "
            f"({100 * det_s / max(planted_s, 1):.1f}%), top-10 crowded {crowded_s}"
        )
        for line in missed:
            print(f"    missed: {line}")
        print(
            "  planted SYNTHETIC ID portrait (100 px) vs REAL selfie detected: "
            f"{det_p}/{planted_p} "
            f"({100 * det_p / max(planted_p, 1):.1f}%), top-10 crowded {crowded_p}"
        )
        if size == sizes[0]:
            print("  radius sweep (planted REAL selfie / SYNTHETIC portrait detection, REAL "
                  "impostor pairs inside the radius):")  # fmt: skip
            for sweep in RADIUS_SWEEP:
                a, b, _ = planted_detection(index, selfie_planted, selfie_planted, sweep)
                c, d, _ = planted_detection(index, doc_enrolled, portrait_queries, sweep)
                inside = sum(1 for value in impostor if value <= sweep)
                print(
                    f"    r={sweep:.2f}: selfie {100 * a / max(b, 1):5.1f}%  portrait "
                    f"{100 * c / max(d, 1):5.1f}%  impostors {inside}/{len(impostor)}"
                )
        for _identity, account, _ in selfie_planted + portraits:
            index.remove(account)
    t0 = time.perf_counter()
    for key in range(0, min(loaded, 10_000)):
        index.remove(f"syn{key}")
    print(f"\nremove: {(time.perf_counter() - t0) / min(loaded, 10_000) * 1e6:.1f} us per template")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
