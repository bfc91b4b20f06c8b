"""Machine Readable Zone codec (ICAO Doc 9303 parts 3-7): pure text in, checked fields out.

Formats: TD1 (3x30, ID cards), TD2 (2x36), TD3 (2x44, passports), MRV-A (2x44) and
MRV-B (2x36) visas.

OCR text is noisy. Every position has a type mask (alpha, numeric, alphanumeric,
check digit). Where the mask forces a character class (a letter in a date, a digit in a
name) the character is mapped to its usual look-alike; where both classes are allowed
(document numbers, optional data) look-alikes are only *candidates*, and a candidate is
accepted only when the check digits prove it: it must be the single cheapest
combination that passes every check digit and the composite. ``valid`` is True only
when every check digit passes, every field passes its mask or list, and no position
that no check digit covers holds a letter/digit look-alike (MRV optional data).

The OCR layer can pass its own per-position alternatives (for example the runner-up
of a glyph classifier) through :func:`parse_mrz_alternatives`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from app.vision.document.countries import is_known_country, normalise_country_field
from app.vision.document.mrz_layout import (
    _ALNUM,
    _ALPHA,
    _CHECK,
    _MASKS,
    _NUMERIC,
    FORMAT_LINES,
    LAYOUTS,
    _Layout,
    _Span,
    unchecked_positions,
)

MRZ_ALPHABET = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<")

REASON_MRZ_NOT_FOUND = "mrz_not_found"
REASON_MRZ_CHECK_FAILED = "mrz_check_failed"
REASON_COUNTRY_UNKNOWN = "document_country_unknown"
_COUNTRY_CHECKS = ("issuing_country", "nationality")

_CHECK_WEIGHTS = (7, 3, 1)

# Mask-forced substitutions: a letter where only a digit can be, and vice versa.
_LETTER_TO_DIGIT = {
    "O": "0",
    "D": "0",
    "Q": "0",
    "U": "0",
    "C": "0",
    "I": "1",
    "L": "1",
    "T": "1",
    "J": "1",
    "Z": "2",
    "E": "3",
    "A": "4",
    "H": "4",
    "S": "5",
    "G": "6",
    "B": "8",
    "R": "8",
    "P": "9",
}
_DIGIT_TO_LETTER = {
    "0": "O",
    "1": "I",
    "2": "Z",
    "4": "A",
    "5": "S",
    "6": "G",
    "7": "T",
    "8": "B",
}
# Look-alikes tried in alphanumeric positions; accepted only when a check digit proves it.
_ALNUM_LOOKALIKES = {
    "0": "OD",
    "O": "0",
    "D": "0",
    "Q": "0",
    "1": "I",
    "I": "1",
    "2": "Z",
    "Z": "2",
    "5": "S",
    "S": "5",
    "6": "G",
    "G": "6",
    "8": "B",
    "B": "8",
    "K": "<",
}
# Characters whose look-alike is allowed in the same alphanumeric position (O/0, I/1,
# B/8, S/5, Z/2, G/6, D/Q/0). Where no check digit covers the position (MRV-A/B optional
# data), nothing tells which of the pair was printed: a REAL US visa's IFLNDOOAMS803085
# was read IFLND00AMS803085 by both engines. Such a character is never proven.
_UNPROVABLE_IN_UNCHECKED = frozenset(ch for ch in _ALNUM_LOOKALIKES if ch != "K")

# What OCR engines make of the filler `<` (stock models read OCR-B `<` as K, C, L or E).
_FILLER_LOOKALIKES = frozenset("KCLE<")

# Printing artefacts and OCR engines' stand-ins for the filler.
_TEXT_CLEANUP = str.maketrans({"«": "<<", "‹": "<", "(": "<", "{": "<", "[": "<", "£": "E"})

# Look-alike guesses are cheap for a check digit to "prove" by chance (1 in 10 per field,
# 1 in 100 with the composite), so the search is kept small: plain text gets one guess
# per field, an OCR engine's own runner-up characters two.
_TEXT_MAX_CHANGES_PER_FIELD = 1
_TEXT_MAX_CHANGES_TOTAL = 2
_OCR_MAX_CHANGES_PER_FIELD = 2
_OCR_MAX_CHANGES_TOTAL = 3


def compute_check_digit(text: str) -> str:
    """ICAO 9303 check digit: weights 7-3-1, ``<`` = 0, digits as is, A=10 ... Z=35."""
    total = 0
    for index, char in enumerate(text):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        elif char == "<":
            value = 0
        else:
            raise ValueError(f"not an MRZ character: {char!r}")
        total += value * _CHECK_WEIGHTS[index % 3]
    return str(total % 10)


@dataclass(frozen=True)
class MrzFields:
    """The decoded MRZ fields. Names use spaces; dates are None when unknown/invalid."""

    document_type: str
    issuing_country: str
    surname: str
    given_names: str
    document_number: str
    nationality: str
    birth_date: date | None
    sex: str
    expiry_date: date | None
    optional_data: str


@dataclass(frozen=True)
class MrzResult:
    """Outcome of reading an MRZ: corrected lines, fields and every check."""

    found: bool
    format: str | None
    lines: tuple[str, ...]
    valid: bool
    fields: MrzFields | None
    checks: Mapping[str, bool]
    confidence: float
    corrections: tuple[str, ...]
    reason_codes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        """The JSON shape of ``idgate mrz --json`` (DESIGN section 7), minus elapsed_ms."""
        fields_json: dict[str, Any] | None = None
        if self.fields is not None:
            f = self.fields
            fields_json = {
                "document_type": f.document_type,
                "issuing_country": f.issuing_country,
                "surname": f.surname,
                "given_names": f.given_names,
                "document_number": f.document_number,
                "nationality": f.nationality,
                "birth_date": f.birth_date.isoformat() if f.birth_date else None,
                "sex": f.sex,
                "expiry_date": f.expiry_date.isoformat() if f.expiry_date else None,
                "optional_data": f.optional_data,
            }
        return {
            "found": self.found,
            "format": self.format,
            "lines": list(self.lines),
            "valid": self.valid,
            "fields": fields_json,
            "checks": dict(self.checks),
        }


def mrz_not_found(lines: Sequence[str] = ()) -> MrzResult:
    """The result for input in which no MRZ could be recognised."""
    return MrzResult(
        found=False,
        format=None,
        lines=tuple(lines),
        valid=False,
        fields=None,
        checks=MappingProxyType({}),
        confidence=0.0,
        corrections=(),
        reason_codes=(REASON_MRZ_NOT_FOUND,),
    )


# --------------------------------------------------------------------------- input cleanup


def clean_line(text: str) -> str:
    """Upper-case, map common stand-ins for ``<``, drop anything outside the MRZ alphabet."""
    text = text.upper().translate(_TEXT_CLEANUP)
    return "".join(ch for ch in text if ch in MRZ_ALPHABET)


def detect_format(lines: Sequence[str]) -> str | None:
    """Guess the MRZ format from the number and length of cleaned lines."""
    lines = [line for line in lines if line]
    if len(lines) == 3:
        return "TD1" if all(20 <= len(line) <= 40 for line in lines) else None
    if len(lines) != 2:
        return None
    mean_length = (len(lines[0]) + len(lines[1])) / 2
    if not 26 <= mean_length <= 54:
        return None
    long_format = abs(mean_length - 44) < abs(mean_length - 36)
    if lines[0].startswith("V"):
        return "MRVA" if long_format else "MRVB"
    return "TD3" if long_format else "TD2"


def _fit_length(line: str, length: int) -> tuple[str, bool]:
    """Make ``line`` exactly ``length`` long by growing/shrinking its last filler run."""
    if len(line) == length:
        return line, False
    runs = [m for m in re.finditer(r"<{2,}", line)]
    if len(line) > length:
        excess = len(line) - length
        for run in reversed(runs):
            if run.end() - run.start() - 1 >= excess:
                return line[: run.start()] + line[run.start() + excess :], True
        return line[:length], True
    missing = length - len(line)
    if runs:
        run = runs[-1]
        return line[: run.start()] + "<" * missing + line[run.start() :], True
    return line + "<" * missing, True


# --------------------------------------------------------------------------- candidates

Alternatives = list[list[str]]  # [line][position] -> candidate characters, best first


def _apply_masks(
    rows: Alternatives, fmt: str, corrections: list[str], add_lookalikes: bool
) -> Alternatives:
    """Force each position's best guess into its class and add look-alike candidates."""
    masks = _MASKS[fmt]
    out: Alternatives = []
    for line_index, row in enumerate(rows):
        new_row: list[str] = []
        for pos, candidates in enumerate(row):
            kind = masks[line_index][pos]
            new_row.append(
                _mask_candidates(candidates, kind, line_index, pos, corrections, add_lookalikes)
            )
        out.append(new_row)
    # K is worth 20 = 0 (mod 10) in a check digit, exactly like `<`: no check digit can
    # tell them apart. A K between two fillers in a data field can only be a filler.
    for line_index, row in enumerate(out):
        for pos in range(1, len(row) - 1):
            kind = masks[line_index][pos]
            if kind != _ALNUM or row[pos][0] != "K":
                continue
            if row[pos - 1][0] == "<" and row[pos + 1][0] == "<":
                row[pos] = "<"
                corrections.append(f"line {line_index + 1} pos {pos + 1}: K->< (filler run)")
    return out


