"""Test media for the browser tests: fake-camera Y4M clips and synthetic documents.

REAL: the camera clips are frames of /work/shared/data/video/d3.mp4 (LivePortrait driving
clip, MIT), re-timed. SYNTHETIC: the documents come from benchmarks/synth/documents.py with
a fixed seed, with the portrait replaced by the face of the person in d3.mp4.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import cv2
import numpy as np

CLIP = "d3.mp4"
# Real segments of d3.mp4 (see benchmarks/synth/liveness.py GENUINE_SEGMENTS): the person
# turns to their left, looks up, turns right between 4.3 s and 7.5 s; turns right, looks
# down, turns left between 6.3 s and 9.4 s.
CHALLENGE = ("turn_left", "turn_right")
GOOD_SEGMENT = (4.3, 7.5)
WRONG_ORDER_SEGMENT = (6.3, 9.4)
LEAD_IN = (0.3, 4.3)  # played at normal speed while the page counts down
SLOW_DOWN = 1.7  # the segment is stretched to the page's ~2.8 s per prompt
PORTRAIT_FRAME_S = 4.3  # a frontal frame


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


def retimed_frames(
    frames: list[np.ndarray], fps: float, segment: tuple[float, float]
) -> list[np.ndarray]:
    """Lead-in at normal speed, then ``segment`` slowed down, at the clip's frame rate."""
    out: list[np.ndarray] = []
    lead = LEAD_IN[1] - LEAD_IN[0]
    total = lead + (segment[1] - segment[0]) * SLOW_DOWN + 1.0
    for k in range(int(total * fps)):
        t = k / fps
        src = LEAD_IN[0] + t if t < lead else segment[0] + (t - lead) / SLOW_DOWN
        if src > segment[1]:  # play backwards past the end: no frozen frames
            src = max(segment[0], 2 * segment[1] - src)
        out.append(frames[min(int(src * fps), len(frames) - 1)])
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


def camera_clip(video_dir: Path, cache: Path, segment: tuple[float, float], name: str) -> Path:
    """The Y4M clip for ``segment`` (cached)."""
    path = cache / f"{name}.y4m"
    if not path.exists():
        frames, fps = read_clip(video_dir / CLIP)
        write_y4m(retimed_frames(frames, fps, segment), fps, path)
    return path


def _face_crop(frame_rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A passport-style crop of the single face in ``frame_rgb``, resized to ``size`` (w, h)."""
    from app.vision.faces.models import load_face_models

    detections = load_face_models().detector(frame_rgb, 1)
    if len(detections) != 1:
        raise RuntimeError(f"expected one face in the portrait frame, got {len(detections)}")
    d = detections[0]
    out_w, out_h = size
    face_h = d.bottom() - d.top()
    crop_h = face_h * 2.1
    crop_w = crop_h * out_w / out_h
    cx, cy = (d.left() + d.right()) / 2, (d.top() + d.bottom()) / 2 - 0.12 * face_h
    x0, y0 = round(cx - crop_w / 2), round(cy - crop_h / 2)
    x1, y1 = round(cx + crop_w / 2), round(cy + crop_h / 2)
    pad = max(0, -x0, -y0, x1 - frame_rgb.shape[1], y1 - frame_rgb.shape[0])
    padded = cv2.copyMakeBorder(frame_rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    crop = padded[y0 + pad : y1 + pad, x0 + pad : x1 + pad]
    return cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_AREA)


def document_of_clip_person(video_dir: Path, seed: int = 11) -> np.ndarray:
    """A synthetic, valid, unexpired TD3 passport (RGB) whose portrait is the d3.mp4 person."""
    from benchmarks.synth.documents import random_spec, render_document

    rng = np.random.default_rng(seed)
    spec = random_spec(rng, dpi=450)
    today = date.today()
    spec = dataclasses.replace(
        spec,
        format="TD3",
        document_type="P",
        document_number="X1234567" if len(spec.document_number) > 9 else spec.document_number,
        sex="M",
        birth_date=date(1990, 5, 17),
        issue_date=date(today.year - 2, 3, 1),
        expiry_date=date(today.year + 8, 2, 28),
    )
    page, truth = render_document(spec, rng)
    frames, fps = read_clip(video_dir / CLIP)
    frame = cv2.cvtColor(frames[int(PORTRAIT_FRAME_S * fps)], cv2.COLOR_BGR2RGB)
    x0, y0, x1, y1 = truth.portrait_box
    page = page.copy()
    page[y0:y1, x0:x1] = _face_crop(frame, (x1 - x0, y1 - y0))
    return page


def save_jpeg(rgb: np.ndarray, path: Path, *, blur_sigma: float = 0.0) -> Path:
    """Write an RGB image as JPEG, optionally blurred (a shaky capture)."""
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if blur_sigma:
        bgr = cv2.GaussianBlur(bgr, (0, 0), blur_sigma)
    cv2.imwrite(str(path), bgr, [cv2.IMWRITE_JPEG_QUALITY, 92])
    return path
