"""Fine-tune the soft glyph networks on MRZ lines the reader cut from generated photographs.

The soft pair (``glyph_training --kind soft`` / ``soft-wide``) learns from rendered lines
degraded like photographs. Here it learns further from what the reader really sees: the
generator (``benchmarks.synth.documents``) photographs hard-tier documents of the tuning
seeds (never a seed the benchmarks or calibrations read), the reader reads each photo with
the rendered-only pair, exactly as in the benchmark, and every line strip it rectified
whose cell lattice sits on the true cells (the network's best character is the true one
in at least ``MIN_AGREEMENT`` of the cells) is labelled with the generator's true line.
One seed is held out to report the accuracy on photographed cells before and after.

Each network starts from its rendered-only weights and trains on the harvested cells
(``PASSES`` random window offsets per cell, gaps between cells as the gap class) mixed
with freshly rendered lines, so that it keeps what it knew; the result is written as
``glyphnet-soft-photo.npz`` and ``glyphnet-soft-wide-photo.npz``, the pair the reader
uses (``OcrParams.soft_networks``).

    # the photographs, in parallel (about 1.7 s each on one core of the 2-core machine)
    uv run python -m benchmarks.synth.documents --out /tmp/t9001 --seed 9001 --normal 0 --hard 125
    ...
    OPENBLAS_NUM_THREADS=1 uv run python -m benchmarks.photo_tuning /tmp/t9001 ... /tmp/t9024

Run with one BLAS thread, it reproduces: a second run wrote byte-identical archives
(``NOTES-mrz.md``, round 17). The weights depend on the reader's code at harvest time
(which lines it cuts and where it places the cells); after a change to the rectification
or the lattice, re-run this.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from app.vision.document import cells, ocr
from app.vision.document.glyph_training import (
    KINDS,
    RenderedLine,
    accuracy,
    line_samples,
    make_dataset,
    train,
)
from app.vision.document.glyphnet import (
    WEIGHTS_PATHS,
    GlyphNet,
    load_glyphnet,
    save_glyphnet,
    window_shape,
)
from app.vision.document.glyphs import MRZ_CHARSET
from app.vision.document.ocr import OcrParams

# Seeds whose hard tiers are photographed for the tuning; the last one is held out. The
# benchmarks read seeds 7 and 202-606, the reader's calibrations 101 and 202.
TUNING_SEEDS = tuple(range(9001, 9025))
HELD_OUT_SEED = 9008
MIN_AGREEMENT = 0.5  # share of a line's cells read right for its lattice to be trusted
PASSES = 2  # windows cut per harvested cell (random offsets within 0.1 pitch)
RENDERED_LINES = 4000  # rendered lines mixed in (seed 9303 + TUNING_VERSION)
EPOCHS = 8
LEARNING_RATE = 1e-3
SEED = 4242
TUNING_VERSION = "photo-1"
# The rendered-only pair the tuning starts from and harvests with -> the tuned pair.
TUNED_KINDS = {"soft": "soft-photo", "soft-wide": "soft-wide-photo"}
_HARVEST_PARAMS = OcrParams(soft_networks=("soft", "soft-wide"))
# Room on both sides of a harvested strip for the trainer's margin gap windows, which lie
# up to five pitches beyond the first and last cell (the reader's strip keeps five).
_EDGE_PAD = 96


def tuned_version(kind: str) -> str:
    """The version string of the photo-tuned network of rendered-only ``kind``."""
    return f"{KINDS[kind].version}+{TUNING_VERSION}"


@dataclass(frozen=True)
class HarvestedLine:
    """One reader-cut line strip, the reader's cell centres on it and the true line."""

    strip: np.ndarray  # uint8 grey, the reader's rectified strip (``rectify._rectify``)
    centres: np.ndarray  # strip x of each cell, where the reader placed it
    text: str  # the true MRZ line
    sharpness: float  # ``cells._stroke_sharpness`` of the strip
    agreement: float  # share of the cells the network read right at those centres
    source: str  # "<data dir>/<image name>/<line index>"


def line_agreement(read: str, truth: str) -> float:
    """Share of positions where ``read`` has the true character (0 when the lengths
    differ): a lattice that sits a cell off the glyphs agrees by chance only."""
    if len(read) != len(truth) or not truth:
        return 0.0
    return sum(a == b for a, b in zip(read, truth, strict=True)) / len(truth)


