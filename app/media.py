"""Validate and decode uploaded media by content, never by name.

Every function here raises :class:`app.vision.errors.ImageRejected` with a stable reason
code for anything unacceptable, before any byte is stored.
"""

from __future__ import annotations

import io
import os
import tempfile
import warnings
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from app.vision.errors import ImageRejected

IMAGE_TYPES = {"image/jpeg", "image/png", "image/webp"}
VIDEO_TYPES = {"video/mp4", "video/webm"}
MIN_IMAGE_SIDE = 100


def sniff_media_type(data: bytes) -> str | None:
    """The media type from magic bytes, or None if it is not one we recognise."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:8] == b"ftyp":
        return "video/mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "video/webm"
    if data[:4] == b"%PDF":
        return "application/pdf"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


@dataclass(frozen=True)
class DecodedImage:
    """An upload accepted as an image: RGB pixels (EXIF orientation applied) and metadata."""

    rgb: np.ndarray
    media_type: str
    width: int
    height: int


def decode_image(data: bytes, *, max_bytes: int, max_pixels: int) -> DecodedImage:
    """Check size, type and pixel count from the header, then decode safely to RGB."""
    if len(data) > max_bytes:
        raise ImageRejected("upload_too_large", f"file is {len(data)} bytes; limit {max_bytes}")
    if not data:
        raise ImageRejected("image_corrupt", "empty file")
    media_type = sniff_media_type(data)
    if media_type not in IMAGE_TYPES:
        raise ImageRejected(
            "unsupported_media_type", f"content is {media_type or 'unknown'}, not an image"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            img = Image.open(io.BytesIO(data))
            width, height = img.size  # header only; nothing decoded yet
            if width * height > max_pixels:
                raise ImageRejected(
                    "image_too_large", f"{width}x{height} exceeds {max_pixels} pixels"
                )
            if min(width, height) < MIN_IMAGE_SIDE:
                raise ImageRejected("image_too_small", f"{width}x{height} is too small")
            img.load()
            img = ImageOps.exif_transpose(img)
            rgb = np.asarray(img.convert("RGB"))
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("image_too_large", str(exc)) from exc
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ImageRejected("image_corrupt", f"cannot decode image: {exc}") from exc
    return DecodedImage(rgb=rgb, media_type=media_type, width=rgb.shape[1], height=rgb.shape[0])


def decode_video(
    data: bytes, *, max_bytes: int, max_frames: int, max_side: int = 640, max_seconds: float = 20.0
) -> tuple[list[np.ndarray], list[float], str]:
    """Decode a short MP4/WebM clip into RGB frames (downscaled) with their timestamps."""

    if len(data) > max_bytes:
        raise ImageRejected("upload_too_large", f"file is {len(data)} bytes; limit {max_bytes}")
    media_type = sniff_media_type(data)
    if media_type not in VIDEO_TYPES:
        raise ImageRejected("unsupported_media_type", f"content is {media_type or 'unknown'}")
    with tempfile.NamedTemporaryFile(suffix=".mp4" if media_type == "video/mp4" else ".webm") as f:
        f.write(data)
        f.flush()
        frames, times = read_video_frames(
            f.name, max_frames=max_frames, max_side=max_side, max_seconds=max_seconds
        )
    if not frames:
        raise ImageRejected("video_corrupt", "no decodable frames")
    return frames, times, media_type


def read_video_frames(
    path: str | os.PathLike[str],
    *,
    max_frames: int,
    max_side: int = 640,
    max_seconds: float = 20.0,
    start_s: float = 0.0,
    end_s: float | None = None,
) -> tuple[list[np.ndarray], list[float]]:
    """Frames of a video file between ``start_s`` and ``end_s``, evenly subsampled to at
    most ``max_frames``, as RGB arrays with timestamps relative to ``start_s``."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            raise ImageRejected("video_corrupt", "cannot open video")
        fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
        total = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0) or int(max_seconds * fps)
        first = max(0, round(start_s * fps))
        last = total if end_s is None else min(total, round(end_s * fps))
        last = min(last, first + int(max_seconds * fps))
        span = max(1, last - first)
        step = max(1, int(np.ceil(span / max_frames)))
        frames: list[np.ndarray] = []
        times: list[float] = []
        index = 0
        while len(frames) < max_frames and index < last:
            if not cap.grab():
                break
            if index >= first and (index - first) % step == 0:
                ok, bgr = cap.retrieve()
                if not ok:
                    break
                h, w = bgr.shape[:2]
                scale = max_side / max(h, w)
                if scale < 1:
                    bgr = cv2.resize(
                        bgr, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA
                    )
                frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                times.append((index - first) / fps)
            index += 1
        return frames, times
    finally:
        cap.release()


def encode_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    """JPEG bytes of an RGB array (for derived artifacts such as the portrait crop)."""
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()
