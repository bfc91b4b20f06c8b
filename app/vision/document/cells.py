"""Cell classification: per-column scores of the cell networks (``glyphnet.py``) and the
OCR-B templates (``glyphs.py``) along a rectified strip, per-cell scores at the lattice's
centres, the alternatives each type mask allows, and the fields no check digit covers
decoded under their constraints (names grammar and prior, country codes, sex)."""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import cv2
import numpy as np

from app.vision.document.countries import ICAO_COUNTRY_CODES
from app.vision.document.glyphnet import GAP, GlyphNet, load_glyphnet
from app.vision.document.glyphs import (
    FEATURE_DIM,
    FEATURE_SHAPE,
    MRZ_CHARSET,
    classify,
    load_templates,
    to_feature,
)
from app.vision.document.mrz_layout import country_positions, name_positions, sex_position
from app.vision.document.name_grammar import (
    NAME_ALPHABET,
    NamePrior,
    decode_name_field,
    load_name_prior,
)
from app.vision.document.ocr_types import OcrParams
from app.vision.document.rectify import _RECT_PITCH, _band, _strip_ink

_LETTERS = [i for i, c in enumerate(MRZ_CHARSET) if c.isalpha()]
_DIGITS = [i for i, c in enumerate(MRZ_CHARSET) if c.isdigit()]
_FILLER = MRZ_CHARSET.index("<")


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


def _load_classifiers(params: OcrParams | None = None) -> None:
    """The OCR-B templates, the cell networks ``params`` use (default: the defaults') and
    the names prior, read once per process."""
    load_templates()
    load_glyphnet()
    defaults = OcrParams()
    for kind in (params or defaults).soft_networks:
        load_glyphnet(kind)
    load_name_prior(defaults.name_prior_weight, defaults.name_prior_clip)