def _placement_record(placement: Any) -> list[tuple[np.ndarray, np.ndarray, float, str]]:
    """(strip, centres, sharpness, best characters) of each line of a placement."""
    lines = []
    for strip, table, centres, sharpness in zip(
        placement.strips, placement.tables, placement.centres, placement.sharpness, strict=True
    ):
        best = cells._net_scores(table, centres).argmax(axis=1)
        text = "".join(MRZ_CHARSET[int(k)] for k in best)
        lines.append((strip.strip.copy(), np.array(centres, np.float64), float(sharpness), text))
    return lines


def harvest_image(
    image: np.ndarray, truth: Sequence[str], source: str, today: Any
) -> list[HarvestedLine]:
    """Read ``image`` as the benchmark does (with the rendered-only soft pair) and return
    the soft lines whose lattice sits on the true cells, each line once (the placement
    that read it best)."""
    from app.vision.document.reader import read_document

    placements: list[list[tuple[np.ndarray, np.ndarray, float, str]]] = []
    original = ocr._read_placement

    def recording(candidate: Any, placement: Any, *args: Any, **kwargs: Any) -> Any:
        placements.append(_placement_record(placement))
        return original(candidate, placement, *args, **kwargs)

    with mock.patch.object(ocr, "_read_placement", recording):
        read_document(image, today=today, find_portrait=False, ocr_params=_HARVEST_PARAMS)
    best: dict[int, HarvestedLine] = {}
    for lines in placements:
        if len(lines) != len(truth):
            continue  # two lines of a three-line TD1, or another count
        for index, (strip, centres, sharpness, text) in enumerate(lines):
            agreement = line_agreement(text, truth[index])
            if sharpness >= _HARVEST_PARAMS.soft_network_below or agreement < MIN_AGREEMENT:
                continue
            if index not in best or agreement > best[index].agreement:
                best[index] = HarvestedLine(
                    strip, centres, truth[index], sharpness, agreement, f"{source}/{index}"
                )
    return [best[index] for index in sorted(best)]


def photographs(data_dirs: Iterable[Path]) -> Iterator[tuple[int, str, np.ndarray, list[str]]]:
    """(seed, source, RGB image, true MRZ lines) of each hard-tier photo in the
    generator's output directories; a directory of a seed outside ``TUNING_SEEDS`` is
    refused (those are the benchmark's)."""
    import cv2

    for data_dir in data_dirs:
        index = json.loads((data_dir / "truth.json").read_text())
        seed = int(index["seed"])
        if seed not in TUNING_SEEDS:
            raise SystemExit(f"{data_dir}: seed {seed} is not a tuning seed ({TUNING_SEEDS})")
        for entry in index["documents"]:
            if entry["tier"] != "hard":
                continue
            bgr = cv2.imread(str(data_dir / entry["file"]), cv2.IMREAD_COLOR)
            if bgr is None:
                raise SystemExit(f"{data_dir / entry['file']}: not an image")
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            yield seed, f"{data_dir.name}/{entry['name']}", rgb, list(entry["mrz"])