def _fits(char: str, kind: str) -> bool:
    if char == "<":
        return True
    if kind == _ALPHA:
        return char.isalpha()
    if kind in (_NUMERIC, _CHECK):
        return char.isdigit()
    return True


def _mask_candidates(
    candidates: str,
    kind: str,
    line: int,
    pos: int,
    corrections: list[str],
    add_lookalikes: bool,
) -> str:
    best = candidates[0]
    ordered: list[str] = []
    for char in candidates:
        mapped = char
        if not _fits(char, kind):
            table = _DIGIT_TO_LETTER if kind == _ALPHA else _LETTER_TO_DIGIT
            mapped = table.get(char, "")
        if mapped and mapped not in ordered:
            ordered.append(mapped)
    if not ordered:
        ordered = [best]  # nothing fits: keep it, the field check will fail
    elif ordered[0] != best:
        corrections.append(f"line {line + 1} pos {pos + 1}: {best}->{ordered[0]} (type mask)")
    if kind == _ALNUM and add_lookalikes:
        for look in _ALNUM_LOOKALIKES.get(ordered[0], ""):
            if look not in ordered:
                ordered.append(look)
    return "".join(ordered)


@dataclass(order=True)
class _Candidate:
    """One assignment of a span's characters: ``cost`` non-first choices, whose ranks
    among their position's alternatives add up to ``rank`` (between candidates of equal
    cost, the one made of nearer runner-ups is the likelier reading)."""

    cost: int
    chars: dict[tuple[int, int], str] = field(compare=False)
    rank: int = 0


