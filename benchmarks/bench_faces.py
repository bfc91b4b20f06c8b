"""Face-matching benchmark: the shipped model beside the previous one, on the same sets.

Models, each run on every set below in the same process:
- ``new``: YuNet + MobileFaceNet (app/vision/faces/analyse.py); selfies from a video are a
  burst template (``analyse_selfie_burst``), as the pipeline builds them.
- ``old``: dlib HOG + 68 landmarks + ResNet (app/vision/faces/legacy_dlib.py), the previous
  release; a video selfie is its single most frontal frame, as that release used.

Data (REAL unless marked SYNTHETIC; the split is by identity, see CALIBRATION):
- photos: shared/data/faces, 5 people, 16 photos (resolution/ copies left out);
- clips: shared/data/video, 13 clips of 12 people (both turns_womanA clips are one woman);
  each clip is cut in two halves: a selfie burst per half (30 frames) and frontal frames
  of each half as ID-portrait sources, so a genuine clip pair is portrait-of-one-half vs
  burst-of-the-other (same session: easier than real life, reported apart);
- "real": a clean passport-style crop of a REAL photo (or frame) used as the ID portrait;
- "printed": SYNTHETIC print-and-photograph degradation of those crops at 40-200 px wide;
- "synthdoc": SYNTHETIC documents of benchmarks/synth/documents.py (REAL faces printed on
  generated pages, photographed with the generator's degradations);
- "specimen": the REAL specimen passports and ID cards of shared/data/documents, portrait
  cut by the document reader: REAL print, but of people in no selfie (impostors only).

Calibration / test split: thresholds are fitted on pairs whose identities are all in
CALIBRATION; every figure is also printed for the TEST pairs (any pair with a test
identity), which no threshold saw. The d0/d9 look-alike pair (two different men) is in
the test split and reported on its own.

Run:  uv run python -m benchmarks.bench_faces [--synth-docs 24] [--dump pairs.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from app.policy import load_policy
from app.vision.faces import (
    TEMPLATE_MODEL_ID,
    FaceAnalysis,
    FaceModels,
    analyse_face,
    analyse_selfie_burst,
    compare_faces,
    face_distance,
    load_face_models,
)
from app.vision.faces.embedding import detect_faces, yaw_from_landmarks
from app.vision.faces.legacy_dlib import analyse_face_dlib

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
IDENTITIES = ("alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie")
SAME_PERSON_CLIPS = {"turns_womanA_browdown": "womanA", "turns_womanA_eyewide": "womanA"}
CALIBRATION = frozenset(
    {
        "alex_lacamoire",
        "biden",
        "kit_harington",
        "video:d3",
        "video:d18",
        "video:WDA_KatieHill",
        "video:turns_womanD_webcam",
        "video:blink_manI",
        "video:womanA",
    }
)
LOOKALIKES = frozenset({"video:d0", "video:d9"})
PORTRAIT_WIDTHS = (40, 60, 80, 100, 120, 160, 200)
BURST_FRAMES = 30
PORTRAIT_FRAMES_PER_HALF = 2
MODELS = ("new", "old")
ROC_POINTS = {
    "new": (0.80, 0.90, 0.95, 1.00, 1.05, 1.10, 1.15, 1.20, 1.25, 1.30),
    "old": (0.35, 0.39, 0.43, 0.47, 0.50, 0.55, 0.60, 0.65),
}
OLD_BANDS = (0.39, 0.6, 0.58)  # match, mismatch, duplicate radius of policy 2026-11-26.3
# Operating-point rule (fitted on the calibration split, new model): the match edge sits
# MATCH_MARGIN below the closest calibration impostor of any ID-vs-selfie set; the
# duplicate radius DUPLICATE_MARGIN below the closest calibration selfie-vs-selfie impostor.
MATCH_MARGIN = 0.075
DUPLICATE_MARGIN = 0.10
SEED = 20261206


def load_rgb(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def clip_frames(path: Path) -> list[np.ndarray]:
    """Every frame of a clip, RGB."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return frames


@dataclass
class Face:
    """One selfie (a photo, or a burst of one half of a clip) with a template per model."""

    identity: str
    name: str
    templates: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class PortraitSource:
    """An image an ID portrait is made from, and which selfie it must never meet."""

    identity: str
    name: str
    image: np.ndarray
    box: tuple[int, int, int, int]  # top, right, bottom, left
    own_selfie: str  # the Face.name of the selfie made from the same photo / half


