"""Rectification: a chain of glyphs becomes a level strip at a fixed pitch per character
cell (``_rectify``), its ink map and text band, the line geometry in photo pixels, and the
cell count a line's ink period suggests."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from app.vision.document.glyphs import (
    WINDOW_HEIGHT_PITCHES,
)
from app.vision.document.ocr_types import LineGeometry, _Chain

_RECT_PITCH = 24.0  # px per character cell in the rectified strip


# --------------------------------------------------------------------------- reading


@dataclass
class _LineStrip:
    strip: np.ndarray  # rectified grey strip, nominal cells of _RECT_PITCH px plus margins
    origin: np.ndarray  # input-image point of strip x = 0 on the centre line
    direction: np.ndarray  # unit vector along the line (input image)
    input_per_strip_px: float
    cap_height: float  # input px
    # For a strip of even pitch under perspective (``_even_pitch_columns``): for each strip
    # column boundary 0..width, the column of the plain affine strip it came from, whose
    # columns map linearly (``input_per_strip_px``) from ``origin``. None: the identity.
    affine_columns: np.ndarray | None = None

    def along(self, columns: np.ndarray) -> np.ndarray:
        """Input px along ``direction`` from ``origin`` of strip columns."""
        if self.affine_columns is not None:
            grid = np.arange(len(self.affine_columns), dtype=np.float64)
            columns = np.interp(columns, grid, self.affine_columns)
        return np.asarray(columns, np.float64) * self.input_per_strip_px


_MARGIN_CELLS = 5
# Floor of the local ink span, as a share of the strip's (``_ink``); 0.25-0.6 read the same.
_MIN_LOCAL_SPAN = 0.4


def _line_fit(chain: _Chain) -> tuple[np.ndarray, np.ndarray]:
    """Unit direction and the centre-line point at the chain's left end."""
    direction = np.array([1.0, chain.slope])
    direction /= np.linalg.norm(direction)
    origin = np.array([chain.left, chain.slope * chain.left + chain.intercept])
    return direction, origin


