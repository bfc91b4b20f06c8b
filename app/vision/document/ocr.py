"""Find and read the MRZ in an image: the reader's driver.

The stages live in their own modules:

1. ``line_finding.py``: dark glyph-sized connected components are chained left to right
   into text lines (tilted text is levelled first); two or three parallel, evenly spaced,
   equally long lines make an MRZ candidate, with the cell counts it could hold.
2. ``rectify.py``: each line becomes a level strip at a fixed pitch per cell.
3. ``cells.py`` and ``lattice.py``: the cell networks score every strip column, a
   lattice programme places the 30, 36 or 44 cells, and each cell gets its scores, the
   best character its type mask allows and near-tied runner-ups; names, country codes
   and sex are decoded under their constraints.
4. The codec (``mrz.py``) accepts a runner-up only when the check digits prove it.
5. ``second_opinion.py``: Tesseract (``tesseract_lines.py``) reads the same strips as a
   second opinion when the glyph read does not validate, and confirms every position
   no check digit covers before a read counts as valid (``confirm.py``).

This module holds the per-group state (``_Candidate``, ``_Placement``), reads a group
at its placements and cell counts, and picks the read of the image.

Orientation: upside-down documents are detected by the classifier's scores; the caller
tries 90-degree turns when nothing is found (see ``reader.py``).
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from app.vision.document.cells import (
    _LOOKS_LIKE_OCR_B,
    _alternatives,
    _cell_features,
    _cell_table,
    _classify_cells,
    _decoded_fields,
    _decoded_first,
    _document_code_first,
    _format_for,
    _load_classifiers,
    _name_prior,
    _net_scores,
    _stroke_sharpness,
)
from app.vision.document.glyphnet import GlyphNetMissing
from app.vision.document.glyphs import (
    MRZ_CHARSET,
    GlyphFontMissing,
)
from app.vision.document.lattice import (
    _cell_centres,
    _lattice_by_net,
    _resolve_slips,
    _slip_alternative,
)
from app.vision.document.line_finding import (
    _PRINT_CONTRAST_SHARE,
    _candidate_groups,
    _cells_for,
    _chains,
    _common_extent,
    _components,
    _extended_to_pitch,
    _group_lines,
    _levelled_chains,
    _line_blob_chains,
    _on_line_read,
    _text_skew,
    _to_gray,
    _touches_border,
    _work_image,
    _work_scale,
)
from app.vision.document.mrz import mrz_not_found, parse_mrz_alternatives
from app.vision.document.mrz_layout import FORMAT_LINES, position_masks
from app.vision.document.name_grammar import (
    NamePriorMissing,
    load_name_prior,
)
from app.vision.document.ocr_types import MrzRead, OcrParams, _Chain
from app.vision.document.rectify import (
    _band,
    _band_corners,
    _cells_crop,
    _geometry,
    _ink,
    _LineStrip,
    _misalignment,
    _rectify,
    _turn,
)
from app.vision.document.second_opinion import (
    _adopt_agreed_runner_ups,
    _Certainty,
    _certainty,
    _checks_passed,
    _confirmed,
    _every_check_passes,
    _names_both_engines_read,
    _not_legible,
    _second_opinion,
    _self_confirmed,
    _tesseract_lines,
    _unchecked_uncertain,
)
from app.vision.document.tesseract_lines import shared_line_reader

_Attempt = tuple[MrzRead, list[np.ndarray], list[list[str]], list[list[str]], _Certainty]


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
