"""Genuine segments of the real clips and presentation attacks generated from them.

REAL: the genuine segments are frames of the real clips in /work/shared/data/video
(LivePortrait MIT, SadTalker Apache-2.0), and the attack material starts from real frames
or the real spoof photos in /work/shared/data/spoof (Silent-Face-Anti-Spoofing, Apache-2.0).
SYNTHETIC: every attack transformation (photo tilting, screen re-rendering, noise,
splicing) is generated here with a numpy Generator seeded by the caller.

Segment labels (which action happens when) were written down from looking at sampled
frames and the per-frame yaw/pitch/EAR/mouth traces; see benchmarks/NOTES-liveness.md.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps

DATA_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data"
VIDEO_DIR = DATA_DIR / "video"
SPOOF_DIR = DATA_DIR / "spoof"
FRAMES_PER_SEQUENCE = 30


@dataclass(frozen=True)
class Segment:
    """A stretch of a real clip and the challenge it genuinely performs, in order."""

    name: str
    clip: str
    start_s: float
    end_s: float
    challenge: tuple[str, ...]
    person: str  # who is on camera (splice attacks need two different people)
    split: str = "tune"  # "tune": thresholds may be fitted here; "heldout": never


# Written down from the traces and sampled frames (unmirrored frames; turn_left = the
# person's own left = nose towards the image's right). The held-out split is every
# segment of the people womanD, manE, womanG and manI: no threshold was fitted on them.
GENUINE_SEGMENTS: tuple[Segment, ...] = (
    Segment(
        "d3_right_down_left", "d3.mp4", 6.3, 9.4, ("turn_right", "look_down", "turn_left"), "d3"
    ),
    Segment("d3_left_up_right", "d3.mp4", 4.3, 7.5, ("turn_left", "look_up", "turn_right"), "d3"),
    Segment(
        "katie_up_right", "WDA_KatieHill_000.mp4", 0.0, 3.4, ("look_up", "turn_right"), "katie"
    ),
    Segment("katie_up_left", "WDA_KatieHill_000.mp4", 3.6, 7.9, ("look_up", "turn_left"), "katie"),
    Segment("d0_smile_blink", "d0.mp4", 0.0, 3.1, ("smile", "blink"), "d0"),
    Segment("d19_smile_blink", "d19.mp4", 2.0, 4.6, ("smile", "blink"), "d19"),
    Segment("d19_smile", "d19.mp4", 0.0, 1.3, ("smile",), "d19"),
    Segment("d18_blink", "d18.mp4", 5.2, 7.1, ("blink",), "d18"),
    Segment("d9_blink", "d9.mp4", 0.0, 2.0, ("blink",), "d9"),
    Segment("aoc_blink", "WDA_AlexandriaOcasioCortez_000.mp4", 0.2, 1.6, ("blink",), "aoc"),
    # womanA (phone, 406x720 at 30 fps): full turns to profile and back, hard look down
    Segment(
        "A_eyewide_right_left",
        "turns_womanA_eyewide.mp4",
        2.5,
        8.5,
        ("turn_right", "turn_left"),
        "womanA",
    ),
    Segment(
        "A_eyewide_up_down",
        "turns_womanA_eyewide.mp4",
        9.0,
        14.5,
        ("look_up", "look_down"),
        "womanA",
    ),
    Segment("A_eyewide_blink", "turns_womanA_eyewide.mp4", 23.0, 25.5, ("blink",), "womanA"),
    Segment(
        "A_browdown_right_left",
        "turns_womanA_browdown.mp4",
        2.5,
        7.5,
        ("turn_right", "turn_left"),
        "womanA",
    ),
    Segment(
        "A_browdown_up_blink_down",
        "turns_womanA_browdown.mp4",
        7.5,
        14.0,
        ("look_up", "blink", "look_down"),
        "womanA",
    ),
    # held out: a 10 fps 400x220 webcam with glasses, a nodding man, a 512x512 face
    # that winks and blinks, a short HEVC clip
    Segment(
        "D_webcam_left_right",
        "turns_womanD_webcam.mp4",
        0.1,
        3.0,
        ("turn_left", "turn_right"),
        "womanD",
        "heldout",
    ),
    Segment(
        "D_webcam_up_down",
        "turns_womanD_webcam.mp4",
        3.0,
        5.6,
        ("look_up", "look_down"),
        "womanD",
        "heldout",
    ),
    Segment("E_nod_1", "nods_manE.mp4", 3.0, 6.5, ("look_down",), "manE", "heldout"),
    # ends at 12.6 s: at 12.7-13.0 he raises his head by ~30 degrees (not in the README's
    # times; a 13.0 s end made the "look_down, look_up" wrong-order attack a real answer)
    Segment("E_nod_2", "nods_manE.mp4", 10.5, 12.6, ("look_down",), "manE", "heldout"),
    Segment("G_smile", "blinks_winks_womanG.mp4", 0.0, 2.0, ("smile",), "womanG", "heldout"),
    Segment("G_blink", "blinks_winks_womanG.mp4", 14.0, 17.0, ("blink",), "womanG", "heldout"),
    Segment("I_blink", "blink_manI.mp4", 0.0, 2.2, ("blink",), "manI", "heldout"),
)
SPLIT_OF = {s.name: s.split for s in GENUINE_SEGMENTS}
# Frames per sequence follow a capture at ~12 fps (at least 30, at most 90 frames).
CAPTURE_FPS = 12.0


@dataclass(frozen=True)
class LivenessSample:
    """One test sequence: frames, timestamps, the challenge answered, and its label."""

    name: str
    kind: str  # "genuine" or the attack type
    frames: list[np.ndarray]
    timestamps_s: list[float]
    challenge: tuple[str, ...]
    split: str = "tune"


@cache
def load_clip(clip: str) -> tuple[tuple[np.ndarray, ...], float]:
    """All frames of a clip as RGB (decoded once, sequentially) and its frame rate."""
    capture = cv2.VideoCapture(str(VIDEO_DIR / clip))
    fps = float(capture.get(cv2.CAP_PROP_FPS)) or 25.0
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    capture.release()
    return tuple(frames), fps


def sample_segment(
    segment: Segment,
    rng: np.random.Generator,
    *,
    jitter_s: float = 0.15,
    n: int | None = None,
) -> tuple[list[np.ndarray], list[float]]:
    """~n frames spread over the segment (default: as captured at ``CAPTURE_FPS``);
    start/end and per-frame timing jittered."""
    frames, fps = load_clip(segment.clip)
    if n is None:
        wanted = round(CAPTURE_FPS * (segment.end_s - segment.start_s))
        n = int(min(90, max(FRAMES_PER_SEQUENCE, wanted)))
    start = max(0.0, segment.start_s + rng.uniform(-jitter_s, jitter_s) * 0.5)
    end = min(len(frames) / fps - 1.0 / fps, segment.end_s + rng.uniform(-jitter_s, jitter_s) * 0.5)
    times = np.linspace(start, end, n) + rng.uniform(-0.3, 0.3, n) / fps
    indices = np.unique(np.clip(np.round(np.sort(times) * fps).astype(int), 0, len(frames) - 1))
    return [frames[i] for i in indices], [float(i / fps - indices[0] / fps) for i in indices]


def genuine_sequences(seed: int, variants: int = 4) -> Iterator[LivenessSample]:
    """Each genuine segment sampled ``variants`` times with different jitter."""
    for s_index, segment in enumerate(GENUINE_SEGMENTS):
        for v in range(variants):
            rng = np.random.default_rng([seed, 1, s_index, v])
            frames, ts = sample_segment(segment, rng)
            yield LivenessSample(
                f"{segment.name}#{v}", "genuine", frames, ts, segment.challenge, segment.split
            )


# ---------------------------------------------------------------- attack building blocks


def _plane_homography(
    width: int,
    height: int,
    yaw_deg: float,
    pitch_deg: float,
    scale: float,
    shift: tuple[float, float],
) -> np.ndarray:
    """Homography of a flat picture rotated in 3-D in front of a pinhole camera."""
    focal = 1.2 * max(width, height)
    half_w, half_h = width / 2.0, height / 2.0
    corners = np.array(
        [[-half_w, -half_h, 0], [half_w, -half_h, 0], [half_w, half_h, 0], [-half_w, half_h, 0]]
    )
    a, b = np.radians(yaw_deg), np.radians(pitch_deg)
    rot_y = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    rot_x = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
    moved = corners @ (rot_y @ rot_x).T * scale
    moved[:, 2] += focal
    projected = focal * moved[:, :2] / moved[:, 2:3] + np.array(
        [half_w + shift[0], half_h + shift[1]]
    )
    source = (corners[:, :2] + np.array([half_w, half_h])).astype(np.float32)
    return cv2.getPerspectiveTransform(source, projected.astype(np.float32))


def _light(
    image: np.ndarray, gain: float, offset: float, rng: np.random.Generator, noise: float
) -> np.ndarray:
    out = image.astype(np.float32) * gain + offset + rng.normal(0, noise, image.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def tilted_photo_frames(
    photo: np.ndarray,
    rng: np.random.Generator,
    n: int = FRAMES_PER_SEQUENCE,
    *,
    max_tilt_deg: float = 35.0,
) -> tuple[list[np.ndarray], list[float]]:
    """A flat picture (print or screen) tilted left, right, up or down before the camera."""
    h, w = photo.shape[:2]
    background = np.full_like(photo, int(rng.integers(40, 200)))
    t = np.linspace(0.0, 1.0, n)
    # A random tour through yaw/pitch tilts, smooth like a hand.
    keys = rng.uniform(-max_tilt_deg, max_tilt_deg, size=(4, 2))
    keys[0] = 0.0
    key_t = np.linspace(0, 1, len(keys))
    yaw = np.interp(t, key_t, keys[:, 0]) + rng.normal(0, 1.0, n)
    pitch = np.interp(t, key_t, keys[:, 1]) * 0.6 + rng.normal(0, 1.0, n)
    frames = []
    for k in range(n):
        homography = _plane_homography(
            w,
            h,
            yaw[k],
            pitch[k],
            0.9 + 0.05 * np.sin(6 * t[k]),
            (rng.normal(0, 4), rng.normal(0, 4)),
        )
        warped = cv2.warpPerspective(
            photo, homography, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=0
        )
        mask = cv2.warpPerspective(np.ones((h, w), np.uint8), homography, (w, h))
        frame = np.where(mask[:, :, None] > 0, warped, background)
        blur = int(rng.choice([1, 1, 3, 5]))
        if blur > 1:
            frame = cv2.GaussianBlur(frame, (blur, blur), 0)
        frames.append(_light(frame, rng.uniform(0.75, 1.2), rng.uniform(-15, 15), rng, 2.0))
    fps = rng.uniform(10, 30)
    return frames, [k / fps for k in range(n)]


def print_attacks(seed: int, per_segment: int = 2) -> Iterator[LivenessSample]:
    """A real frontal frame, printed and tilted, against the segment's own challenge."""
    for s_index, segment in enumerate(GENUINE_SEGMENTS):
        clip, fps = load_clip(segment.clip)
        for v in range(per_segment):
            rng = np.random.default_rng([seed, 2, s_index, v])
            photo = clip[int(segment.start_s * fps)]
            frames, ts = tilted_photo_frames(photo, rng)
            yield LivenessSample(
                f"print:{segment.name}#{v}",
                "print",
                frames,
                ts,
                _with_pose(segment.challenge, rng),
                segment.split,
            )


