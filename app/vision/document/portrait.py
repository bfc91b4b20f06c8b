"""Locate the holder's photo on the flattened document page.

dlib's HOG face detector (from ``app.vision.faces.models.load_face_models``) runs on the
normalised page, upsampling once only when the page is small; the largest face wins (ghost
images and secondary portraits are smaller). Without a detectable face the crop falls
back to the format's expected photo zone, flagged by ``face_found=False``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from app.vision.faces.models import FaceModels

# Expected photo zone as fractions of the page (left, top, right, bottom), ICAO 9303.
PHOTO_ZONE: dict[str, tuple[float, float, float, float]] = {
    "TD1": (0.03, 0.14, 0.32, 0.70),
    "TD2": (0.03, 0.14, 0.33, 0.68),
    "TD3": (0.03, 0.14, 0.34, 0.70),
    "MRVA": (0.03, 0.14, 0.30, 0.66),
    "MRVB": (0.03, 0.14, 0.33, 0.68),
}


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
    # HOG finds faces from about 80 px. A normalised page (8 px/mm, 685-1000 px wide)
    # holds a face of 130 px or more, found as often without upsampling (92 of the same
    # 100 benchmark pages) in a quarter of the time (53 vs 216 ms); only smaller pages
    # are upsampled.
    upsample = 1 if max(height, width) < 600 else 0
    detections = []
    if fmt in PHOTO_ZONE:
        # ICAO pages hold the photo in their left third: search the left half first (half
        # the detector's time), the whole page only when no face is there.
        detections = list(models.detector(np.ascontiguousarray(page[:, : width // 2]), upsample))
    if not detections:
        detections = list(models.detector(page, upsample))
    if detections:
        face = max(detections, key=lambda r: r.width() * r.height())
        pad_x, pad_y = face.width() * margin, face.height() * margin
        left = max(int(face.left() - pad_x), 0)
        right = min(int(face.right() + pad_x), width)
        top = max(int(face.top() - pad_y * 1.4), 0)
        bottom = min(int(face.bottom() + pad_y), height)
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
