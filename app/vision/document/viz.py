"""Printed fields (visual inspection zone) and their cross-check against the MRZ.

``read_printed_fields`` runs Tesseract on the part of a normalised (rectified) document above
the MRZ, groups the words into lines itself and takes each value from the line under its
label ("Surname / Nom", "Date of birth", ...). ``compare_printed_with_mrz`` compares them with
the MRZ tolerantly: diacritics folded the ICAO way, dates in any common printed format, small
name differences allowed, OCR confusions (O/0, I/1 ...) forgiven in document numbers. A real
disagreement gives ``data_mismatch``; printed text that could not be read is not a mismatch.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import cv2
import numpy as np

REASON_DATA_MISMATCH = "data_mismatch"

# Fraction of the page height above the MRZ, per format (the MRZ sits at the bottom).
_TEXT_ZONE_FRACTION = {"TD1": 0.70, "TD2": 0.77, "TD3": 0.79, "MRVA": 0.79, "MRVB": 0.77}
_TARGET_WIDTH = {"TD1": 1400, "TD2": 1600, "TD3": 1800, "MRVA": 1800, "MRVB": 1600}

# ICAO 9303 part 3 transliterations that are not simply "drop the diacritic".
_ICAO_FOLD = {
    "Ä": "AE",
    "Ö": "OE",
    "Ü": "UE",
    "Å": "AA",
    "Æ": "AE",
    "Ø": "OE",
    "ß": "SS",
    "ẞ": "SS",
    "Þ": "TH",
    "Ð": "D",
    "Đ": "D",
    "Ł": "L",
    "Œ": "OE",
    "Ĳ": "IJ",
    "İ": "I",
    "ı": "I",
}
_SIMPLE_FOLD = {
    "Æ": "AE",
    "Ø": "O",
    "ß": "SS",
    "ẞ": "SS",
    "Þ": "TH",
    "Ð": "D",
    "Đ": "D",
    "Ł": "L",
    "Œ": "OE",
    "Ĳ": "IJ",
    "İ": "I",
    "ı": "I",
}

# Month names and abbreviations (folded, upper case) in the languages of common documents.
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "JAN JANUARY JANVIER JANV JANUAR JAENNER ENE ENERO GEN GENNAIO STY",
        "FEB FEBRUARY FEV FEVRIER FEBRUAR FEBRERO FEBBRAIO LUT FEVEREIRO FEVR",
        "MAR MARCH MARS MAERZ MARZ MARZO MARCO",
        "APR APRIL AVR AVRIL ABR ABRIL APRILE KWI",
        "MAY MAI MAYO MAGGIO MAJ MAIO MEI",
        "JUN JUNE JUIN JUNI JUNIO GIU GIUGNO CZE JUNHO",
        "JUL JULY JUIL JUILLET JULI JULIO LUG LUGLIO LIP JULHO",
        "AUG AUGUST AOU AOUT AGO AGOSTO SIE",
        "SEP SEPT SEPTEMBER SEPTEMBRE SEPTIEMBRE SET SETTEMBRE WRZ SETEMBRO",
        "OCT OCTOBER OCTOBRE OKT OKTOBER OCTUBRE OTT OTTOBRE PAZ OUT OUTUBRO",
        "NOV NOVEMBER NOVEMBRE NOVIEMBRE LIS NOVEMBRO",
        "DEC DECEMBER DECEMBRE DEZ DEZEMBER DIC DICIEMBRE DICEMBRE GRU DEZEMBRO",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS.setdefault(_name, _number)

_DATE_PATTERNS = (
    # 12.08.1974  12/08/1974  12-08-1974
    (re.compile(r"\b(\d{1,2})\s?[./-]\s?(\d{1,2})\s?[./-]\s?(\d{4})\b"), "dmy"),
    # 1974-08-12  1974.08.12
    (re.compile(r"\b(\d{4})\s?[-.]\s?(\d{2})\s?[-.]\s?(\d{2})\b"), "ymd"),
    # 12 AUG 1974, 12 AUG/AOUT 1974, 12 AUGUST 1974
    (re.compile(r"\b(\d{1,2})\s*([A-Z]{3,9})(?:\s*/\s*[A-Z]{3,9})?\.?\s*(\d{4})\b"), "dMy"),
    # 12 AUG/AOUT 74 (two-digit year: the century is a guess, see _TWO_DIGIT_YEAR_PIVOT)
    (re.compile(r"\b(\d{1,2})\s*([A-Z]{3,9})(?:\s*/\s*[A-Z]{3,9})?\.?\s*(\d{2})\b"), "dMyy"),
)
# Two-digit printed years above this are 19xx, others 20xx. The MRZ has the same ambiguity,
# so dates are compared century-insensitively (see ``dates_agree``).
_TWO_DIGIT_YEAR_PIVOT = 40

_LABELS: dict[str, tuple[str, ...]] = {
    "surname": (
        "SURNAME",
        "SUMAME",
        "PRIMARY IDENTIFIER",
        "NOM",
        "APELLIDO",
        "NAZWISKO",
        "COGNOME",
        "FAMILIENNAME",
        "PRIJMENI",
        "SUKUNIMI",
        "EFTERNAMN",
        "ETTERNAVN",
        "APELIDO",
    ),
    "given_names": (
        "GIVEN NAME",
        "SECONDARY IDENTIFIER",
        "PRENOM",
        "FORENAME",
        "VORNAME",
        "NOMBRE",
        "IMIONA",
        "NOME",
        "JMENO",
        "ETUNIMET",
        "FORNAMN",
        "FORNAVN",
        "FIRST NAME",
    ),
    "document_number": (
        "DOCUMENT NO",
        "PASSPORT NUMBER",
        "PASSPORT NO",
        "CARD NO",
        "DOCUMENT NUMBER",
        "NO DU",
        "PASS NR",
        "DOKUMENTNUMMER",
        "NUMERO",
        "CISLO",
        "PASSNUMMER",
    ),
    "birth_date": (
        "BIRTH",
        "NAISSANCE",
        "GEBURT",
        "NACIMIENTO",
        "NASCITA",
        "URODZENIA",
        "NASCIMENTO",
        "NAROZENI",
        "SYNTYMA",
        "FODELSE",
    ),
    "expiry_date": (
        "EXPIR",
        "VALID UNTIL",
        "GUELTIG",
        "GULTIG",
        "CADUCIDAD",
        "SCADENZA",
        "WAZNOSCI",
        "VALIDADE",
        "PLATNOSTI",
        "VOIMASSA",
        "DATE OF EXP",
    ),
    "issue_date": (
        "ISSUE",
        "DELIVRANCE",
        "AUSSTELL",
        "EXPEDICION",
        "RILASCIO",
        "WYDANIA",
        "EMISSAO",
        "VYDANI",
    ),
}


@dataclass(frozen=True)
class PrintedFields:
    """Fields read from the printed (VIZ) text; ``None`` where they could not be read."""

    surname: str | None
    given_names: str | None
    document_number: str | None
    birth_date: date | None
    expiry_date: date | None
    confidence: float  # mean Tesseract word confidence of the values used, 0..1
    raw_text: str


@dataclass(frozen=True)
class ConsistencyResult:
    """Outcome of comparing printed fields with the MRZ."""

    consistent: bool | None  # None = not enough printed data to say
    mismatches: tuple[str, ...]
    compared: tuple[str, ...]
    score: float  # fraction of compared fields that agree (0 when nothing was compared)
    reason_codes: tuple[str, ...]


# --------------------------------------------------------------------------- text helpers


def fold_name(text: str, *, icao: bool = True) -> str:
    """Upper-case A-Z and single spaces; ICAO (Ä->AE) or simple (Ä->A) transliteration."""
    table = _ICAO_FOLD if icao else _SIMPLE_FOLD
    out: list[str] = []
    for char in text.upper():
        if char in table:
            out.append(table[char])
        elif char in " -<,/":
            out.append(" ")
        else:
            decomposed = unicodedata.normalize("NFKD", char)
            out.append("".join(c for c in decomposed if "A" <= c <= "Z"))
    return " ".join("".join(out).split())


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day) if 1900 <= year <= 2100 else None
    except ValueError:
        return None


def find_dates(text: str) -> list[tuple[int, date]]:
    """Every printed date in ``text`` with its character position (sorted by position)."""
    # Fold character by character so that match positions refer to the original text.
    plain = "".join(unicodedata.normalize("NFKD", c.upper())[0] for c in text)
    found: dict[int, date] = {}
    for pattern, order in _DATE_PATTERNS:
        for match in pattern.finditer(plain):
            a, b, c = match.groups()
            value: date | None
            if order == "dmy":
                value = _valid_date(int(c), int(b), int(a))
            elif order == "ymd":
                value = _valid_date(int(a), int(b), int(c))
            else:
                month = _MONTHS.get(b) or _MONTHS.get(b[:3])
                year = int(c)
                if order == "dMyy":
                    year += 1900 if year > _TWO_DIGIT_YEAR_PIVOT else 2000
                value = _valid_date(year, month, int(a)) if month else None
            if value is not None and match.start() not in found:
                found[match.start()] = value
    return sorted(found.items())


def parse_printed_date(text: str) -> date | None:
    """The first date in ``text`` (DD.MM.YYYY, YYYY-MM-DD, DD MMM YYYY, DD MMM/MMM YYYY)."""
    dates = find_dates(text)
    return dates[0][1] if dates else None


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


_OCR_CONFUSIONS = str.maketrans(
    {
        "O": "0",
        "Q": "0",
        "D": "0",
        "I": "1",
        "L": "1",
        "Z": "2",
        "S": "5",
        "B": "8",
        "G": "6",
        "T": "7",
    }
)


def _number_key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper()).translate(_OCR_CONFUSIONS)


# --------------------------------------------------------------------------- OCR


@dataclass(frozen=True)
class _Word:
    text: str
    conf: float
    x0: int
    y0: int
    x1: int
    y1: int


@dataclass(frozen=True)
class _Line:
    words: tuple[_Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    @property
    def x0(self) -> int:
        return min(w.x0 for w in self.words)

    @property
    def y0(self) -> int:
        return min(w.y0 for w in self.words)

    @property
    def y1(self) -> int:
        return max(w.y1 for w in self.words)

    @property
    def height(self) -> int:
        return int(np.median([w.y1 - w.y0 for w in self.words]))


def _ocr_words(grey: np.ndarray) -> list[_Word]:
    import pytesseract

    data = pytesseract.image_to_data(
        grey, lang="eng", config="--psm 11", output_type=pytesseract.Output.DICT
    )
    words = []
    for text, conf, x, y, w, h in zip(
        data["text"],
        data["conf"],
        data["left"],
        data["top"],
        data["width"],
        data["height"],
        strict=True,
    ):
        text = str(text).strip()
        if text and float(conf) >= 0:
            words.append(_Word(text, float(conf) / 100.0, x, y, x + w, y + h))
    return words


def _group_lines(words: list[_Word]) -> list[_Line]:
    """Words that overlap vertically and sit close horizontally form a line."""
    lines: list[list[_Word]] = []
    for word in sorted(words, key=lambda w: (w.x0, w.y0)):
        height = word.y1 - word.y0
        best = None
        for line in lines:
            last = line[-1]
            overlap = min(last.y1, word.y1) - max(last.y0, word.y0)
            gap = word.x0 - last.x1
            if overlap > 0.5 * min(height, last.y1 - last.y0) and -height < gap < 2.5 * height:
                best = line
                break
        if best is None:
            lines.append([word])
        else:
            best.append(word)
    return sorted((_Line(tuple(ws)) for ws in lines), key=lambda ln: (ln.y0, ln.x0))


# "Given names / Prénoms" must not be taken for "Nom": given names are tried first.
_LABEL_ORDER = (
    "given_names",
    "surname",
    "document_number",
    "birth_date",
    "expiry_date",
    "issue_date",
)


def _word_has_needle(word: str, needle: str, rest: str) -> bool:
    if len(needle) < 5:  # short needles ("NOM") only as the start of a word
        return word.startswith(needle)
    if rest.startswith(needle) or (" " not in needle and needle in word):
        return True
    # one OCR slip; "VORNAME" is two edits from "SURNAME" and must not match it
    return (
        " " not in needle and abs(len(word) - len(needle)) <= 1 and edit_distance(word, needle) <= 1
    )


def _segment_starts(line: _Line) -> list[int]:
    """For each word, the index of the first word of its segment (segments: split at wide gaps)."""
    starts = [0]
    for index in range(1, len(line.words)):
        previous, word = line.words[index - 1], line.words[index]
        gap = word.x0 - previous.x1
        wide = gap > 1.2 * max(previous.y1 - previous.y0, word.y1 - word.y0, 1)
        starts.append(index if wide else starts[-1])
    return starts


def _label_matches(line: _Line) -> list[tuple[str, tuple[int, ...]]]:
    """Every (field kind, candidate value x positions) in ``line``; labels may share a line.

    The value usually starts under the label's segment (split at wide gaps); when OCR
    merged two labels into one segment it starts under the matched word instead.
    """
    # OCR glues words ("names-/Prénoms"): split each word after folding, keep its word index
    tokens = [
        (token, index)
        for index, word in enumerate(line.words)
        for token in fold_name(word.text, icao=False).split()
    ]
    starts = _segment_starts(line)
    found: list[tuple[str, tuple[int, ...]]] = []
    used_segments: set[int] = set()
    for kind in _LABEL_ORDER:
        for position, (token, index) in enumerate(tokens):
            segment = starts[index]
            if segment in used_segments:
                continue
            rest = " ".join(t for t, _ in tokens[position:])
            if any(_word_has_needle(token, n, rest) for n in _LABELS[kind]):
                anchors = (line.words[segment].x0, line.words[index].x0)
                found.append((kind, tuple(dict.fromkeys(anchors))))
                used_segments.add(segment)
                break
    return found


def _label_kind(line: _Line) -> str | None:
    matches = _label_matches(line)
    return matches[0][0] if matches else None


def _value_lines(label: _Line, anchor_x: int, lines: list[_Line]) -> list[_Line]:
    """The parts of the lines just below ``label`` that start under the label, nearest first."""
    height = max(label.height, 1)
    tolerance = 3 * height
    candidates = []
    for line in lines:
        if not (label.y0 + 0.6 * height < line.y0 and line.y0 - label.y1 < 3.5 * height):
            continue
        if _label_kind(line) is not None:
            continue
        words = tuple(w for w in line.words if w.x0 >= anchor_x - tolerance)
        if words and abs(words[0].x0 - anchor_x) < tolerance:
            candidates.append(_Line(words))
    return sorted(candidates, key=lambda ln: ln.y0)[:2]


def _name_value(line: _Line) -> str | None:
    # name words are letters (an OCR slip may add one digit); a line of numbers is not a name
    words = [
        w.text
        for w in line.words
        if len(re.findall(r"[^\W\d_]", w.text)) >= max(1, 0.7 * len(w.text.strip(",.'-")))
        and w.conf >= 0.3
    ]
    value = " ".join(words).strip(" ,.:;'|")
    return value if len(re.sub(r"\W", "", value)) >= 2 else None


def _number_value(line: _Line) -> str | None:
    for word in line.words:
        token = word.text.strip(" .,:;|")
        if re.fullmatch(r"[A-Z0-9<]{5,15}", token) and re.search(r"\d", token):
            return token
    return None


def read_printed_fields(document_rgb: np.ndarray, document_format: str | None) -> PrintedFields:
    """OCR the printed fields above the MRZ of a normalised (rectified, upright) document."""
    fmt = document_format if document_format in _TEXT_ZONE_FRACTION else None
    height, width = document_rgb.shape[:2]
    zone = document_rgb[: int(height * _TEXT_ZONE_FRACTION.get(fmt or "", 0.72))]
    grey = cv2.cvtColor(zone, cv2.COLOR_RGB2GRAY) if zone.ndim == 3 else zone
    scale = _TARGET_WIDTH.get(fmt or "", 1600) / max(width, 1)
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    lines = _group_lines(_ocr_words(grey))
    raw_text = "\n".join(line.text for line in lines)

    values: dict[str, Any] = {}
    used: list[_Word] = []
    labels = [(line, kind, x) for line in lines for kind, xs in _label_matches(line) for x in xs]
    for label, kind, anchor_x in labels:
        if kind in values:
            continue
        candidates = _value_lines(label, anchor_x, lines)
        # For names, look past the nearest line only when it is OCR debris: the next one is
        # probably another field's value (dates and numbers have their own syntax).
        is_name = kind in ("surname", "given_names")
        if is_name and candidates and len(re.sub(r"\W", "", candidates[0].text)) >= 3:
            candidates = candidates[:1]
        for value_line in candidates:
            value: Any
            if kind in ("surname", "given_names"):
                value = _name_value(value_line)
            elif kind == "document_number":
                value = _number_value(value_line)
            else:
                value = parse_printed_date(value_line.text)
            if value is not None:
                values[kind] = value
                used.extend(value_line.words)
                break

    all_dates = sorted({d for _, d in find_dates(raw_text)})
    if len(all_dates) >= 3:  # birth < issue < expiry, whatever the labels say
        values.setdefault("birth_date", all_dates[0])
        values.setdefault("expiry_date", all_dates[-1])
    confidence = float(np.mean([w.conf for w in used])) if used else 0.0
    return PrintedFields(
        surname=values.get("surname"),
        given_names=values.get("given_names"),
        document_number=values.get("document_number"),
        birth_date=values.get("birth_date"),
        expiry_date=values.get("expiry_date"),
        confidence=round(confidence, 3),
        raw_text=raw_text,
    )


# --------------------------------------------------------------------------- comparison


def _field(mrz_fields: Any, name: str) -> Any:
    if isinstance(mrz_fields, dict):
        return mrz_fields.get(name)
    return getattr(mrz_fields, name, None)


def _as_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return date.fromisoformat(value)
    return None


def names_agree(printed: str, mrz: str) -> bool:
    """Printed name vs MRZ name: transliteration variants, truncation, small OCR slips."""
    folded_mrz = fold_name(mrz)
    if not folded_mrz:
        return True
    # An English-trained OCR drops diacritics (Ö read as O, so MRZ "OE" meets printed "O"),
    # reads the thorn (MRZ "TH") as "P" and ß (MRZ "SS") as "B".
    undiacritic = folded_mrz
    for digraph, letter in (("AE", "A"), ("OE", "O"), ("UE", "U"), ("AA", "A")):
        undiacritic = undiacritic.replace(digraph, letter)
    targets = {folded_mrz, undiacritic, folded_mrz.replace("TH", "P")}
    candidates = {fold_name(printed), fold_name(printed, icao=False)}
    candidates |= {c.replace("B", "SS") for c in candidates if "B" in c}
    best = len(folded_mrz)
    for target in targets:
        for candidate in candidates:
            best = min(best, edit_distance(candidate, target))
            # the MRZ name field may be truncated: compare with the printed name's prefix
            if len(target) >= 8 and len(candidate) > len(target):
                best = min(best, edit_distance(candidate[: len(target)], target))
            # spaces and fillers are often lost or added by OCR
            best = min(best, edit_distance(candidate.replace(" ", ""), target.replace(" ", "")))
    return best <= max(1, len(folded_mrz) // 6)


def dates_agree(printed: date, mrz: date) -> bool:
    """Same day; the century is ignored because the MRZ holds only YYMMDD."""
    return (printed.year % 100, printed.month, printed.day) == (mrz.year % 100, mrz.month, mrz.day)


def compare_printed_with_mrz(printed: PrintedFields, mrz_fields: Any) -> ConsistencyResult:
    """Compare printed fields with MRZ fields (an object with attributes, or a dict)."""
    compared: list[str] = []
    mismatches: list[str] = []

    for name in ("surname", "given_names"):
        printed_name = getattr(printed, name)
        mrz_name = _field(mrz_fields, name)
        if printed_name and isinstance(mrz_name, str) and fold_name(mrz_name):
            compared.append(name)
            if not names_agree(printed_name, mrz_name.replace("<", " ")):
                mismatches.append(name)

    mrz_number = _field(mrz_fields, "document_number")
    if printed.document_number and isinstance(mrz_number, str) and mrz_number.strip("<"):
        compared.append("document_number")
        if _number_key(printed.document_number) != _number_key(mrz_number):
            mismatches.append("document_number")

    for name in ("birth_date", "expiry_date"):
        printed_date = getattr(printed, name)
        mrz_date = _as_date(_field(mrz_fields, name))
        if printed_date is not None and mrz_date is not None:
            compared.append(name)
            if not dates_agree(printed_date, mrz_date):
                mismatches.append(name)

    if not compared:
        return ConsistencyResult(None, (), (), 0.0, ())
    score = 1.0 - len(mismatches) / len(compared)
    return ConsistencyResult(
        consistent=not mismatches,
        mismatches=tuple(mismatches),
        compared=tuple(compared),
        score=round(score, 3),
        reason_codes=(REASON_DATA_MISMATCH,) if mismatches else (),
    )
