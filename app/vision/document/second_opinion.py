"""Confirmation and second opinion: which positions the two classifiers settle on their
own, Tesseract's reading of the lines as extra runner-ups, and the confirmation of every
position no check digit covers before a read counts as valid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from types import MappingProxyType

import cv2
import numpy as np

from app.vision.document.cells import _top_and_margin
from app.vision.document.confirm import align, confirm_read
from app.vision.document.mrz import (
    MrzResult,
    failure_reasons,
    mask_character,
    parse_mrz,
    parse_mrz_alternatives,
)
from app.vision.document.mrz_layout import (
    FORMAT_LINES,
    check_digit_groups,
    name_positions,
    position_masks,
    unchecked_positions,
)
from app.vision.document.ocr_types import MrzRead, OcrParams
from app.vision.document.tesseract_lines import shared_line_reader


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