def _span_candidates(
    rows: Alternatives,
    positions: Sequence[tuple[int, int]],
    max_changes: int,
) -> list[_Candidate]:
    """Every assignment of ``positions`` using at most ``max_changes`` non-first choices."""
    alternatives = [rows[line][i] for line, i in positions]
    changeable = [k for k, alts in enumerate(alternatives) if len(alts) > 1]
    base = {pos: alts[0] for pos, alts in zip(positions, alternatives, strict=True)}
    results = [_Candidate(0, dict(base))]
    for n_changes in range(1, max_changes + 1):
        for chosen in itertools.combinations(changeable, n_changes):
            options = [list(enumerate(alternatives[k]))[1:] for k in chosen]
            for replacement in itertools.product(*options):
                chars = dict(base)
                for k, (_, char) in zip(chosen, replacement, strict=True):
                    chars[positions[k]] = char
                rank = sum(index for index, _ in replacement)
                results.append(_Candidate(n_changes, chars, rank))
    return results


def _text(chars: Mapping[tuple[int, int], str], positions: Sequence[tuple[int, int]]) -> str:
    return "".join(chars[p] for p in positions)


def _check_ok(value: str, check_char: str, *, empty_allows_filler: bool = False) -> bool:
    if empty_allows_filler and set(value) <= {"<"}:
        return check_char in ("<", "0")
    if not check_char.isdigit():
        return False
    return compute_check_digit(value) == check_char