@dataclass(frozen=True)
class Pair:
    """One ID-portrait-vs-selfie (or selfie-vs-selfie) comparison."""

    set: str
    model: str
    portrait: str
    selfie: str
    kind: str  # genuine | same_session | impostor
    split: str  # calibration | test
    lookalike: bool
    distance: float


def split_of(a: str, b: str) -> str:
    return "calibration" if a in CALIBRATION and b in CALIBRATION else "test"


def pair_kind(a: str, b: str) -> str:
    if a != b:
        return "impostor"
    return "same_session" if a.startswith("video:") else "genuine"


class Encoders:
    """Both models behind one interface: selfie photo, selfie burst, ID portrait."""

    def __init__(self, models: FaceModels) -> None:
        self.models = models

    def selfie(self, model: str, image: np.ndarray) -> FaceAnalysis:
        if model == "new":
            return analyse_face(image, role="selfie", models=self.models)
        return analyse_face_dlib(image, role="selfie", models=self.models)

    def burst(
        self, model: str, frames: Sequence[np.ndarray], ranked: Sequence[int]
    ) -> FaceAnalysis:
        """``ranked``: the most frontal frames first, as the liveness check ranks them."""
        if model == "new":
            return analyse_selfie_burst(frames, models=self.models, preferred_indices=ranked)
        return analyse_face_dlib(frames[ranked[0]], role="selfie", models=self.models)

    def portrait(self, model: str, image: np.ndarray) -> FaceAnalysis:
        if model == "new":
            return analyse_face(image, role="portrait", models=self.models)
        return analyse_face_dlib(image, role="portrait", models=self.models)


def frontal_order(frames: Sequence[np.ndarray], models: FaceModels) -> list[tuple[float, int]]:
    """(|yaw|, index) of frames with one detected face, most frontal first (YuNet)."""
    scored = []
    for index, frame in enumerate(frames):
        faces = detect_faces(frame, models, max_side=480)
        if faces:
            scored.append((abs(yaw_from_landmarks(faces[0].landmarks)), index))
    return sorted(scored)


def box_of(image: np.ndarray, models: FaceModels) -> tuple[int, int, int, int] | None:
    result = analyse_face(image, role="selfie", models=models)
    return result.sample.box if result.sample is not None else None


def load_data(
    enc: Encoders, models: Sequence[str] = MODELS
) -> tuple[list[Face], list[PortraitSource]]:
    """Selfies (photos and clip-half bursts) with each model's template, and portrait sources."""
    faces: list[Face] = []
    sources: list[PortraitSource] = []
    for identity in IDENTITIES:
        for path in sorted((DATA / "faces" / identity).iterdir()):
            if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
                continue
            image = load_rgb(path)
            face = Face(identity, f"{identity}/{path.name}")
            for model in models:
                result = enc.selfie(model, image)
                if result.sample is not None:
                    face.templates[model] = result.sample.encoding
            box = box_of(image, enc.models)
            if box is not None:
                sources.append(PortraitSource(identity, path.name, image, box, face.name))
            faces.append(face)
    for path in sorted((DATA / "video").glob("*.mp4")):
        identity = f"video:{SAME_PERSON_CLIPS.get(path.stem, path.stem)}"
        frames = clip_frames(path)
        halves = np.array_split(np.arange(len(frames)), 2)
        for h, half in enumerate(halves):
            picks = np.unique(np.linspace(half[0], half[-1], BURST_FRAMES).round().astype(int))
            burst = [frames[int(i)] for i in picks]
            order = frontal_order(burst, enc.models)
            if not order:
                continue
            face = Face(identity, f"{identity}#{path.stem}#half{h}")
            for model in models:
                result = enc.burst(model, burst, [index for _, index in order[:4]])
                if result.sample is not None:
                    face.templates[model] = result.sample.encoding
            faces.append(face)
            # ID-portrait sources: the most frontal frames of the half, not neighbours
            used: list[int] = []
            for yaw, index in order:
                if yaw > 15 or len(used) == PORTRAIT_FRAMES_PER_HALF:
                    break
                if any(abs(index - u) < 4 for u in used):
                    continue
                box = box_of(burst[index], enc.models)
                if box is not None:
                    used.append(index)
                    sources.append(
                        PortraitSource(
                            identity, f"{path.stem}#h{h}f{index}", burst[index], box, face.name
                        )
                    )
    return faces, sources


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
    small = cv2.GaussianBlur(small, (0, 0), sigmaX=rng.uniform(0.3, 0.9))
    small = small + rng.normal(0, rng.uniform(1.5, 4.0), size=small.shape)
    out = np.clip(small, 0, 255).astype(np.uint8)
    ok, encoded = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(55, 86))])
    assert ok
    decoded: np.ndarray = cv2.imdecode(encoded, cv2.IMREAD_COLOR)
    return decoded


