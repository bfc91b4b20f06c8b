"""Find and read the MRZ in an image.

1. Dark glyph-sized connected components are chained left to right into text lines
   (robust to tilt up to ~30 degrees, perspective and busy backgrounds); two or three
   parallel, evenly spaced, equally long lines make an MRZ candidate.
2. Each line is rectified into a horizontal strip and cut into its fixed-pitch cells
   (30, 36 or 44 per line), which the OCR-B template classifier (``glyphs.py``) scores.
3. Per position the type mask of the format picks the best letter / digit, and near-tied
   runner-ups are passed to the codec, which accepts a runner-up only when the check
   digits prove it.
4. When the glyph read does not validate, Tesseract (``--psm 7``, MRZ whitelist) reads the
   same rectified strips as a second opinion; its characters join the runner-ups.

Orientation: upside-down documents are detected by the classifier's scores; the caller
tries 90-degree turns when nothing is found (see ``reader.py``).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import itertools
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from types import MappingProxyType

import cv2
import numpy as np

from app.vision.document.confirm import align, confirm_read
from app.vision.document.countries import ICAO_COUNTRY_CODES
from app.vision.document.glyphnet import GAP, GlyphNet, GlyphNetMissing, load_glyphnet
from app.vision.document.glyphs import (
    FEATURE_DIM,
    FEATURE_SHAPE,
    MRZ_CHARSET,
    WINDOW_HEIGHT_PITCHES,
    GlyphFontMissing,
    classify,
    load_templates,
    to_feature,
)
from app.vision.document.mrz import (
    FORMAT_LINES,
    MrzResult,
    check_digit_groups,
    country_positions,
    failure_reasons,
    mask_character,
    mrz_not_found,
    name_positions,
    parse_mrz,
    parse_mrz_alternatives,
    position_masks,
    sex_position,
    unchecked_positions,
)
from app.vision.document.name_grammar import (
    NAME_ALPHABET,
    NamePrior,
    NamePriorMissing,
    decode_name_field,
    load_name_prior,
)
from app.vision.document.tesseract_lines import shared_line_reader

_RECT_PITCH = 24.0  # px per character cell in the rectified strip
_MAX_STEP_CHANGE = 3  # px: lattice steps of neighbouring cells differ by at most this
_LATTICE_UNIT = 2  # px: the lattice programme works on pairs of strip columns
_LETTERS = [i for i, c in enumerate(MRZ_CHARSET) if c.isalpha()]
_DIGITS = [i for i, c in enumerate(MRZ_CHARSET) if c.isdigit()]
_FILLER = MRZ_CHARSET.index("<")


@dataclass(frozen=True)
class OcrParams:
    """Tunables of the MRZ reader (defaults measured on the specimens and synthetic sets)."""

    work_max_side: int = 1600  # the component search runs at about this size
    # Candidate line groups read per image, largest first. On the 320 benchmark images
    # and 20 specimens every valid read came from the first group but one (the second:
    # 100_pass2-uto); each further group costs up to ~0.3 s on a failing image.
    max_groups: int = 2
    # A group read at least this OCR-B-like (mean best template correlation) is taken
    # for the document's one MRZ, read or not: no further group is read (a failing image
    # no longer pays for reading other text). Measured on the specimens and the seed 7
    # hard tier: first groups that were printed text 0.61-0.79 (the MRZ came second);
    # groups read after the MRZ at most 0.86; the 112 exact reads 0.84-0.97, 103 >= 0.9.
    mrz_glyph_score: float = 0.9
    min_chain: int = 14  # glyphs in a chain to count as a text line
    min_glyph_score: float = 0.55  # mean best correlation below this: not OCR-B / not legible
    use_tesseract: bool = True
    # A read is valid only when a second engine (Tesseract on the same rectified lines)
    # agrees on every position no check digit covers (see ``confirm.py``). Turning this
    # off is for measurements only: without it, confident glyph errors in names pass.
    require_confirmation: bool = True
    # The network's scores are log-probabilities: a runner-up within this many nats of
    # the best is offered to the check-digit search, and in fields no check digit covers
    # a runner-up within ``net_unchecked_margin`` makes the read unproven.
    net_runner_up_margin: float = 3.0
    net_close_margin: float = 1.5  # second try when the wide runner-ups are ambiguous
    net_unchecked_margin: float = 1.1
    # The names prior (``name_grammar.NamePrior``), on names lines softer than
    # ``min_second_opinion_sharpness``: the weight of its trigram evidence against the
    # network's log-probabilities, and the clip of each trigram's evidence (nats). 0
    # turns it off. Chosen on seed 7's hard tier (weights 0.35 / 0.5 / 0.75 / 1.0:
    # 106 / 107 / 107 / 106 exact; clip 2 / 3 / 4: 107 each); seeds 202 and 303 held
    # out (benchmarks/NOTES-mrz.md, round 11, where the other variants are).
    name_prior_weight: float = 0.5
    name_prior_clip: float = 3.0
    # A read left unproven reports a names letter as the network's runner-up (within
    # ``net_runner_up_margin``) that Tesseract reads there, when Tesseract reads at least
    # this share of the names letters as the network does (seed 404: 15 of 17 and 14 of
    # 15; seed 7 hard_0036, where Tesseract read MACDOMALO<SSWILLTAN, 17 of 21). Hard
    # tiers of seeds 7/202/303/404: 107/101/98/97 exact -> 107/101/98/99, and seed 505,
    # measured only once this was chosen, 98 -> 99; with no such share, seed 7 lost
    # hard_0036 (WILLIAM -> WILLTAM).
    names_agreement_for_runner_ups: float = 0.85
    # A position no check digit covers is "settled" when the network's best character
    # leads its runner-up by this many nats and the template classifier reads the same
    # character. A read whose unchecked positions are all settled, that used no
    # runner-up, and whose every cell leads by ``net_checked_margin`` needs no second
    # engine; Tesseract reads only the lines that are not settled that way. Calibrated
    # on the tuning seeds 101 and 202 (16,500 cells): no wrong unchecked cell was
    # settled at 2.0 or above; 3.0 keeps a margin (benchmarks/NOTES-mrz.md).
    net_settled_margin: float = 3.0
    net_checked_margin: float = 1.1
    # Lines less crisp than this (``_stroke_sharpness``) settle nothing on their own.
    # Measured: every valid read of the normal tier (seed 202) >= 0.70; a blurred hard
    # line (seed 7) where both classifiers read E as F with a wide margin: 0.57.
    min_settle_sharpness: float = 0.65
    # Lines less crisp than this are read by the networks trained on heavy blur
    # (``glyphnet.py``: "soft", "soft-wide"). Seed 7 hard tier 56 -> 63 exact at 0.55,
    # from lines at 0.24-0.48; at 0.65 the first soft network misread the specimen
    # 25_pass-uto (lines at 0.63 and 0.64: ANNA -> QNNA). Round 8, with the pair retrained
    # on sheared glyphs: 0.65, the crispness below which no line settles anyway, reads
    # the specimens and normal tiers as 0.55 did and the hard tiers (seeds 7/202/303)
    # 96/93/90 -> 97/95/90 exact (seed 7 hard_0036: low resolution, mild blur, which the
    # sharp network misread in 17 cells); hard valid reads 10/14/11 -> 10/13/11.
    soft_network_below: float = 0.65
    # The pair of networks (``glyphnet.WEIGHTS_PATHS`` kinds: pitch-wide, 2.8 pitches
    # wide) that reads those soft lines: the pair fine-tuned on reader-cut lines of
    # generated photographs (``benchmarks/photo_tuning.py``, which harvests those lines
    # with the rendered-only pair, "soft" and "soft-wide").
    soft_networks: tuple[str, str] = ("soft-photo", "soft-wide-photo")
    # Below this crispness a failed read gets no Tesseract second opinion (the slowest
    # step of a failing image). Every specimen and normal-tier read measures >= 0.6.
    min_second_opinion_sharpness: float = 0.5
    # Below this crispness a read the checks prove is not sent to Tesseract for the
    # confirmation of its unchecked positions; it stays unproven. Hard tiers of seeds 7
    # and 202: the softest confirmed read measured 0.42, while 51 of the 129 exact reads
    # left unproven lay below 0.35 (each a Tesseract run of 0.2-0.6 s for nothing).
    min_confirm_sharpness: float = 0.35
    # A lattice moved by one cell that reads within this many nats of the chosen one
    # makes the line's placement uncertain; the other lines decide when one placement
    # lines up with them better by ``lattice_slip_alignment`` pitches, else the read
    # is not proven (an unchecked names line has no other defence against a slip).
    lattice_slip_margin: float = 3.0
    lattice_slip_alignment: float = 0.5
    # Lines whose first or last cells lie further apart than this (pitches, along the
    # lines) are not proven: a slip is about 1.0; exact reads measured at most 0.61
    # (hard tier, strong perspective; 99th percentile 0.51).
    max_line_misalignment: float = 0.8
    # Text tilted by more than this (degrees) is rotated level for the glyph chaining
    # (motion blur glues tilted glyphs into runs whose boxes are taller than a glyph).
    deskew_min_deg: float = 4.0
    # Lattice steps allowed around the fitted pitch, and the cost of a step that differs
    # from the previous step (nats per squared strip pixel).
    lattice_step_tolerance: float = 0.15
    lattice_step_cost: float = 0.1
    # When no MRZ-like group of glyph chains is found, the print is searched again with
    # this share of the image's contrast as the ink threshold (instead of
    # ``_PRINT_CONTRAST_SHARE``): a dark desk or a glare spot widens the image's contrast,
    # and a faint MRZ then falls under the usual threshold. Hard tiers, seeds 7/202/303:
    # 93/90/87 -> 95/93/90 exact at 0.1; with the 55 % overlap rule of ``_group_lines``
    # 96/93/90 at 0.1, against 96/91 (seeds 7/202) at 0.07 and 96/93 at 0.13.
    faint_contrast_share: float = 0.1
    # A country field is reported as the network reads it; the likeliest code on the
    # ICAO list stands in only when every cell it changes is a near tie (its letter within
    # this many nats of the cell's best): the list breaks ties between readings of the
    # same glyphs, never replaces a legible code (a German specimen's BDR read clearly,
    # D at -0.01 nats and L below -7, had become Belarus's BLR).
    country_tie_margin: float = 1.1


@dataclass(frozen=True)
class LineGeometry:
    """One MRZ line in input-image pixels: centre-line end points and character pitch."""

    start: tuple[float, float]  # centre of the first cell
    end: tuple[float, float]  # centre of the last cell
    pitch: float
    cap_height: float


@dataclass(frozen=True)
class MrzRead:
    """An MRZ reading plus where it was found."""

    result: MrzResult
    lines: tuple[LineGeometry, ...] = ()
    engine: str = "none"
    glyph_score: float = 0.0
    upside_down: bool = False
    corners: np.ndarray | None = field(default=None, repr=False)  # MRZ band TL,TR,BR,BL
    touches_border: bool = False  # the MRZ's ink reaches the edge of the frame
    # Crispness of the blurriest line (``_stroke_sharpness``); 0 when nothing was found.
    stroke_sharpness: float = 0.0

    @property
    def char_height_px(self) -> float:
        """Median cap height of the MRZ glyphs in input pixels (0 when not found)."""
        return float(np.median([g.cap_height for g in self.lines])) if self.lines else 0.0

    @property
    def angle_deg(self) -> float:
        """Direction of the MRZ lines (0 = left-to-right horizontal, image y down)."""
        if not self.lines:
            return 0.0
        g = self.lines[0]
        return math.degrees(math.atan2(g.end[1] - g.start[1], g.end[0] - g.start[0]))


# --------------------------------------------------------------------------- line finding


@dataclass
class _Chain:
    idx: list[int]
    cx: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cy: np.ndarray = field(default_factory=lambda: np.zeros(0))
    height: float = 0.0
    slope: float = 0.0
    intercept: float = 0.0
    left: float = 0.0
    right: float = 0.0
    pitch: float = 0.0


def _to_gray(image: np.ndarray) -> np.ndarray:
    if image.ndim == 3:
        return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return image


def _dark_print(gray: np.ndarray, *, min_offset: float, contrast_share: float) -> np.ndarray:
    """Binary mask of print darker than its neighbourhood by ``contrast_share`` of the
    image's contrast (at least ``min_offset`` grey levels)."""
    block = max(15, (min(gray.shape) // 30) | 1)
    low, high = np.percentile(gray[::4, ::4], (2, 98))
    offset = max(min_offset, contrast_share * float(high - low))
    return cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, block, offset
    )


# MRZ ink is the darkest print on the page: an offset proportional to the image's
# contrast keeps light guilloche patterns from gluing glyphs together.
_PRINT_CONTRAST_SHARE = 0.2


def _components(gray: np.ndarray, contrast_share: float = _PRINT_CONTRAST_SHARE) -> np.ndarray:
    """Stats (x, y, w, h, area) of dark blobs that could be glyphs or glyph runs, darker
    than their neighbourhood by ``contrast_share`` of the image's contrast."""
    binary = _dark_print(gray, min_offset=12.0, contrast_share=contrast_share)
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    stats = stats[1:]
    w, h, area = stats[:, 2], stats[:, 3], stats[:, 4]
    keep = (h >= 6) & (h <= 150) & (w >= 2) & (w <= 30 * h) & (area >= 0.08 * w * h)
    keep &= (w <= 1.6 * h) | (area <= 0.75 * w * h)  # wide blobs only as merged glyph runs
    return stats[keep].astype(np.float64)


def _chains(stats: np.ndarray, min_chain: int) -> list[_Chain]:
    """Link each blob to its nearest right-hand neighbour of similar height on its line."""
    n = len(stats)
    if n == 0:
        return []
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    cy = y + h / 2
    right = x + w
    order = np.argsort(x)
    xs = x[order]
    nxt = np.full(n, -1)
    best_gap = np.full(n, np.inf)
    for i in range(n):
        lo = np.searchsorted(xs, right[i] - 0.35 * h[i])
        hi = np.searchsorted(xs, right[i] + 1.1 * h[i])
        if hi <= lo:
            continue
        cand = order[lo:hi]
        cand = cand[cand != i]
        if cand.size == 0:
            continue
        ok = (np.abs(cy[cand] - cy[i]) < 0.45 * h[i]) & (h[cand] > 0.65 * h[i])
        ok &= h[cand] < 1.55 * h[i]
        ok &= x[cand] > x[i] + 0.3 * w[i]
        cand = cand[ok]
        if cand.size == 0:
            continue
        gaps = x[cand] - right[i] + 0.5 * np.abs(cy[cand] - cy[i])
        j = int(cand[np.argmin(gaps)])
        gap = float(gaps.min())
        if gap < best_gap[j]:  # keep only the closest predecessor of j
            if best_gap[j] < np.inf:
                for k in np.nonzero(nxt == j)[0]:
                    nxt[k] = -1
            best_gap[j] = gap
            nxt[i] = j
    has_prev = np.zeros(n, bool)
    has_prev[nxt[nxt >= 0]] = True
    chains: list[_Chain] = []
    for head in np.nonzero(~has_prev)[0]:
        idx = [int(head)]
        while nxt[idx[-1]] >= 0 and len(idx) < 400:
            idx.append(int(nxt[idx[-1]]))
        if len(idx) < 5:  # pieces shorter than this are not worth merging
            continue
        chain = _finish_chain(stats, _trim_chain(stats, idx))
        if chain is not None:
            chains.append(chain)
    return _merge_collinear(stats, chains, min_chain)


def _trim_chain(stats: np.ndarray, idx: list[int]) -> list[int]:
    """Drop end blobs that are not like the chain's glyphs (frame lines, stray marks)."""
    h = stats[:, 3]
    med = float(np.median(h[idx]))
    while len(idx) > 2 and not 0.6 * med <= h[idx[0]] <= 1.45 * med:
        idx = idx[1:]
    while len(idx) > 2 and not 0.6 * med <= h[idx[-1]] <= 1.45 * med:
        idx = idx[:-1]
    return idx


def _finish_chain(stats: np.ndarray, idx: list[int]) -> _Chain | None:
    x, y, w, h = stats[:, 0], stats[:, 1], stats[:, 2], stats[:, 3]
    sel = np.asarray(idx)
    chain = _Chain(idx=list(idx))
    chain.cx, chain.cy = x[sel] + w[sel] / 2, y[sel] + h[sel] / 2
    chain.height = float(np.median(h[sel]))
    if len(idx) >= 2 and np.ptp(chain.cx) > 0:
        chain.slope, chain.intercept = (float(v) for v in np.polyfit(chain.cx, chain.cy, 1))
    else:
        chain.intercept = float(chain.cy[0])
    if abs(chain.slope) > 0.6:
        return None
    chain.left, chain.right = float(x[sel].min()), float((x[sel] + w[sel]).max())
    single = sel[w[sel] <= 1.3 * h[sel]]
    chain.pitch = chain.height
    if single.size >= 4:
        steps = np.diff(np.sort(x[single] + w[single] / 2))
        steps = steps[steps < 1.8 * chain.height]
        if steps.size:
            chain.pitch = float(np.median(steps))
    return chain


def _same_pitch(a: _Chain, b: _Chain) -> bool:
    """Chains ``a`` and ``b`` have one glyph pitch (within about 13 %)."""
    return 0.87 < b.pitch / max(a.pitch, 1e-6) < 1.15


def _scaled_alike(a: _Chain, b: _Chain) -> bool:
    """Chains ``a`` and ``b`` could be one typeface seen at two distances: perspective
    scales pitch and glyph height together, so pitch / height stays within about 20 %
    (the pitch of a short piece is noisy: seed 7 hard_0085 measured 0.86)."""
    heights = b.height / max(a.height, 1e-6)
    shape = (b.pitch / max(b.height, 1e-6)) / max(a.pitch / max(a.height, 1e-6), 1e-6)
    return 0.6 < heights < 1.66 and 0.8 < shape < 1.25


def _merge_gap(a: _Chain, b: _Chain) -> float:
    """How wide a gap (in glyph heights) may split one line into chains ``a`` and ``b``:
    3 in general. Between two long pieces: 18 when they look like one typeface, at one
    scale or at two (a glare spot across a slanted line hid 13 glyphs, 16 heights, seed 7
    hard_0085); 12 when only the pitch agrees (blur thinned one piece's glyphs; a
    guilloche hid ten glyphs of a line, seed 7 hard_0059)."""
    if min(len(a.idx), len(b.idx)) < 8:
        return 3.0
    if _scaled_alike(a, b):
        return 18.0
    return 12.0 if _same_pitch(a, b) else 3.0


def _merge_collinear(stats: np.ndarray, chains: list[_Chain], min_chain: int) -> list[_Chain]:
    """Join pieces of one text line that a glare spot or a touching glyph split apart."""
    chains = sorted(chains, key=lambda c: c.left)
    merged = True
    while merged:
        merged = False
        for a in chains:
            for b in chains:
                if a is b or b.left < a.right - 0.5 * a.height:
                    continue
                height = (a.height + b.height) / 2
                if not (0.7 < b.height / a.height < 1.4 or _similar_glyphs(a, b)):
                    continue
                if b.left - a.right > _merge_gap(a, b) * height:
                    continue
                if abs(a.slope - b.slope) > 0.05:
                    continue
                y_a = a.slope * b.left + a.intercept
                y_b = b.slope * b.left + b.intercept
                if abs(y_a - y_b) > 0.35 * height:
                    continue
                joined = _finish_chain(stats, a.idx + b.idx)
                if joined is None:
                    continue
                chains = [c for c in chains if c is not a and c is not b] + [joined]
                merged = True
                break
            if merged:
                break
    w, h = stats[:, 2], stats[:, 3]
    return [
        c
        for c in chains
        if sum(max(1, round(w[k] / max(h[k] * 0.8, 1))) for k in c.idx) >= min_chain
    ]


def _line_blob_chains(gray: np.ndarray, min_length: float) -> list[_Chain]:
    """Text lines as whole blobs, for captures too blurred for glyph components.

    Motion blur along a line glues its glyphs into a few long blobs, which the glyph
    chaining drops. Here the dark print is closed along the text direction into one blob
    per line, and each long, thin blob becomes a line with its own angle (``minAreaRect``);
    the reader then rectifies and reads it like any other line.
    """
    binary = _dark_print(gray, min_offset=8.0, contrast_share=0.12)
    # The closing must bridge the gap between glyphs (about half a glyph height) but not
    # the gap between lines: size it from the typical height of glyph-sized blobs.
    _, _, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=8)
    heights = stats[1:, 3][(stats[1:, 3] >= 6) & (stats[1:, 3] <= 80) & (stats[1:, 4] >= 20)]
    glyph = float(np.median(heights)) if heights.size else 12.0
    kernel = cv2.getStructuringElement(
        cv2.MORPH_ELLIPSE, (max(3, round(glyph * 1.2)) | 1, max(3, round(glyph * 0.35)) | 1)
    )
    binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, kernel)
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    chains: list[_Chain] = []
    for contour in contours:
        if len(contour) < 5:
            continue
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        length, thickness = (w, h) if w >= h else (h, w)
        if w < h:
            angle += 90.0
        angle = (angle + 90.0) % 180.0 - 90.0
        if length < min_length or thickness < 5 or length < 8 * thickness:
            continue
        if abs(angle) > 30 or cv2.contourArea(contour) < 0.5 * length * thickness:
            continue
        slope = math.tan(math.radians(angle))
        half = length / 2 * math.cos(math.radians(angle))
        height = 0.85 * thickness  # a blurred line is thicker than its capitals
        chains.append(
            _Chain(
                idx=[],
                height=height,
                slope=slope,
                intercept=cy - slope * cx,
                left=cx - half,
                right=cx + half,
                pitch=height * 1.08,  # OCR-B: 2.54 mm pitch, 2.35 mm capitals
            )
        )
    return chains


