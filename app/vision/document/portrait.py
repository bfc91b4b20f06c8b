"""Locate the holder's photo on the flattened document page.

YuNet (the face detector of ``app.vision.faces``) runs on the normalised page; the largest
face wins (ghost images and secondary portraits are smaller). Without a detectable face
the crop falls back to the format's expected photo zone, flagged by ``face_found=False``.
YuNet replaced dlib's HOG detector here: on 40 generated pages both found every portrait,
YuNet in a fifth of the time, and it finds faces below HOG's 80 px window
(benchmarks/NOTES-faces.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from app.vision.faces.embedding import detect_faces
from app.vision.faces.models import FaceModels

# Expected photo zone as fractions of the page (left, top, right, bottom), ICAO 9303.
PHOTO_ZONE: dict[str, tuple[float, float, float, float]] = {
    "TD1": (0.03, 0.14, 0.32, 0.70),
    "TD2": (0.03, 0.14, 0.33, 0.68),
    "TD3": (0.03, 0.14, 0.34, 0.70),
    "MRVA": (0.03, 0.14, 0.30, 0.66),
    "MRVB": (0.03, 0.14, 0.33, 0.68),
}


# YuNet's box is tighter than HOG's was (brows to chin); the crop margin below keeps the
# head. Detections less sure than this are patterns in the guilloche, not the holder.
MIN_PORTRAIT_SCORE = 0.7


@dataclass(frozen=True)
class PortraitCrop:
    """The ID photo: RGB crop with margin, its box (top, right, bottom, left) in page px."""

    image: np.ndarray = field(repr=False)
    box: tuple[int, int, int, int]
    width_px: int
    sharpness: float
    face_found: bool = True


def _sharpness(rgb: np.ndarray) -> float:
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    small = cv2.resize(gray, (160, max(round(160 * gray.shape[0] / max(gray.shape[1], 1)), 1)))
    gray = np.asarray(small, np.float32)
    variance = float(gray.var())
    if variance < 1.0:
        return 0.0
    return float(cv2.Laplacian(gray, cv2.CV_32F).var() / variance)


def find_portrait(
    page: np.ndarray, fmt: str | None, models: FaceModels, *, margin: float = 0.35
) -> PortraitCrop | None:
    """The largest face on ``page`` with ``margin`` (share of the face size) around it."""
    height, width = page.shape[:2]
    if height < 32 or width < 32:
        return None
    detections = []
    if fmt in PHOTO_ZONE:
        # ICAO pages hold the photo in their left third: search the left half first, the
        # whole page only when no face is there.
        detections = detect_faces(np.ascontiguousarray(page[:, : width // 2]), models)
    if not detections:
        detections = detect_faces(np.ascontiguousarray(page), models)
    detections = [d for d in detections if d.score >= MIN_PORTRAIT_SCORE]
    if detections:
        face = max(detections, key=lambda d: d.area)
        x, y, w, h = face.box
        pad_x, pad_y = w * margin, h * margin
        left = max(int(x - pad_x), 0)
        right = min(int(x + w + pad_x), width)
        top = max(int(y - pad_y * 1.4), 0)
        bottom = min(int(y + h + pad_y), height)
        found = True
    else:
        if fmt is None:
            return None
        zl, zt, zr, zb = PHOTO_ZONE.get(fmt, PHOTO_ZONE["TD3"])
        left, top, right, bottom = (
            int(zl * width),
            int(zt * height),
            int(zr * width),
            int(zb * height),
        )
        found = False
    if right - left < 8 or bottom - top < 8:
        return None
    crop = np.ascontiguousarray(page[top:bottom, left:right])
    return PortraitCrop(
        image=crop,
        box=(top, right, bottom, left),
        width_px=right - left,
        sharpness=round(_sharpness(crop), 4),
        face_found=found,
    )