def _parse_yymmdd(text: str) -> tuple[int, int, int] | None:
    if len(text) != 6 or not text.isdigit():
        return None
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    try:
        date(2000, mm, dd)  # leap-year-agnostic validity (2000 is a leap year)
    except ValueError:
        return None
    return yy, mm, dd


def _date_plausible(text: str, allow_unknown: bool) -> bool:
    if allow_unknown and "<" in text:
        return re.fullmatch(r"[0-9<]{6}", text) is not None
    return _parse_yymmdd(text) is not None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def birth_date_from_mrz(text: str, today: date) -> date | None:
    """YYMMDD birth date: the latest century that puts it on or before ``today``."""
    parsed = _parse_yymmdd(text)
    if parsed is None:
        return None
    yy, mm, dd = parsed
    for century in (2000, 1900):
        candidate = _safe_date(century + yy, mm, dd)
        if candidate is not None and candidate <= today:
            return candidate
    return None


def expiry_date_from_mrz(text: str, today: date, max_years_ahead: int = 20) -> date | None:
    """YYMMDD expiry date: 20YY unless that is more than ``max_years_ahead`` ahead."""
    parsed = _parse_yymmdd(text)
    if parsed is None:
        return None
    yy, mm, dd = parsed
    horizon = _safe_date(today.year + max_years_ahead, today.month, min(today.day, 28))
    assert horizon is not None
    for century in (2000, 1900):
        candidate = _safe_date(century + yy, mm, dd)
        if candidate is not None and candidate <= horizon:
            return candidate
    return None


# --------------------------------------------------------------------------- names


def _clean_names(field_text: str) -> tuple[str, str, bool, list[str], str]:
    """Split a name field into (surname, given names, plausible, corrections, cleaned text)."""
    corrections: list[str] = []
    text = field_text
    # Runs of 3+ K never occur in names: stock OCR models' reading of `<<<`.
    text2 = re.sub(r"K{3,}", lambda m: "<" * len(m.group()), text)
    if text2 != text:
        corrections.append("name field: KKK run -> fillers")
        text = text2
    separator = text.find("<<")
    if separator < 0:
        surname_part, rest = text, ""
    else:
        surname_part, rest = text[:separator], text[separator + 2 :]
    rest = rest.lstrip("<") if rest.startswith("<") else rest
    end = rest.find("<<")
    given_part = rest if end < 0 else rest[:end]
    tail = "" if end < 0 else rest[end:]
    plausible = True
    if tail and set(tail) - {"<"}:
        if set(tail) <= _FILLER_LOOKALIKES:
            corrections.append(f"name field: filler look-alikes {tail.strip('<')!r} -> <")
            text = text[: len(text) - len(tail)] + "<" * len(tail)
        else:
            plausible = False  # letters after the end of the names: misread or misaligned
    given_part = given_part.rstrip("<")
    if text.startswith("<"):
        # The field opens with the primary identifier (a name with one component is
        # the primary identifier): a leading filler is a lattice slipped by one cell.
        plausible = False
    surname = surname_part.strip("<").replace("<", " ")
    given = given_part.replace("<", " ").strip()
    if not surname or not re.fullmatch(r"[A-Z ]+", surname):
        plausible = False
    if given and not re.fullmatch(r"[A-Z ]+", given):
        plausible = False
    if "  " in surname or "  " in given:
        plausible = False
    return surname, given, plausible, corrections, text


# --------------------------------------------------------------------------- parsing


def parse_mrz(lines: Sequence[str], *, today: date) -> MrzResult:
    """Parse (possibly OCR-noisy) MRZ text lines into checked fields."""
    cleaned = [clean_line(line) for line in lines]
    cleaned = [line for line in cleaned if line]
    return parse_mrz_alternatives(
        [[c for c in line] for line in cleaned],
        today=today,
        max_changes_per_field=_TEXT_MAX_CHANGES_PER_FIELD,
        max_changes_total=_TEXT_MAX_CHANGES_TOTAL,
        add_lookalikes=True,
    )


