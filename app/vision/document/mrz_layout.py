"""MRZ layouts (ICAO 9303 parts 4-7): where each field, check digit and composite of
TD1, TD2, TD3, MRV-A and MRV-B lies, the type mask of every position, and the position
sets the reader asks for (unchecked positions, country, sex and names cells, check-digit
groups of a read)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

FORMAT_LINES = {"TD1": (3, 30), "TD2": (2, 36), "TD3": (2, 44), "MRVA": (2, 44), "MRVB": (2, 36)}


# --------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class _Span:
    line: int
    start: int  # 0-based, inclusive
    end: int  # exclusive

    def positions(self) -> list[tuple[int, int]]:
        return [(self.line, i) for i in range(self.start, self.end)]


@dataclass(frozen=True)
class _Layout:
    name: str
    document_type: _Span
    issuing_country: _Span
    names: _Span
    document_number: _Span
    document_number_check: tuple[int, int]
    nationality: _Span
    birth_date: _Span
    birth_date_check: tuple[int, int]
    sex: tuple[int, int]
    expiry_date: _Span
    expiry_date_check: tuple[int, int]
    optional: tuple[_Span, ...]
    personal_number_check: tuple[int, int] | None = None  # TD3 only
    composite: tuple[int, int] | None = None
    composite_spans: tuple[_Span, ...] = ()
    long_number_continuation: _Span | None = None  # TD1/TD2: where a long number continues
    type_letters: str = "ACI"


def _td3_like(name: str, length: int, type_letters: str, with_checks: bool) -> _Layout:
    optional_end = 42 if with_checks else length
    return _Layout(
        name=name,
        document_type=_Span(0, 0, 2),
        issuing_country=_Span(0, 2, 5),
        names=_Span(0, 5, length),
        document_number=_Span(1, 0, 9),
        document_number_check=(1, 9),
        nationality=_Span(1, 10, 13),
        birth_date=_Span(1, 13, 19),
        birth_date_check=(1, 19),
        sex=(1, 20),
        expiry_date=_Span(1, 21, 27),
        expiry_date_check=(1, 27),
        optional=(_Span(1, 28, optional_end),),
        personal_number_check=(1, 42) if with_checks else None,
        composite=(1, 43) if with_checks else None,
        composite_spans=(
            (_Span(1, 0, 10), _Span(1, 13, 20), _Span(1, 21, 43)) if with_checks else ()
        ),
        type_letters=type_letters,
    )


_TD1 = _Layout(
    name="TD1",
    document_type=_Span(0, 0, 2),
    issuing_country=_Span(0, 2, 5),
    document_number=_Span(0, 5, 14),
    document_number_check=(0, 14),
    optional=(_Span(0, 15, 30), _Span(1, 18, 29)),
    birth_date=_Span(1, 0, 6),
    birth_date_check=(1, 6),
    sex=(1, 7),
    expiry_date=_Span(1, 8, 14),
    expiry_date_check=(1, 14),
    nationality=_Span(1, 15, 18),
    composite=(1, 29),
    composite_spans=(_Span(0, 5, 30), _Span(1, 0, 7), _Span(1, 8, 15), _Span(1, 18, 29)),
    names=_Span(2, 0, 30),
    long_number_continuation=_Span(0, 15, 30),
)

_TD2 = _Layout(
    name="TD2",
    document_type=_Span(0, 0, 2),
    issuing_country=_Span(0, 2, 5),
    names=_Span(0, 5, 36),
    document_number=_Span(1, 0, 9),
    document_number_check=(1, 9),
    nationality=_Span(1, 10, 13),
    birth_date=_Span(1, 13, 19),
    birth_date_check=(1, 19),
    sex=(1, 20),
    expiry_date=_Span(1, 21, 27),
    expiry_date_check=(1, 27),
    optional=(_Span(1, 28, 35),),
    composite=(1, 35),
    composite_spans=(_Span(1, 0, 10), _Span(1, 13, 20), _Span(1, 21, 35)),
    long_number_continuation=_Span(1, 28, 35),
    type_letters="ACIP",
)

LAYOUTS: dict[str, _Layout] = {
    "TD1": _TD1,
    "TD2": _TD2,
    "TD3": _td3_like("TD3", 44, "P", with_checks=True),
    "MRVA": _td3_like("MRVA", 44, "V", with_checks=False),
    "MRVB": _td3_like("MRVB", 36, "V", with_checks=False),
}

# Per-position character classes: A alpha/<, N numeric/<, X alnum/<, C check digit.
_ALPHA, _NUMERIC, _ALNUM, _CHECK = "A", "N", "X", "C"


def _position_masks(layout: _Layout) -> list[list[str]]:
    count, length = FORMAT_LINES[layout.name]
    masks = [[_ALNUM] * length for _ in range(count)]

    def put(span: _Span, kind: str) -> None:
        for line, i in span.positions():
            masks[line][i] = kind

    put(layout.document_type, _ALPHA)
    put(layout.issuing_country, _ALPHA)
    put(layout.names, _ALPHA)
    put(layout.nationality, _ALPHA)
    put(layout.birth_date, _NUMERIC)
    put(layout.expiry_date, _NUMERIC)
    masks[layout.sex[0]][layout.sex[1]] = _ALPHA
    checks = [layout.document_number_check, layout.birth_date_check, layout.expiry_date_check]
    checks += [c for c in (layout.personal_number_check, layout.composite) if c is not None]
    for line, i in checks:
        masks[line][i] = _CHECK
    return masks


_MASKS = {name: _position_masks(layout) for name, layout in LAYOUTS.items()}


def unchecked_positions(fmt: str) -> set[tuple[int, int]]:
    """(line, position) pairs that no check digit covers: names, countries, sex, type,
    and the optional data of visas. OCR errors there can only be caught by masks/lists."""
    layout = LAYOUTS[fmt]
    n_lines, length = FORMAT_LINES[fmt]
    covered: set[tuple[int, int]] = set()
    for span in (layout.document_number, layout.birth_date, layout.expiry_date):
        covered.update(span.positions())
    checks = [layout.document_number_check, layout.birth_date_check, layout.expiry_date_check]
    checks += [c for c in (layout.personal_number_check, layout.composite) if c is not None]
    covered.update(checks)
    if layout.personal_number_check is not None:
        covered.update(layout.optional[0].positions())
    for span in layout.composite_spans:
        covered.update(span.positions())
    every = {(line, i) for line in range(n_lines) for i in range(length)}
    return every - covered


def country_positions(fmt: str) -> list[list[tuple[int, int]]]:
    """(line, position) of the cells of the issuing-state and nationality fields."""
    layout = LAYOUTS[fmt]
    return [layout.issuing_country.positions(), layout.nationality.positions()]


def sex_position(fmt: str) -> tuple[int, int]:
    """(line, position) of the sex cell (M, F, X or the filler)."""
    return LAYOUTS[fmt].sex


def name_positions(fmt: str) -> list[tuple[int, int]]:
    """(line, position) of every cell of the format's names field, in reading order."""
    return LAYOUTS[fmt].names.positions()