def photo_windows(
    lines: Sequence[HarvestedLine], context: float, passes: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Training windows (features, labels) of harvested lines, cut as the trainer cuts
    rendered ones (``glyph_training.line_samples``): every cell with its true character,
    windows between cells and beyond the ends as the gap class."""
    rng = np.random.default_rng(seed)
    rows, cols = window_shape(context)
    features: list[np.ndarray] = []
    labels: list[int] = []
    for _ in range(passes):
        for line in lines:
            padded = np.pad(line.strip, ((0, 0), (_EDGE_PAD, _EDGE_PAD)), mode="edge")
            rendered = RenderedLine(strip=padded, centres=line.centres + _EDGE_PAD, text=line.text)
            for feature, label in line_samples(rendered, rng, "column", context):
                features.append(feature.astype(np.float32, copy=False))
                labels.append(label)
    if not features:
        return np.empty((0, rows * cols), np.float32), np.empty(0, np.int64)
    return np.stack(features), np.array(labels, np.int64)


def tune(
    kind: str, train_lines: Sequence[HarvestedLine], held_lines: Sequence[HarvestedLine]
) -> GlyphNet:
    """Fine-tune the rendered-only network ``kind`` on ``train_lines`` (and rendered
    lines); print its accuracy on held-out photographed and rendered cells before and
    after."""
    recipe = KINDS[kind]
    started = time.perf_counter()
    photo_x, photo_y = photo_windows(train_lines, recipe.context, PASSES, SEED)
    held_x, held_y = photo_windows(held_lines, recipe.context, 1, SEED + 1)
    rendered_x, rendered_y = make_dataset(
        RENDERED_LINES, SEED + 2, recipe.hard_share, recipe.ink, recipe.context, recipe.shear_deg
    )
    # The rendered-only network's own held-out renders (its recipe's seed + 1).
    check_x, check_y = make_dataset(
        1000, 9304, recipe.hard_share, recipe.ink, recipe.context, recipe.shear_deg
    )
    print(f"{kind}: {len(photo_y)} photo windows, {len(rendered_y)} rendered "
          f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    start = load_glyphnet(kind)
    net = train(
        np.concatenate([photo_x, rendered_x]),
        np.concatenate([photo_y, rendered_y]),
        epochs=EPOCHS,
        lr=LEARNING_RATE,
        seed=SEED,
        version=tuned_version(kind),
        context=recipe.context,
        initial=start,
        progress=lambda epoch, seconds: print(
            f"  epoch {epoch}/{EPOCHS}: {seconds:.0f} s", flush=True
        ),
    )
    for name, network in (("rendered-only", start), ("photo-tuned", net)):
        photo_glyphs, photo_gaps = accuracy(network, held_x, held_y)
        render_glyphs, render_gaps = accuracy(network, check_x, check_y)
        print(f"  {name}: held-out photo cells {photo_glyphs:.4f} (gaps {photo_gaps:.4f}),"
              f" held-out renders {render_glyphs:.4f} (gaps {render_gaps:.4f})",
              flush=True)  # fmt: skip
    return net


def harvest_directory(data_dir: Path) -> tuple[int, int, list[HarvestedLine]]:
    """(seed, photos read, harvested lines) of one generator output directory."""
    from benchmarks.synth.documents import REFERENCE_DATE

    index = json.loads((data_dir / "truth.json").read_text())
    count, lines = 0, []
    for _seed, source, image, truth in photographs([data_dir]):
        lines.extend(harvest_image(image, truth, source, REFERENCE_DATE))
        count += 1
    return int(index["seed"]), count, lines


def main(argv: Sequence[str] | None = None) -> int:
    from concurrent.futures import ProcessPoolExecutor

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, nargs="+", help="generator output of tuning seeds")
    parser.add_argument(
        "--kinds", nargs="+", choices=sorted(TUNED_KINDS), default=sorted(TUNED_KINDS)
    )
    parser.add_argument(
        "--jobs", type=int, default=os.cpu_count() or 1, help="harvesting processes"
    )
    parser.add_argument("--out-dir", type=Path, help="write here instead of next to the reader")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    train_lines: list[HarvestedLine] = []
    held_lines: list[HarvestedLine] = []
    images = 0
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        # In the order given, whatever order the directories finish in.
        for seed, count, lines in pool.map(harvest_directory, args.data):
            (held_lines if seed == HELD_OUT_SEED else train_lines).extend(lines)
            images += count
            print(f"harvested seed {seed}: {count} photos, {len(lines)} lines "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    print(f"harvested {images} photos: {len(train_lines)} training lines, {len(held_lines)} "
          f"held out (seed {HELD_OUT_SEED})", flush=True)  # fmt: skip
    if not train_lines or not held_lines:
        raise SystemExit(f"need photos of the held-out seed {HELD_OUT_SEED} and of others")
    for kind in args.kinds:
        net = tune(kind, train_lines, held_lines)
        out = WEIGHTS_PATHS[TUNED_KINDS[kind]]
        if args.out_dir is not None:
            out = args.out_dir / out.name
        save_glyphnet(net, out)
        print(f"wrote {out} ({net.version}, {time.perf_counter() - started:.0f} s total)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
