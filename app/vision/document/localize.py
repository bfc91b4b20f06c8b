"""Find the document in a photo and warp it to a flat, upright page of its ICAO size.

Two sources of geometry, best first:

1. The document's outline: the largest convex quadrilateral of strong edges (Canny,
   contour approximation) that contains the MRZ. Its corners are ordered so that the MRZ
   runs along the bottom from left to right, which also undoes 90/180/270-degree turns.
2. The MRZ itself: its lines give the reading direction, the scale (2.54 mm per
   character) and the position of the page (MRZ centred horizontally, last line a fixed
   distance above the bottom edge). Used for flat scans and when the outline is hidden.

A page that reaches beyond the frame is reported as cropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from app.vision.document.ocr import MrzRead

# Physical page sizes (width, height) in mm, ICAO 9303 parts 4-7.
PAGE_SIZE_MM: dict[str, tuple[float, float]] = {
    "TD1": (85.6, 53.98),
    "TD2": (105.0, 74.0),
    "TD3": (125.0, 88.0),
    "MRVA": (120.0, 80.0),
    "MRVB": (105.0, 74.0),
}
MRZ_PITCH_MM = 2.54
# Distance from the bottom page edge to the centre line of the last MRZ line (approximate,
# ICAO 9303 places the MRZ in a band at the bottom of the page).
_LAST_LINE_FROM_BOTTOM_MM = {"TD1": 4.0, "TD2": 5.5, "TD3": 6.0, "MRVA": 6.0, "MRVB": 5.5}

NORMALISED_PX_PER_MM = 8.0


@dataclass(frozen=True)
class DocumentLocation:
    """Where the page is in the input image and its flattened, upright view."""

    found: bool
    corners: np.ndarray | None = field(default=None, repr=False)  # TL, TR, BR, BL (input px)
    format: str | None = None
    normalised: np.ndarray | None = field(default=None, repr=False)  # RGB page
    method: str = "none"  # "outline", "mrz" or "none"
    cropped: bool = False
    outside_fraction: float = 0.0  # share of the page area outside the frame


def _order_corners(points: np.ndarray) -> np.ndarray:
    """Order 4 points TL, TR, BR, BL in image terms."""
    pts = points.reshape(4, 2).astype(np.float64)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise in image coordinates, starting near -pi
    top_left = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -top_left, axis=0)


def find_outline(image: np.ndarray) -> np.ndarray | None:
    """Largest convex quadrilateral of strong edges (>= 15% of the frame), or None."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY) if image.ndim == 3 else image
    scale = 640.0 / max(gray.shape)
    small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    median = float(np.median(small))
    edges = cv2.Canny(small, max(10.0, 0.5 * median), min(255.0, 1.2 * median + 30))
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    frame_area = small.shape[0] * small.shape[1]
    best, best_area = None, 0.15 * frame_area
    for contour in contours:
        hull = cv2.convexHull(contour)
        area = cv2.contourArea(hull)
        if area < best_area or area > 0.98 * frame_area:
            continue
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) != 4:
            continue
        # the hull must be filled by the quadrilateral (not a blob of clutter)
        if cv2.contourArea(approx) < 0.9 * area:
            continue
        best, best_area = approx, area
    if best is None:
        return None
    return _order_corners(best.reshape(4, 2) / scale)


def _orient_to_mrz(corners: np.ndarray, mrz: MrzRead) -> np.ndarray | None:
    """Rotate the corner order so that the MRZ is at the bottom, reading left to right."""
    if not mrz.lines:
        return corners
    band = mrz.corners
    if band is None:
        return corners
    centre = band.mean(axis=0)
    if (
        cv2.pointPolygonTest(
            corners.astype(np.float32), (float(centre[0]), float(centre[1])), False
        )
        < 0
    ):
        return None  # the outline does not contain the MRZ: some other rectangle
    direction = np.subtract(mrz.lines[0].end, mrz.lines[0].start)
    direction = direction / max(float(np.linalg.norm(direction)), 1e-6)
    best, best_dot = corners, -2.0
    for shift in range(4):
        c = np.roll(corners, -shift, axis=0)
        bottom = c[2] - c[3]  # BL -> BR
        dot = float(np.dot(bottom / max(float(np.linalg.norm(bottom)), 1e-6), direction))
        if dot > best_dot:
            best, best_dot = c, dot
    return best if best_dot > 0.8 else None


