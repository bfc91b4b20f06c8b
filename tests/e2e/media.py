"""Test media for the browser tests: fake-camera Y4M clips and synthetic documents.

REAL: the camera clips are frames of /work/shared/data/video/d3.mp4 (LivePortrait driving
clip, MIT), re-ordered and re-timed, with a simulated hand-held drift (a slow sub-frame
pan and zoom) so that no two frames of a held pose are pixel-identical. SYNTHETIC: the
documents come from benchmarks/synth/documents.py with fixed seeds; their portraits are
real faces (the d3.mp4 person, or a face from /work/shared/data/faces).

Timing contract with app/web/static/capture.js: Chromium starts the Y4M file when the page
calls getUserMedia; the page counts down 3 s, then captures 1 s of baseline and 2.8 s per
action at ~7 fps. The clip holds a neutral pose long enough that the capture may start
anywhere between ~1.5 s and ~5 s into the file (a slow or busy machine), then performs the
two turns once. ``capture_as_page`` replays that schedule offline so that the clip can be
checked against the current liveness verifier before the browser relies on it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import cv2
import numpy as np

CLIP = "d3.mp4"
CHALLENGE = ("turn_left", "turn_right")
# The page's capture schedule (capture.js: COUNTDOWN_S, BASELINE_S, ACTION_S, BURST_FPS).
PAGE_COUNTDOWN_S = 3.0
PAGE_CAPTURE_S = 1.0 + 2.8 * len(CHALLENGE)
PAGE_FPS = 7.0
# Capture starts (seconds into the file) at which the clips must keep working.
CHECK_OFFSETS_S = (1.6, 3.0, 4.6)
WRONG_ORDER_REASONS = ("liveness_challenge_failed",)


@dataclass(frozen=True)
class ClipPlan:
    """A fake-camera clip from d3.mp4: a neutral pose held for ``hold_s`` seconds (source
    ``neutral`` slowed down), then the source ``actions`` pieces at normal speed, then the
    actions played backwards and forwards again until ``length_s`` (no frozen frames)."""

    name: str
    neutral: tuple[float, float]
    actions: tuple[tuple[float, float], ...]
    hold_s: float = 5.4
    length_s: float = 14.0
    mirrored: bool = False  # flipped left-right: her left turn becomes a right turn


# Source times in d3.mp4 (yaw/pitch traces in benchmarks/NOTES-liveness.md; measured again
# for these pieces): 3.45-4.45 s she looks straight ahead (yaw ~+3 deg, slightly down);
# 7.9-11.6 s she turns to her left (yaw up to +32 deg at 8.8 s), then to her right (-21 deg
# at 10.2 s). The wrong-order clip is the same clip mirrored: right first, then left.
GOOD = ClipPlan("d3-left-right", neutral=(3.45, 4.45), actions=((7.9, 11.6),))
WRONG_ORDER = dataclasses.replace(GOOD, name="d3-right-left", mirrored=True)
PORTRAIT_FRAME_S = 3.9  # a frontal frame of the neutral piece


def read_clip(path: Path) -> tuple[list[np.ndarray], float]:
    """All BGR frames of a video and its frame rate."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    if not frames:
        raise RuntimeError(f"cannot read {path}")
    return frames, fps


def source_times(plan: ClipPlan, fps: float) -> list[float]:
    """The source time shown by each output frame of ``plan`` (output at ``fps``)."""
    n_hold = round(plan.hold_s * fps)
    n0, n1 = plan.neutral
    times = [n0 + (n1 - n0) * k / max(1, n_hold - 1) for k in range(n_hold)]
    forward: list[float] = []
    for a0, a1 in plan.actions:  # a1 < a0: the piece is played backwards
        step = 1.0 / fps if a1 >= a0 else -1.0 / fps
        forward += [a0 + k * step for k in range(round(abs(a1 - a0) * fps))]
    times += forward
    backwards = True
    while len(times) < plan.length_s * fps:
        times += forward[::-1] if backwards else forward
        backwards = not backwards
    return times[: round(plan.length_s * fps)]


def _hand_held(frame: np.ndarray, t: float) -> np.ndarray:
    """A slow pan on a circle and a slow zoom-in, never showing the frame's border."""
    h, w = frame.shape[:2]
    zoom = 1.06 + 0.004 * t
    dx, dy = 5.0 * math.cos(2 * math.pi * t / 4.3), 5.0 * math.sin(2 * math.pi * t / 4.3)
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, zoom)
    matrix[:, 2] += (dx, dy)
    return cv2.warpAffine(frame, matrix, (w, h), flags=cv2.INTER_LINEAR)


def render_clip(frames: list[np.ndarray], fps: float, plan: ClipPlan) -> list[np.ndarray]:
    """BGR output frames of ``plan`` at the source frame rate."""
    out = []
    for k, src in enumerate(source_times(plan, fps)):
        frame = frames[min(round(src * fps), len(frames) - 1)]
        if plan.mirrored:
            frame = cv2.flip(frame, 1)
        out.append(_hand_held(frame, k / fps))
    return out


