"""Lattice decoding: where the character cells of a rectified line lie (a dynamic
programme over the network's glyph evidence with near-constant steps), and whether the
lattice could have slipped by one cell."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from app.vision.document.cells import _glyphness
from app.vision.document.ocr_types import OcrParams
from app.vision.document.rectify import (
    _MARGIN_CELLS,
    _RECT_PITCH,
    _geometry,
    _LineStrip,
    _misalignment,
)

_MAX_STEP_CHANGE = 3  # px: lattice steps of neighbouring cells differ by at most this
_LATTICE_UNIT = 2  # px: the lattice programme works on pairs of strip columns


def _cell_centres(profile: np.ndarray, n_cells: int) -> np.ndarray:
    """Fit the fixed-pitch lattice: period and phase from the gaps between glyphs, then
    the run of ``n_cells`` consecutive cells that holds the most ink."""
    nominal = (np.arange(n_cells) + _MARGIN_CELLS + 0.5) * _RECT_PITCH - 0.16 * _RECT_PITCH
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    if smooth.max() <= 0:
        return nominal
    xs = np.arange(len(smooth), dtype=np.float64)
    ink_cols = np.nonzero(smooth > 0.15 * smooth.max())[0]
    lo, hi = int(ink_cols[0]), int(ink_cols[-1])
    best: tuple[float, float, float] | None = None
    for period in np.linspace(0.82, 1.18, 73) * _RECT_PITCH:
        phases = np.arange(0.0, period, 1.0)
        steps = np.arange(-1, (hi - lo) / period + 1)
        bounds = lo + phases[:, None] + period * steps[None, :]
        valid = (bounds >= 0) & (bounds < len(smooth) - 1)
        values = np.interp(bounds, xs, smooth) * valid
        gap_ink = values.sum(axis=1) / np.maximum(valid.sum(axis=1), 1)
        k = int(np.argmin(gap_ink))
        if best is None or gap_ink[k] < best[0]:
            best = (float(gap_ink[k]), float(period), float(phases[k]))
    if best is None:
        return nominal
    _, period, phase = best
    bounds = np.arange(lo + phase - 2 * period, len(smooth), period)
    cumulative = np.concatenate([[0.0], np.cumsum(smooth)])

    def ink_between(a: float, b: float) -> float:
        return float(np.interp(b, xs, cumulative[1:]) - np.interp(a, xs, cumulative[1:]))

    best_start, best_ink = None, -1.0
    for i in range(len(bounds) - n_cells):
        if bounds[i] < 0:
            continue
        inside = ink_between(bounds[i], bounds[i + n_cells])
        if inside > best_ink + 1e-6:
            best_start, best_ink = i, inside
    if best_start is None:
        return nominal
    return bounds[best_start] + (np.arange(n_cells) + 0.5) * period


def _lattice_by_net(
    table: np.ndarray, n_cells: int, pitch: float, params: OcrParams
) -> np.ndarray | None:
    """Cell centres that maximise how well every cell reads, under a smooth pitch.

    Dynamic programming over strip columns: each next centre lies one step after the
    previous one, a step within ``lattice_step_tolerance`` of the fitted pitch; a step
    that differs from the one before costs ``lattice_step_cost`` per squared pixel (the
    pitch of a photographed line changes slowly, with perspective, never abruptly). A
    cell scores the network's log-probability of its best character, so gaps and stray
    marks score low. Unlike one global period, this follows perspective and does not
    slide across long filler runs. The programme runs on pairs of columns (four times
    less work) and each centre is then refined to the best column next to it.
    """
    glyphness = _glyphness(table)
    n_cols = len(glyphness)
    unit = _LATTICE_UNIT
    pooled = glyphness[: n_cols - n_cols % unit].reshape(-1, unit).max(axis=1)
    coarse = _lattice_dp(pooled, n_cells, pitch / unit, params, unit)
    if coarse is None:
        return None
    # Refine on the glyphness smoothed over three columns (the cells are read from the
    # mean over three columns too).
    smooth = np.convolve(glyphness, np.ones(3, np.float32) / 3, mode="same")
    centres = np.empty(n_cells)
    for k, x in enumerate(coarse):
        lo, hi = max(int(x) * unit - 1, 0), min(int(x) * unit + unit + 1, n_cols)
        centres[k] = lo + int(np.argmax(smooth[lo:hi]))
    return centres


def _lattice_dp(
    glyphness: np.ndarray, n_cells: int, pitch: float, params: OcrParams, unit: int
) -> np.ndarray | None:
    """The dynamic programme of ``_lattice_by_net`` on columns of ``unit`` strip px."""
    n_cols = len(glyphness)
    low = max(math.floor(pitch * (1 - params.lattice_step_tolerance)), 2)
    high = math.ceil(pitch * (1 + params.lattice_step_tolerance))
    if n_cols < n_cells * low:
        return None
    steps = np.arange(low, high + 1)
    n_steps = len(steps)
    # A step may differ from the one before by at most _MAX_STEP_CHANGE px (a change of
    # 3 px costs 0.9 nats at the default cost; real pitch changes are far smaller).
    reach = max(1, _MAX_STEP_CHANGE // unit)
    changes = range(-reach, reach + 1)
    change_cost = [float(params.lattice_step_cost * (unit * change) ** 2) for change in changes]
    # score[x, j]: best total with the current cell at column x, entered by steps[j].
    score = np.repeat(glyphness[:, None], n_steps, axis=1)
    back = np.zeros((n_cells, n_cols, n_steps), np.int8)
    for k in range(1, n_cells):
        # via[x, j]: best predecessor total at column x for a next step steps[j]: the
        # predecessor was entered by steps[j - change].
        via = np.full((n_cols, n_steps), -np.inf, np.float32)
        via_arg = np.zeros((n_cols, n_steps), np.int8)
        for change, cost in zip(changes, change_cost, strict=True):
            lo, hi = max(0, change), min(n_steps, n_steps + change)
            if lo >= hi:
                continue
            candidate = score[:, lo - change : hi - change] - cost
            better = candidate > via[:, lo:hi]
            via[:, lo:hi] = np.where(better, candidate, via[:, lo:hi])
            via_arg[:, lo:hi] = np.where(better, np.arange(lo, hi) - change, via_arg[:, lo:hi])
        new = np.full((n_cols, n_steps), -np.inf, np.float32)
        for j, step in enumerate(steps):
            new[step:, j] = via[:-step, j] + glyphness[step:]
            back[k, step:, j] = via_arg[:-step, j]
        score = new
    x_end, j_end = np.unravel_index(int(np.argmax(score)), score.shape)
    x, j = int(x_end), int(j_end)
    if not np.isfinite(score[x, j]):
        return None
    centres = np.empty(n_cells)
    for k in range(n_cells - 1, -1, -1):
        centres[k] = x
        if k:
            previous = int(back[k, x, j])
            x -= int(steps[j])
            j = previous
    return centres


def _slip_alternative(
    table: np.ndarray, centres: np.ndarray, params: OcrParams
) -> tuple[np.ndarray, float] | None:
    """The lattice moved by one cell and its gain in log-probability, when it reads
    about as well as ``centres`` (within ``lattice_slip_margin``).

    Moving the lattice one cell drops one end cell and adds one beyond the other end.
    On a clean line that added cell lands on empty paper and scores far lower; when it
    lands on something glyph-like (crossing guilloche strokes look like a filler), the
    two lattices read equally well and nothing in an unchecked line tells them apart.
    """
    glyphness = _glyphness(table)
    n_cols = len(glyphness)

    def best_near(x: float) -> tuple[float, float]:
        """The best glyphness within 2 px of ``x`` and its column."""
        lo, hi = max(round(x) - 2, 0), min(round(x) + 3, n_cols)
        if lo >= hi:
            return -12.0, x
        k = lo + int(np.argmax(glyphness[lo:hi]))
        return float(glyphness[k]), float(k)

    first, last = int(centres[0]), int(centres[-1])
    left_score, left_x = best_near(2 * centres[0] - centres[1])
    right_score, right_x = best_near(2 * centres[-1] - centres[-2])
    gain_left = left_score - float(glyphness[last])
    gain_right = right_score - float(glyphness[first])
    if max(gain_left, gain_right) < -params.lattice_slip_margin:
        return None
    # Every cell moves to its neighbour's place, not by one end's step: perspective
    # changes the step along the line (a whole-lattice shift by the last step put the
    # first cell 4 px off its glyph, seed 303 normal_0087).
    if gain_left >= gain_right:
        moved, gain = np.concatenate([[left_x], centres[:-1]]), gain_left
    else:
        moved, gain = np.concatenate([centres[1:], [right_x]]), gain_right
    if moved[0] < 0 or moved[-1] > n_cols - 1:
        return None  # the moved lattice leaves the strip: not a placement to consider
    return moved, gain


def _resolve_slips(
    strips: Sequence[_LineStrip],
    centres: list[np.ndarray],
    slips: Sequence[tuple[np.ndarray, float] | None],
    params: OcrParams,
) -> tuple[list[np.ndarray], bool, list[np.ndarray] | None]:
    """Settle lines whose lattice could sit one cell either way, by the other lines.

    The lines of an MRZ start and end together. Every combination of placements is
    scored by how well its lines line up; the best-aligned combination must line up
    better than any other by ``lattice_slip_alignment`` pitches. A combination that
    moves every line together cannot be seen by alignment, but needs none: it moves
    the checked line too, so the check digits decide; it is returned as the third
    value for the caller to read when the first placement does not validate. Returns
    (centres, whether the placement stays uncertain, the all-lines-moved placement).
    """
    if all(slip is None for slip in slips):
        return centres, False, None
    options = [
        [(centres[k], 0.0, False)] + ([(slip[0], slip[1], True)] if slip is not None else [])
        for k, slip in enumerate(slips)
    ]
    scored = []
    for combo in itertools.product(*options):
        geoms = [_geometry(strips[k], c) for k, (c, _, _) in enumerate(combo)]
        misalignment = _misalignment(geoms) if len(geoms) > 1 else 0.0
        gain = sum(g for _, g, _ in combo)
        scored.append((misalignment, -gain, combo))
    scored.sort(key=lambda item: (item[0], item[1]))
    best_misalignment, _, best = scored[0]
    moved = tuple(m for _, _, m in best)
    together: list[np.ndarray] | None = None
    for misalignment, _, combo in scored[1:]:
        other = tuple(m for _, _, m in combo)
        if misalignment < best_misalignment + params.lattice_slip_alignment:
            if not all(a != b for a, b in zip(moved, other, strict=True)):
                return centres, True, None
            if together is None:
                together = [c for c, _, _ in combo]
    return [c for c, _, _ in best], False, together