def _similar_glyphs(a: _Chain, b: _Chain) -> bool:
    """Two chains of one typeface and size: similar glyph heights, or (blur makes the
    thresholded heights unreliable) the same pitch and heights not far apart."""
    heights = b.height / a.height
    if 0.75 < heights < 1.33:
        return True
    return 0.6 < heights < 1.66 and _same_pitch(a, b)


def _group_lines(chains: list[_Chain]) -> list[list[_Chain]]:
    """Candidate MRZs: 2 or 3 parallel chains, evenly spaced, of similar extent."""
    if not chains:
        return []
    # Position of each chain across the text direction (at the mean x of all chains).
    mid_x = float(np.mean([(c.left + c.right) / 2 for c in chains]))
    chains = sorted(chains, key=lambda c: c.slope * mid_x + c.intercept)
    groups: list[list[_Chain]] = []
    for i, first in enumerate(chains):
        group = [first]
        for other in chains[i + 1 :]:
            last = group[-1]
            height = (last.height + other.height) / 2
            x_ref = (last.left + last.right) / 2
            gap = (other.slope * x_ref + other.intercept) - (last.slope * x_ref + last.intercept)
            gap *= math.cos(math.atan(last.slope))  # across the lines, not down the image
            if gap < 0.9 * height:
                continue  # same line (a broken chain) or overlapping
            # Heavy blur shrinks the thresholded glyphs (a glyph's blob measured 0.7 of
            # its pitch, seed 7 hard_0038) but not the pitch: the spacing is measured in
            # whichever is larger.
            size = max(height, 0.9 * (last.pitch + other.pitch) / 2)
            if gap > 3.5 * size:  # measured up to 3.0 heights (TD3, seed 7 hard_0063)
                break
            if abs(math.atan(other.slope) - math.atan(last.slope)) > math.radians(4):
                continue
            if not _similar_glyphs(last, other):
                continue
            length = max(last.right - last.left, other.right - other.left)
            overlap = min(last.right, other.right) - max(last.left, other.left)
            # MRZ lines start and end together: a line whose chaining stopped early or
            # started late (glare over a name, glued glyphs) still shares an end with
            # its neighbour. (Line blobs: the start only. Their ends are less telling;
            # sharing the end grouped a stray blob first on seed 7 hard_0096.)
            shared = abs(last.left - other.left)
            if last.idx and other.idx:
                shared = min(shared, abs(last.right - other.right))
            needed = 0.4 if shared < 1.5 * height else 0.7
            if min(len(last.idx), len(other.idx)) >= 20 and _same_pitch(last, other):
                # Two long lines of one pitch, each cut short at a different end (seed 7
                # hard_0062: a dark corner over one's start, faint fillers ending the
                # other; 61 % overlap).
                needed = min(needed, 0.55)
            if overlap < needed * length:
                continue
            group.append(other)
            if len(group) == 3:
                break
        if len(group) >= 2:
            groups.append(group)
            if len(group) == 3:
                groups.append(group[1:])
                groups.append(group[:2])
    return groups


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