def compare_portrait(
    set_name: str,
    model: str,
    source_identity: str,
    source_name: str,
    own_selfie: str,
    template: np.ndarray,
    faces: Sequence[Face],
) -> list[Pair]:
    pairs = []
    for face in faces:
        if face.name == own_selfie or model not in face.templates:
            continue
        pairs.append(
            Pair(
                set_name,
                model,
                source_name,
                face.name,
                pair_kind(source_identity, face.identity),
                split_of(source_identity, face.identity),
                {source_identity, face.identity} == LOOKALIKES,
                face_distance(template, face.templates[model]),
            )
        )
    return pairs


@dataclass
class Counter:
    portraits: int = 0
    not_found: dict[str, int] = field(default_factory=lambda: dict.fromkeys(MODELS, 0))


def portrait_pairs(
    enc: Encoders,
    sources: Sequence[PortraitSource],
    faces: Sequence[Face],
    make: Callable[[PortraitSource, np.random.Generator], np.ndarray],
    set_name: str,
    counter: Counter,
    seed_key: int,
) -> list[Pair]:
    pairs: list[Pair] = []
    for index, source in enumerate(sources):
        rng = np.random.default_rng([SEED, seed_key, index])
        image = make(source, rng)
        counter.portraits += 1
        for model in MODELS:
            result = enc.portrait(model, image)
            if result.sample is None:
                counter.not_found[model] += 1
                continue
            pairs += compare_portrait(
                set_name,
                model,
                source.identity,
                f"{source.identity}/{source.name}",
                source.own_selfie,
                result.sample.encoding,
                faces,
            )
    return pairs


def synthdoc_pairs(
    enc: Encoders, faces: Sequence[Face], count: int, counter: Counter
) -> list[Pair]:
    """Portraits cut from SYNTHETIC photographed documents, at the resolution they had."""
    from benchmarks.synth.documents import generate_document

    pairs: list[Pair] = []
    for index in range(count):
        doc = generate_document(SEED % 1000, "normal", index)
        homography = np.array(doc.photo["homography"], dtype=np.float64)
        page_w, page_h = doc.truth.page_size
        page = cv2.warpPerspective(
            doc.image, np.linalg.inv(homography), (page_w, page_h), flags=cv2.INTER_AREA
        )
        x0, y0, x1, y1 = doc.truth.portrait_box
        scale = float(doc.photo["scale"])
        size = (max(8, round((x1 - x0) * scale)), max(8, round((y1 - y0) * scale)))
        crop = cv2.resize(page[y0:y1, x0:x1], size, interpolation=cv2.INTER_AREA)
        identity, file_name = doc.truth.portrait_source.split("/", 1)
        counter.portraits += 1
        for model in MODELS:
            result = enc.portrait(model, crop)
            if result.sample is None:
                counter.not_found[model] += 1
                continue
            pairs += compare_portrait(
                "synthdoc",
                model,
                identity,
                f"{doc.name}:{identity}/{file_name}",
                f"{identity}/{file_name}",
                result.sample.encoding,
                faces,
            )
    return pairs


def specimen_pairs(enc: Encoders, faces: Sequence[Face], counter: Counter) -> list[Pair]:
    """REAL printed portraits: the specimen documents in shared/data/documents, cut out by
    the document reader as the pipeline does. Their people are in no selfie: impostors only."""
    from datetime import date

    from app.vision.document.reader import read_document

    pairs: list[Pair] = []
    for path in sorted((DATA / "documents").iterdir()):
        if path.suffix.lower() not in (".jpg", ".jpeg", ".png"):
            continue
        reading = read_document(load_rgb(path), today=date(2026, 12, 6), models=enc.models)
        if reading.portrait is None:
            continue
        counter.portraits += 1
        for model in MODELS:
            result = enc.portrait(model, reading.portrait.image)
            if result.sample is None:
                counter.not_found[model] += 1
                continue
            pairs += compare_portrait(
                "specimen",
                model,
                f"specimen:{path.stem}",
                f"specimen:{path.name}",
                "",
                result.sample.encoding,
                faces,
            )
    return pairs


