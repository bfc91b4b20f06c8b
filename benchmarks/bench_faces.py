"""Face-matching benchmark: distance distributions, ROC, operating points and stage time.

Data (printed in the output next to every figure):
- REAL selfie-vs-selfie: the labelled photos in shared/data/faces (5 people, 16 photos;
  the resolution/ copies of one photo are left out as near-duplicates), plus frames from
  the 7 real videos in shared/data/video (same-session pairs, reported separately because
  they are easier than pairs taken on different days).
- ID-vs-selfie, SYNTHETIC portraits of REAL faces:
  (a) "printed": a passport-style crop of each real photo AND of each real video frame,
      downscaled to a portrait width of 40-200 px and degraded like a printed, photographed
      portrait (colour cast, halftone screen, blur, noise, JPEG), compared with every other
      real photo and frame (never its own source). Genuine pairs of a photo portrait with
      the person's other photos form the calibration pool; genuine pairs of a frame
      portrait with other frames of its clip are same-session and reported apart;
      impostor pairs count everywhere, including the d0/d9 look-alike pair (two different
      men, the closest real impostor pair) tested as ID portrait vs selfie;
  (b) "synthdoc": portraits cut from fully synthetic photographed ID documents made by
      benchmarks/synth/documents.py (the document reader's crop is simulated from the
      generator's ground truth), compared with the other real photos of that person.
  Impostor selfies also include the video people. Everything is seeded.
  Selfie-vs-selfie never auto-approves in the product (a hit within the duplicate radius
  goes to review), so those sets are reported at the duplicate radius; the face bands
  (match / review / mismatch) apply to ID-vs-selfie only.

Run:  uv run python -m benchmarks.bench_faces [--synth-docs 24] [--jitter] [--dump pairs.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import os
import statistics
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from app.policy import load_policy
from app.vision.faces import (
    FaceModels,
    FaceQualityThresholds,
    MatchBands,
    analyse_face,
    compare_faces,
    face_distance,
    load_face_models,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IDENTITIES = ("alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie")
PORTRAIT_WIDTHS = (40, 60, 80, 100, 120, 160, 200)
THRESHOLDS = (0.35, 0.37, 0.39, 0.41, 0.43, 0.45, 0.47, 0.50, 0.55, 0.60, 0.65, 0.70)
LOOKALIKES = frozenset({"video:d0", "video:d9"})  # two different men, dlib's closest pair
SEED = 20261126


@dataclass(frozen=True)
class Selfie:
    identity: str
    name: str
    image: np.ndarray
    encoding: np.ndarray
    box: tuple[int, int, int, int]
    yaw_deg: float | None = None


def load_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def video_frames(path: Path, count: int) -> list[np.ndarray]:
    """``count`` frames spread evenly over a video, RGB."""
    capture = cv2.VideoCapture(str(path))
    total = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    frames = []
    for index in np.linspace(0, max(total - 1, 0), count).astype(int):
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, frame = capture.read()
        if ok:
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


def load_selfies(models: FaceModels) -> tuple[list[Selfie], list[Selfie]]:
    """Real photos (labelled people) and real video frames (one identity per clip)."""
    photos: list[Selfie] = []
    for identity in IDENTITIES:
        for path in sorted((DATA / "faces" / identity).iterdir()):
            if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
                continue
            image = load_rgb(path)
            result = analyse_face(image, role="selfie", models=models)
            if result.sample is None:
                print(f"  [skip] {identity}/{path.name}: {result.reason_codes}")
                continue
            sample = result.sample
            photos.append(
                Selfie(identity, path.name, image, sample.encoding, sample.box, sample.yaw_deg)
            )
    frames: list[Selfie] = []
    for path in sorted((DATA / "video").glob("*.mp4")):
        for i, frame in enumerate(video_frames(path, 6)):
            result = analyse_face(frame, role="selfie", models=models)
            if result.sample is not None:
                frames.append(
                    Selfie(
                        f"video:{path.stem}",
                        f"{path.stem}#{i}",
                        frame,
                        result.sample.encoding,
                        result.sample.box,
                        result.sample.yaw_deg,
                    )
                )
    return photos, frames


def pair_distances(items: Sequence[Selfie]) -> tuple[list[float], list[float]]:
    genuine, impostor = [], []
    for a, b in itertools.combinations(items, 2):
        d = face_distance(a.encoding, b.encoding)
        (genuine if a.identity == b.identity else impostor).append(d)
    return genuine, impostor


def passport_crop(image: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """Head-and-shoulders crop (ICAO-like: face ~ 60% of the crop width)."""
    top, right, bottom, left = box
    face = bottom - top
    cx, cy = (left + right) / 2, (top + bottom) / 2 - 0.1 * face
    half_w, half_h = face * 0.85, face * 1.1
    pad = int(face * 2)
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    y0, y1 = round(cy - half_h) + pad, round(cy + half_h) + pad
    x0, x1 = round(cx - half_w) + pad, round(cx + half_w) + pad
    return padded[y0:y1, x0:x1]


def print_and_photograph(crop: np.ndarray, width: int, rng: np.random.Generator) -> np.ndarray:
    """SYNTHETIC degradation: a printed portrait of ``width`` px seen by a phone camera."""
    height = round(crop.shape[0] * width / crop.shape[1])
    # print at 4x the final size, with a colour cast, lower contrast and a halftone screen
    big = cv2.resize(crop, (width * 4, height * 4), interpolation=cv2.INTER_AREA)
    big = big.astype(np.float32)
    cast = rng.uniform(0.88, 1.08, size=3).astype(np.float32)
    big = big * cast * rng.uniform(0.8, 0.95) + rng.uniform(10, 30)
    yy, xx = np.mgrid[0 : big.shape[0], 0 : big.shape[1]].astype(np.float32)
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(2.5, 4.0)
    screen = np.sin((xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period)
    screen *= np.sin((-xx * np.sin(angle) + yy * np.cos(angle)) * 2 * np.pi / period)
    big = big + screen[..., None] * rng.uniform(8, 20)
    small = cv2.resize(np.clip(big, 0, 255), (width, height), interpolation=cv2.INTER_AREA)
    sigma = rng.uniform(0.3, 0.9)
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=sigma)
    small = small + rng.normal(0, rng.uniform(1.5, 4.0), size=small.shape)
    out = np.clip(small, 0, 255).astype(np.uint8)
    quality = int(rng.integers(55, 86))
    ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    decoded: np.ndarray = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return decoded


PairKind = str  # "genuine" | "same_session" | "impostor"


@dataclass(frozen=True)
class Pair:
    """One ID-portrait-vs-selfie comparison."""

    width: int  # printed portrait width in px (0: synthetic document)
    source: str  # "identity/name" of the photo or frame the portrait was made from
    selfie: str  # "identity/name" of the selfie it is compared with
    kind: PairKind
    distance: float
    face_px: int  # portrait face width measured by analyse_face (input px)
    sharpness: float  # portrait face_sharpness


@dataclass
class PortraitSet:
    label: str
    pairs: list[Pair]
    not_found: int
    total: int
    face_widths: list[int]
    quality_low: int = 0

    def distances(self, kind: PairKind) -> list[float]:
        return [p.distance for p in self.pairs if p.kind == kind]

    @property
    def genuine(self) -> list[float]:
        return self.distances("genuine")

    @property
    def impostor(self) -> list[float]:
        return self.distances("impostor")


def pair_kind(source: Selfie, selfie: Selfie) -> PairKind:
    """Genuine pairs between frames of one clip are same-session (easier than real life)."""
    if source.identity != selfie.identity:
        return "impostor"
    return "same_session" if source.identity.startswith("video:") else "genuine"


def printed_portrait_sets(
    sources: Sequence[Selfie],
    selfies: Sequence[Selfie],
    models: FaceModels,
    widths: Iterable[int],
    *,
    label: str = "printed",
    jitters: int = 0,
    repeats: int = 2,
) -> list[PortraitSet]:
    """Printed portraits of each source at each width, compared with every other selfie."""
    sets = []
    thresholds = FaceQualityThresholds()
    for width in widths:
        out = PortraitSet(f"{label} {width:>3}px", [], 0, 0, [])
        for rep in range(repeats):
            for index, source in enumerate(sources):
                # photos keep the seeds of the earlier runs; frames get their own stream
                key = (
                    [SEED, width, rep, index]
                    if label == "printed"
                    else [SEED, width, rep, 1000 + index]
                )
                rng = np.random.default_rng(key)
                portrait_img = print_and_photograph(
                    passport_crop(source.image, source.box), width, rng
                )
                result = analyse_face(
                    portrait_img,
                    role="portrait",
                    models=models,
                    thresholds=thresholds,
                    jitters=jitters,
                )
                out.total += 1
                if result.sample is None:
                    out.not_found += 1
                    continue
                sample = result.sample
                out.face_widths.append(sample.width_px)
                out.quality_low += "face_quality_low" in result.reason_codes
                for selfie in selfies:
                    if selfie is source:
                        continue
                    out.pairs.append(
                        Pair(
                            width,
                            f"{source.identity}/{source.name}",
                            f"{selfie.identity}/{selfie.name}",
                            pair_kind(source, selfie),
                            face_distance(sample.encoding, selfie.encoding),
                            sample.width_px,
                            sample.sharpness,
                        )
                    )
        sets.append(out)
    return sets


def synthdoc_set(
    photos: Sequence[Selfie], impostor_pool: Sequence[Selfie], models: FaceModels, count: int
) -> PortraitSet | None:
    try:
        from benchmarks.synth.documents import generate_document
    except ImportError as exc:  # the generator is another helper's module
        print(f"  [synthdoc] generator not importable: {exc}")
        return None
    out = PortraitSet("synthdoc", [], 0, 0, [])
    for index in range(count):
        doc = generate_document(SEED % 1000, "normal", index)
        homography = np.array(doc.photo["homography"], dtype=np.float64)
        page_w, page_h = doc.truth.page_size
        page = cv2.warpPerspective(
            doc.image, np.linalg.inv(homography), (page_w, page_h), flags=cv2.INTER_AREA
        )
        x0, y0, x1, y1 = doc.truth.portrait_box
        scale = float(doc.photo["scale"])
        crop = page[y0:y1, x0:x1]
        # resample to the resolution the portrait really had in the photo
        size = (max(8, round((x1 - x0) * scale)), max(8, round((y1 - y0) * scale)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        result = analyse_face(crop, role="portrait", models=models)
        out.total += 1
        if result.sample is None:
            out.not_found += 1
            continue
        out.face_widths.append(result.sample.width_px)
        source_identity, source_file = doc.truth.portrait_source.split("/", 1)
        for selfie in list(photos) + list(impostor_pool):
            if selfie.identity == source_identity and selfie.name == source_file:
                continue  # never compare a portrait with its own source photo
            out.pairs.append(
                Pair(
                    0,
                    f"{doc.name}:{doc.truth.portrait_source}",
                    f"{selfie.identity}/{selfie.name}",
                    "genuine" if selfie.identity == source_identity else "impostor",
                    face_distance(result.sample.encoding, selfie.encoding),
                    result.sample.width_px,
                    result.sample.sharpness,
                )
            )
    return out


def describe(values: Sequence[float]) -> str:
    if not values:
        return "n=0"
    q = np.percentile(values, [0, 5, 50, 95, 100])
    return (
        f"n={len(values):4d} min={q[0]:.3f} p5={q[1]:.3f} median={q[2]:.3f} "
        f"p95={q[3]:.3f} max={q[4]:.3f}"
    )


def roc_table(genuine: Sequence[float], impostor: Sequence[float]) -> list[str]:
    g, i = np.asarray(genuine), np.asarray(impostor)
    rows = []
    for t in THRESHOLDS:
        frr = float((g > t).mean()) if g.size else float("nan")
        far = float((i <= t).mean()) if i.size else float("nan")
        rows.append(
            f"    t={t:.2f}  FRR={frr * 100:6.2f}%  FAR={far * 100:6.2f}% "
            f"({int((i <= t).sum())}/{i.size} impostors)"
        )
    return rows


def id_operating_point(
    bands: MatchBands, genuine: Sequence[float], impostor: Sequence[float]
) -> tuple[int, int]:
    """Print the ID-vs-selfie bands' outcome; return (impostors auto-matched, impostors)."""
    g, i = np.asarray(genuine), np.asarray(impostor)
    if g.size:
        approve = float((g <= bands.match_max_distance).mean())
        mismatch = float((g >= bands.mismatch_min_distance).mean())
        print(
            f"  at policy ID-vs-selfie bands {bands.match_max_distance}/"
            f"{bands.mismatch_min_distance}: genuine auto-match {approve * 100:.1f}% | "
            f"grey band (-> review) {(1 - approve - mismatch) * 100:.1f}% | "
            f"mismatch band (-> review, never declined) {mismatch * 100:.1f}%"
        )
    far = int((i <= bands.match_max_distance).sum())
    grey = int(((i > bands.match_max_distance) & (i < bands.mismatch_min_distance)).sum())
    if i.size:
        print(
            f"  impostors auto-matched {far}/{i.size} | in the grey band (review) {grey}/{i.size}"
            f" | closest impostor {i.min():.3f} (margin {i.min() - bands.match_max_distance:+.3f})"
        )
    return far, int(i.size)


