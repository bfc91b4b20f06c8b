"""Face-matching benchmark: distance distributions, ROC, operating points and stage time.

Data (printed in the output next to every figure):
- REAL selfie-vs-selfie: the labelled photos in shared/data/faces (5 people, 16 photos;
  the resolution/ copies of one photo are left out as near-duplicates), plus frames from
  the 7 real videos in shared/data/video (same-session pairs, reported separately because
  they are easier than pairs taken on different days).
- ID-vs-selfie, SYNTHETIC portraits of REAL faces:
  (a) "printed": a passport-style crop of each real photo, downscaled to a portrait width
      of 40-120 px and degraded like a printed, photographed portrait (colour cast, halftone
      screen, blur, noise, JPEG), compared with the OTHER real photos (never its own source);
  (b) "synthdoc": portraits cut from fully synthetic photographed ID documents made by
      benchmarks/synth/documents.py (the document reader's crop is simulated from the
      generator's ground truth), compared with the other real photos of that person.
  Impostor selfies also include the video people. Everything is seeded.

Run:  uv run python -m benchmarks.bench_faces [--synth-docs 24] [--jitter]
"""

from __future__ import annotations

import argparse
import itertools
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
    analyse_face,
    compare_faces,
    face_distance,
    load_face_models,
)

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IDENTITIES = ("alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie")
PORTRAIT_WIDTHS = (40, 60, 80, 100, 120)
THRESHOLDS = (0.35, 0.40, 0.45, 0.50, 0.55, 0.60, 0.65, 0.70)
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


@dataclass
class PortraitSet:
    label: str
    genuine: list[float]
    impostor: list[float]
    not_found: int
    total: int
    face_widths: list[int]
    quality_low: int = 0


def printed_portrait_sets(
    photos: Sequence[Selfie],
    impostor_pool: Sequence[Selfie],
    models: FaceModels,
    widths: Iterable[int],
    *,
    jitters: int = 0,
    repeats: int = 2,
) -> list[PortraitSet]:
    sets = []
    thresholds = FaceQualityThresholds()
    for width in widths:
        out = PortraitSet(f"printed {width:>3}px", [], [], 0, 0, [])
        for rep in range(repeats):
            for index, source in enumerate(photos):
                rng = np.random.default_rng([SEED, width, rep, index])
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
                out.face_widths.append(result.sample.width_px)
                out.quality_low += "face_quality_low" in result.reason_codes
                for selfie in list(photos) + list(impostor_pool):
                    if selfie is source:
                        continue
                    d = face_distance(result.sample.encoding, selfie.encoding)
                    (out.genuine if selfie.identity == source.identity else out.impostor).append(d)
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
    out = PortraitSet("synthdoc", [], [], 0, 0, [])
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
            d = face_distance(result.sample.encoding, selfie.encoding)
            (out.genuine if selfie.identity == source_identity else out.impostor).append(d)
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
        rows.append(f"    t={t:.2f}  FRR={frr * 100:6.2f}%  FAR={far * 100:6.2f}%")
    return rows


def operating_point(label: str, genuine: Sequence[float], impostor: Sequence[float]) -> None:
    bands = load_policy().face_bands
    g, i = np.asarray(genuine), np.asarray(impostor)
    approve = float((g <= bands.match_max_distance).mean()) if g.size else float("nan")
    review = float(((g > bands.match_max_distance) & (g < bands.mismatch_min_distance)).mean())
    mismatch = float((g >= bands.mismatch_min_distance).mean()) if g.size else float("nan")
    far = int((i <= bands.match_max_distance).sum())
    far_review = int(((i > bands.match_max_distance) & (i < bands.mismatch_min_distance)).sum())
    print(
        f"  {label}: genuine auto-match {approve * 100:.1f}% | grey band {review * 100:.1f}% | "
        f"mismatch band (-> review) {mismatch * 100:.1f}% | impostors auto-matched {far}/{i.size}"
        f" | impostors in grey band {far_review}/{i.size}"
    )


def report(label: str, genuine: Sequence[float], impostor: Sequence[float]) -> None:
    print(f"\n== {label}")
    print(f"  genuine  {describe(genuine)}")
    print(f"  impostor {describe(impostor)}")
    print("  ROC (accept when distance <= t):")
    print("\n".join(roc_table(genuine, impostor)))
    operating_point("at policy bands", genuine, impostor)


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
    parser.add_argument("--jitter", action="store_true", help="also measure jitters=5 portraits")
    args = parser.parse_args(argv)

    models = load_face_models()
    t0 = time.perf_counter()
    photos, frames = load_selfies(models)
    print(f"loaded {len(photos)} REAL photos, {len(frames)} REAL video frames "
          f"({time.perf_counter() - t0:.1f}s)")  # fmt: skip
    print(f"policy bands: {load_policy().face_bands}")

    g, i = pair_distances(photos)
    report("selfie-vs-selfie, REAL photos (different photos of 5 people)", g, i)
    g_v, i_v = pair_distances(frames)
    report("selfie-vs-selfie, REAL video frames (same-session genuine pairs, 7 people)", g_v, i_v)
    _, i_cross = pair_distances(list(photos) + list(frames))
    print(f"\n  all REAL impostor pairs (photos + frames): {describe(i_cross)}")

    sets = printed_portrait_sets(photos, frames, models, PORTRAIT_WIDTHS)
    for s in sets:
        report(
            f"ID-vs-selfie, SYNTHETIC printed portrait ({s.label} wide) vs REAL photos; "
            f"portrait not found {s.not_found}/{s.total}, face_quality_low {s.quality_low}, "
            f"face width median {statistics.median(s.face_widths) if s.face_widths else 0} px",
            s.genuine,
            s.impostor,
        )
    big = [s for s in sets if int(s.label.split()[1].rstrip("px")) >= 80]
    report(
        "ID-vs-selfie, SYNTHETIC printed portraits >= 80 px (pooled)",
        [d for s in big for d in s.genuine],
        [d for s in big for d in s.impostor],
    )
    if args.jitter:
        jit = printed_portrait_sets(photos, frames, models, (40, 60, 80), jitters=5, repeats=1)
        for s in jit:
            report(f"jitters=5 {s.label}", s.genuine, s.impostor)

    if args.synth_docs > 0:
        t0 = time.perf_counter()
        doc_set = synthdoc_set(photos, frames, models, args.synth_docs)
        if doc_set is not None:
            report(
                f"ID-vs-selfie, SYNTHETIC documents (benchmarks/synth) vs REAL photos; "
                f"portrait not found {doc_set.not_found}/{doc_set.total}; face width median "
                f"{statistics.median(doc_set.face_widths) if doc_set.face_widths else 0} px "
                f"({time.perf_counter() - t0:.0f}s)",
                doc_set.genuine,
                doc_set.impostor,
            )

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


if __name__ == "__main__":
    raise SystemExit(main())