def selfie_pairs(faces: Sequence[Face]) -> list[Pair]:
    """Selfie-vs-selfie (the duplicate search's comparison)."""
    pairs = []
    for i, a in enumerate(faces):
        for b in faces[i + 1 :]:
            for model in MODELS:
                if model in a.templates and model in b.templates:
                    pairs.append(
                        Pair(
                            "selfie-vs-selfie",
                            model,
                            a.name,
                            b.name,
                            pair_kind(a.identity, b.identity),
                            split_of(a.identity, b.identity),
                            {a.identity, b.identity} == LOOKALIKES,
                            face_distance(a.templates[model], b.templates[model]),
                        )
                    )
    return pairs


def select(pairs: Iterable[Pair], **want: object) -> list[Pair]:
    return [p for p in pairs if all(getattr(p, k) == v for k, v in want.items())]


def dist(pairs: Iterable[Pair]) -> np.ndarray:
    return np.array([p.distance for p in pairs], dtype=np.float64)


def describe(values: np.ndarray) -> str:
    if values.size == 0:
        return "n=0"
    q = np.percentile(values, [0, 5, 50, 95, 100])
    return (
        f"n={values.size} min {q[0]:.3f} p5 {q[1]:.3f} median {q[2]:.3f} "
        f"p95 {q[3]:.3f} max {q[4]:.3f}"
    )


def fit_operating_points(pairs: Sequence[Pair]) -> tuple[float, float, float]:
    """(match_max, mismatch_min, duplicate radius) for the new model, calibration split only."""
    cal = select(pairs, model="new", split="calibration")
    id_impostors = dist(p for p in cal if p.kind == "impostor" and p.set != "selfie-vs-selfie")
    selfie_impostors = dist(p for p in cal if p.kind == "impostor" and p.set == "selfie-vs-selfie")
    match_max = float(np.floor((id_impostors.min() - MATCH_MARGIN) * 100) / 100)
    # The mismatch band starts where 1 % of calibration impostors already lie.
    mismatch_min = float(
        max(match_max + 0.05, np.floor(np.percentile(id_impostors, 1) * 100) / 100)
    )
    radius = float(np.floor((selfie_impostors.min() - DUPLICATE_MARGIN) * 100) / 100)
    return match_max, mismatch_min, radius


def report_set(
    title: str, pairs: Sequence[Pair], bands: dict[str, tuple[float, float]]
) -> list[str]:
    """Lines of the summary table for one ID-vs-selfie set (both models, both splits)."""
    rows = []
    print(f"\n== {title}")
    for model in MODELS:
        match_max, mismatch_min = bands[model]
        for split in ("calibration", "test"):
            chosen = select(pairs, model=model, split=split)
            genuine = dist(p for p in chosen if p.kind in ("genuine", "same_session"))
            different_day = dist(p for p in chosen if p.kind == "genuine")
            impostor = dist(p for p in chosen if p.kind == "impostor")
            look = dist(p for p in chosen if p.lookalike)
            if genuine.size == 0 and impostor.size == 0:
                continue
            auto = 100 * float((genuine <= match_max).mean()) if genuine.size else float("nan")
            declined_band = int((genuine >= mismatch_min).sum())
            far = int((impostor <= match_max).sum())
            closest = float(impostor.min()) if impostor.size else float("nan")
            print(
                f"  [{model} {split}] genuine {describe(genuine)} "
                f"(different-day {different_day.size})"
            )
            print(f"  [{model} {split}] impostor {describe(impostor)}")
            if look.size:
                print(f"  [{model} {split}] look-alike d0/d9 {describe(look)}")
            roc = " ".join(
                f"{t:.2f}:{100 * float((genuine > t).mean()) if genuine.size else 0:.1f}%/"
                f"{int((impostor <= t).sum())}"
                for t in ROC_POINTS[model]
            )
            print(f"  [{model} {split}] ROC t:FRR/impostors-accepted  {roc}")
            print(
                f"  [{model} {split}] at bands {match_max}/{mismatch_min}: genuine auto-matched "
                f"{auto:.1f}% ({int((genuine <= match_max).sum())}/{genuine.size}), in the "
                f"mismatch band {declined_band} (-> review, never declined); impostors "
                f"auto-matched {far}/{impostor.size}; closest impostor {closest:.3f} "
                f"(margin {closest - match_max:+.3f})"
            )
            accepted = int((genuine <= match_max).sum())
            closest_look = float(look.min()) if look.size else float("nan")
            rows.append(
                f"| {title} | {model} | {split} | {auto:.1f}% ({accepted}/{genuine.size}) | "
                f"{far}/{impostor.size} | {closest:.3f} ({closest - match_max:+.3f}) | "
                f"{closest_look:.3f} |"
            )
    return rows