def _rectify(gray: np.ndarray, chain: _Chain, n_cells: int, scale: float) -> _LineStrip:
    """Warp one line of ``gray`` (input resolution) into a horizontal strip.

    The nominal pitch comes from the chain's extent; the strip keeps a margin of
    ``_MARGIN_CELLS`` on both sides so that the cell lattice can be refitted.
    """
    direction, origin = _line_fit(chain)
    normal = np.array([-direction[1], direction[0]])
    span = (chain.right - chain.left) * direction[0]
    # OCR-B ink spans about pitch * (n - 0.32): side bearings of the first and last glyph.
    pitch = span / (n_cells - 0.32)
    k = _RECT_PITCH / pitch  # strip px per work px
    height = round(_RECT_PITCH * 2.2)
    width = round((n_cells + 2 * _MARGIN_CELLS) * _RECT_PITCH)
    start = origin + (-0.16 * pitch - _MARGIN_CELLS * pitch) * direction
    base = start - (height / 2) / k * normal
    src = np.array([base, base + direction * width / k, base + normal * height / k], np.float32)
    dst = np.array([[0, 0], [width, 0], [0, height]], np.float32)
    columns = _even_pitch_columns(_pitch_ratio(chain), width, n_cells)
    if columns is not None and k * scale >= 1:
        # Enlarging: sample the input once, along the perspective's curve.
        along = (base[None, :] + columns[:width, None] / k * direction[None, :]) / scale
        across = np.arange(height, dtype=np.float64)[:, None, None] / (k * scale) * normal
        points = (along[None, :, :] + across).astype(np.float32)
        strip = cv2.remap(
            gray, points[..., 0], points[..., 1], cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REPLICATE,
        )  # fmt: skip
    else:
        matrix = cv2.getAffineTransform(src / np.float32(scale), dst)
        strip = cv2.warpAffine(
            gray,
            matrix,
            (width, height),
            flags=cv2.INTER_AREA if k * scale < 1 else cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REPLICATE,
        )
        if columns is not None:
            # Reducing: area-average first, then even out the pitch on the strip.
            map_x = np.repeat(columns[None, :width].astype(np.float32), height, axis=0)
            map_y = np.repeat(np.arange(height, dtype=np.float32)[:, None], width, axis=1)
            strip = cv2.remap(strip, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    return _LineStrip(
        strip=strip,
        origin=start / scale,
        direction=direction,
        input_per_strip_px=1.0 / (k * scale),
        cap_height=chain.height / scale,
        affine_columns=columns,
    )


_MIN_PITCH_RATIO_STEPS = 12  # glyph-to-glyph steps needed to measure a pitch gradient
_MIN_PITCH_CHANGE = 0.04  # relative pitch change along a line worth resampling for


def _pitch_ratio(chain: _Chain) -> float:
    """Pitch at the chain's right end over the pitch at its left end, from the steps
    between its glyphs (1.0 when there are too few glyphs to tell).

    Perspective shrinks a line's far end: at 9 % perspective a 36-cell line's pitch runs
    from 20 to 28 px, beyond the 15 % the cell lattice may stretch, so the lattice
    starts a cell off. The steps between neighbouring glyphs show the gradient; steps
    that skip a glyph or split one are left out.
    """
    if len(chain.cx) < _MIN_PITCH_RATIO_STEPS + 1 or chain.pitch <= 0:
        return 1.0
    xs = np.sort(np.asarray(chain.cx, np.float64))
    steps = np.diff(xs)
    mids = (xs[1:] + xs[:-1]) / 2
    keep = (steps > 0.7 * chain.pitch) & (steps < 1.35 * chain.pitch)
    if keep.sum() < _MIN_PITCH_RATIO_STEPS:
        return 1.0
    slope, intercept = np.polyfit(mids[keep], steps[keep], 1)
    # one pass without the worst-fitting steps (a glued pair measured as one glyph)
    residual = np.abs(steps[keep] - (slope * mids[keep] + intercept))
    inliers = residual <= max(float(np.percentile(residual, 80)), 1e-6)
    if inliers.sum() >= _MIN_PITCH_RATIO_STEPS:
        slope, intercept = np.polyfit(mids[keep][inliers], steps[keep][inliers], 1)
    left_pitch = slope * chain.left + intercept
    right_pitch = slope * chain.right + intercept
    if left_pitch <= 0 or right_pitch <= 0:
        return 1.0
    return float(np.clip(right_pitch / left_pitch, 0.45, 2.2))


def _even_pitch_columns(pitch_ratio: float, width: int, n_cells: int) -> np.ndarray | None:
    """For each column boundary 0..``width`` of a strip with an even pitch, the column of
    the plain affine strip to sample when the pitch grows from left to right by
    ``pitch_ratio``; None below ``_MIN_PITCH_CHANGE`` (the affine strip is used as is).

    Along a line under perspective the image position of cell coordinate s (0 at the
    first glyph's ink, 1 at the last's) goes as (exp(b s) - 1) / (exp(b) - 1) with
    exp(b) the pitch ratio; the margins follow the same curve.
    """
    if abs(pitch_ratio - 1.0) < _MIN_PITCH_CHANGE:
        return None
    ink_start = (_MARGIN_CELLS + 0.16) * _RECT_PITCH
    ink_span = (n_cells - 0.32) * _RECT_PITCH
    s = (np.arange(width + 1, dtype=np.float64) - ink_start) / ink_span
    b = math.log(pitch_ratio)
    return ink_start + ink_span * np.expm1(b * s) / math.expm1(b)


def _geometry(line: _LineStrip, centres: np.ndarray) -> LineGeometry:
    along = line.along(np.asarray(centres, np.float64))
    first = line.origin + along[0] * line.direction
    last = line.origin + along[-1] * line.direction
    pitch = float(np.median(np.diff(along)))
    return LineGeometry(
        start=(float(first[0]), float(first[1])),
        end=(float(last[0]), float(last[1])),
        pitch=pitch,
        cap_height=float(line.cap_height),
    )


def _strip_ink(strip: np.ndarray) -> np.ndarray:
    """Ink in [0, 1] against one paper and one ink level for the whole strip (the 80th
    and 2nd percentiles): what the stroke-sharpness thresholds were calibrated on, and
    what the sharp network was trained on (``glyph_training.Recipe.ink``)."""
    values = strip.astype(np.float32)
    ink_level, paper = (float(v) for v in np.percentile(values, (2, 80)))
    span = max(paper - ink_level, 1.0)
    return np.clip((paper - values) / span, 0.0, 1.0)


def _ink(strip: np.ndarray) -> np.ndarray:
    """Normalise a grey strip to ink in [0, 1] against the paper and ink levels around
    each column.

    Light falls unevenly on a photographed page (a lamp to one side, glare): with one
    level for the whole strip, the thin bars of E and F in the bright part fall under the
    paper level and read as L and I. Each column's paper level is the 80th percentile of
    its pixels (the band is half paper), taken as the brightest within a cell and
    smoothed over two; its ink level is the darkest 2nd percentile within three cells.
    The span between them is kept at least ``_MIN_LOCAL_SPAN`` of the whole strip's, so
    that paper beyond the line's ends is not stretched into ink.
    """
    values = strip.astype(np.float32)
    strip_ink, strip_paper = (float(v) for v in np.percentile(values, (2, 80)))
    span = max(strip_paper - strip_ink, 1.0)
    pitch = int(_RECT_PITCH)
    column_levels = np.percentile(values, (2, 80), axis=0).astype(np.float32)
    column_ink, column_paper = column_levels[0:1], column_levels[1:2]
    paper = cv2.blur(cv2.dilate(column_paper, np.ones((1, pitch), np.uint8)), (2 * pitch, 1))
    ink_level = cv2.blur(cv2.erode(column_ink, np.ones((1, 3 * pitch), np.uint8)), (2 * pitch, 1))
    local_span = np.maximum(paper - ink_level, _MIN_LOCAL_SPAN * span)
    return np.clip((paper - values) / local_span, 0.0, 1.0)


def _band(ink: np.ndarray) -> tuple[int, int]:
    height = ink.shape[0]
    win_h = _RECT_PITCH * WINDOW_HEIGHT_PITCHES
    return max(round(height / 2 - win_h / 2), 0), round(height / 2 + win_h / 2)


def _periodic_cells(
    gray: np.ndarray, chain: _Chain, scale: float, cell_range: tuple[int, int] = (33, 47)
) -> float:
    """Cells on a line, from the strongest period of its column ink (0 when no clear
    period): glyphs repeat at the fixed pitch even when blur has glued them together.
    Only counts in ``cell_range`` are considered (whole lines hold 30 to 44 cells)."""
    nominal = 40
    ink = _ink(_rectify(gray, chain, nominal, scale).strip)
    profile = ink[slice(*_band(ink))].sum(axis=0)
    margin = _MARGIN_CELLS * int(_RECT_PITCH)
    profile = (profile - np.convolve(profile, np.ones(61) / 61, mode="same"))[margin:-margin]
    if not profile.any():
        return 0.0
    corr = np.correlate(profile, profile, "full")[len(profile) - 1 :]
    corr /= corr[0]
    # Lags of a pitch for cell_range cells over the strip's nominal 40.
    fewest, most = cell_range
    lags = np.arange(int(_RECT_PITCH * nominal / most), int(_RECT_PITCH * nominal / fewest) + 1)
    best = int(lags[np.argmax(corr[lags])])
    return _RECT_PITCH * nominal / best if corr[best] >= 0.5 else 0.0


def _turn(line: _LineStrip) -> _LineStrip:
    """The same strip rotated by 180 degrees (for upside-down documents)."""
    width = line.strip.shape[1]
    affine = line.affine_columns
    return _LineStrip(
        strip=np.ascontiguousarray(line.strip[::-1, ::-1]),
        origin=line.origin + line.direction * width * line.input_per_strip_px,
        direction=-line.direction,
        input_per_strip_px=line.input_per_strip_px,
        cap_height=line.cap_height,
        affine_columns=None if affine is None else width - affine[::-1],
    )


def _cells_crop(strip: np.ndarray, centres: np.ndarray) -> np.ndarray:
    pitch = float(np.median(np.diff(centres)))
    x0 = max(round(centres[0] - pitch), 0)
    x1 = min(round(centres[-1] + pitch), strip.shape[1])
    return strip[:, x0:x1]


def _misalignment(lines: Sequence[LineGeometry]) -> float:
    """How far (in pitches, along the lines) the lines' first or last cells are from
    the first line's: the lines of an MRZ start and end together, so a line whose cell
    lattice slipped by one cell (a lost first glyph, a stray mark taken for one) is off
    by a whole pitch, which no check digit of an unchecked line would notice."""
    if len(lines) < 2:
        return 0.0
    first = lines[0]
    direction = np.subtract(first.end, first.start)
    direction = direction / max(float(np.linalg.norm(direction)), 1e-6)
    worst = 0.0
    for line in lines[1:]:
        pitch = max((first.pitch + line.pitch) / 2, 1e-6)
        for a, b in ((line.start, first.start), (line.end, first.end)):
            worst = max(worst, abs(float(np.dot(np.subtract(a, b), direction))) / pitch)
    return worst


def _band_corners(lines: Sequence[LineGeometry]) -> np.ndarray:
    first, last = lines[0], lines[-1]
    d = np.subtract(first.end, first.start)
    d = d / max(float(np.linalg.norm(d)), 1e-6)
    n = np.array([-d[1], d[0]])
    half = first.pitch * 0.5
    tl = np.add(first.start, -d * half - n * first.cap_height * 0.8)
    tr = np.add(first.end, d * half - n * first.cap_height * 0.8)
    br = np.add(last.end, d * half + n * last.cap_height * 0.8)
    bl = np.add(last.start, -d * half + n * last.cap_height * 0.8)
    return np.array([tl, tr, br, bl], dtype=np.float32)