def position_masks(fmt: str) -> list[str]:
    """Per line, one class letter per position: A alpha, N numeric, X alnum, C check digit."""
    return ["".join(row) for row in _MASKS[fmt]]


def check_digit_groups(fmt: str, lines: Sequence[str]) -> dict[str, list[tuple[int, int]]]:
    """Positions (with the check digit itself) of each check-digit group of a read.

    ``lines`` locates a long TD1/TD2 document number (check position ``<``, the number
    continues in the optional data). Composite-only positions form the group
    ``composite``.
    """
    layout = LAYOUTS[fmt]
    groups: dict[str, list[tuple[int, int]]] = {}
    number = layout.document_number.positions()
    number_check = layout.document_number_check
    cont = layout.long_number_continuation
    line_of_check = lines[number_check[0]] if number_check[0] < len(lines) else ""
    long_number = (
        cont is not None
        and number_check[1] < len(line_of_check)
        and line_of_check[number_check[1]] == "<"
        and cont.line < len(lines)
    )
    if long_number and cont is not None:
        continuation = lines[cont.line][cont.start : cont.end]
        stop = continuation.find("<")
        stop = len(continuation) if stop < 0 else stop
        if stop >= 2:
            number = number + [(cont.line, cont.start + k) for k in range(stop - 1)]
            number_check = (cont.line, cont.start + stop - 1)
    groups["document_number"] = [*number, number_check]
    groups["birth_date"] = [*layout.birth_date.positions(), layout.birth_date_check]
    groups["expiry_date"] = [*layout.expiry_date.positions(), layout.expiry_date_check]
    if layout.personal_number_check is not None:
        groups["personal_number"] = [
            *layout.optional[0].positions(),
            layout.personal_number_check,
        ]
    if layout.composite is not None:
        taken = {p for positions in groups.values() for p in positions}
        spans = [p for span in layout.composite_spans for p in span.positions()]
        groups["composite"] = [p for p in spans if p not in taken] + [layout.composite]
    return groups