def report_selfie_pairs(label: str, genuine: Sequence[float], impostor: Sequence[float]) -> None:
    """Selfie-vs-selfie: never auto-approves in the product; its band is the duplicate radius."""
    radius = load_policy().duplicate_max_distance
    g, i = np.asarray(genuine), np.asarray(impostor)
    print(f"\n== {label}")
    print(f"  genuine  {describe(genuine)}")
    print(f"  impostor {describe(impostor)}")
    print("  ROC (accept when distance <= t):")
    print("\n".join(roc_table(genuine, impostor)))
    print(
        f"  at the band that applies (duplicate radius {radius}; a hit goes to review, "
        f"selfie-vs-selfie never auto-approves): genuine found {(g <= radius).mean() * 100:.1f}%"
        f" | impostors inside the radius {int((i <= radius).sum())}/{i.size}"
    )


def report_id(
    label: str,
    genuine: Sequence[float],
    impostor: Sequence[float],
    *,
    same_session: Sequence[float] = (),
    lookalike: Sequence[float] = (),
) -> tuple[int, int]:
    bands = load_policy().face_bands
    print(f"\n== {label}")
    print(f"  genuine  {describe(genuine)}  (different photos: the calibration pool)")
    if same_session:
        print(
            "  same-session genuine (frame vs frames of its clip, NOT pooled) "
            + describe(same_session)
        )
    print(f"  impostor {describe(impostor)}")
    if lookalike:
        print(f"  of which the d0/d9 look-alike pair {describe(lookalike)}")
    print("  ROC (accept when distance <= t):")
    print("\n".join(roc_table(genuine, impostor)))
    result = id_operating_point(bands, genuine, impostor)
    if same_session:
        ss = np.asarray(same_session)
        auto = float((ss <= bands.match_max_distance).mean())
        mismatch = float((ss >= bands.mismatch_min_distance).mean())
        print(
            f"  same-session genuine auto-matched {auto * 100:.1f}%, "
            f"mismatch band {mismatch * 100:.1f}%"
        )
    return result


