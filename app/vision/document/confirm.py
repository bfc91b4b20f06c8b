"""Second-engine confirmation of an MRZ read before it may be called valid.

Check digits prove only the fields they cover, and only against single errors. Names,
countries, sex, document type and the optional data of visas have no check digit, and a
confident classifier error there (``SEBASTIAO`` read ``SEBASTIAC``) would otherwise pass
as a valid read. So a read is confirmed only when an independent engine, aligned to it
character by character and compared after the type masks, agrees:

- on every position no check digit covers, and
- on all but at most one position of each check-digit group (a check digit catches a
  single error, not two errors whose weighted sums happen to differ by a multiple of 10);
  and where the reader's own classifiers were unsure of two or more positions of one
  group, it must read all but one of those the same.

Everything here is plain text in, plain values out.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from app.vision.document.mrz import mask_character
from app.vision.document.mrz_layout import (
    FORMAT_LINES,
    check_digit_groups,
    position_masks,
    unchecked_positions,
)

Position = tuple[int, int]  # (line, index), 0-based


@dataclass(frozen=True)
class Confirmation:
    """Outcome of comparing a read with a second engine's text."""

    confirmed: bool
    unconfirmed: tuple[Position, ...]  # unchecked positions where the engines disagree
    overloaded_groups: tuple[str, ...]  # check groups with two or more disagreements


def align(reference: str, other: str) -> list[str | None]:
    """Global alignment of ``other`` onto ``reference`` (unit costs for substitution,
    insertion and deletion); per reference position the aligned character or None.

    Among equally cheap alignments the one matching characters as far left as possible
    wins, so that characters a filler run lost are missing at the run's end (where the
    names field ends in fillers), and a letter the other engine saw after a name stays
    next to that name.
    """
    return _align_right(reference[::-1], other[::-1])[::-1]


def _align_right(reference: str, other: str) -> list[str | None]:
    n, m = len(reference), len(other)
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        cost[i][0] = i
    for j in range(1, m + 1):
        cost[0][j] = j
    for i in range(1, n + 1):
        row, prev = cost[i], cost[i - 1]
        ref_char = reference[i - 1]
        for j in range(1, m + 1):
            substitution = prev[j - 1] + (ref_char != other[j - 1])
            row[j] = min(substitution, prev[j] + 1, row[j - 1] + 1)
    aligned: list[str | None] = [None] * n
    i, j = n, m
    while i > 0 and j > 0:
        if cost[i][j] == cost[i - 1][j - 1] + (reference[i - 1] != other[j - 1]):
            aligned[i - 1] = other[j - 1]
            i, j = i - 1, j - 1
        elif cost[i][j] == cost[i - 1][j] + 1:
            i -= 1
        else:
            j -= 1
    return aligned


# What Tesseract's stock model makes of OCR-B's filler chevron (measured on the synthetic
# normal tier: < 60%, dropped 20%, K 17%, S 8%, E 7%, then R, C, M, L). A filler in the read
# is contradicted only by another letter or a digit.
FILLER_READINGS = frozenset("<KSERCLM")


def disagreements(lines: Sequence[str], fmt: str, others: Sequence[str]) -> set[Position]:
    """Positions where ``others`` (aligned, masked like the read) contradict ``lines``.

    A letter or digit of the read needs the same character (after the type mask). A
    filler ``<`` next to a letter or digit is contradicted only by a character outside
    :data:`FILLER_READINGS`; fillers inside a filler run are left to the glyph classifier
    (OCR-B's chevron is unlike any letter, while Tesseract reads long runs of it as
    anything, digits included).
    """
    differ: set[Position] = set()
    for (line_index, pos), char, seen, kind in _aligned_cells(lines, fmt, others):
        if char == "<":
            line = lines[line_index]
            if seen is not None and seen not in FILLER_READINGS and _borders_text(line, pos):
                differ.add((line_index, pos))
        elif seen is None or mask_character(seen, kind) != char:
            differ.add((line_index, pos))
    return differ