def parse_mrz_alternatives(
    rows: Sequence[Sequence[str]],
    *,
    today: date,
    base_confidence: float = 1.0,
    max_changes_per_field: int = _OCR_MAX_CHANGES_PER_FIELD,
    max_changes_total: int = _OCR_MAX_CHANGES_TOTAL,
    add_lookalikes: bool = False,
    require_unique: bool = False,
) -> MrzResult:
    """Parse lines given as per-position alternatives (best first, e.g. ``["O0", "K<"]``).

    Alternatives beyond the first are only used when check digits prove them: the
    cheapest passing combination must be unique. ``add_lookalikes`` also tries the usual
    letter/digit look-alikes in alphanumeric fields (for plain text without runner-ups).
    ``require_unique``: an OCR's runner-ups are near-ties, so a read is proven only when no
    other combination of them passes the checks as well.
    """
    first_choice = ["".join(c[0] for c in row if c) for row in rows]
    fmt = detect_format(first_choice)
    if fmt is None:
        return mrz_not_found(first_choice)
    layout = LAYOUTS[fmt]
    n_lines, length = FORMAT_LINES[fmt]
    corrections: list[str] = []
    fitted: Alternatives = []
    length_repairs = 0
    for index, row in enumerate(rows[:n_lines]):
        alternatives = [c for c in row if c]
        text = "".join(c[0] for c in alternatives)
        new_text, repaired = _fit_length(text, length)
        if repaired:
            length_repairs += 1
            corrections.append(f"line {index + 1}: length {len(text)}->{length}")
            fitted.append([ch for ch in new_text])
        else:
            fitted.append([c for c in alternatives])
    masked = _apply_masks(fitted, fmt, corrections, add_lookalikes)
    mask_corrections = len(corrections) - length_repairs
    return _decode(
        layout,
        masked,
        today,
        corrections,
        mask_corrections,
        length_repairs,
        base_confidence,
        (max_changes_per_field, max_changes_total, require_unique),
    )


