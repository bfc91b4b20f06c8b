"""Line finding: dark print -> connected components -> chains of glyph boxes on one text
line -> groups of two or three parallel lines of the same pitch that may be an MRZ, with
the number of cells each could hold. Tilted text is levelled before chaining."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import cv2
import numpy as np

from app.vision.document.ocr_types import OcrParams, _Chain
from app.vision.document.rectify import _line_fit, _periodic_cells


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