def _page_from_mrz(mrz: MrzRead, fmt: str) -> np.ndarray:
    """Page corners implied by the MRZ lines (reading direction, scale, position)."""
    last = mrz.lines[-1]
    start, end = np.asarray(last.start), np.asarray(last.end)
    direction = (end - start) / max(float(np.linalg.norm(end - start)), 1e-6)
    normal = np.array([-direction[1], direction[0]])  # points down the page
    px_per_mm = float(np.median([g.pitch for g in mrz.lines])) / MRZ_PITCH_MM
    width_mm, height_mm = PAGE_SIZE_MM[fmt]
    centre_last = (start + end) / 2
    bottom_mid = centre_last + normal * _LAST_LINE_FROM_BOTTOM_MM[fmt] * px_per_mm
    half_w = direction * width_mm / 2 * px_per_mm
    up = -normal * height_mm * px_per_mm
    return np.array(
        [
            bottom_mid - half_w + up,
            bottom_mid + half_w + up,
            bottom_mid + half_w,
            bottom_mid - half_w,
        ]
    )


def _outside_fraction(corners: np.ndarray, shape: tuple[int, ...]) -> float:
    height, width = shape[:2]
    poly = corners.astype(np.float32)
    area = abs(cv2.contourArea(poly))
    if area <= 0:
        return 0.0
    frame = np.array([[0, 0], [width, 0], [width, height], [0, height]], np.float32)
    inside, _ = cv2.intersectConvexConvex(poly, frame)
    return float(max(0.0, 1.0 - inside / area))


def _aspect_format(corners: np.ndarray) -> str:
    c = corners.astype(np.float64)
    width = float(np.linalg.norm(c[1] - c[0]) + np.linalg.norm(c[2] - c[3])) / 2
    height = float(np.linalg.norm(c[3] - c[0]) + np.linalg.norm(c[2] - c[1])) / 2
    aspect = width / max(height, 1e-6)
    return "TD1" if aspect > 1.5 else "TD3"


def warp_page(image: np.ndarray, corners: np.ndarray, fmt: str) -> np.ndarray:
    """Perspective-correct the page to ``NORMALISED_PX_PER_MM`` at its ICAO size."""
    width_mm, height_mm = PAGE_SIZE_MM[fmt]
    out_w, out_h = round(width_mm * NORMALISED_PX_PER_MM), round(height_mm * NORMALISED_PX_PER_MM)
    dst = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    matrix = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    return cv2.warpPerspective(
        image, matrix, (out_w, out_h), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE
    )


def locate_document(
    image: np.ndarray, mrz: MrzRead, *, crop_tolerance: float = 0.04
) -> DocumentLocation:
    """Locate and flatten the page; ``mrz`` is the read of the same image (may be empty)."""
    fmt = mrz.result.format
    outline = find_outline(image)
    corners: np.ndarray | None = None
    method = "none"
    if outline is not None and mrz.lines:
        corners = _orient_to_mrz(outline, mrz)
        if corners is not None:
            method = "outline"
    if corners is None and mrz.lines and fmt is not None:
        corners = _page_from_mrz(mrz, fmt)
        method = "mrz"
    if corners is None and outline is not None:
        corners, method = outline, "outline"
    if corners is None:
        return DocumentLocation(found=False)
    page_format = fmt or _aspect_format(corners)
    outside = _outside_fraction(corners, image.shape)
    # The MRZ-derived frame is approximate: allow more slack before calling it cropped.
    tolerance = crop_tolerance if method == "outline" else 4 * crop_tolerance
    cropped = outside > tolerance or _mrz_touches_border(mrz, image.shape)
    return DocumentLocation(
        found=True,
        corners=corners.astype(np.float32),
        format=page_format,
        normalised=warp_page(image, corners, page_format),
        method=method,
        cropped=cropped,
        outside_fraction=round(outside, 4),
    )


def _mrz_touches_border(mrz: MrzRead, shape: tuple[int, ...]) -> bool:
    """True when the MRZ's first or last cell is cut by the frame."""
    if not mrz.lines:
        return False
    if mrz.touches_border:
        return True
    height, width = shape[:2]
    for line in mrz.lines:
        margin = 0.9 * line.pitch  # a cell centre this close: its glyph reaches the edge
        for x, y in (line.start, line.end):
            if x < margin or y < margin or x > width - margin or y > height - margin:
                return True
    return False