def _decode(
    layout: _Layout,
    rows: Alternatives,
    today: date,
    corrections: list[str],
    mask_corrections: int,
    length_repairs: int,
    base_confidence: float,
    limits: tuple[int, int, bool],
) -> MrzResult:
    best = {(li, i): alts[0] for li, row in enumerate(rows) for i, alts in enumerate(row)}

    def first(span: _Span) -> str:
        return _text(best, span.positions())

    # Long document numbers (TD1/TD2): check position holds `<`, number continues.
    number_positions = layout.document_number.positions()
    number_check = layout.document_number_check
    cont = layout.long_number_continuation
    long_number = False
    if cont is not None and best[number_check] == "<":
        continuation = first(cont)
        stop = continuation.find("<")
        stop = len(continuation) if stop < 0 else stop
        if stop >= 2:  # at least one more character plus its check digit
            extra = [(cont.line, cont.start + k) for k in range(stop - 1)]
            number_positions = number_positions + extra
            number_check = (cont.line, cont.start + stop - 1)
            long_number = True

    # Groups proven by a check digit.
    groups: list[tuple[str, list[tuple[int, int]], tuple[int, int], bool, bool]] = [
        ("document_number", number_positions, number_check, False, False),
        ("birth_date", layout.birth_date.positions(), layout.birth_date_check, True, False),
        ("expiry_date", layout.expiry_date.positions(), layout.expiry_date_check, True, False),
    ]
    if layout.personal_number_check is not None:
        groups.append(
            (
                "personal_number",
                layout.optional[0].positions(),
                layout.personal_number_check,
                False,
                True,
            )
        )

    checks: dict[str, bool] = {}
    covered: set[tuple[int, int]] = set()
    group_candidates: list[list[_Candidate]] = []
    for name, positions, check_pos, is_date, empty_filler in groups:
        span_positions = [*positions, check_pos]
        covered.update(span_positions)
        passing = []
        for cand in _span_candidates(rows, span_positions, limits[0]):
            value = _text(cand.chars, positions)
            if is_date and not _date_plausible(value, allow_unknown=name == "birth_date"):
                continue
            if _check_ok(value, cand.chars[check_pos], empty_allows_filler=empty_filler):
                passing.append(cand)
        passing.sort()
        checks[name] = bool(passing)
        group_candidates.append(passing or [_Candidate(0, {p: best[p] for p in span_positions})])

    ambiguous = False
    if layout.composite is not None:
        composite_positions = [p for span in layout.composite_spans for p in span.positions()]
        free = [p for p in composite_positions if p not in covered]
        free_candidates = _span_candidates(rows, [*free, layout.composite], 1)
        group_candidates.append(free_candidates)
        chosen, ambiguous, composite_ok = _choose_combination(
            group_candidates, composite_positions, layout.composite, limits[1], limits[2]
        )
        checks["composite"] = composite_ok
    else:
        chosen = {}
        for cands in group_candidates:
            if len(cands) > 1 and cands[0].cost == cands[1].cost and cands[0].cost > 0:
                ambiguous = True
            if limits[2] and len(cands) > 1:
                ambiguous = True
            chosen.update(cands[0].chars)
        if sum(cands[0].cost for cands in group_candidates) > limits[1]:
            ambiguous = True  # too many guesses to call them proven

    # The country fields are reported as read: a code not on the ICAO list fails its check
    # (document_country_unknown) instead of being replaced by a listed country (a German
    # specimen's BDR is not Bulgaria's BGR, a Slovenian SI< not Guinea's GIN).
    final = dict(best)
    final.update(chosen)
    proven = 0
    for pos, char in sorted(final.items()):
        if char != best[pos]:
            proven += 1
            where = f"line {pos[0] + 1} pos {pos[1] + 1}"
            corrections.append(f"{where}: {best[pos]}->{char} (check digit)")
    lines = tuple("".join(final[(li, i)] for i in range(len(row))) for li, row in enumerate(rows))

    def span_text(span: _Span) -> str:
        return "".join(lines[span.line][span.start : span.end])

    document_type = span_text(layout.document_type)
    issuing = span_text(layout.issuing_country)
    nationality = span_text(layout.nationality)
    sex = lines[layout.sex[0]][layout.sex[1]]
    surname, given, names_ok, name_corrections, names_text = _clean_names(span_text(layout.names))
    corrections.extend(name_corrections)
    if names_text != span_text(layout.names):
        n = layout.names
        line = lines[n.line]
        lines = (
            *lines[: n.line],
            line[: n.start] + names_text + line[n.end :],
            *lines[n.line + 1 :],
        )
    document_number = "".join(final[p] for p in number_positions)
    optional_spans = list(layout.optional)
    if long_number and cont is not None:
        consumed = len(number_positions) - 9 + 1
        optional_spans = [
            _Span(s.line, s.start + consumed, s.end) if s == cont else s for s in optional_spans
        ]
    optional = "<".join(span_text(s).strip("<") for s in optional_spans).strip("<")

    checks["document_type"] = (
        document_type[0] in layout.type_letters
        and re.fullmatch(r"[A-Z][A-Z<]", document_type) is not None
    )
    checks["issuing_country"] = is_known_country(issuing)
    checks["nationality"] = is_known_country(nationality)
    checks["sex"] = sex in ("M", "F", "X", "<")
    checks["names"] = names_ok
    birth_text, expiry_text = span_text(layout.birth_date), span_text(layout.expiry_date)
    birth = birth_date_from_mrz(birth_text, today)
    expiry = expiry_date_from_mrz(expiry_text, today)
    checks["birth_date_plausible"] = birth is not None or (
        "<" in birth_text and _date_plausible(birth_text, allow_unknown=True)
    )
    checks["expiry_date_plausible"] = expiry is not None or set(expiry_text) == {"<"}
    checks["unambiguous"] = not ambiguous
    checks["unchecked_positions_proven"] = not unprovable_lookalikes(layout.name, lines)

    valid = all(checks.values())
    fields = MrzFields(
        document_type=document_type.rstrip("<"),
        issuing_country=normalise_country_field(issuing),
        surname=surname,
        given_names=given,
        document_number=document_number.rstrip("<"),
        nationality=normalise_country_field(nationality),
        birth_date=birth,
        sex=sex,
        expiry_date=expiry,
        optional_data=optional,
    )
    confidence = base_confidence * max(
        0.0,
        1.0
        - 0.08 * proven
        - 0.03 * mask_corrections
        - 0.1 * length_repairs
        - 0.02 * len(name_corrections),
    )
    if not valid:
        confidence *= 0.5 * sum(checks.values()) / len(checks)
    return MrzResult(
        found=True,
        format=layout.name,
        lines=lines,
        valid=valid,
        fields=fields,
        checks=MappingProxyType(checks),
        confidence=round(confidence, 4),
        corrections=tuple(corrections),
        reason_codes=failure_reasons(checks),
    )