def write_y4m(frames: list[np.ndarray], fps: float, path: Path) -> None:
    """Write BGR frames as a YUV4MPEG2 (4:2:0) file for Chromium's fake camera."""
    height, width = frames[0].shape[:2]
    tmp = path.with_suffix(".part")
    with open(tmp, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{round(fps)}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    tmp.replace(path)


def camera_clip(
    video_dir: Path, out_dir: Path, plan: ClipPlan
) -> tuple[Path, list[np.ndarray], float]:
    """Write the Y4M clip of ``plan``; returns its path, its BGR frames and frame rate."""
    frames, fps = read_clip(video_dir / CLIP)
    rendered = render_clip(frames, fps, plan)
    path = out_dir / f"{plan.name}.y4m"
    write_y4m(rendered, fps, path)
    return path, rendered, fps


def capture_as_page(
    clip: list[np.ndarray], fps: float, start_s: float, *, jpeg_quality: int = 85
) -> tuple[list[np.ndarray], list[float]]:
    """RGB frames and timestamps the capture page would upload if its capture started
    ``start_s`` seconds into the (looping) clip."""
    frames, times = [], []
    for k in range(int(PAGE_CAPTURE_S * PAGE_FPS)):
        t = k / PAGE_FPS
        bgr = clip[int((start_s + t) * fps) % len(clip)]
        ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, jpeg_quality])
        assert ok
        decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
        frames.append(cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB))
        times.append(round(t, 3))
    return frames, times


def liveness_at_offsets(
    clip: list[np.ndarray], fps: float, offsets_s: Sequence[float] = CHECK_OFFSETS_S
) -> dict[float, Any]:
    """``verify_liveness`` on the page's capture of ``clip`` for each start offset."""
    from app.vision.faces.models import load_face_models
    from app.vision.liveness.verify import verify_liveness

    models = load_face_models()
    results = {}
    for offset in offsets_s:
        frames, times = capture_as_page(clip, fps, offset)
        results[offset] = verify_liveness(frames, times, CHALLENGE, models=models)
    return results


# --- documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """Whose face a synthetic document carries: a d3.mp4 frame or a file under faces/."""

    key: str
    identity: str | None = None  # folder under faces/; None: the d3.mp4 person
    portrait_file: str | None = None
    selfie_file: str | None = None  # another photo of the same person (still selfie)


D3 = Person("d3")
OBAMA = Person("obama", "obama", "obama.jpg", "obama2.jpg")
KIT = Person("kit", "kit_harington", "john1.jpeg", "john2.jpeg")


def render_passport(
    person: Person, video_dir: Path, seed: int
) -> tuple[np.ndarray, tuple[str, ...]]:
    """A synthetic, valid, unexpired TD3 passport (RGB) of ``person`` and its MRZ lines.

    Different seeds give different document numbers (use distinct seeds per person)."""
    from app.demo import portrait_crop  # the demo's passport uses the same crop
    from benchmarks.synth.documents import random_spec, render_document

    rng = np.random.default_rng(seed)
    spec = random_spec(rng, dpi=450)
    today = date.today()
    spec = dataclasses.replace(
        spec,
        format="TD3",
        document_type="P",
        document_number=spec.document_number[:9],  # drawn for another format: TD3 has 9
        birth_date=date(1990, 5, 17),
        issue_date=date(today.year - 2, 3, 1),
        expiry_date=date(today.year + 8, 2, 28),
        optional_data="",
        **(
            {"identity": person.identity, "portrait_file": person.portrait_file}
            if person.identity
            else {}
        ),
    )
    page, truth = render_document(spec, rng)
    if person.identity is None:
        frames, fps = read_clip(video_dir / CLIP)
        frame = cv2.cvtColor(frames[int(PORTRAIT_FRAME_S * fps)], cv2.COLOR_BGR2RGB)
        x0, y0, x1, y1 = truth.portrait_box
        page = page.copy()
        page[y0:y1, x0:x1] = portrait_crop(frame, (x1 - x0, y1 - y0))
    return page, tuple(truth.mrz_lines)


def encode_jpeg(rgb: np.ndarray, *, blur_sigma: float = 0.0) -> bytes:
    """JPEG bytes of an RGB image, optionally blurred (a shaky capture)."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if blur_sigma:
        bgr = cv2.GaussianBlur(bgr, (0, 0), blur_sigma)
    ok, data = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return bytes(data)


def decode_rgb(data: bytes) -> np.ndarray:
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


# --- where in the clip did the page capture? (diagnostics) ---------------------------------

THUMB_SIDE = 48


def thumbnails(frames: Sequence[np.ndarray]) -> np.ndarray:
    """Small grey thumbnails of BGR frames, to find a captured frame in its clip."""
    return np.stack(
        [
            cv2.resize(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY), (THUMB_SIDE, THUMB_SIDE)).astype(
                np.float32
            )
            for f in frames
        ]
    )


def clip_time_of(jpeg: bytes, thumbs: np.ndarray, fps: float) -> float:
    """The clip time (s) of the clip frame closest to an uploaded JPEG frame."""
    bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    gray = cv2.resize(cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY), (THUMB_SIDE, THUMB_SIDE))
    diffs = np.abs(thumbs - gray.astype(np.float32)[None]).mean(axis=(1, 2))
    return float(np.argmin(diffs)) / fps
