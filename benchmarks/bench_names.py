"""Name matching on nomenklatura's labelled pairs: fit on one half, report on the other.

    uv run python -m benchmarks.bench_names            # report with the shipped weights
    uv run python -m benchmarks.bench_names --fit      # refit on the tuning half, print weights
                                                       # (L2 strength by 5-fold CV on that half)

Split: the 826 rows are shuffled with ``random.Random(25)``; the first 413 are the TUNING half
(weights, bias and threshold are fitted there), the last 413 the REPORT half (never used for
fitting). F1 counts ``is_match == true`` as the positive class.
"""

from __future__ import annotations

import argparse
import csv
import random
from pathlib import Path

import numpy as np

from app.screening import names

PAIRS = (
    Path(__file__).resolve().parents[1].parent / "shared/data/screening/name_pairs_nomenklatura.csv"
)
SPLIT_SEED = 25


def load_split() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    rows = list(csv.DictReader(PAIRS.open(encoding="utf-8")))
    random.Random(SPLIT_SEED).shuffle(rows)
    half = len(rows) // 2
    return rows[:half], rows[half:]


def _features(rows: list[dict[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    x = []
    for r in rows:
        feats, _ = names.features(names.prepare(r["name1"]), names.prepare(r["name2"]))
        x.append(feats)
    y = np.array([r["is_match"] == "true" for r in rows], dtype=float)
    return np.array(x, dtype=float), y


def fit(
    x: np.ndarray, y: np.ndarray, l2: float = 0.001, steps: int = 60000
) -> tuple[np.ndarray, float]:
    """Plain logistic regression by gradient descent (no extra dependency)."""
    w = np.zeros(x.shape[1])
    b = 0.0
    lr = 0.5
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w + b)))
        grad_w = x.T @ (p - y) / len(y) + l2 * w
        grad_b = float(np.mean(p - y))
        w -= lr * grad_w
        b -= lr * grad_b
    return w, b


def f1_at(scores: np.ndarray, y: np.ndarray, threshold: float) -> tuple[float, float, float]:
    pred = scores >= threshold
    tp = float(np.sum(pred & (y == 1)))
    fp = float(np.sum(pred & (y == 0)))
    fn = float(np.sum(~pred & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall


def cross_validate(x: np.ndarray, y: np.ndarray) -> float:
    """5-fold cross-validation inside the tuning half: how the L2 strength was chosen."""
    folds = np.arange(len(y)) % 5
    results = {}
    for l2 in (0.0003, 0.001, 0.003, 0.01):
        scores = []
        for k in range(5):
            train, test = folds != k, folds == k
            w, b = fit(x[train], y[train], l2=l2, steps=20000)
            s_train = 1 / (1 + np.exp(-(x[train] @ w + b)))
            s_test = 1 / (1 + np.exp(-(x[test] @ w + b)))
            grid = np.arange(0.2, 0.9, 0.01)
            threshold = max((f1_at(s_train, y[train], t)[0], t) for t in grid)[1]
            scores.append(f1_at(s_test, y[test], threshold)[0])
        results[l2] = float(np.mean(scores))
        print(f"  l2={l2}: cross-validated F1 on the tuning half {results[l2]:.3f}")
    return max(results, key=results.__getitem__)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fit", action="store_true")
    parser.add_argument(
        "--errors",
        action="store_true",
        help="list tuning-half errors (the report half is never inspected)",
    )
    args = parser.parse_args()
    tune, report = load_split()
    xt, yt = _features(tune)
    xr, yr = _features(report)
    if args.fit:
        l2 = cross_validate(xt, yt)
        print(f"L2 strength chosen by cross-validation: {l2}")
        w, b = fit(xt, yt, l2=l2)
        st = 1 / (1 + np.exp(-(xt @ w + b)))
        best = max((f1_at(st, yt, t)[0], t) for t in np.arange(0.2, 0.9, 0.01))
        print("WEIGHTS =", tuple(round(float(v), 4) for v in w))
        print("BIAS =", round(b, 4))
        print(f"best tuning threshold {best[1]:.2f} (tuning F1 {best[0]:.3f})")
        weights, bias, threshold = tuple(w), b, float(best[1])
    else:
        weights, bias, threshold = names.WEIGHTS, names.BIAS, names.MATCH_THRESHOLD
    for label, x, y, rows in (("tuning", xt, yt, tune), ("report", xr, yr, report)):
        s = np.array([names.combine(tuple(f), weights, bias) for f in x])
        f1, p, r = f1_at(s, y, threshold)
        print(
            f"{label:7s} half: n={len(y)} F1={f1:.3f} precision={p:.3f} recall={r:.3f} "
            f"at threshold {threshold:.2f}"
        )
        if args.errors and label == "tuning":
            for row, sc, lab in zip(rows, s, y, strict=True):
                if (sc >= threshold) != bool(lab):
                    print(f"  {sc:.2f} {int(lab)} {row['name1']!r} vs {row['name2']!r}")


if __name__ == "__main__":
    main()