def _with_pose(challenge: tuple[str, ...], rng: np.random.Generator) -> tuple[str, ...]:
    """A tilted photo can only fake pose actions: ask for turns/looks (worst case)."""
    pose = [a for a in challenge if a.startswith(("turn", "look"))]
    if pose:
        return tuple(pose)
    options = [("turn_left", "turn_right"), ("turn_right", "turn_left"), ("look_up", "turn_left")]
    return options[int(rng.integers(len(options)))]


def spoof_still(name: str) -> np.ndarray:
    """A spoof photo from the shared data, EXIF orientation applied, at most 640 px."""
    image = ImageOps.exif_transpose(Image.open(SPOOF_DIR / name)).convert("RGB")
    image.thumbnail((640, 640))
    return np.asarray(image)


def spoof_still_attacks(seed: int, per_image: int = 6) -> Iterator[LivenessSample]:
    """image_F1 (printed photo) and image_F2 (tablet) tilted in front of the camera."""
    for i_index, (name, kind) in enumerate(
        (("image_F1.jpg", "spoof_print_F1"), ("image_F2.jpg", "spoof_tablet_F2"))
    ):
        still = spoof_still(name)
        for v in range(per_image):
            rng = np.random.default_rng([seed, 3, i_index, v])
            frames, ts = tilted_photo_frames(still, rng, max_tilt_deg=30.0)
            challenge = _with_pose((), rng)
            yield LivenessSample(f"{kind}#{v}", kind, frames, ts, challenge)