_SHIFTS = (-0.1, 0.0, 0.1)  # sample offsets tried, in pitches


def _cell_features(ink: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Features (n_shifts, n_cells, dim) of each cell at a few small horizontal offsets:
    ``to_feature`` of each window."""
    y0, y1 = _band(ink)
    pad = int(_RECT_PITCH)
    padded = np.pad(ink[y0:y1], ((0, 0), (pad, pad))).astype(np.float32)
    pitch = float(np.median(np.diff(centres))) if len(centres) > 1 else _RECT_PITCH
    width = max(round(pitch), 1)
    offsets = np.array([[shift * pitch - pitch / 2] for shift in _SHIFTS])  # (shifts, 1)
    # A cell beyond the strip (a lattice moved by one cell at the strip's edge) reads as
    # the blank border rather than failing.
    starts = np.round(centres[None, :] + offsets).astype(int) + pad
    starts = np.clip(starts, 0, padded.shape[1] - width).reshape(-1)
    out_rows, out_cols = FEATURE_SHAPE
    if width < out_cols or padded.shape[0] < out_rows:
        # OpenCV enlarges by another rule than area resampling: resize each window.
        feats = np.stack([to_feature(padded[:, x0 : x0 + width]) for x0 in starts])
    else:
        feats = _area_features(padded, starts, width, FEATURE_SHAPE)  # seven times faster
    return feats.reshape(len(_SHIFTS), len(centres), FEATURE_DIM).astype(np.float32, copy=False)


def _area_features(
    band: np.ndarray, starts: np.ndarray, width: int, shape: tuple[int, int]
) -> np.ndarray:
    """``to_feature`` (to ``shape``) of the windows ``band[:, x : x + width]`` for every x in
    ``starts``, as (len(starts), rows * cols). Area resampling is separable: one matrix
    product per axis for all windows replaces a resize per window. (Where OpenCV enlarges,
    a window narrower than ``shape``, it resizes by another rule.)"""
    rows = _area_matrix(band.shape[0], shape[0]).T  # (feature rows, band rows)
    cols = _area_matrix(width, shape[1])  # (width, feature cols)
    squeezed = rows @ band  # (feature rows, band width)
    windows = np.lib.stride_tricks.sliding_window_view(squeezed, width, axis=1)
    # (windows, feature rows, width) @ (width, feature cols) as one matrix product:
    # three times faster than the equivalent einsum for the wide windows.
    gathered = np.ascontiguousarray(windows[:, starts, :].transpose(1, 0, 2))
    feats = (gathered.reshape(-1, width) @ cols).reshape(len(starts), shape[0] * shape[1])
    feats -= feats.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(feats, axis=1, keepdims=True)
    feats /= np.where(norms > 1e-6, norms, 1.0)
    return feats


@functools.lru_cache(maxsize=64)
def _area_matrix(n_in: int, n_out: int) -> np.ndarray:
    """(n_in, n_out) matrix of OpenCV's area resampling of a length-n_in signal."""
    eye = np.eye(n_in, dtype=np.float32)
    return cv2.resize(eye, (n_out, n_in), interpolation=cv2.INTER_AREA)


def _net_table(
    ink: np.ndarray, pitch: float, net: GlyphNet | None = None, stride: int = 1
) -> np.ndarray:
    """``net``'s (default: the sharp network's) log-probabilities for a window centred at
    every strip column; with ``stride`` > 1 the network reads every stride-th column and
    the probabilities between are interpolated.

    Equivalent to ``to_feature`` on each window (area resampling is separable, so one
    matrix product per axis replaces a resize per window), about ten times faster.
    """
    net = net or load_glyphnet()
    y0, y1 = _band(ink)
    width = max(round(pitch * net.context), 4)
    pad = width
    band = np.pad(ink[y0:y1], ((0, 0), (pad, pad))).astype(np.float32)
    n_cols = ink.shape[1]
    read = np.arange(0, n_cols, stride)
    starts = read + (pad - math.floor(pitch * net.context / 2 + 0.5))
    table = net.log_probs(_area_features(band, starts, width, net.feature_shape))
    if stride == 1:
        return table
    columns = np.arange(n_cols)
    left = np.minimum(columns // stride, len(read) - 1)
    right = np.minimum(left + 1, len(read) - 1)
    share = ((columns - read[left]) / stride)[:, None]
    probs = np.exp(table)
    mixed = (1 - share) * probs[left] + share * probs[right]
    return np.log(np.maximum(mixed, 1e-12)).astype(np.float32)


def _glyphness(table: np.ndarray) -> np.ndarray:
    """Per column, the log-probability of the most likely character (floored at -12): a
    gap scores low, and so does a stray mark, which no character explains well."""
    return np.maximum(table[:, :GAP].max(axis=1), -12.0).astype(np.float32)


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


def _net_scores(table: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Per-cell log-probabilities over MRZ_CHARSET: mean probability over +-1 column."""
    n_cols = table.shape[0]
    cols = np.clip(centres.astype(int)[:, None] + np.arange(-1, 2)[None, :], 0, n_cols - 1)
    probs = np.exp(table[cols][:, :, :GAP]).mean(axis=1)
    return np.log(np.maximum(probs, 1e-9))


def _classify_cells(feats: np.ndarray) -> np.ndarray:
    """Per-cell class scores, best over the sample offsets."""
    n_shifts, n_cells, dim = feats.shape
    scores = classify(feats.reshape(-1, dim), load_templates())
    return scores.reshape(n_shifts, n_cells, -1).max(axis=0)


# Look-alike pairs whose check-digit values are equal modulo 10: a check digit cannot
# tell them apart, so they are offered as runner-ups with a wider margin.
_INVISIBLE_PAIRS = {("S", "8"), ("8", "S"), ("G", "6"), ("6", "G"), ("U", "0"), ("0", "U"),
                    ("K", "<"), ("<", "K")}  # fmt: skip


def _allowed_classes(kind: str) -> list[int]:
    """Class indices a position of type-mask ``kind`` may hold (fillers everywhere)."""
    if kind == "A":
        return [*_LETTERS, _FILLER]
    if kind in ("N", "C"):
        return [*_DIGITS, _FILLER]
    return list(range(len(MRZ_CHARSET)))


def _alternatives(scores: np.ndarray, masks: Sequence[str], margin: float) -> list[str]:
    """Per position: best class allowed by the type mask, then near-tied runner-ups."""
    out: list[str] = []
    for pos, row in enumerate(scores):
        ranked = sorted(_allowed_classes(masks[pos]), key=lambda c: -row[c])
        best = row[ranked[0]]
        chars = [MRZ_CHARSET[ranked[0]]]
        for c in ranked[1:4]:
            wide = (chars[0], MRZ_CHARSET[c]) in _INVISIBLE_PAIRS
            if best - row[c] < (1.5 * margin if wide else margin):
                chars.append(MRZ_CHARSET[c])
        out.append("".join(chars))
    return out


_CONTINUATION_CELLS = 30  # cells searched beyond each end of a chain (``_line_continues``)
_CONTINUATION_SHARE = 0.25  # ... with this share of the median contrast of the chain's cells


def _line_continues(work: np.ndarray, chain: _Chain) -> tuple[int, int]:
    """Cells of ink that continue a glyph chain's line beyond its (left, right) ends.

    Every cell of an MRZ line holds a glyph, but under blur the filler chevrons are faint
    and small and the chaining often stops at a run of them: a 44-cell line chained to
    its first 29 glyphs looks like a TD1 line. Along the chain's line, at its measured
    pitch, each further cell counts while its darkest band pixel stands out from the
    paper just above and below by ``_CONTINUATION_SHARE`` of the chain's own cells.
    """
    pitch = max(chain.pitch, 2.0)
    direction, origin = _line_fit(chain)
    normal = np.array([-direction[1], direction[0]])
    per_cell = 8  # strip px per cell: enough for a profile, cheap
    k = per_cell / pitch
    span = (chain.right - chain.left) * direction[0]
    n_chain = max(round(span / pitch + 0.32), 1)  # ink spans about pitch * (n - 0.32)
    width_work = (n_chain + 2 * _CONTINUATION_CELLS) * pitch
    height_work = 2.4 * chain.height
    start = origin - (0.16 + _CONTINUATION_CELLS) * pitch * direction  # on cell bounds
    base = start - (height_work / 2) * normal
    out_w, out_h = max(round(width_work * k), 8), max(round(height_work * k), 6)
    src = np.array([base, base + direction * width_work, base + normal * height_work], np.float32)
    dst = np.array([[0, 0], [out_w, 0], [0, out_h]], np.float32)
    strip = cv2.warpAffine(
        work, cv2.getAffineTransform(src, dst), (out_w, out_h),
        flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE,
    ).astype(np.float32)  # fmt: skip
    quarter = max(out_h // 5, 1)
    paper = np.median(np.concatenate([strip[:quarter], strip[-quarter:]]), axis=0)
    band = strip[round(out_h * 0.3) : round(out_h * 0.7)].min(axis=0)
    contrast = np.maximum(paper - band, 0.0)
    # The middle half of each cell: a blurred neighbour spills into a cell's edges.
    slots = contrast[: (len(contrast) // per_cell) * per_cell].reshape(-1, per_cell)
    cells = slots[:, per_cell // 4 : per_cell - per_cell // 4].max(axis=1)
    first = _CONTINUATION_CELLS
    own = cells[first : first + n_chain]
    if own.size == 0 or float(np.median(own)) <= 1.0:
        return 0, 0  # no contrast to measure against
    threshold = _CONTINUATION_SHARE * float(np.median(own))
    left = 0
    while first - left - 1 >= 0 and cells[first - left - 1] >= threshold:
        left += 1
    right = 0
    while first + n_chain + right < len(cells) and cells[first + n_chain + right] >= threshold:
        right += 1
    return left, right


_MIN_CONTINUATION = 5  # cells: shorter continuations are left to the lattice's margins


def _continued_group(work: np.ndarray, group: list[_Chain]) -> list[_Chain]:
    """A group whose chains (each with a measured pitch) stopped well short of their
    lines' ends, given the extent the ink along the lines shows (``_line_continues``);
    else unchanged.
    Continuations of fewer than ``_MIN_CONTINUATION`` cells are blur spilling past the
    last glyph as often as a real cell, and the lattice's margins cover them."""
    left, right = min(c.left for c in group), max(c.right for c in group)
    continued = False
    for chain in group:
        before, after = _line_continues(work, chain)
        if before + after >= _MIN_CONTINUATION:
            left = min(left, chain.left - before * chain.pitch)
            right = max(right, chain.right + after * chain.pitch)
            continued = True
    return [replace(c, left=left, right=right) for c in group] if continued else group


def _blob_pitches(gray: np.ndarray, scale: float, group: list[_Chain]) -> list[_Chain] | None:
    """Line blobs given the pitch of their ink's period, so that they can be continued
    like glyph chains (a blob cut short by faint fillers holds fewer cells than a line,
    so any count from 14 up is allowed here); None when a blob shows no clear period."""
    out = []
    for chain in group:
        cells = _periodic_cells(gray, chain, scale, (14, 47))
        if not cells:
            return None
        out.append(replace(chain, pitch=(chain.right - chain.left) / (cells - 0.32)))
    return out


def _candidate_groups(
    work: np.ndarray,
    gray: np.ndarray,
    scale: float,
    group: list[_Chain],
    guess_third: bool = True,
) -> list[list[_Chain]]:
    """The groups to read for one found group: itself, its lines continued where the
    chaining stopped short (``_continued_group``); for two lines of a TD1's 30 cells, the
    TD1 with a third line one line spacing above, then one below (the chaining lost it:
    glare over a name, glued glyphs), where the guessed line lies inside the image."""
    if all(c.idx for c in group):
        group = _continued_group(work, group)
    else:
        pitched = _blob_pitches(gray, scale, group)
        group = group if pitched is None else _continued_group(work, pitched)
    if not guess_third or len(group) != 2 or _cells_for(group, gray, scale):
        return [group]
    first, second = group
    x_mid = (first.left + first.right) / 2
    spacing = (second.slope * x_mid + second.intercept) - (first.slope * x_mid + first.intercept)
    above = replace(first, intercept=first.intercept - spacing, idx=[])
    below = replace(second, intercept=second.intercept + spacing, idx=[])
    height = work.shape[0]
    out = []
    for triple, new in (([above, first, second], above), ([first, second, below], below)):
        if 0 <= new.slope * x_mid + new.intercept < height:
            out.append(triple)
    return out


# ICAO 9303: the first letter of the document code, by the lines' shape: TD1 A, C or I;
# 36-cell lines TD2 (A, C, I, P) or MRV-B (V); 44-cell lines TD3 (P) or MRV-A (V).
_DOCUMENT_LETTERS = {30: "ACI", 36: "ACIPV", 44: "PV"}


def _document_code_first(scores: np.ndarray, n_lines: int, n_cells: int) -> np.ndarray:
    """The first line's scores with its first cell limited to the document-code letters
    that a document of this shape can start with (a blurred V reads as U, a P as D)."""
    letters = _DOCUMENT_LETTERS.get(30 if n_lines == 3 else n_cells)
    if letters is None or not len(scores):
        return scores
    out = scores.copy()
    barred = [i for i, char in enumerate(MRZ_CHARSET) if char not in letters]
    out[0, barred] = np.minimum(out[0, barred], -30.0)
    return out


def _format_for(n_lines: int, cells: int, first_char: str) -> str:
    if n_lines == 3:
        return "TD1"
    if first_char == "V":
        return "MRVA" if cells == 44 else "MRVB"
    return "TD3" if cells == 44 else "TD2"


def _cells_for(group: list[_Chain], gray: np.ndarray, scale: float) -> list[int]:
    """Plausible cells per line, nearest first: from extent / glyph pitch, or for line
    blobs (no glyphs to measure) from the period of the ink along the line."""
    if len(group) == 3:
        return [30]
    if all(c.idx for c in group):
        extents = [c.right - c.left for c in group]
        # the longest line: a chain cut short (glare over a name) holds fewer cells
        estimate = float(max(extents)) / float(np.median([c.pitch for c in group])) + 0.32
    else:
        # the longest blob: a blob cut short (glare, a gap) holds fewer cells
        estimate = _periodic_cells(
            gray, max(group, key=lambda c: c.right - c.left), scale, (27, 47)
        )
    if len(group) == 2 and abs(estimate - 30) <= 2.0:
        # Two lines of a TD1 (30 cells; the 3-line group is read separately): reading
        # them at 36 or 44 cells cannot succeed and was the slowest part of failing TD1
        # reads (seed 7 hard: two-process median 1072 -> 759 ms, one more exact read).
        return []
    # On whole MRZ lines the estimate lies within 2 cells of the truth (seed 7: 42.9-46.0
    # for 44, 33.5-37.5 for 36). A line that ran on into other print, or one cut short,
    # misleads it: the other count is read too when the nearer does not read, and is
    # taken only when more check digits pass there (``_read_placement``).
    return sorted((36, 44), key=lambda n: abs(n - estimate))


def _checks_passed(result: MrzResult) -> int:
    """How many of the read's check digits pass (of the groups ``check_digit_groups``
    names for its format)."""
    if result.format not in FORMAT_LINES:
        return 0
    groups = check_digit_groups(result.format, result.lines)
    return sum(bool(result.checks.get(name)) for name in groups)


def _every_check_passes(result: MrzResult) -> bool:
    """Whether the read has a known format and every one of its check digits passes."""
    if result.format not in FORMAT_LINES:
        return False
    return all(result.checks.get(name) for name in check_digit_groups(result.format, result.lines))


def _on_line_read(line: _Chain, lines_read: Sequence[_Chain]) -> bool:
    """Whether ``line`` is one of ``lines_read`` again: its ends within a line height of
    that line's, and its centre line within a quarter height of it at both ends."""
    for other in lines_read:
        size = max(line.height, other.height)
        if abs(line.left - other.left) > size or abs(line.right - other.right) > size:
            continue
        ends = np.array([line.left, line.right])
        apart = np.abs((line.slope - other.slope) * ends + line.intercept - other.intercept)
        if float(apart.max()) < 0.25 * size:
            return True
    return False


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


def _tesseract_lines(strips: Sequence[np.ndarray]) -> list[str] | None:
    """Tesseract's reading (``--psm 7``, MRZ whitelist) of each rectified line, upscaled
    1.4x and Otsu-binarised; None when Tesseract is missing or fails."""
    images = []
    for strip in strips:
        big = cv2.resize(strip, None, fx=1.4, fy=1.4, interpolation=cv2.INTER_CUBIC)
        _, binary = cv2.threshold(big, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
        binary = cv2.copyMakeBorder(binary, 20, 20, 20, 20, cv2.BORDER_CONSTANT, value=255)
        ok, png = cv2.imencode(".png", binary)
        if not ok:
            return None
        images.append(png.tobytes())
    return shared_line_reader().read(images)


def _merge_alternatives(glyph: list[str], other: str) -> list[str]:
    """Add another engine's characters as runner-ups (only when lengths agree)."""
    if len(other) != len(glyph):
        return glyph
    merged = []
    for alts, char in zip(glyph, other, strict=True):
        merged.append(alts if char in alts else alts + char)
    return merged


@dataclass(frozen=True)
class _Certainty:
    """How sure the reader's own classifiers are of a read (see ``_certainty``)."""

    settled: frozenset[tuple[int, int]] = frozenset()
    clear_lines: frozenset[int] = frozenset()  # lines the classifiers settle entirely
    self_confirmed: bool = False
    # Checked positions the classifiers are unsure of (they disagree, or the network's
    # lead is under ``net_checked_margin``): two of them in one check group can be two
    # errors that compensate, so the second engine must read them the same.
    doubtful: frozenset[tuple[int, int]] = frozenset()


_Attempt = tuple[MrzRead, list[np.ndarray], list[list[str]], list[list[str]], _Certainty]


def _top_and_margin(scores: np.ndarray, mask: str) -> tuple[str, np.ndarray]:
    """Best character allowed by the type mask per cell, and its lead over the next."""
    chars, margins = [], np.zeros(len(scores))
    for pos, row in enumerate(scores):
        allowed = _allowed_classes(mask[pos])
        values = row[allowed]
        order = np.argsort(-values)
        chars.append(MRZ_CHARSET[allowed[int(order[0])]])
        margins[pos] = float(values[order[0]] - values[order[1]])
    return "".join(chars), margins


def _stroke_sharpness(strip: np.ndarray) -> float:
    """How crisp a rectified line's strokes are: the 99th percentile of the gradient of
    its ink (0..1 per strip pixel, 24 px per cell), normalised with one paper and ink
    level for the whole strip, as the thresholds were calibrated. Blur and low resolution
    (upsampled into the strip) both lower it."""
    ink = _strip_ink(strip)
    gx = cv2.Sobel(ink.astype(np.float32), cv2.CV_32F, 1, 0, ksize=3) / 4.0
    gy = cv2.Sobel(ink.astype(np.float32), cv2.CV_32F, 0, 1, ksize=3) / 4.0
    return float(np.percentile(np.hypot(gx, gy), 99))


def _certainty(
    result: MrzResult,
    net_scores: Sequence[np.ndarray],
    template_scores: Sequence[np.ndarray],
    masks: Sequence[str],
    params: OcrParams,
    sharpness: Sequence[float] | None = None,
) -> _Certainty:
    """Unchecked positions the two classifiers settle, and whether the read needs no
    second engine at all (every cell is the network's clear first choice).

    Only crisp lines (``sharpness`` >= ``params.min_settle_sharpness``) settle anything:
    under blur both classifiers can agree confidently on the same wrong letter (E read
    F when motion blur erases its lower bar), so a blurred line always needs Tesseract.
    """
    fmt = result.format or ""
    if not result.valid or fmt not in FORMAT_LINES or len(result.lines) != len(net_scores):
        return _Certainty()
    crisp = (
        [True] * len(net_scores)
        if sharpness is None
        else [value >= params.min_settle_sharpness for value in sharpness]
    )
    settled: set[tuple[int, int]] = set()
    doubtful: set[tuple[int, int]] = set()
    clear_lines: set[int] = set()
    unchecked = unchecked_positions(fmt)
    for index, (line, net, tmpl, mask) in enumerate(
        zip(result.lines, net_scores, template_scores, masks, strict=True)
    ):
        if len(line) != len(net):
            return _Certainty()
        net_top, margins = _top_and_margin(net, mask)
        template_top, _ = _top_and_margin(tmpl, mask)
        line_clear = True
        for pos, char in enumerate(line):
            # Clear: both classifiers read the network's first choice, by a margin. Two
            # confident errors in one check group can compensate (0->I and 0->O in a
            # document number move the sum by 150): a second classifier must agree.
            clear = (
                char == net_top[pos] == template_top[pos]
                and margins[pos] >= params.net_checked_margin
            )
            if (index, pos) in unchecked:
                if (
                    crisp[index]
                    and char == net_top[pos] == template_top[pos]
                    and margins[pos] >= params.net_settled_margin
                ):
                    settled.add((index, pos))
                else:
                    clear = False
            elif not clear:
                doubtful.add((index, pos))
            line_clear = line_clear and clear
        if line_clear and crisp[index]:
            clear_lines.add(index)
    return _Certainty(
        settled=frozenset(settled),
        clear_lines=frozenset(clear_lines),
        self_confirmed=len(clear_lines) == len(result.lines),
        doubtful=frozenset(doubtful),
    )


@dataclass(frozen=True)
class _Candidate:
    """One candidate MRZ (its chains) and what reading it needs."""

    gray: np.ndarray  # the input image, grey, full resolution
    group: list[_Chain]  # in work-image pixels
    scale: float  # work-image pixels per input pixel
    today: date
    params: OcrParams


@dataclass(frozen=True)
class _Placement:
    """One placement of the cell lattice on the candidate's rectified lines."""

    strips: list[_LineStrip]
    inks: list[np.ndarray]
    sharpness: list[float]  # per line (``_stroke_sharpness``)
    tables: list[np.ndarray]  # the network's scores along each strip (``_net_table``)
    centres: list[np.ndarray]  # cell centres per line, strip pixels
    n_cells: int
    upside_down: bool
    slipped: bool  # a line's lattice could sit one cell off (``_resolve_slips``)


_WIDE_STRIDE = 2
# A read more OCR-B-like than this (``glyph_score``) is taken to be of the MRZ: printed
# text read as an MRZ scored 0.61-0.79 on the specimens and seed 7's hard tier, the MRZ
# reads 0.84-0.97.
_LOOKS_LIKE_OCR_B = 0.8


def _cell_table(ink: np.ndarray, pitch: float, sharpness: float, params: OcrParams) -> np.ndarray:
    """Per strip column, the log-probabilities of a cell centred there.

    Lines at least ``soft_network_below`` crisp: the sharp network, which the settling
    rules were calibrated on. Softer lines (too soft to settle anything, their unchecked
    positions still need the second engine): the mean probability of the two networks
    trained on heavy blur, one seeing a pitch-wide window, one 2.8 pitches (seed 7 hard
    tier, round 6: 81 lines exact with either alone, 87 with the pair; the pair
    retrained on sheared glyphs in round 7: 91; on 20,000 lines instead of 9,000 in
    round 9: hard tiers of seeds 7/202/303 97/95/90 -> 102/96/93 exact).
    """
    if sharpness >= params.soft_network_below:
        return _net_table(ink, pitch, load_glyphnet("sharp"))
    narrow_kind, wide_kind = params.soft_networks
    narrow = _net_table(ink, pitch, load_glyphnet(narrow_kind))
    # A 67-px window moves little in 2 px: every other column is read, the rest
    # interpolated (half the time of the heaviest step of a soft line).
    wide = _net_table(ink, pitch, load_glyphnet(wide_kind), stride=_WIDE_STRIDE)
    return np.logaddexp(narrow, wide) - math.log(2.0)


def _read_group(
    gray: np.ndarray,
    group: list[_Chain],
    scale: float,
    today: date,
    params: OcrParams,
    either_way_up: bool = False,
) -> _Attempt | None:
    """Glyph-classifier read of one candidate MRZ: (read, line crops, rows, strict rows).
    Upright first, then turned half round unless the upright reading already looks like
    OCR-B (or in any case when ``either_way_up``)."""
    candidate = _Candidate(gray, group, scale, today, params)
    best: _Attempt | None = None
    # First each line's own extent; if that does not read, the group's common extent
    # (chains that stopped short, stray marks at a line's start).
    variants = [(group, False), (_common_extent(group), True)]
    counts = _cells_for(group, gray, scale)
    reads = list(itertools.product(variants, counts))
    # One line strip's network table, lattice and slipped alternative, by its content.
    lines_read: dict[
        tuple[object, ...], tuple[np.ndarray, np.ndarray, tuple[np.ndarray, float] | None]
    ] = {}
    # Lines the chaining stopped short of by more than the lattice's margins can cover
    # (glare over one end, fillers too faint to chain): read them as long as the glyphs'
    # pitch says a line of each count is, extended to the right, then to the left.
    for n_cells in counts:
        for side in (1, -1):
            extended = _extended_to_pitch(group, n_cells, side)
            if extended is not None:
                reads.append(((extended, True), n_cells))
    for (lines, common), n_cells in reads:
        if common and best is not None and best[0].result.valid:
            break
        strips = [_rectify(gray, chain, n_cells, scale) for chain in lines]
        for upside_down in (False, True):
            if best is not None and best[0].result.valid:
                break
            if (
                upside_down
                and not either_way_up
                and best is not None
                and best[0].glyph_score > _LOOKS_LIKE_OCR_B
            ):
                break  # the upright reading already looks like OCR-B
            if upside_down:
                strips = [_turn(s) for s in reversed(strips)]
            inks = [_ink(s.strip) for s in strips]
            centres = [_cell_centres(i[slice(*_band(i))].sum(axis=0), n_cells) for i in inks]
            tables: list[np.ndarray] = []
            slips = []
            sharpness = [_stroke_sharpness(s.strip) for s in strips]
            for k, ink in enumerate(inks):
                pitch = float(np.median(np.diff(centres[k])))
                # The variants often cut a line exactly as an earlier one did (a common
                # extent that is each line's own): read such a strip once.
                key = (hashlib.blake2b(ink.tobytes(), digest_size=16).digest(), ink.shape,
                       pitch, sharpness[k], n_cells)  # fmt: skip
                if key not in lines_read:
                    table = _cell_table(ink, pitch, sharpness[k], params)
                    placed = _lattice_by_net(table, n_cells, pitch, params)
                    line_centres = centres[k] if placed is None else placed
                    slip = _slip_alternative(table, line_centres, params)
                    lines_read[key] = (table, line_centres, slip)
                table, line_centres, slip = lines_read[key]
                centres[k] = line_centres.copy()
                tables.append(table)
                slips.append(slip)
            centres, slipped, together = _resolve_slips(strips, centres, slips, params)
            placements = [centres] if together is None else [centres, together]
            for placement_index, centres in enumerate(placements):
                if placement_index and best is not None and best[0].result.valid:
                    break
                placement = _Placement(
                    strips, inks, sharpness, tables, centres, n_cells, upside_down, slipped
                )
                fallback = common or placement_index > 0
                attempt = _read_placement(
                    candidate, placement, best, fallback, n_cells != counts[0]
                )
                if attempt is not None:
                    best = attempt
    return best


def _read_placement(
    candidate: _Candidate,
    placement: _Placement,
    best: _Attempt | None,
    fallback: bool,
    other_count: bool = False,
) -> _Attempt | None:
    """Read one placement of the cell lattice; None when it does not improve on ``best``:
    a placement that looks more like OCR-B (glyph score) replaces it, and a fallback that
    looks less like it only when it reads. A read at the cell count the lines' extent did
    not suggest (``other_count``) replaces it only when more of its check digits pass:
    at a pitch 20 % off, a misread can look more like OCR-B than a failed read of the
    right count, but its check digits fail. (Requiring every fallback to read was
    measured: seed 7 hard_0014 was then read exactly, seven others no longer were; hard
    tiers 97/95/90 -> 94/92/90.)"""
    gray, group, scale = candidate.gray, candidate.group, candidate.scale
    today, params = candidate.today, candidate.params
    strips, inks, tables, centres = (
        placement.strips, placement.inks, placement.tables, placement.centres
    )  # fmt: skip
    n_cells, upside_down, slipped = placement.n_cells, placement.upside_down, placement.slipped
    net_scores = [_net_scores(t, c) for t, c in zip(tables, centres, strict=True)]
    net_scores[0] = _document_code_first(net_scores[0], len(group), n_cells)
    # The template classifier: the glyph score (does this look like OCR-B at all?) and
    # the second opinion that lets a position settle without Tesseract.
    scores = [_classify_cells(_cell_features(i, c)) for i, c in zip(inks, centres, strict=True)]
    glyph_score = float(np.mean([s.max(axis=1).mean() for s in scores]))
    worse = best is not None and glyph_score <= best[0].glyph_score and not other_count
    if worse and not fallback:
        return None
    first_char = MRZ_CHARSET[int(net_scores[0][0].argmax())]
    fmt = _format_for(len(group), n_cells, first_char)
    masks = position_masks(fmt)
    decoded = _decoded_fields(
        net_scores,
        fmt,
        _name_prior(params, fmt, placement.sharpness),
        country_tie_margin=params.country_tie_margin,
    )

    def ranked(margin: float) -> list[list[str]]:
        """Per position, the alternatives within ``margin``, constrained fields decoded."""
        alts = [_alternatives(s, m, margin) for s, m in zip(net_scores, masks, strict=True)]
        return _decoded_first(alts, decoded)

    rows = ranked(params.net_runner_up_margin)
    strict_rows = ranked(params.net_unchecked_margin)
    result = parse_mrz_alternatives(
        rows, today=today, base_confidence=glyph_score, require_unique=True
    )
    if result.checks.get("unambiguous") is False:
        # Runner-ups of several cells pass the checks together. Offer only the
        # close ones: a check digit still has to prove any change, the read is
        # still confirmed below, and a remaining tie stays ambiguous.
        close_rows = ranked(params.net_close_margin)
        close = parse_mrz_alternatives(
            close_rows, today=today, base_confidence=glyph_score, require_unique=True
        )
        if close.valid:
            result, rows = close, close_rows
    if result.valid and (
        glyph_score < params.min_glyph_score or _unchecked_uncertain(strict_rows, fmt)
    ):
        result = _not_legible(result)
    if worse and not result.valid:
        return None  # a fallback that looks less like OCR-B replaces only when it reads
    if (
        other_count
        and best is not None
        and _checks_passed(result) <= _checks_passed(best[0].result)
    ):
        return None  # no more check digits pass at the other count
    line_geoms = [_geometry(s, c) for s, c in zip(strips, centres, strict=True)]
    if result.valid and slipped:
        result = _not_legible(result, "lattice_unique")
    if result.valid and _misalignment(line_geoms) > params.max_line_misalignment:
        # One line's lattice sits a cell off the others' and nothing flagged it.
        result = _not_legible(result, "lines_aligned")
    sharpness = placement.sharpness
    read = MrzRead(
        result=result,
        lines=tuple(line_geoms),
        engine="glyph",
        glyph_score=glyph_score,
        upside_down=upside_down,
        corners=_band_corners(line_geoms),
        touches_border=_touches_border(group, gray.shape, scale),
        stroke_sharpness=min(sharpness),
    )
    crops = [_cells_crop(s.strip, c) for s, c in zip(strips, centres, strict=True)]
    certainty = _certainty(result, net_scores, scores, masks, params, sharpness)
    return (read, crops, rows, strict_rows, certainty)


_NAME_CLASSES = [MRZ_CHARSET.index(char) for char in NAME_ALPHABET]
_SEX_CLASSES = [MRZ_CHARSET.index(char) for char in "MFX<"]
# Every code on the ICAO list as three cells of class indices ("D" is "D<<").
_COUNTRY_CELLS = np.array(
    [
        [MRZ_CHARSET.index(char) for char in code.ljust(3, "<")]
        for code in sorted(ICAO_COUNTRY_CODES)
    ]
)

_COUNTRY_CLASSES = np.array([*_LETTERS, _FILLER])  # what a country cell may hold
_Decoded = list[tuple[tuple[int, int], str]]  # (line, position) -> decoded character


def _name_prior(params: OcrParams, fmt: str, sharpness: Sequence[float]) -> NamePrior | None:
    """The names prior for a names line too soft for Tesseract's second opinion
    (``min_second_opinion_sharpness``); None for crisper lines, where Tesseract settles
    near ties better: on the REAL specimen 25_pass-uto (0.64) the prior preferred
    FRIKSSON to ERIKSSON, and every seed 7/202/303 hard read it corrected measured 0.46
    or less."""
    if params.name_prior_weight <= 0:
        return None
    line = name_positions(fmt)[0][0]
    if line >= len(sharpness) or sharpness[line] >= params.min_second_opinion_sharpness:
        return None
    return load_name_prior(params.name_prior_weight, params.name_prior_clip)


def _decoded_fields(
    net_scores: Sequence[np.ndarray],
    fmt: str,
    prior: NamePrior | None = None,
    *,
    country_tie_margin: float = 1.1,
) -> _Decoded:
    """The fields no check digit covers whose text is constrained, each decoded from the
    network's probabilities under its constraint: the names field under the ICAO name
    grammar and ``prior`` (``name_grammar.decode_name_field``; within the runner-up
    margin of 3 nats), the issuing-state and nationality fields as read (letters and
    fillers), or as the likeliest code on the ICAO list when each cell it changes is
    within ``country_tie_margin`` nats of the cell's best (a tie between readings of the
    same glyphs), and the sex as the likeliest of M, F, X and the filler (blur turns M
    into H). Empty when the lines do not have the format's shape."""
    names = name_positions(fmt)
    countries = country_positions(fmt)
    sex = sex_position(fmt)
    every = [*names, *(p for code_cells in countries for p in code_cells), sex]
    if any(line >= len(net_scores) or pos >= len(net_scores[line]) for line, pos in every):
        return []
    line = names[0][0]
    cells = net_scores[line][[pos for _, pos in names]][:, _NAME_CLASSES]
    cells = cells - np.logaddexp.reduce(cells, axis=1, keepdims=True)
    out = list(zip(names, decode_name_field(cells, prior), strict=True))
    cells3 = np.arange(3)
    for code_cells in countries:
        scores = np.stack([net_scores[li][pos] for li, pos in code_cells])  # (3, classes)
        read = _COUNTRY_CLASSES[np.argmax(scores[:, _COUNTRY_CLASSES], axis=1)]
        totals = scores[cells3[None, :], _COUNTRY_CELLS].sum(axis=1)
        listed = _COUNTRY_CELLS[int(np.argmax(totals))]
        tie = np.all(scores[cells3, read] - scores[cells3, listed] < country_tie_margin)
        code = "".join(MRZ_CHARSET[c] for c in (listed if tie else read))
        out.extend(zip(code_cells, code, strict=True))
    sex_scores = net_scores[sex[0]][sex[1]][_SEX_CLASSES]
    out.append((sex, MRZ_CHARSET[_SEX_CLASSES[int(np.argmax(sex_scores))]]))
    return out


def _decoded_first(rows: list[list[str]], decoded: _Decoded) -> list[list[str]]:
    """``rows`` with each decoded character first at its position; where it is not the
    network's first choice, that choice stays the runner-up (a near tie, so the read
    needs the second engine to settle it)."""
    for (line, pos), char in decoded:
        alts = rows[line][pos]
        if alts[0] != char:
            rows[line][pos] = char + alts[0] + alts[1:].replace(char, "")
    return rows


def _common_extent(group: list[_Chain]) -> list[_Chain]:
    """The lines of an MRZ start and end together: give every chain the group's extent.

    A chain can stop short of its line (a run of small filler chevrons the chaining did
    not link, a faint first glyph); its own extent would then set a wrong pitch for the
    whole line.
    """
    left = min(c.left for c in group)
    right = max(c.right for c in group)
    return [replace(c, left=left, right=right) for c in group]


# A line is extended to its pitch's length (``_extended_to_pitch``) only when that is
# this much longer than the chains' extent: on whole lines the extent lies within 2 cells
# of a 44-cell line's (5 %; ``_cells_for``).
_EXTENSION_MIN_RATIO = 1.1


def _extended_to_pitch(group: list[_Chain], n_cells: int, side: int) -> list[_Chain] | None:
    """The group's lines lengthened to ``n_cells`` at the glyphs' median pitch, at the
    right end (``side`` 1) or the left (-1); None for line blobs (no pitch measured) or
    when the extent is already within ``_EXTENSION_MIN_RATIO`` of that length."""
    if not all(c.idx for c in group):
        return None
    pitch = float(np.median([c.pitch for c in group]))
    left, right = min(c.left for c in group), max(c.right for c in group)
    length = pitch * (n_cells - 0.32)  # OCR-B ink spans about pitch * (n - 0.32)
    if length < _EXTENSION_MIN_RATIO * (right - left):
        return None
    if side > 0:
        return [replace(c, left=left, right=left + length) for c in group]
    return [replace(c, left=right - length, right=right) for c in group]


def _touches_border(group: list[_Chain], shape: tuple[int, ...], scale: float) -> bool:
    height, width = shape[0] * scale, shape[1] * scale
    for chain in group:
        margin = 1.0 * chain.height  # ICAO quiet zone: less than a character is a cut
        y_left = chain.slope * chain.left + chain.intercept
        y_right = chain.slope * chain.right + chain.intercept
        if chain.left < margin or chain.right > width - margin:
            return True
        if min(y_left, y_right) < margin or max(y_left, y_right) > height - margin:
            return True
    return False


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


def _second_opinion(
    read: MrzRead,
    texts: list[str] | None,
    rows: list[list[str]],
    strict_rows: list[list[str]],
    today: date,
) -> MrzRead:
    """Tesseract's characters as extra runner-ups; used only if that makes the read valid."""
    if texts is None:
        return read
    merged = [_merge_alternatives(r, t) for r, t in zip(rows, texts, strict=True)]
    second = parse_mrz_alternatives(
        merged, today=today, base_confidence=read.glyph_score, require_unique=True
    )
    strict = [_merge_alternatives(r, t) for r, t in zip(strict_rows, texts, strict=True)]
    if not second.valid or _unchecked_uncertain(strict, second.format or ""):
        return read
    return MrzRead(
        result=second,
        lines=read.lines,
        engine="glyph+tesseract",
        glyph_score=read.glyph_score,
        upside_down=read.upside_down,
        corners=read.corners,
        touches_border=read.touches_border,
        stroke_sharpness=read.stroke_sharpness,
    )


def _cells_crop(strip: np.ndarray, centres: np.ndarray) -> np.ndarray:
    pitch = float(np.median(np.diff(centres)))
    x0 = max(round(centres[0] - pitch), 0)
    x1 = min(round(centres[-1] + pitch), strip.shape[1])
    return strip[:, x0:x1]


def _unchecked_uncertain(rows: Sequence[Sequence[str]], fmt: str) -> bool:
    """True when a position no check digit covers has a near-tied runner-up."""
    if fmt not in FORMAT_LINES:
        return True
    for line, pos in unchecked_positions(fmt):
        if line >= len(rows) or pos >= len(rows[line]) or len(rows[line][pos]) > 1:
            return True
    return False


def _lookalike(a: str, b: str, kind: str) -> bool:
    """Letter/digit look-alikes in an alphanumeric position (both map to one digit)."""
    return kind == "X" and a != b and mask_character(a, "N") == mask_character(b, "N")


def _adopt_agreed_runner_ups(
    rows: list[list[str]], strict_rows: list[list[str]], texts: list[str], fmt: str
) -> tuple[list[list[str]], list[list[str]]]:
    """Use Tesseract's reading to narrow the glyph classifier's alternatives.

    Where both engines read the same character, its runner-ups are dropped. At a
    position no check digit covers, a glyph reading that Tesseract contradicts is
    replaced by Tesseract's character only when the glyph classifier itself ranked that
    character as a near-tied runner-up: both engines then back it. The read must still
    pass every check and the confirmation afterwards.
    """
    if len(texts) != len(rows):
        return rows, strict_rows
    masks = position_masks(fmt)
    unchecked = unchecked_positions(fmt)
    new_rows = [list(r) for r in rows]
    new_strict = [list(r) for r in strict_rows]
    for line_index, (row, text) in enumerate(zip(rows, texts, strict=True)):
        if line_index >= len(masks) or len(row) != len(masks[line_index]):
            continue
        first = "".join(alts[0] for alts in row)
        for pos, seen in enumerate(align(first, text)):
            if seen is None:
                continue
            kind = masks[line_index][pos]
            wanted = mask_character(seen, kind)
            alts = row[pos]
            if wanted == mask_character(alts[0], kind):
                # Both engines read the same: its near-tied runner-ups are no longer
                # plausible alternatives (this is what resolves "ambiguous" reads),
                # except letter/digit look-alikes (O/0, I/1, S/5 ...), which Tesseract
                # confuses as systematically as the glyphs do: only check digits decide.
                kept = alts[0] + "".join(alt for alt in alts[1:] if _lookalike(alt, alts[0], kind))
                new_rows[line_index][pos] = kept
                new_strict[line_index][pos] = kept
            elif (line_index, pos) in unchecked and wanted in strict_rows[line_index][pos][1:]:
                # Only a near tie (within the unchecked margin) may be settled this way:
                # a far runner-up backed by Tesseract alone would then be "confirmed" by
                # the same Tesseract reading.
                new_rows[line_index][pos] = wanted + alts.replace(wanted, "")
                new_strict[line_index][pos] = wanted
    return new_rows, new_strict


def _self_confirmed(read: MrzRead) -> MrzRead:
    """Mark a read that the two classifiers settle on their own (no second engine)."""
    checks = dict(read.result.checks)
    checks["classifiers_certain"] = True
    return replace(read, result=replace(read.result, checks=MappingProxyType(checks)))


def _confirmed(
    read: MrzRead,
    texts: list[str] | None,
    settled: frozenset[tuple[int, int]] = frozenset(),
    doubtful: frozenset[tuple[int, int]] = frozenset(),
) -> MrzRead:
    """``read`` unchanged when the second engine confirms it, else demoted to not valid."""
    fmt = read.result.format or ""
    confirmation = confirm_read(read.result.lines, fmt, texts, settled, doubtful)
    checks = dict(read.result.checks)
    checks["second_engine_agrees"] = confirmation.confirmed
    result = read.result
    if confirmation.confirmed:
        result = replace(result, checks=MappingProxyType(checks))
    else:
        result = _not_legible(result, "second_engine_agrees")
    return replace(read, result=result)


def _not_legible(result: MrzResult, check: str = "glyphs_legible") -> MrzResult:
    checks = dict(result.checks)
    checks[check] = False
    return MrzResult(
        found=result.found,
        format=result.format,
        lines=result.lines,
        valid=False,
        fields=result.fields,
        checks=checks,
        confidence=result.confidence * 0.5,
        corrections=result.corrections,
        reason_codes=failure_reasons(checks),
    )


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


def _load_classifiers(params: OcrParams | None = None) -> None:
    """The OCR-B templates, the cell networks ``params`` use (default: the defaults') and
    the names prior, read once per process."""
    load_templates()
    load_glyphnet()
    defaults = OcrParams()
    for kind in (params or defaults).soft_networks:
        load_glyphnet(kind)
    load_name_prior(defaults.name_prior_weight, defaults.name_prior_clip)


def load_mrz_models() -> None:
    """Load what the reader needs once per process (at a worker's start): the classifiers,
    and Tesseract's processes, which load their model meanwhile. Raises
    ``GlyphFontMissing``, ``GlyphNetMissing`` or ``NamePriorMissing`` when the classifiers
    cannot be loaded."""
    _load_classifiers()
    shared_line_reader().start()


_background_lock = threading.Lock()
_background_pid: int | None = None
_background_thread: threading.Thread | None = None


def start_loading_mrz_models() -> None:
    """Start :func:`load_mrz_models` on a background thread, once per process.

    A fresh process's first read (the CLI, a newly scaled worker) calls this as it
    starts: the classifiers load and Tesseract's processes start while the image is
    searched for lines, instead of one after the other. Errors are left to the reading
    itself, which loads the same things in the foreground (their locks make it wait for
    the background load, never load twice) and raises them there.
    """
    global _background_pid, _background_thread
    with _background_lock:
        if _background_pid == os.getpid():
            return
        _background_pid = os.getpid()

        def load_quietly() -> None:
            with contextlib.suppress(Exception):  # the foreground load reports it
                load_mrz_models()

        _background_thread = threading.Thread(target=load_quietly, name="mrz-models", daemon=True)
        _background_thread.start()


def _finish_background_load_before_fork() -> None:
    # A fork while the background thread holds a loader's lock would leave that lock
    # held forever in the child: let the load finish first (it takes well under a second).
    thread = _background_thread
    if thread is not None and thread.is_alive() and thread is not threading.current_thread():
        thread.join(timeout=30)


os.register_at_fork(before=_finish_background_load_before_fork)


@dataclass(frozen=True)
class MrzSearch:
    """What the line search found in one image, before any reading: the grey image, its
    working copy, whole-line blobs and candidate groups of glyph chains (largest first)."""

    gray: np.ndarray = field(repr=False)  # the input image, grey, full resolution
    work: np.ndarray = field(repr=False)  # ``gray`` resized for the search
    scale: float  # work-image pixels per input pixel
    blobs: list[_Chain] = field(repr=False)
    groups: list[list[_Chain]] = field(repr=False)

    @property
    def glyph_count(self) -> int:
        """Glyphs in the largest candidate group: how much MRZ-like text runs across the
        image this way up (a sideways MRZ runs down it and chains into no line)."""
        return max((sum(len(chain.idx) for chain in group) for group in self.groups), default=0)


def search_mrz(image: np.ndarray, params: OcrParams | None = None) -> MrzSearch:
    """Find the candidate MRZ lines in ``image`` (RGB or grey uint8) without reading them."""
    params = params or OcrParams()
    if image.size == 0 or min(image.shape[:2]) < 16:
        empty = np.zeros((0, 0), np.uint8)
        return MrzSearch(gray=empty, work=empty, scale=1.0, blobs=[], groups=[])
    gray = _to_gray(image)
    scale = _work_scale(gray, params)
    work = _work_image(gray, params)
    # Whole-line blobs: their angle levels tilted text for the glyph chaining, and they
    # are the fallback lines when the glyphs are too blurred to chain.
    blobs = _line_blob_chains(work, 0.15 * max(work.shape))
    # Tilted text that motion blur glued into runs defeats the glyph chaining (a run's
    # bounding box is much taller than a glyph): chain clearly tilted text levelled.
    skew = _text_skew(blobs)

    def glyph_groups(contrast_share: float) -> list[list[_Chain]]:
        if abs(skew) < params.deskew_min_deg:
            chains = _chains(_components(work, contrast_share), params.min_chain)
        else:
            chains = _levelled_chains(work, skew, params.min_chain, contrast_share)
        return _group_lines(chains)

    groups = glyph_groups(_PRINT_CONTRAST_SHARE)
    if not groups:
        # Faint print in a contrasty photo (seed 7 hard_0064: the MRZ's strokes stand
        # out from the paper by less than a fifth of the desk-to-glare range).
        groups = glyph_groups(params.faint_contrast_share)
    # Largest, most glyph-like groups first.
    groups.sort(key=lambda g: -sum(len(c.idx) for c in g) * (1.2 if len(g) == 3 else 1.0))
    return MrzSearch(gray=gray, work=work, scale=scale, blobs=blobs, groups=groups)


def read_mrz(image: np.ndarray, *, today: date, params: OcrParams | None = None) -> MrzRead:
    """Find and read an MRZ anywhere in ``image`` (RGB or grey uint8)."""
    start_loading_mrz_models()
    return read_search(search_mrz(image, params), today=today, params=params)


def read_search(
    search: MrzSearch,
    *,
    today: date,
    params: OcrParams | None = None,
    either_way_up: bool = False,
) -> MrzRead:
    """Read the MRZ among the lines ``search`` found. The lines are read upright, then
    turned half round unless the upright reading already looks like OCR-B;
    ``either_way_up`` reads both ways in any case (for an image with no known up)."""
    params = params or OcrParams()
    if not search.groups and not search.blobs:
        return MrzRead(result=mrz_not_found())
    return _find_and_read(search, today, params, either_way_up)


def _work_scale(gray: np.ndarray, params: OcrParams) -> float:
    return float(np.clip(params.work_max_side / max(gray.shape), 0.5, 6.0))


def _work_image(gray: np.ndarray, params: OcrParams) -> np.ndarray:
    """``gray`` resized for the line search (about ``params.work_max_side`` px)."""
    scale = _work_scale(gray, params)
    if scale == 1:
        return gray
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(gray, None, fx=scale, fy=scale, interpolation=interp)


def _text_skew(blobs: Sequence[_Chain]) -> float:
    """Angle (degrees, image y down) of the longest text-line blobs; 0 when none."""
    if not blobs:
        return 0.0
    longest = sorted(blobs, key=lambda c: c.left - c.right)[:3]
    return float(np.median([math.degrees(math.atan(c.slope)) for c in longest]))


def _levelling(shape: tuple[int, ...], skew_deg: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Affine map that rotates an image of ``shape`` so that text at ``skew_deg`` runs
    horizontally, and the enlarged canvas size (width, height) that keeps every pixel."""
    height, width = shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), skew_deg, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(width * cos + height * sin + 0.5), int(width * sin + height * cos + 0.5)
    matrix[0, 2] += new_w / 2 - width / 2
    matrix[1, 2] += new_h / 2 - height / 2
    return matrix, (new_w, new_h)


def _levelled_chains(
    work: np.ndarray,
    skew_deg: float,
    min_chain: int,
    contrast_share: float = _PRINT_CONTRAST_SHARE,
) -> list[_Chain]:
    """Glyph chains found on ``work`` rotated level, as lines in ``work``'s own pixels
    (the strips are then cut from the unrotated image: no second resampling)."""
    matrix, size = _levelling(work.shape, skew_deg)
    level = cv2.warpAffine(
        work, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    back = cv2.invertAffineTransform(matrix)
    chains = []
    for chain in _chains(_components(level, contrast_share), min_chain):
        ends = np.array(
            [[x, chain.slope * x + chain.intercept, 1.0] for x in (chain.left, chain.right)]
        )
        (x0, y0), (x1, y1) = ends @ back.T
        slope = (y1 - y0) / (x1 - x0)
        centres = np.stack([chain.cx, chain.cy, np.ones_like(chain.cx)], axis=1) @ back.T
        chains.append(
            replace(
                chain,
                cx=centres[:, 0],
                cy=centres[:, 1],
                slope=float(slope),
                intercept=float(y0 - slope * x0),
                left=float(x0),
                right=float(x1),
                # the pitch is measured along the line; in x it shrinks like the extent
                pitch=chain.pitch * (x1 - x0) / (chain.right - chain.left),
            )
        )
    return chains


def _find_and_read(
    search: MrzSearch, today: date, params: OcrParams, either_way_up: bool
) -> MrzRead:
    """Read the groups ``search`` found, best first; stop at the first valid read."""
    gray, work, scale, groups = search.gray, search.work, search.scale, search.groups
    try:
        _load_classifiers(params)  # Tesseract starts at its first use: a read may not need it
        if params.name_prior_weight > 0:
            load_name_prior(params.name_prior_weight, params.name_prior_clip)
    except (GlyphFontMissing, GlyphNetMissing, NamePriorMissing):
        return MrzRead(result=mrz_not_found())
    best: _Attempt | None = None
    # Tesseract's reading per line, per set of line crops (a demoted copy of an attempt
    # shares its crops; the crops are kept referenced so that their id is never reused);
    # None once Tesseract failed on them.
    line_texts: dict[int, tuple[list[np.ndarray], dict[int, str] | None]] = {}

    def tesseract_for(crops: list[np.ndarray], needed: Sequence[int]) -> dict[int, str] | None:
        cache = line_texts.setdefault(id(crops), (crops, {}))[1]
        if cache is None:
            return None
        missing = [k for k in needed if k not in cache]
        if missing and params.use_tesseract:
            got = _tesseract_lines([crops[k] for k in missing])
            if got is None:
                line_texts[id(crops)] = (crops, None)
                return None
            cache.update(zip(missing, got, strict=True))
        return cache if all(k in cache for k in needed) else None

    def tesseract_texts(attempt: _Attempt) -> list[str] | None:
        crops = attempt[1]
        cache = tesseract_for(crops, range(len(crops)))
        return None if cache is None else [cache[k] for k in range(len(crops))]

    def confirming_texts(attempt: _Attempt) -> list[str] | None:
        """Tesseract's lines where they are needed; a line the two classifiers settle
        entirely stands for itself (saves a Tesseract run on most documents)."""
        read, crops, certainty = attempt[0], attempt[1], attempt[4]
        needed = [k for k in range(len(crops)) if k not in certainty.clear_lines]
        cache = tesseract_for(crops, needed)
        if cache is None:
            return None
        return [cache[k] if k in needed else read.result.lines[k] for k in range(len(crops))]

    # Whole-line blobs are being read after a read of the glyph chains that failed.
    blobs_after_chains = False
    lines_read: list[_Chain] = []
    for source in ("glyph chains", "line blobs"):
        if source == "line blobs":
            if (
                best is not None
                and _every_check_passes(best[0].result)
                and best[0].glyph_score > _LOOKS_LIKE_OCR_B
            ):
                # Every check digit passes on a read that looks like OCR-B: the blobs
                # cannot pass more. (Runner-ups let garbage pass the three check digits
                # of a visa: seed 404 hard_0021's other print read as an MRV-A at 0.60
                # once a lattice moved differently, and its MRZ, only found as blobs,
                # was not read. At 0.9, soft MRZ reads whose checks pass, 0.84-0.89,
                # read their blobs too: seed 7 hard p95 1.26 -> 1.90 s.)
                break
            # Also when glyph chains were read: blurred MRZ glyphs may chain into no line
            # while a few lines of other print do (seed 404 hard_0111: three chains of
            # eight printed glyphs read as a TD1, the MRZ only as blobs).
            blobs_after_chains = best is not None
            groups = _group_lines(search.blobs)
            groups.sort(key=lambda g: -sum(c.right - c.left for c in g))
            # Blobs along lines the chains gave are those lines again: not read twice.
            groups = [g for g in groups if not all(_on_line_read(c, lines_read) for c in g)]
        # A third TD1 line is guessed only where no three-line group was found (its
        # two-line subgroups would otherwise each be read again as a TD1).
        guess_third = not any(len(group) == 3 for group in groups)
        for index, found in enumerate(groups[: params.max_groups]):
            if index and best is not None and best[0].glyph_score >= params.mrz_glyph_score:
                break  # the MRZ was found (a document has one): the rest is other text
            for group in _candidate_groups(work, gray, scale, found, guess_third):
                lines_read.extend(group)
                attempt = _read_group(gray, group, scale, today, params, either_way_up)
                if attempt is None:
                    continue
                if attempt[0].result.valid:
                    if not params.require_confirmation:
                        return attempt[0]
                    certainty = attempt[4]
                    if certainty.self_confirmed:
                        return _self_confirmed(attempt[0])
                    # Tesseract has never confirmed a line this soft (the stock model reads
                    # blurred OCR-B names worse than the classifiers): do not wait for it.
                    soft = attempt[0].stroke_sharpness < params.min_confirm_sharpness
                    texts = None if soft else confirming_texts(attempt)
                    checked = _confirmed(attempt[0], texts, certainty.settled, certainty.doubtful)
                    if checked.result.valid:
                        return checked
                    attempt = (checked, attempt[1], attempt[2], attempt[3], attempt[4])
                if blobs_after_chains:
                    # After the chains' read, a blob read is taken only when more of its
                    # check digits pass than the best read's so far (a garbled read of
                    # other print can look as much like OCR-B).
                    assert best is not None
                    if _checks_passed(attempt[0].result) > _checks_passed(best[0].result):
                        best = attempt
                elif best is None or attempt[0].glyph_score > best[0].glyph_score:
                    best = attempt
    if best is None:
        return MrzRead(result=mrz_not_found())
    read, _, rows, strict_rows, _ = best
    # Tesseract's second opinion on a read that failed; not on strokes so soft that it
    # reads them worse than the classifiers did.
    legible = read.stroke_sharpness >= params.min_second_opinion_sharpness
    if params.use_tesseract and read.glyph_score >= params.min_glyph_score and legible:
        texts = tesseract_texts(best)
        if texts is not None and read.result.format in FORMAT_LINES:
            rows, strict_rows = _adopt_agreed_runner_ups(
                rows, strict_rows, texts, read.result.format or ""
            )
        second = _second_opinion(read, texts, rows, strict_rows, today)
        if second is not read and params.require_confirmation:
            second = _confirmed(second, tesseract_texts(best))
        if second.result.valid:
            read = second
        elif texts is not None:
            read = _names_both_engines_read(
                read, rows, texts, today, params.names_agreement_for_runner_ups
            )
    return read


def _names_both_engines_read(
    read: MrzRead,
    rows: Sequence[Sequence[str]],
    texts: Sequence[str],
    today: date,
    min_agreement: float,
) -> MrzRead:
    """``read``, not proven, with each names letter that Tesseract reads as one of the
    glyph network's runner-ups (``rows``: within ``net_runner_up_margin``) changed to it:
    both engines back that letter, while the network's first choice has only the network.

    Only when Tesseract reads at least ``min_agreement`` of the read's names letters
    (the changed ones included) as the network does: on a line it misreads throughout
    (MACDOMALO, WILLTAN) its letters are no evidence; and only where it reads both
    neighbouring cells as the network does (it read MAERTA<<< as MAERTRERCK, its R
    standing where the network's runner-up was R). Letters only: Tesseract reads the
    filler as K or C. The result stays not valid; this only makes the best guess shown
    (to a reviewer, in the benchmark's exact count) the better one.
    """
    fmt = read.result.format or ""
    lines = [list(line) for line in read.result.lines]
    if fmt not in FORMAT_LINES or not (len(texts) == len(lines) == len(rows)):
        return read
    names = set(name_positions(fmt))
    changes: list[tuple[int, int, str]] = []
    agree = disagree = 0
    for line_index, text in enumerate(texts):
        if len(rows[line_index]) != len(lines[line_index]):
            return read
        aligned = align("".join(lines[line_index]), text)
        for pos, seen in enumerate(aligned):
            current = lines[line_index][pos]
            if seen is None or (line_index, pos) not in names or not current.isalpha():
                continue
            wanted = mask_character(seen, "A")
            if wanted == current:
                agree += 1
                continue
            disagree += 1
            neighbours_agree = all(
                aligned[k] == lines[line_index][k]
                for k in (pos - 1, pos + 1)
                if (line_index, k) in names
            )
            if wanted.isalpha() and wanted in rows[line_index][pos] and neighbours_agree:
                changes.append((line_index, pos, wanted))
    if not changes or agree < min_agreement * (agree + disagree):
        return read
    notes = []
    for line_index, pos, wanted in changes:
        notes.append(
            f"line {line_index + 1} pos {pos + 1}: {lines[line_index][pos]}->{wanted}"
            " (runner-up Tesseract reads; unproven)"
        )
        lines[line_index][pos] = wanted
    parsed = parse_mrz(["".join(line) for line in lines], today=today)
    result = replace(
        read.result,
        lines=parsed.lines,
        fields=parsed.fields,
        valid=False,
        corrections=(*read.result.corrections, *notes),
    )
    return replace(read, result=result)