def time_stage(
    enc: Encoders, sources: Sequence[PortraitSource], n: int = 30
) -> dict[str, list[float]]:
    """New model: ID portrait (printed 80-120 px) + selfie burst template + compare.

    The burst's frontal ranking is the liveness check's output (computed here beforehand,
    as the pipeline's liveness stage does), so its detection is not timed again."""
    models = enc.models
    bands = load_policy().face_bands_for(TEMPLATE_MODEL_ID)
    assert bands is not None
    clips = sorted((DATA / "video").glob("*.mp4"))
    bursts = []
    for path in clips[:6]:
        frames = clip_frames(path)
        picks = np.linspace(0, len(frames) - 1, BURST_FRAMES).round().astype(int)
        burst = [frames[int(i)] for i in picks]
        # the frontal ranking and its YuNet points come from the liveness check (at 320 px,
        # as it detects), which has run already
        ranked = [index for _, index in frontal_order(burst, models)[:4]]
        known = {
            index: faces[0].landmarks
            for index in ranked[1:]
            if (faces := detect_faces(burst[index], models, max_side=320))
        }
        bursts.append((burst, ranked, known))
    times: dict[str, list[float]] = {
        "total": [],
        "portrait": [],
        "selfie template": [],
        "total CPU": [],
    }
    rng = np.random.default_rng(SEED)
    photo_sources = [s for s in sources if not s.identity.startswith("video:")]
    for k in range(n):
        source = photo_sources[k % len(photo_sources)]
        portrait_img = print_and_photograph(
            passport_crop(source.image, source.box), 80 + 20 * (k % 3), rng
        )
        burst, ranked, known = bursts[k % len(bursts)]
        cpu_start = time.process_time()
        start = time.perf_counter()
        portrait = analyse_face(portrait_img, role="portrait", models=models)
        middle = time.perf_counter()
        selfie = analyse_selfie_burst(
            burst, models=models, preferred_indices=ranked, known_landmarks=known
        )
        if portrait.sample is not None and selfie.sample is not None:
            compare_faces(portrait.sample.encoding, selfie.sample.encoding, bands)
        end = time.perf_counter()
        # CPU time of the process (all its threads): what the stage costs the machine,
        # much less disturbed than wall time when other jobs share the cores
        times["total CPU"].append(time.process_time() - cpu_start)
        times["total"].append(end - start)
        times["portrait"].append(middle - start)
        times["selfie template"].append(end - middle)
    return times


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="face matching benchmark (new vs old model)")
    parser.add_argument("--synth-docs", type=int, default=24)
    parser.add_argument("--dump", help="write every pair to this JSON file")
    parser.add_argument(
        "--timing-only", action="store_true", help="only time the face stage (new model)"
    )
    args = parser.parse_args(argv)

    models = load_face_models()
    enc = Encoders(models)
    started = time.perf_counter()
    if args.timing_only:
        _, sources = load_data(enc, models=())
        print_stage_times(time_stage(enc, sources))
        return 0
    faces, sources = load_data(enc)
    print(
        f"REAL selfies: {len(faces)} ({sum(not f.identity.startswith('video:') for f in faces)} "
        f"photos, the rest clip-half bursts); REAL portrait sources: {len(sources)}; "
        f"templates missing: "
        + ", ".join(f"{m} {sum(m not in f.templates for f in faces)}" for m in MODELS)
        + f" ({time.perf_counter() - started:.0f}s)"
    )
    counter = Counter()
    pairs = selfie_pairs(faces)
    pairs += portrait_pairs(
        enc, sources, faces, lambda s, _: passport_crop(s.image, s.box), "real", counter, 0
    )
    for width in PORTRAIT_WIDTHS:
        pairs += portrait_pairs(
            enc,
            sources,
            faces,
            lambda s, rng, w=width: print_and_photograph(passport_crop(s.image, s.box), w, rng),  # type: ignore[misc]
            f"printed {width}",
            counter,
            width,
        )
    if args.synth_docs:
        pairs += synthdoc_pairs(enc, faces, args.synth_docs, counter)
    pairs += specimen_pairs(enc, faces, counter)
    print(
        f"portraits made: {counter.portraits}; not found: "
        + ", ".join(f"{m} {n}" for m, n in counter.not_found.items())
        + f" ({time.perf_counter() - started:.0f}s)"
    )

    fitted = fit_operating_points(pairs)
    policy = load_policy()
    shipped = policy.face_bands_for(TEMPLATE_MODEL_ID)
    radius_new = policy.duplicate_radius_for(TEMPLATE_MODEL_ID)
    assert shipped is not None and radius_new is not None
    print(
        f"\nfitted on the CALIBRATION split (rule: match edge {MATCH_MARGIN} below the closest "
        f"calibration ID impostor, mismatch band at its 1st percentile, duplicate radius "
        f"{DUPLICATE_MARGIN} below the closest calibration selfie impostor): match_max "
        f"{fitted[0]}, mismatch_min {fitted[1]}, duplicate radius {fitted[2]}"
    )
    print(
        f"policy {policy.version} for {TEMPLATE_MODEL_ID}: match_max "
        f"{shipped.match_max_distance}, mismatch_min {shipped.mismatch_min_distance}, "
        f"duplicate radius {radius_new}; the old model at its release bands {OLD_BANDS}"
    )
    bands = {
        "new": (shipped.match_max_distance, shipped.mismatch_min_distance),
        "old": OLD_BANDS[:2],
    }
    radius = {"new": radius_new, "old": OLD_BANDS[2]}

    rows = []
    id_pairs = [p for p in pairs if p.set != "selfie-vs-selfie"]
    rows += report_set("real photo / frame crop (REAL)", select(id_pairs, set="real"), bands)
    rows += report_set(
        "real photo crop vs real photos (REAL, different days)",
        [p for p in select(id_pairs, set="real") if not p.portrait.startswith("video:")],
        bands,
    )
    for width in PORTRAIT_WIDTHS:
        rows += report_set(f"printed {width} px", select(id_pairs, set=f"printed {width}"), bands)
    pooled = [p for p in id_pairs if p.set.startswith("printed") and int(p.set.split()[1]) >= 80]
    rows += report_set("printed >= 80 px pooled", pooled, bands)
    if args.synth_docs:
        rows += report_set("synthdoc", select(id_pairs, set="synthdoc"), bands)
    rows += report_set(
        "specimen documents (REAL print, impostors only)", select(id_pairs, set="specimen"), bands
    )
    rows += report_set("every ID-vs-selfie set", id_pairs, bands)

    print("\n== selfie-vs-selfie (duplicate search; never approves)")
    for model in MODELS:
        for split in ("calibration", "test"):
            chosen = select(pairs, set="selfie-vs-selfie", model=model, split=split)
            genuine = dist(p for p in chosen if p.kind != "impostor")
            impostor = dist(p for p in chosen if p.kind == "impostor")
            print(
                f"  [{model} {split}] genuine {describe(genuine)} | impostor {describe(impostor)}"
                f" | at radius {radius[model]}: genuine found "
                f"{100 * float((genuine <= radius[model]).mean()):.1f}%, impostors inside "
                f"{int((impostor <= radius[model]).sum())}/{impostor.size}"
            )

    print("\n| set | model | split | genuine auto-matched | impostors auto-matched | "
          "closest impostor (margin) | closest look-alike |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- |")
    print("\n".join(rows))

    if args.dump:
        Path(args.dump).write_text(json.dumps([asdict(p) for p in pairs]))
        print(f"\n{len(pairs)} pairs written to {args.dump}")

    print_stage_times(time_stage(enc, sources))
    print(f"\ntotal {time.perf_counter() - started:.0f}s")
    return 0


def print_stage_times(times: dict[str, list[float]]) -> None:
    print(
        f"\nface stage, new model (printed portrait 80-120 px + 30-frame burst template + "
        f"compare; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):"
    )
    for part, values in times.items():
        ms = np.asarray(values) * 1000
        print(f"  {part:16s} median {np.median(ms):5.1f} ms  p95 {np.percentile(ms, 95):5.1f} ms")


if __name__ == "__main__":
    raise SystemExit(main())