def time_stage(
    photos: Sequence[Selfie], frames: Sequence[Selfie], models: FaceModels, n: int = 24
) -> dict[str, list[float]]:
    """Portrait (80-100 px printed) + selfie (a real video frame) + compare, per verification."""
    bands = load_policy().face_bands
    times: dict[str, list[float]] = {"total": [], "portrait": [], "selfie": [], "encode_only": []}
    rng = np.random.default_rng(SEED)
    for k in range(n):
        source = photos[k % len(photos)]
        selfie_img = frames[k % len(frames)].image
        portrait_img = print_and_photograph(
            passport_crop(source.image, source.box), 80 + 20 * (k % 2), rng
        )
        start = time.perf_counter()
        portrait = analyse_face(portrait_img, role="portrait", models=models)
        middle = time.perf_counter()
        selfie = analyse_face(selfie_img, role="selfie", models=models)
        if portrait.sample is not None and selfie.sample is not None:
            compare_faces(portrait.sample.encoding, selfie.sample.encoding, bands)
        end = time.perf_counter()
        times["total"].append(end - start)
        times["portrait"].append(middle - start)
        times["selfie"].append(end - middle)
        chip = np.zeros((150, 150, 3), dtype=np.uint8)
        chip[:] = selfie_img[:150, :150]
        start = time.perf_counter()
        models.encoder.compute_face_descriptor(chip, 0)
        times["encode_only"].append(time.perf_counter() - start)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="face matching benchmark")
    parser.add_argument("--synth-docs", type=int, default=24)
    parser.add_argument("--dump", help="write every ID-vs-selfie pair to this JSON file")
    parser.add_argument("--jitter", action="store_true", help="also measure jitters=5 portraits")
    args = parser.parse_args(argv)

    models = load_face_models()
    t0 = time.perf_counter()
    photos, frames = load_selfies(models)
    print(f"loaded {len(photos)} REAL photos, {len(frames)} REAL video frames "
          f"({time.perf_counter() - t0:.1f}s)")  # fmt: skip
    policy = load_policy()
    print(f"policy {policy.version}: ID-vs-selfie bands {policy.face_bands}, "
          f"duplicate radius {policy.duplicate_max_distance}")  # fmt: skip

    g, i = pair_distances(photos)
    report_selfie_pairs("selfie-vs-selfie, REAL photos (different photos of 5 people)", g, i)
    g_v, i_v = pair_distances(frames)
    report_selfie_pairs(
        "selfie-vs-selfie, REAL video frames (same-session genuine pairs, 7 people)", g_v, i_v
    )
    _, i_cross = pair_distances(list(photos) + list(frames))
    print(f"\n  all REAL selfie-vs-selfie impostor pairs (photos + frames): {describe(i_cross)}")

    selfies = list(photos) + list(frames)
    t0 = time.perf_counter()
    sets = printed_portrait_sets(photos, selfies, models, PORTRAIT_WIDTHS)
    frame_sets = printed_portrait_sets(
        frames, selfies, models, PORTRAIT_WIDTHS, label="printed-frame"
    )
    print(f"\nprinted portraits made and compared ({time.perf_counter() - t0:.0f}s)")
    totals = {"auto-matched": 0, "impostors": 0}

    def tally(result: tuple[int, int]) -> None:
        totals["auto-matched"] += result[0]
        totals["impostors"] += result[1]

    for s, f in zip(sets, frame_sets, strict=True):
        pairs = s.pairs + f.pairs
        widths = s.face_widths + f.face_widths
        tally(
            report_id(
                f"ID-vs-selfie, SYNTHETIC printed portrait ({s.label.split()[1]} wide) of REAL "
                f"photos and REAL video frames vs REAL photos and frames; portrait not found "
                f"{s.not_found + f.not_found}/{s.total + f.total}, face_quality_low "
                f"{s.quality_low + f.quality_low}, face width median "
                f"{statistics.median(widths) if widths else 0} px",
                s.genuine,
                [p.distance for p in pairs if p.kind == "impostor"],
                same_session=f.distances("same_session"),
                lookalike=lookalike_distances(pairs),
            )
        )
    for low, high in ((80, 120), (80, 200)):
        chosen = [p for st in sets + frame_sets for p in st.pairs if low <= p.width <= high]
        report_id(
            f"ID-vs-selfie, SYNTHETIC printed portraits {low}-{high} px (pooled)",
            [p.distance for p in chosen if p.kind == "genuine"],
            [p.distance for p in chosen if p.kind == "impostor"],
            same_session=[p.distance for p in chosen if p.kind == "same_session"],
            lookalike=lookalike_distances(chosen),
        )
    if args.jitter:
        jit = printed_portrait_sets(photos, selfies, models, (40, 60, 80), jitters=5, repeats=1)
        for s in jit:
            report_id(f"jitters=5 {s.label}", s.genuine, s.impostor)

    doc_set = None
    if args.synth_docs > 0:
        t0 = time.perf_counter()
        doc_set = synthdoc_set(photos, frames, models, args.synth_docs)
        if doc_set is not None:
            tally(
                report_id(
                    f"ID-vs-selfie, SYNTHETIC documents (benchmarks/synth) vs REAL photos; "
                    f"portrait not found {doc_set.not_found}/{doc_set.total}; face width "
                    f"median {statistics.median(doc_set.face_widths) if doc_set.face_widths else 0}"
                    f" px ({time.perf_counter() - t0:.0f}s)",
                    doc_set.genuine,
                    doc_set.impostor,
                )
            )
            worst = max((p for p in doc_set.pairs if p.kind == "genuine"), key=lambda p: p.distance)
            print(
                f"  farthest genuine pair: {worst.source} vs {worst.selfie} at "
                f"{worst.distance:.3f} (portrait face {worst.face_px} px, sharpness "
                f"{worst.sharpness:.3f})"
            )
    print(
        f"\nID-vs-selfie impostors auto-matched over every set: {totals['auto-matched']}"
        f"/{totals['impostors']}"
    )

    if args.dump:
        everything = [("printed", p) for st in sets for p in st.pairs]
        everything += [("printed-frame", p) for st in frame_sets for p in st.pairs]
        if doc_set is not None:
            everything += [("synthdoc", p) for p in doc_set.pairs]
        Path(args.dump).write_text(
            json.dumps([{"set": name, **dataclasses.asdict(p)} for name, p in everything])
        )
        print(f"\n{len(everything)} ID-vs-selfie pairs written to {args.dump}")

    times = time_stage(photos, frames, models)
    print(
        "\nface stage per verification (printed portrait 80-100 px + REAL video-frame selfie "
        f"+ compare, models loaded; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} "
        "cores):"
    )
    for part, values in times.items():
        ms = np.asarray(values) * 1000
        print(f"  {part:12s} median {np.median(ms):4.0f} ms  p95 {np.percentile(ms, 95):4.0f} ms")
    return 0


def lookalike_distances(pairs: Iterable[Pair]) -> list[float]:
    """Impostor pairs between the d0 and d9 clips (portrait of one, selfie of the other)."""
    return [
        p.distance for p in pairs if {p.source.split("/")[0], p.selfie.split("/")[0]} == LOOKALIKES
    ]


if __name__ == "__main__":
    raise SystemExit(main())