def moire_screen(frames: Sequence[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Re-render frames as if filmed off a screen: bezel, gamma, moire, glare, tilt."""
    h, w = frames[0].shape[:2]
    inner = rng.uniform(0.72, 0.88)
    iw, ih = int(w * inner), int(h * inner)
    x0, y0 = (w - iw) // 2 + int(rng.integers(-10, 10)), (h - ih) // 2 + int(rng.integers(-10, 10))
    gamma = rng.uniform(0.7, 1.4)
    period = rng.uniform(3.0, 7.0)
    angle = rng.uniform(0, np.pi)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    phase = (xx * np.cos(angle) + yy * np.sin(angle)) * 2 * np.pi / period
    moire = (rng.uniform(4, 10) * np.sin(phase))[:, :, None]
    gx, gy, gs = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h, rng.uniform(0.1, 0.25) * w
    glare = (rng.uniform(20, 60) * np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * gs**2)))[
        :, :, None
    ]
    room = np.full((h, w, 3), rng.integers(60, 180, size=3), dtype=np.float32)
    homography = _plane_homography(w, h, rng.uniform(-8, 8), rng.uniform(-8, 8), 1.0, (0, 0))
    out = []
    for frame in frames:
        canvas = room.copy()
        cv2.rectangle(canvas, (x0 - 12, y0 - 12), (x0 + iw + 12, y0 + ih + 12), (15, 15, 18), -1)
        screen = cv2.resize(frame, (iw, ih), interpolation=cv2.INTER_AREA).astype(np.float32)
        screen = 255.0 * (screen / 255.0) ** gamma
        canvas[y0 : y0 + ih, x0 : x0 + iw] = screen
        canvas = canvas + moire + glare
        canvas = cv2.warpPerspective(
            np.clip(canvas, 0, 255).astype(np.uint8), homography, (w, h), borderValue=(40, 40, 40)
        )
        out.append(_light(canvas, 1.0, 0.0, rng, 1.5))
    return out


def screen_replay_attacks(seed: int, variants: int = 2) -> Iterator[LivenessSample]:
    """Genuine segments replayed on a screen, answering their own challenge (worst case:
    the attacker has a video of the victim doing exactly the asked actions)."""
    for s_index, segment in enumerate(GENUINE_SEGMENTS):
        for v in range(variants):
            rng = np.random.default_rng([seed, 4, s_index, v])
            frames, ts = sample_segment(segment, rng)
            yield LivenessSample(
                f"screen:{segment.name}#{v}",
                "screen_replay",
                moire_screen(frames, rng),
                ts,
                segment.challenge,
                segment.split,
            )


def static_attacks(seed: int, per_segment: int = 1) -> Iterator[LivenessSample]:
    """One real frame injected repeatedly with small noise, at a regular frame rate."""
    for s_index, segment in enumerate(GENUINE_SEGMENTS):
        clip, fps = load_clip(segment.clip)
        for v in range(per_segment):
            rng = np.random.default_rng([seed, 5, s_index, v])
            frame = clip[int(segment.start_s * fps)]
            frames = [_light(frame, 1.0, 0.0, rng, 2.0) for _ in range(FRAMES_PER_SEQUENCE)]
            ts = [k / 15.0 for k in range(FRAMES_PER_SEQUENCE)]
            yield LivenessSample(
                f"static:{segment.name}#{v}", "static", frames, ts, segment.challenge, segment.split
            )


def _other_orders(challenge: tuple[str, ...], rng: np.random.Generator) -> tuple[str, ...]:
    from app.vision.liveness.challenge import ACTIONS

    if len(challenge) >= 2:
        reordered = tuple(reversed(challenge))
        if reordered != challenge:
            return reordered
    missing = [a for a in ACTIONS if a not in challenge and a not in ("blink", "smile")]
    return (*challenge, missing[int(rng.integers(len(missing)))])


def wrong_order_attacks(seed: int, variants: int = 2) -> Iterator[LivenessSample]:
    """A genuine segment answered against a challenge it does not perform (reversed order,
    or an extra pose action): what a replayed recording gets when the nonce asks anew."""
    for s_index, segment in enumerate(GENUINE_SEGMENTS):
        for v in range(variants):
            rng = np.random.default_rng([seed, 6, s_index, v])
            frames, ts = sample_segment(segment, rng)
            yield LivenessSample(
                f"wrong_order:{segment.name}#{v}",
                "wrong_order",
                frames,
                ts,
                _other_orders(segment.challenge, rng),
                segment.split,
            )


def splice_attacks(seed: int) -> Iterator[LivenessSample]:
    """First half of one person's segment, second half of another person's segment; the
    challenge is what the two halves perform together (so only identity can catch it)."""
    pairs = [
        ("d3_right_down_left", "katie_up_left"),
        ("katie_up_right", "d3_right_down_left"),
        ("d0_smile_blink", "d19_smile_blink"),
        ("d19_smile_blink", "d0_smile_blink"),
        ("d3_left_up_right", "katie_up_left"),
        ("katie_up_left", "d3_right_down_left"),
        ("A_browdown_right_left", "d3_right_down_left"),
        ("A_eyewide_up_down", "katie_up_left"),
        ("D_webcam_left_right", "E_nod_1"),
        ("E_nod_1", "D_webcam_up_down"),
        ("G_blink", "I_blink"),
        ("I_blink", "G_blink"),
    ]
    by_name = {s.name: s for s in GENUINE_SEGMENTS}
    for p_index, (first, second) in enumerate(pairs):
        a, b = by_name[first], by_name[second]
        rng = np.random.default_rng([seed, 7, p_index])
        frames_a, ts_a = sample_segment(a, rng, n=FRAMES_PER_SEQUENCE)
        frames_b, ts_b = sample_segment(b, rng, n=FRAMES_PER_SEQUENCE)
        half = len(frames_a) // 2
        size = frames_a[0].shape[1], frames_a[0].shape[0]
        frames = frames_a[:half] + [cv2.resize(f, size) for f in frames_b[half:]]
        step = ts_a[1] - ts_a[0]
        ts = ts_a[:half] + [ts_a[half - 1] + step + (t - ts_b[half]) for t in ts_b[half:]]
        challenge = _dedupe((*a.challenge[:1], *b.challenge[-1:]))
        split = "tune" if a.split == b.split == "tune" else "heldout"
        yield LivenessSample(f"splice:{first}+{second}", "splice", frames, ts, challenge, split)


def _dedupe(actions: tuple[str, ...]) -> tuple[str, ...]:
    seen: list[str] = []
    for a in actions:
        if a not in seen:
            seen.append(a)
    return tuple(seen)


def all_sequences(seed: int) -> Iterator[LivenessSample]:
    """Every genuine and attack sequence of the benchmark, deterministic for ``seed``."""
    yield from genuine_sequences(seed)
    yield from print_attacks(seed)
    yield from spoof_still_attacks(seed)
    yield from screen_replay_attacks(seed)
    yield from static_attacks(seed)
    yield from wrong_order_attacks(seed)
    yield from splice_attacks(seed)