def failure_reasons(checks: Mapping[str, bool]) -> tuple[str, ...]:
    """Reason codes for a read's failed checks: ``document_country_unknown`` when an
    issuing-state or nationality code is not on the ICAO list, ``mrz_check_failed`` when
    any other check fails; none when every check passes."""
    failed = [name for name, ok in checks.items() if not ok]
    codes: list[str] = []
    if any(name not in _COUNTRY_CHECKS for name in failed):
        codes.append(REASON_MRZ_CHECK_FAILED)
    if any(name in _COUNTRY_CHECKS for name in failed):
        codes.append(REASON_COUNTRY_UNKNOWN)
    return tuple(codes)


def _choose_combination(
    group_candidates: list[list[_Candidate]],
    composite_positions: Sequence[tuple[int, int]],
    composite_pos: tuple[int, int],
    max_total: int,
    require_unique: bool = False,
) -> tuple[dict[tuple[int, int], str], bool, bool]:
    """Cheapest combination of group candidates that passes the composite check.

    Returns (chosen characters, ambiguous, composite passed). Ambiguous when two different
    combinations tie for the lowest cost, or (``require_unique``) when any other
    combination within the budget passes too: then nothing is proven.
    """
    groups = [sorted(c for c in cands if c.cost <= max_total) for cands in group_candidates]
    # (cost, rank, characters) of every passing combination; the likeliest is the one
    # with the fewest changes, then the nearest runner-ups.
    winners: list[tuple[int, int, dict[tuple[int, int], str]]] = []
    for budget in range(max_total + 1):
        for combo in _combinations_with_cost(groups, budget):
            chars: dict[tuple[int, int], str] = {}
            for cand in combo:
                chars.update(cand.chars)
            passes = _check_ok(_text(chars, composite_positions), chars[composite_pos])
            if passes and all(chars != known for _, _, known in winners):
                winners.append((budget, sum(cand.rank for cand in combo), chars))
        if winners and not require_unique:
            break
    if winners:
        likeliest = min(winners, key=lambda winner: winner[:2])
        return likeliest[2], len(winners) > 1, True
    fallback: dict[tuple[int, int], str] = {}
    for cands in group_candidates:
        fallback.update(cands[0].chars)
    return fallback, False, False


def _combinations_with_cost(
    groups: Sequence[Sequence[_Candidate]], budget: int
) -> Iterator[tuple[_Candidate, ...]]:
    """Every choice of one candidate per group whose costs add up to exactly ``budget``."""
    if not groups:
        if budget == 0:
            yield ()
        return
    head, rest = groups[0], groups[1:]
    for cand in head:
        if cand.cost > budget:
            break  # sorted by cost
        for tail in _combinations_with_cost(rest, budget - cand.cost):
            yield (cand, *tail)


def unprovable_lookalikes(fmt: str, lines: Sequence[str]) -> list[tuple[int, int]]:
    """Positions of ``lines`` that no check digit covers, that allow both letters and
    digits, and that hold a letter/digit look-alike (O/0, I/1, B/8, S/5, Z/2, ...): no
    reading of them is proven, so a read with any is never ``valid``."""
    masks = _MASKS[fmt]
    return sorted(
        (line, pos)
        for line, pos in unchecked_positions(fmt)
        if line < len(lines)
        and pos < len(lines[line])
        and masks[line][pos] == _ALNUM
        and lines[line][pos] in _UNPROVABLE_IN_UNCHECKED
    )


def mask_character(char: str, kind: str) -> str:
    """``char`` forced into a position class (``position_masks`` letters) the way the
    codec does it: a digit in a letter position becomes its look-alike letter and vice
    versa; characters without a look-alike stay as they are (and will not match)."""
    if _fits(char, kind):
        return char
    table = _DIGIT_TO_LETTER if kind == _ALPHA else _LETTER_TO_DIGIT
    return table.get(char, char)