def _aligned_cells(
    lines: Sequence[str], fmt: str, others: Sequence[str]
) -> Iterator[tuple[Position, str, str | None, str]]:
    """Per position of the read: the position, the read's character, the other engine's
    character aligned to it (None where it has none) and the position's type mask."""
    masks = position_masks(fmt)
    for line_index, (line, other) in enumerate(zip(lines, others, strict=True)):
        for pos, (char, seen) in enumerate(zip(line, align(line, other), strict=True)):
            yield (line_index, pos), char, seen, masks[line_index][pos]


def _borders_text(line: str, pos: int) -> bool:
    """True when a neighbour of ``line[pos]`` is a letter or digit."""
    return any(0 <= k < len(line) and line[k] != "<" for k in (pos - 1, pos + 1))


def _opinions(lines: Sequence[str], fmt: str, others: Sequence[str]) -> set[Position]:
    """Checked positions where the other engine read a *different valid value*: a digit
    for a digit, a letter or digit that is not a look-alike for an alphanumeric; gaps and
    letters in numeric positions are no opinion."""
    opinions: set[Position] = set()
    for position, char, seen, kind in _aligned_cells(lines, fmt, others):
        if seen is None or char == "<" or seen == "<":
            continue
        if kind in ("N", "C") and not seen.isdigit():
            continue  # a letter in a digit position: the other engine is unsure
        if kind == "X" and mask_character(seen, "N") == mask_character(char, "N"):
            continue  # O/0, I/1, S/5 ...: the check digit itself judges look-alikes
        if mask_character(seen, kind) != char:
            opinions.add(position)
    return opinions


def _same_reading(lines: Sequence[str], fmt: str, others: Sequence[str]) -> set[Position]:
    """Positions where ``others`` (aligned, masked like the read) read the read's
    character; for a filler, any of Tesseract's usual readings of the chevron."""
    same: set[Position] = set()
    for position, char, seen, kind in _aligned_cells(lines, fmt, others):
        if seen is None:
            continue
        if (char == "<" and seen in FILLER_READINGS) or mask_character(seen, kind) == char:
            same.add(position)
    return same


def confirm_read(
    lines: Sequence[str],
    fmt: str,
    others: Sequence[str] | None,
    settled: frozenset[Position] = frozenset(),
    doubtful: frozenset[Position] = frozenset(),
) -> Confirmation:
    """Is the read ``lines`` (format ``fmt``) confirmed by another engine's ``others``?

    ``settled`` are unchecked positions the reader's own classifiers already agree on
    with a wide margin (see ``second_opinion._certainty``): the other engine's disagreement there is
    not held against the read (Tesseract's stock model misreads OCR-B far more often
    than a settled cell is wrong; measured in benchmarks/NOTES-mrz.md).

    ``doubtful`` are checked positions the reader's classifiers were unsure of. A check
    group holding two or more of them is proven only when the other engine reads all
    but one of them exactly as the read does (two doubtful cells can be two errors that
    compensate in the check digit: ``<<<<<<<<<<9`` read ``<<<<<<I<<<<5`` passes).
    """
    if fmt not in FORMAT_LINES or others is None or len(others) != len(lines):
        return Confirmation(confirmed=False, unconfirmed=(), overloaded_groups=("engine",))
    differ = disagreements(lines, fmt, others)
    unconfirmed = tuple(sorted((differ & unchecked_positions(fmt)) - settled))
    opinions = _opinions(lines, fmt, others)
    unbacked = doubtful - _same_reading(lines, fmt, others)
    overloaded = tuple(
        name
        for name, positions in check_digit_groups(fmt, lines).items()
        if len(opinions & set(positions)) >= 2 or len(unbacked & set(positions)) >= 2
    )
    return Confirmation(
        confirmed=not unconfirmed and not overloaded,
        unconfirmed=unconfirmed,
        overloaded_groups=overloaded,
    )
