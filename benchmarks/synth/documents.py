"""Synthetic ICAO 9303 identity documents, "photographed" with controlled degradations.

Everything here is SYNTHETIC except the portraits, which are real photos of public figures
from /work/shared/data/faces (for testing only, see that folder's README). Every random
choice comes from a numpy Generator seeded by the caller, so a seed reproduces the data set
exactly; each document has its own child generator ``default_rng([seed, tier, index])``, so
``--limit`` or a different ``n_*`` never changes the documents that are generated.

The generator is the ground-truth producer: it computes its own check digits and does not
import the reader it is used to test.

CLI::

    uv run python -m benchmarks.synth.documents --out benchmarks/out/docs --seed 7
"""

from __future__ import annotations

import argparse
import json
import math
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FACES_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "faces"
IDENTITIES: tuple[str, ...] = ("alex_lacamoire", "biden", "kit_harington", "obama", "rose_leslie")
IDENTITY_SEX = {"rose_leslie": "F"}  # everyone else in the face set is male

OCRB_FONT = "/usr/share/fonts/opentype/ocr-b/OCRB.otf"
DEJAVU_DIR = "/usr/share/fonts/truetype/dejavu"

# Fixed reference date so that data never depends on the day the generator runs.
REFERENCE_DATE = date(2025, 6, 1)

# Physical sizes (width, height) in millimetres: ICAO 9303 parts 4-7.
PAGE_SIZE_MM: dict[str, tuple[float, float]] = {
    "TD1": (85.6, 53.98),
    "TD2": (105.0, 74.0),
    "TD3": (125.0, 88.0),
    "MRVA": (120.0, 80.0),
    "MRVB": (105.0, 74.0),
}
LINE_LENGTH = {"TD1": 30, "TD2": 36, "TD3": 44, "MRVA": 44, "MRVB": 36}
LINE_COUNT = {"TD1": 3, "TD2": 2, "TD3": 2, "MRVA": 2, "MRVB": 2}
FORMAT_WEIGHTS = {"TD3": 0.45, "TD1": 0.30, "TD2": 0.15, "MRVA": 0.05, "MRVB": 0.05}

MRZ_PITCH_MM = 2.54  # 10 characters per inch
MRZ_CAP_HEIGHT_MM = 2.35

MONTHS_EN = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTHS_FR = (
    "JAN",
    "FÉV",
    "MARS",
    "AVR",
    "MAI",
    "JUIN",
    "JUIL",
    "AOÛT",
    "SEPT",
    "OCT",
    "NOV",
    "DÉC",
)
DATE_STYLES = ("dd_mon_yyyy", "dd_mon_fr_yyyy", "dd.mm.yyyy", "yyyy-mm-dd")

# (ICAO code, printed state name, name pool language)
COUNTRIES: tuple[tuple[str, str, str], ...] = (
    ("D", "BUNDESREPUBLIK DEUTSCHLAND", "de"),
    ("AUT", "REPUBLIK ÖSTERREICH", "de"),
    ("CHE", "SCHWEIZ SUISSE SVIZZERA", "de"),
    ("FRA", "RÉPUBLIQUE FRANÇAISE", "fr"),
    ("BEL", "BELGIQUE BELGIË", "fr"),
    ("ESP", "REINO DE ESPAÑA", "es"),
    ("PRT", "REPÚBLICA PORTUGUESA", "pt"),
    ("BRA", "REPÚBLICA FEDERATIVA DO BRASIL", "pt"),
    ("NOR", "KONGERIKET NORGE", "nordic"),
    ("DNK", "KONGERIGET DANMARK", "nordic"),
    ("SWE", "KONUNGARIKET SVERIGE", "nordic"),
    ("FIN", "SUOMI FINLAND", "nordic"),
    ("ISL", "ÍSLAND ICELAND", "is"),
    ("POL", "RZECZPOSPOLITA POLSKA", "pl"),
    ("CZE", "ČESKÁ REPUBLIKA", "cs"),
    ("HRV", "REPUBLIKA HRVATSKA", "hr"),
    ("TUR", "TÜRKİYE CUMHURİYETİ", "tr"),
    ("GBR", "UNITED KINGDOM OF GREAT BRITAIN", "en"),
    ("IRL", "IRELAND ÉIRE", "en"),
    ("USA", "UNITED STATES OF AMERICA", "en"),
    ("CAN", "CANADA", "fr"),
    ("AUS", "AUSTRALIA", "en"),
    ("NLD", "KONINKRIJK DER NEDERLANDEN", "nl"),
)

NAMES: dict[str, dict[str, tuple[str, ...]]] = {
    "de": {
        "surname": ("MÜLLER", "SCHÄFER", "GROß", "BÖHM", "WEIß", "KRÜGER", "MEYER-LÜDENSCHEIDT"),
        "M": ("JÜRGEN", "LUKAS", "KARL HEINZ", "STEFAN", "MATTHIAS"),
        "F": ("JÜLIE", "ANNA LENA", "KÄTHE", "SOPHIE"),
    },
    "fr": {
        "surname": ("LEFÈVRE", "GARÇON", "DUPONT", "BÉRANGER", "D'ALEMBERT", "LE CLÉZIO"),
        "M": ("FRANÇOIS", "JÉRÔME", "JEAN-PIERRE", "LOÏC", "ANDRÉ"),
        "F": ("HÉLÈNE", "ZOÉ", "MARIE-CLAIRE", "CÉLINE", "NOËLLE"),
    },
    "es": {
        "surname": ("NÚÑEZ GARCÍA", "MUÑOZ", "PÉREZ DE LA TORRE", "IBÁÑEZ", "GÓMEZ"),
        "M": ("JOSÉ LUIS", "ÁLVARO", "JESÚS", "IÑIGO"),
        "F": ("MARÍA JOSÉ", "INÉS", "ROCÍO", "LUCÍA"),
    },
    "pt": {
        "surname": ("GONÇALVES", "CONCEIÇÃO", "ARAÚJO", "SIMÕES", "LOUREIRO"),
        "M": ("JOÃO", "ANTÓNIO", "SEBASTIÃO", "RUI"),
        "F": ("CONCEIÇÃO", "INÊS", "MÁRCIA"),
    },
    "nordic": {
        "surname": ("ØSTERGAARD", "ÅBERG", "LINDSTRÖM", "SØRENSEN", "HÄKKINEN", "NÆSS"),
        "M": ("SØREN", "BJÖRN", "ÅKE", "JØRGEN", "MIKKO"),
        "F": ("ÅSA", "BIRGITTA", "SÖLVI", "MÆRTA", "LIISA"),
    },
    "is": {
        "surname": ("ÞÓRSDÓTTIR", "GUÐMUNDSSON", "SIGURÐARSON", "JÓNSDÓTTIR"),
        "M": ("ÞÓR", "GUÐMUNDUR", "EIRÍKUR"),
        "F": ("SIGRÍÐUR", "ÞÓRUNN", "ÁSDÍS"),
    },
    "pl": {
        "surname": ("WÓJCIK", "ŁUKASIEWICZ", "KOWALSKA-ŻAK", "SZCZĘSNY", "BRZĘCZYSZCZYKIEWICZ"),
        "M": ("ŁUKASZ", "PAWEŁ", "ZBIGNIEW", "JACEK"),
        "F": ("ŻANETA", "MAŁGORZATA", "AGNIESZKA"),
    },
    "cs": {
        "surname": ("DVOŘÁK", "NOVÁKOVÁ", "ČERNÝ", "ŠŤASTNÝ", "KŘÍŽ"),
        "M": ("JIŘÍ", "TOMÁŠ", "LUBOŠ"),
        "F": ("ŠÁRKA", "JIŘINA", "ZDEŇKA"),
    },
    "hr": {
        "surname": ("ĐURIĆ", "KOVAČEVIĆ", "HORVAT", "BABIĆ"),
        "M": ("LUKA", "IVAN", "MATIJA"),
        "F": ("ANA", "ŽELJKA", "MARIJA"),
    },
    "tr": {
        "surname": ("YILMAZ", "ÖZTÜRK", "ÇELİK", "ŞAHİN", "DOĞAN"),
        "M": ("MEHMET", "İSMAİL", "ÇAĞLAR"),
        "F": ("GÜL", "AYŞE", "ŞEYMA"),
    },
    "en": {
        "surname": ("SMITH", "O'BRIEN", "MACDONALD", "JOHNSON", "WILLIAMS-JONES", "TAYLOR"),
        "M": ("JOHN", "WILLIAM HENRY", "ROBERT", "MICHAEL JAMES"),
        "F": ("MARY", "ELIZABETH ANNE", "SARAH", "CHLOE"),
    },
    "nl": {
        "surname": ("VAN DER BERG", "DE VRIES", "JANSSEN", "VAN 'T HOF"),
        "M": ("JAN", "PIETER", "DAAN"),
        "F": ("SANNE", "EMMA", "FLEUR"),
    },
}

# ICAO 9303 part 3 transliteration of Latin characters that do not simply lose a diacritic.
ICAO_TRANSLITERATION = {
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
    "Ŀ": "L",
    "Œ": "OE",
    "Ĳ": "IJ",
    "ı": "I",
    "İ": "I",
}


# --------------------------------------------------------------------------- MRZ text


def check_digit(text: str) -> str:
    """ICAO 9303 check digit (weights 7, 3, 1; A=10 .. Z=35; '<' = 0)."""
    total = 0
    for position, char in enumerate(text):
        if char.isdigit():
            value = int(char)
        elif "A" <= char <= "Z":
            value = ord(char) - ord("A") + 10
        elif char == "<":
            value = 0
        else:
            raise ValueError(f"character {char!r} is not allowed in an MRZ")
        total += value * (7, 3, 1)[position % 3]
    return str(total % 10)


def transliterate(name: str) -> str:
    """Printed (VIZ) name -> MRZ characters: ICAO transliteration, '<' for spaces/hyphens."""
    out: list[str] = []
    for char in name.upper():
        if char in ICAO_TRANSLITERATION:
            out.append(ICAO_TRANSLITERATION[char])
        elif char in " -":
            out.append("<")
        elif char in "'’":
            continue  # apostrophes are omitted
        else:
            base = unicodedata.normalize("NFKD", char)
            out.append("".join(c for c in base if "A" <= c <= "Z"))
    return "".join(out)


def mrz_name_field(surname: str, given_names: str, width: int) -> str:
    """Primary and secondary identifiers, truncated to ``width`` and padded with '<'."""
    text = transliterate(surname) + "<<" + transliterate(given_names)
    return text[:width].ljust(width, "<")


def mrz_date(value: date) -> str:
    """YYMMDD."""
    return value.strftime("%y%m%d")


def _pad(text: str, width: int) -> str:
    if len(text) > width:
        raise ValueError(f"{text!r} longer than {width}")
    return text.ljust(width, "<")


# --------------------------------------------------------------------------- specs


@dataclass(frozen=True)
class DocumentSpec:
    """What to print on the document (VIZ values keep their diacritics)."""

    format: str  # TD1 | TD2 | TD3 | MRVA | MRVB
    document_type: str  # 1-2 letters: P, I, ID, AC, V ...
    issuing_country: str  # ICAO code, e.g. "D" or "FRA"
    issuing_state_name: str
    surname: str
    given_names: str
    document_number: str  # may exceed 9 characters for TD1 (long document number)
    nationality: str
    birth_date: date
    sex: str  # M | F | <
    expiry_date: date
    issue_date: date
    optional_data: str  # personal number (TD3), optional data (others); MRZ alphabet only
    identity: str  # face folder name under /work/shared/data/faces
    portrait_file: str  # file name inside the identity folder
    date_style: str = "dd_mon_yyyy"
    dpi: float = 400.0
    empty_personal_check: str = "<"  # '<' or '0' when the TD3 personal number is empty


def build_mrz(spec: DocumentSpec) -> list[str]:
    """The ICAO 9303 MRZ lines for ``spec``, with all check digits."""
    fmt = spec.format
    width = LINE_LENGTH[fmt]
    doc_type = _pad(spec.document_type, 2)
    birth = mrz_date(spec.birth_date)
    expiry = mrz_date(spec.expiry_date)
    birth_cd = birth + check_digit(birth)
    expiry_cd = expiry + check_digit(expiry)
    number = spec.document_number
    if fmt == "TD1":
        if len(number) > 9:
            # Long number (ICAO 9303-5 note j): 9 chars, '<', then the rest, its check digit
            # and a '<' separator at the start of the optional data.
            number_field = number[:9] + "<"
            tail = number[9:] + check_digit(number) + "<"
            optional1 = _pad(tail + spec.optional_data, 15)
        else:
            number_field = _pad(number, 9) + check_digit(_pad(number, 9))
            optional1 = _pad(spec.optional_data, 15)
        line1 = doc_type + spec.issuing_country.ljust(3, "<") + number_field + optional1
        line2_head = birth_cd + spec.sex + expiry_cd + spec.nationality.ljust(3, "<")
        line2_head += "<" * 11
        composite = check_digit(
            line1[5:30] + line2_head[0:7] + line2_head[8:15] + line2_head[18:29]
        )
        line2 = line2_head + composite
        line3 = mrz_name_field(spec.surname, spec.given_names, 30)
        lines = [line1, line2, line3]
    else:
        if len(number) > 9:
            raise ValueError(f"{fmt} has no long-document-number convention: {number}")
        number_cd = _pad(number, 9) + check_digit(_pad(number, 9))
        line1 = doc_type + spec.issuing_country.ljust(3, "<")
        line1 += mrz_name_field(spec.surname, spec.given_names, width - 5)
        middle = number_cd + spec.nationality.ljust(3, "<") + birth_cd + spec.sex + expiry_cd
        if fmt == "TD3":
            personal = _pad(spec.optional_data, 14)
            personal_cd = check_digit(personal) if spec.optional_data else spec.empty_personal_check
            body = middle + personal + personal_cd
            composite = check_digit(body[0:10] + body[13:20] + body[21:43])
            line2 = body + composite
        elif fmt == "TD2":
            body = middle + _pad(spec.optional_data, 7)
            composite = check_digit(body[0:10] + body[13:20] + body[21:35])
            line2 = body + composite
        else:  # MRV-A / MRV-B: no composite check digit
            line2 = middle + _pad(spec.optional_data, width - len(middle))
        lines = [line1, line2]
    for line in lines:
        if len(line) != width:
            raise AssertionError(f"bad MRZ line length {len(line)} != {width}: {line}")
    return lines


def _pick(rng: np.random.Generator, items: Sequence[Any]) -> Any:
    return items[int(rng.integers(len(items)))]


def _random_date(rng: np.random.Generator, start: date, end: date) -> date:
    return start + timedelta(days=int(rng.integers((end - start).days + 1)))


def _alnum(rng: np.random.Generator, pattern: str) -> str:
    """'A' -> letter, '9' -> digit, 'X' -> either."""
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    out = []
    for p in pattern:
        if p == "A" or (p == "X" and rng.random() < 0.4):
            out.append(_pick(rng, letters))
        else:
            out.append(str(int(rng.integers(10))))
    return "".join(out)


def random_spec(rng: np.random.Generator, *, dpi: float | None = None) -> DocumentSpec:
    """Random but valid document data; the portrait identity decides the sex."""
    formats = list(FORMAT_WEIGHTS)
    fmt = formats[int(rng.choice(len(formats), p=list(FORMAT_WEIGHTS.values())))]
    code, state_name, language = _pick(rng, COUNTRIES)
    identity = _pick(rng, IDENTITIES)
    portraits = available_portraits(identity)
    portrait_file = _pick(rng, portraits)
    sex = IDENTITY_SEX.get(identity, "M")
    pool = NAMES[language]
    surname = _pick(rng, pool["surname"])
    given = _pick(rng, pool[sex])
    if rng.random() < 0.15:
        given = given + " " + _pick(rng, pool[sex])
    birth = _random_date(rng, date(1950, 1, 1), date(2006, 12, 31))
    issue = _random_date(rng, date(2016, 1, 1), date(2025, 5, 1))
    validity_years = 10 if fmt in ("TD3", "TD1") else 5
    expiry = date(issue.year + validity_years, issue.month, min(issue.day, 28)) - timedelta(days=1)
    if fmt in ("MRVA", "MRVB"):
        expiry = issue + timedelta(days=int(rng.integers(30, 3 * 365)))
    nationality = code if rng.random() < 0.9 else _pick(rng, COUNTRIES)[0]

    optional = ""
    if fmt == "TD3":
        doc_type = "P" if rng.random() < 0.85 else _pick(rng, ("PD", "PO", "PS"))
        number = _alnum(rng, _pick(rng, ("AA9999999", "999999999", "AX99XX999", "99999999")))
        if rng.random() < 0.5:
            optional = _alnum(rng, _pick(rng, ("99999999999", "9999999999999", "AA999999A")))
    elif fmt == "TD1":
        doc_type = _pick(rng, ("ID", "I", "IR", "AC"))
        long_number = rng.random() < 0.12
        number = _alnum(rng, "AAX999999999" if long_number else "XXX999999")
        if rng.random() < 0.3:
            optional = _alnum(rng, "9999999")
    elif fmt == "TD2":
        doc_type = _pick(rng, ("I", "ID", "IR"))
        number = _alnum(rng, _pick(rng, ("A99999999", "999999999")))
    else:
        doc_type = "V"
        number = _alnum(rng, "A99999999")
        if rng.random() < 0.5:
            optional = _alnum(rng, "XXXXXXX")
    return DocumentSpec(
        format=fmt,
        document_type=doc_type,
        issuing_country=code,
        issuing_state_name=state_name,
        surname=surname,
        given_names=given,
        document_number=number,
        nationality=nationality,
        birth_date=birth,
        sex=sex,
        expiry_date=expiry,
        issue_date=issue,
        optional_data=optional,
        identity=identity,
        portrait_file=portrait_file,
        date_style=_pick(rng, DATE_STYLES),
        dpi=float(dpi if dpi is not None else rng.uniform(300, 600)),
        empty_personal_check=_pick(rng, ("<", "0")),
    )


def format_printed_date(value: date, style: str) -> str:
    """A date as printed in the VIZ."""
    if style == "dd_mon_yyyy":
        return f"{value.day:02d} {MONTHS_EN[value.month - 1]} {value.year}"
    if style == "dd_mon_fr_yyyy":
        month = f"{MONTHS_EN[value.month - 1]}/{MONTHS_FR[value.month - 1]}"
        return f"{value.day:02d} {month} {value.year}"
    if style == "dd.mm.yyyy":
        return value.strftime("%d.%m.%Y")
    if style == "yyyy-mm-dd":
        return value.isoformat()
    raise ValueError(f"unknown date style {style}")


# --------------------------------------------------------------------------- portraits


@cache
def _face_detector() -> Any:
    from app.vision.faces.models import load_face_models

    return load_face_models().detector


@cache
def available_portraits(identity: str) -> tuple[str, ...]:
    """Files of ``identity`` where exactly one face is found (sorted, deterministic)."""
    folder = FACES_DIR / identity
    names = sorted(
        p.name for p in folder.iterdir() if p.suffix.lower() in (".jpg", ".jpeg", ".png")
    )
    usable = [n for n in names if _detect_single_face(identity, n) is not None]
    if not usable:
        raise RuntimeError(f"no usable portrait for {identity} in {folder}")
    return tuple(usable)


@cache
def _load_rgb(identity: str, file_name: str) -> np.ndarray:
    bgr = cv2.imread(str(FACES_DIR / identity / file_name), cv2.IMREAD_COLOR)
    if bgr is None:
        raise FileNotFoundError(FACES_DIR / identity / file_name)
    rgb: np.ndarray = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    return rgb


@cache
def _detect_single_face(identity: str, file_name: str) -> tuple[int, int, int, int] | None:
    image = _load_rgb(identity, file_name)
    scale = min(1.0, 800.0 / max(image.shape[:2]))
    small = cv2.resize(image, None, fx=scale, fy=scale) if scale < 1 else image
    rects = _face_detector()(small, 1)
    if len(rects) != 1:
        return None
    r = rects[0]
    left, top, right, bottom = (int(v / scale) for v in (r.left(), r.top(), r.right(), r.bottom()))
    h, w = image.shape[:2]
    if left < 0 or top < 0 or right > w or bottom > h:
        return None  # face cut at the image edge
    return left, top, right, bottom


def portrait_crop(
    identity: str, file_name: str, size: tuple[int, int]
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Passport-style head-and-shoulders crop resized to ``size`` (w, h) and the face box in it."""
    image = _load_rgb(identity, file_name)
    box = _detect_single_face(identity, file_name)
    if box is None:
        raise RuntimeError(f"no single face in {identity}/{file_name}")
    left, top, right, bottom = box
    face_h = bottom - top
    out_w, out_h = size
    crop_h = face_h * 2.1
    crop_w = crop_h * out_w / out_h
    cx = (left + right) / 2
    cy = (top + bottom) / 2 - 0.12 * face_h
    x0, y0 = round(cx - crop_w / 2), round(cy - crop_h / 2)
    x1, y1 = round(cx + crop_w / 2), round(cy + crop_h / 2)
    pad = max(0, -x0, -y0, x1 - image.shape[1], y1 - image.shape[0])
    padded = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    crop = padded[y0 + pad : y1 + pad, x0 + pad : x1 + pad]
    sx, sy = out_w / crop.shape[1], out_h / crop.shape[0]
    resized = cv2.resize(crop, (out_w, out_h), interpolation=cv2.INTER_AREA)
    face = (
        round((left - x0) * sx),
        round((top - y0) * sy),
        round((right - x0) * sx),
        round((bottom - y0) * sy),
    )
    return resized, face


# --------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class RenderTruth:
    """Ground truth of a flat rendered page (pixel boxes are (x0, y0, x1, y1) on the page)."""

    format: str
    mrz_lines: tuple[str, ...]
    fields: dict[str, Any]
    printed: dict[str, str]
    identity: str
    portrait_source: str
    portrait_box: tuple[int, int, int, int]
    face_box: tuple[int, int, int, int]
    mrz_box: tuple[int, int, int, int]
    page_size: tuple[int, int]  # (width, height)
    dpi: float


@cache
def _font(path: str, size_px: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size_px)


def _dejavu(bold: bool, size_px: int) -> ImageFont.FreeTypeFont:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return _font(f"{DEJAVU_DIR}/{name}", max(6, size_px))


def _ocrb_for_cap_height(cap_height_px: float) -> ImageFont.FreeTypeFont:
    probe = _font(OCRB_FONT, 100)
    _left, top, _right, bottom = probe.getbbox("H")
    size = max(6, round(100 * cap_height_px / (bottom - top)))
    return _font(OCRB_FONT, size)


def _security_background(
    height: int, width: int, rng: np.random.Generator, px_per_mm: float
) -> np.ndarray:
    """Pastel gradient with guilloche rosettes and wave lines."""
    base = rng.uniform(215, 245, size=3)
    tint = rng.uniform(190, 240, size=3)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    angle = rng.uniform(0, math.pi)
    t = (np.cos(angle) * xx / width + np.sin(angle) * yy / height + 1) / 2
    page = base[None, None, :] * (1 - t[..., None]) + tint[None, None, :] * t[..., None]
    page = page.astype(np.uint8)
    thickness = max(1, round(px_per_mm * 0.08))
    for _ in range(int(rng.integers(2, 4))):  # rosettes (hypotrochoids)
        colour = tuple(int(c) for c in rng.uniform(120, 210, size=3))
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        big_r = rng.uniform(0.15, 0.35) * width
        small_r = big_r / rng.uniform(3, 7)
        d = small_r * rng.uniform(0.5, 1.5)
        theta = np.linspace(0, 2 * math.pi * 20, 6000)
        k = (big_r - small_r) / small_r
        x = cx + (big_r - small_r) * np.cos(theta) + d * np.cos(k * theta)
        y = cy + (big_r - small_r) * np.sin(theta) - d * np.sin(k * theta)
        pts = np.stack([x, y], axis=1).astype(np.int32)
        cv2.polylines(page, [pts], False, colour, thickness, cv2.LINE_AA)
    colour = tuple(int(c) for c in rng.uniform(150, 215, size=3))
    period = rng.uniform(8, 20) * px_per_mm
    amplitude = rng.uniform(1, 4) * px_per_mm
    xs = np.arange(0, width, 2, dtype=np.float32)
    for offset in np.arange(0, height, rng.uniform(1.5, 3.0) * px_per_mm):
        ys = offset + amplitude * np.sin(2 * math.pi * xs / period + offset / 17.0)
        pts = np.stack([xs, ys], axis=1).astype(np.int32)
        cv2.polylines(page, [pts], False, colour, 1, cv2.LINE_AA)
    return page


def _layout(fmt: str) -> dict[str, Any]:
    """Positions in mm: portrait box, field column start, MRZ first baseline and line pitch."""
    if fmt == "TD1":
        return {"portrait": (3.5, 8.5, 24.5, 36.0), "fields_x": 27.5, "fields_y": 7.5,
                "row": 5.6, "label": 1.4, "value": 2.3, "mrz_top": 38.5, "mrz_pitch": 4.9,
                "title": 2.6}  # fmt: skip
    if fmt in ("TD2", "MRVB"):
        return {"portrait": (4.0, 12.0, 32.0, 48.0), "fields_x": 36.0, "fields_y": 12.0,
                "row": 5.3, "label": 1.6, "value": 2.6, "mrz_top": 58.0, "mrz_pitch": 6.0,
                "title": 3.2}  # fmt: skip
    if fmt == "MRVA":
        return {"portrait": (4.0, 12.0, 34.0, 50.0), "fields_x": 38.0, "fields_y": 12.0,
                "row": 6.0, "label": 1.7, "value": 2.8, "mrz_top": 64.0, "mrz_pitch": 6.3,
                "title": 3.4}  # fmt: skip
    return {"portrait": (5.0, 14.0, 40.0, 59.0), "fields_x": 45.0, "fields_y": 13.0,
            "row": 7.0, "label": 1.8, "value": 3.0, "mrz_top": 70.0, "mrz_pitch": 6.5,
            "title": 3.6}  # fmt: skip


def _title(spec: DocumentSpec) -> str:
    if spec.format in ("MRVA", "MRVB"):
        return "VISA"
    if spec.format == "TD3":
        return "PASSPORT / PASSEPORT"
    return "IDENTITY CARD / CARTE D'IDENTITÉ"


def render_document(spec: DocumentSpec, rng: np.random.Generator) -> tuple[np.ndarray, RenderTruth]:
    """Render the flat document page (RGB uint8) and its ground truth."""
    width_mm, height_mm = PAGE_SIZE_MM[spec.format]
    px = spec.dpi / 25.4
    width, height = round(width_mm * px), round(height_mm * px)
    page = _security_background(height, width, rng, px)
    lay = _layout(spec.format)

    px0, py0, px1, py1 = (round(v * px) for v in lay["portrait"])
    portrait, face = portrait_crop(spec.identity, spec.portrait_file, (px1 - px0, py1 - py0))
    if rng.random() < 0.3:  # some issuers print greyscale portraits
        grey = cv2.cvtColor(portrait, cv2.COLOR_RGB2GRAY)
        portrait = cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)
    page[py0:py1, px0:px1] = portrait
    face_box = (px0 + face[0], py0 + face[1], px0 + face[2], py0 + face[3])

    image = Image.fromarray(page)
    draw = ImageDraw.Draw(image)
    ink = tuple(int(c) for c in rng.integers(0, 50, size=3))
    label_ink = tuple(int(c) for c in rng.integers(60, 110, size=3))
    title_font = _dejavu(True, round(lay["title"] * px))
    draw.text((px0, round(2.0 * px)), spec.issuing_state_name, font=title_font, fill=ink)
    title_w = draw.textlength(_title(spec), font=_dejavu(True, round(lay["title"] * 0.8 * px)))
    draw.text(
        (width - title_w - round(4 * px), round(2.0 * px)),
        _title(spec),
        font=_dejavu(True, round(lay["title"] * 0.8 * px)),
        fill=ink,
    )

    printed = {
        "surname": spec.surname,
        "given_names": spec.given_names,
        "document_number": spec.document_number,
        "nationality": spec.nationality,
        "birth_date": format_printed_date(spec.birth_date, spec.date_style),
        "sex": spec.sex,
        "issue_date": format_printed_date(spec.issue_date, spec.date_style),
        "expiry_date": format_printed_date(spec.expiry_date, spec.date_style),
    }
    rows: list[list[tuple[str, str]]]
    if spec.format == "TD1":  # small card: short labels, two columns
        rows = [
            [("Surname / Nom", printed["surname"])],
            [("Given names / Prénoms", printed["given_names"])],
            [("Document No.", printed["document_number"]), ("Sex", printed["sex"])],
            [("Date of birth", printed["birth_date"]), ("Nationality", printed["nationality"])],
            [("Date of expiry", printed["expiry_date"])],
        ]
    else:
        rows = [
            [("Surname / Nom", printed["surname"])],
            [("Given names / Prénoms", printed["given_names"])],
            [("Document No. / N° du document", printed["document_number"])],
            [("Nationality / Nationalité", printed["nationality"]), ("Sex / Sexe", printed["sex"])],
            [("Date of birth / Date de naissance", printed["birth_date"])],
            [("Date of issue / Date de délivrance", printed["issue_date"])],
            [("Date of expiry / Date d'expiration", printed["expiry_date"])],
        ]
    label_font = _dejavu(False, round(lay["label"] * px))
    value_font = _dejavu(True, round(lay["value"] * px))
    x = round(lay["fields_x"] * px)
    y = lay["fields_y"] * px
    row_step = lay["row"] * px
    max_y = lay["mrz_top"] * px - lay["value"] * px * 1.2
    for row in rows:
        if y + row_step * 0.9 > max_y:
            break  # small formats: drop the last rows rather than overlap the MRZ
        cx = x
        for label, value in row:
            draw.text((cx, round(y)), label, font=label_font, fill=label_ink)
            draw.text((cx, round(y + lay["label"] * px * 1.15)), value, font=value_font, fill=ink)
            value_w = draw.textlength(value, font=value_font)
            cx += round(max(draw.textlength(label, font=label_font), value_w, 20 * px) + 3 * px)
        y += row_step

    lines = build_mrz(spec)
    mrz_font = _ocrb_for_cap_height(MRZ_CAP_HEIGHT_MM * px)
    pitch = MRZ_PITCH_MM * px
    line_width = pitch * LINE_LENGTH[spec.format]
    mrz_x0 = (width - line_width) / 2
    cap_top = mrz_font.getbbox("H")[1]
    mrz_ink = tuple(int(c) for c in rng.integers(0, 35, size=3))
    top_y = lay["mrz_top"] * px
    for row_index, line in enumerate(lines):
        y_line = top_y + row_index * lay["mrz_pitch"] * px - cap_top
        for col, char in enumerate(line):
            char_w = mrz_font.getlength(char)
            draw.text((mrz_x0 + col * pitch + (pitch - char_w) / 2, y_line), char,
                      font=mrz_font, fill=mrz_ink)  # fmt: skip
    mrz_box = (
        round(mrz_x0),
        round(top_y),
        round(mrz_x0 + line_width),
        round(top_y + (len(lines) - 1) * lay["mrz_pitch"] * px + MRZ_CAP_HEIGHT_MM * px),
    )
    page = np.asarray(image, dtype=np.uint8).copy()
    truth = RenderTruth(
        format=spec.format,
        mrz_lines=tuple(lines),
        fields=spec_fields(spec),
        printed=printed,
        identity=spec.identity,
        portrait_source=f"{spec.identity}/{spec.portrait_file}",
        portrait_box=(px0, py0, px1, py1),
        face_box=face_box,
        mrz_box=mrz_box,
        page_size=(width, height),
        dpi=spec.dpi,
    )
    return page, truth


def spec_fields(spec: DocumentSpec) -> dict[str, Any]:
    """The MRZ fields a reader must return (the contract of `idgate mrz --json`)."""
    width = LINE_LENGTH[spec.format] - (0 if spec.format == "TD1" else 5)
    name = mrz_name_field(spec.surname, spec.given_names, width).rstrip("<")
    surname, _, given = name.partition("<<")
    return {
        "document_type": spec.document_type,
        "issuing_country": spec.issuing_country,
        "surname": surname.replace("<", " ").strip(),
        "given_names": given.replace("<", " ").strip(),
        "document_number": spec.document_number,
        "nationality": spec.nationality,
        "birth_date": spec.birth_date.isoformat(),
        "sex": spec.sex,
        "expiry_date": spec.expiry_date.isoformat(),
        "optional_data": spec.optional_data,
    }


# --------------------------------------------------------------------------- photographing

TIER_PARAMS: dict[str, dict[str, tuple[float, float]]] = {
    "normal": {
        "rotation_deg": (-15, 15),
        "perspective": (0.0, 0.04),
        "doc_fraction": (0.6, 0.85),
        "gauss_sigma": (0.0, 0.8),
        "motion_len": (0, 0),
        "noise_sigma": (1.0, 4.0),
        "jpeg_quality": (75, 95),
        "light_strength": (0.0, 0.25),
        "glare_count": (0, 1),
        "photo_width": (1400, 1800),
    },
    "hard": {
        "rotation_deg": (-15, 15),
        "perspective": (0.03, 0.09),
        "doc_fraction": (0.45, 0.9),
        "gauss_sigma": (0.6, 2.0),
        "motion_len": (0, 9),
        "noise_sigma": (4.0, 10.0),
        "jpeg_quality": (55, 80),
        "light_strength": (0.2, 0.5),
        "glare_count": (0, 3),
        "photo_width": (800, 1400),
    },
}


def _busy_background(height: int, width: int, rng: np.random.Generator) -> tuple[np.ndarray, str]:
    kind = _pick(rng, ("wood", "noise", "shapes"))
    base = rng.uniform(40, 200, size=3)
    if kind == "wood":
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        grain = np.sin(
            xx / rng.uniform(6, 20) + 3 * np.sin(yy / rng.uniform(40, 120)) + rng.uniform(0, 6)
        )
        bg = base[None, None, :] * (0.8 + 0.2 * grain[..., None])
    else:
        low = rng.normal(0, 1, size=(height // 32 + 1, width // 32 + 1, 3)).astype(np.float32)
        low = cv2.resize(low, (width, height), interpolation=cv2.INTER_CUBIC)
        bg = base[None, None, :] + 25 * low + rng.normal(0, 8, size=(height, width, 3))
    bg = np.clip(bg, 0, 255).astype(np.uint8)
    if kind == "shapes" or rng.random() < 0.5:
        for _ in range(int(rng.integers(3, 12))):
            colour = tuple(int(c) for c in rng.integers(0, 256, size=3))
            x, y = int(rng.integers(width)), int(rng.integers(height))
            if rng.random() < 0.4:
                cv2.circle(bg, (x, y), int(rng.integers(10, width // 6)), colour, -1, cv2.LINE_AA)
            elif rng.random() < 0.5:
                x2, y2 = int(rng.integers(width)), int(rng.integers(height))
                cv2.line(bg, (x, y), (x2, y2), colour, int(rng.integers(1, 6)), cv2.LINE_AA)
            else:
                w, h = int(rng.integers(20, width // 3)), int(rng.integers(20, height // 3))
                cv2.rectangle(bg, (x, y), (x + w, y + h), colour, -1)
        if rng.random() < 0.5:  # stray printed text, e.g. a receipt next to the ID
            text_colour = tuple(int(c) for c in rng.integers(0, 80, size=3))
            for _ in range(int(rng.integers(1, 4))):
                cv2.putText(
                    bg,
                    "".join(_pick(rng, "ABCDEFGH<0123456789 ") for _ in range(20)),
                    (int(rng.integers(width // 2)), int(rng.integers(20, height))),
                    cv2.FONT_HERSHEY_SIMPLEX,
                    float(rng.uniform(0.4, 1.0)),
                    text_colour,
                    1,
                    cv2.LINE_AA,
                )
    return bg, kind


def _uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    return float(rng.uniform(bounds[0], bounds[1])) if bounds[1] > bounds[0] else float(bounds[0])


def photograph(
    page: np.ndarray,
    tier: str,
    rng: np.random.Generator,
    *,
    params: dict[str, tuple[float, float]] | None = None,
) -> tuple[np.ndarray, dict[str, Any]]:
    """Simulate a phone photo of ``page``; returns the RGB photo and the degradation record.

    The record holds ``corners`` (TL, TR, BR, BL of the page in the photo), the page->photo
    ``homography`` and every degradation parameter that was drawn.
    """
    p = params if params is not None else TIER_PARAMS[tier]
    page_h, page_w = page.shape[:2]
    out_w = int(_uniform(rng, p["photo_width"]))
    out_h = int(out_w * 3 / 4)
    background, background_kind = _busy_background(out_h, out_w, rng)

    rotation = _uniform(rng, p["rotation_deg"])
    fraction = _uniform(rng, p["doc_fraction"])
    perspective = _uniform(rng, p["perspective"])
    angle = math.radians(rotation)
    rot_w = abs(page_w * math.cos(angle)) + abs(page_h * math.sin(angle))
    rot_h = abs(page_w * math.sin(angle)) + abs(page_h * math.cos(angle))
    scale = min(fraction * out_w / rot_w, 0.95 * out_h / rot_h)
    half = np.array([[-page_w, -page_h], [page_w, -page_h], [page_w, page_h], [-page_w, page_h]])
    half = half * scale / 2
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    quad = half @ rot.T
    size = max(page_w, page_h) * scale
    quad = quad + rng.uniform(-perspective, perspective, size=(4, 2)) * size
    span = quad.max(axis=0) - quad.min(axis=0)
    slack = np.maximum(np.array([out_w, out_h]) - span, 0)
    centre = -quad.min(axis=0) + rng.uniform(0.1, 0.9, size=2) * slack
    quad = (quad + centre).astype(np.float32)
    src = np.array([[0, 0], [page_w, 0], [page_w, page_h], [0, page_h]], dtype=np.float32)
    homography = cv2.getPerspectiveTransform(src, quad)

    warped = cv2.warpPerspective(page, homography, (out_w, out_h), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(
        np.full((page_h, page_w), 255, np.uint8), homography, (out_w, out_h), flags=cv2.INTER_AREA
    )
    alpha = (mask.astype(np.float32) / 255.0)[..., None]
    # a soft shadow under the document
    shadow = cv2.GaussianBlur(alpha, (0, 0), sigmaX=out_w / 150)[..., None] * 0.35
    photo = background.astype(np.float32) * (1 - shadow)
    photo = photo * (1 - alpha) + warped.astype(np.float32) * alpha

    light = _uniform(rng, p["light_strength"])
    yy, xx = np.mgrid[0:out_h, 0:out_w].astype(np.float32)
    light_angle = rng.uniform(0, 2 * math.pi)
    ramp = (np.cos(light_angle) * xx / out_w + np.sin(light_angle) * yy / out_h) / 1.5
    photo = photo * (1 - light * (ramp + 0.5))[..., None]

    glares = []
    for _ in range(int(rng.integers(p["glare_count"][0], p["glare_count"][1] + 1))):
        gx = float(rng.uniform(quad[:, 0].min(), quad[:, 0].max()))
        gy = float(rng.uniform(quad[:, 1].min(), quad[:, 1].max()))
        radius = float(rng.uniform(0.02, 0.08 if tier == "hard" else 0.04) * out_w)
        strength = float(rng.uniform(0.5, 1.0))
        blob = np.exp(-((xx - gx) ** 2 + (yy - gy) ** 2) / (2 * radius**2))
        photo = photo + (255 - photo) * (strength * blob)[..., None]
        glares.append({"x": gx, "y": gy, "radius": radius, "strength": strength})

    sigma = _uniform(rng, p["gauss_sigma"])
    if sigma > 0.05:
        photo = cv2.GaussianBlur(photo, (0, 0), sigmaX=sigma)
    motion = int(_uniform(rng, p["motion_len"]))
    motion_angle = float(rng.uniform(0, 180))
    if motion >= 2:
        kernel = np.zeros((motion, motion), np.float32)
        kernel[motion // 2, :] = 1.0 / motion
        turn = cv2.getRotationMatrix2D((motion / 2 - 0.5, motion / 2 - 0.5), motion_angle, 1.0)
        kernel = cv2.warpAffine(kernel, turn, (motion, motion))
        kernel /= max(kernel.sum(), 1e-6)
        photo = cv2.filter2D(photo, -1, kernel)
    noise = _uniform(rng, p["noise_sigma"])
    photo = photo + rng.normal(0, noise, size=photo.shape)
    photo_u8 = np.clip(photo, 0, 255).astype(np.uint8)

    quality = int(_uniform(rng, p["jpeg_quality"]))
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(photo_u8, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, quality])  # fmt: skip
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    decoded = cv2.cvtColor(cv2.imdecode(encoded, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)

    inside_x = (quad[:, 0] >= 0) & (quad[:, 0] <= out_w)
    inside_y = (quad[:, 1] >= 0) & (quad[:, 1] <= out_h)
    fully_visible = bool((inside_x & inside_y).all())
    record = {
        "tier": tier,
        "photo_size": [out_w, out_h],
        "corners": quad.round(2).tolist(),
        "homography": homography.tolist(),
        "rotation_deg": round(rotation, 3),
        "perspective": round(perspective, 4),
        "doc_fraction": round(fraction, 3),
        "scale": round(float(scale), 4),
        "background": background_kind,
        "light_strength": round(light, 3),
        "glare": glares,
        "gauss_sigma": round(sigma, 3),
        "motion_len": motion,
        "motion_angle": round(motion_angle, 1),
        "noise_sigma": round(noise, 3),
        "jpeg_quality": quality,
        "fully_visible": fully_visible,
    }
    return decoded, record


# --------------------------------------------------------------------------- US licences

US_STATES = (("CA", "636014"), ("NY", "636001"), ("TX", "636015"), ("FL", "636010"),
             ("WA", "636045"), ("IL", "636035"))  # fmt: skip


def random_aamva_payload(rng: np.random.Generator) -> tuple[str, dict[str, str]]:
    """A SYNTHETIC AAMVA version-9 DL payload and the values it carries (dates ISO)."""
    state, iin = _pick(rng, US_STATES)
    pool = NAMES["en"]
    sex = _pick(rng, ("M", "F"))
    birth = _random_date(rng, date(1950, 1, 1), date(2006, 12, 31))
    issue = _random_date(rng, date(2018, 1, 1), date(2025, 5, 1))
    expiry = date(issue.year + 8, birth.month, min(birth.day, 28))
    number = _alnum(rng, _pick(rng, ("A9999999", "999999999", "AA9999999999")))
    values = {
        "document_number": number,
        "surname": _pick(rng, pool["surname"]).replace("'", ""),
        "given_names": _pick(rng, pool[sex]),
        "birth_date": birth.isoformat(),
        "expiry_date": expiry.isoformat(),
        "sex": sex,
        "jurisdiction": state,
    }
    first, _, middle = values["given_names"].partition(" ")
    elements = [
        ("DAQ", number), ("DCS", values["surname"]), ("DAC", first), ("DAD", middle or "NONE"),
        ("DBB", birth.strftime("%m%d%Y")), ("DBA", expiry.strftime("%m%d%Y")),
        ("DBD", issue.strftime("%m%d%Y")), ("DBC", "1" if sex == "M" else "2"),
        ("DAJ", state), ("DAG", f"{int(rng.integers(1, 9999))} MAIN ST"), ("DAI", "SPRINGFIELD"),
        ("DAK", f"{int(rng.integers(10000, 99999))}0000  "), ("DCG", "USA"),
    ]  # fmt: skip
    subfile = "DL" + "\n".join(code + value for code, value in elements) + "\r"
    header = f"@\n\x1e\rANSI {iin}090001DL{31:04d}{len(subfile):04d}"
    return header + subfile, values


def photograph_licence_back(
    payload: str, rng: np.random.Generator, *, max_angle: float = 20.0
) -> tuple[np.ndarray, dict[str, Any]]:
    """A SYNTHETIC photo of a card back carrying ``payload`` as PDF417 (RGB) and its record."""
    import zxingcpp

    module = int(rng.integers(2, 4))
    code = np.asarray(
        zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.PDF417).to_image(scale=module)
    )
    card_h, card_w = int(code.shape[0] * 2.0), int(code.shape[1] * 1.15)
    card = np.full((card_h, card_w, 3), rng.uniform(200, 245, size=3), np.float32)
    y0, x0 = int(card_h * 0.45), (card_w - code.shape[1]) // 2
    region = card[y0 : y0 + code.shape[0], x0 : x0 + code.shape[1]]
    card[y0 : y0 + code.shape[0], x0 : x0 + code.shape[1]] = np.minimum(region, code[..., None])
    page = card.astype(np.uint8)
    cv2.putText(page, "ORGAN DONOR", (15, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (60, 60, 60), 2)
    params = dict(TIER_PARAMS["normal"])
    params["rotation_deg"] = (-max_angle, max_angle)
    params["photo_width"] = (max(900, card_w * 1.3), max(1000, card_w * 1.6))
    photo, record = photograph(page, "normal", rng, params=params)
    record["module_px"] = module
    return photo, record


# --------------------------------------------------------------------------- data set


@dataclass(frozen=True)
class SyntheticDocument:
    """One generated photo with its ground truth."""

    name: str
    tier: str
    image: np.ndarray = field(repr=False)
    spec: DocumentSpec
    truth: RenderTruth
    photo: dict[str, Any]

    def _to_photo(self, box: tuple[int, int, int, int]) -> list[list[float]]:
        """A page box as its four corners (TL, TR, BR, BL) in photo pixels."""
        x0, y0, x1, y1 = box
        corners = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
        mapped = cv2.perspectiveTransform(corners[None], np.array(self.photo["homography"]))[0]
        return [[round(float(x), 2), round(float(y), 2)] for x, y in mapped]

    def truth_json(self) -> dict[str, Any]:
        """JSON-serialisable ground truth (dates as ISO strings)."""
        spec = asdict(self.spec)
        for key, value in spec.items():
            if isinstance(value, date):
                spec[key] = value.isoformat()
        return {
            "name": self.name,
            "tier": self.tier,
            "synthetic": True,
            "format": self.truth.format,
            "mrz": list(self.truth.mrz_lines),
            "fields": self.truth.fields,
            "printed": self.truth.printed,
            "identity": self.truth.identity,
            "portrait_source": self.truth.portrait_source,
            "portrait_box_page": list(self.truth.portrait_box),
            "face_box_page": list(self.truth.face_box),
            "mrz_box_page": list(self.truth.mrz_box),
            "portrait_corners_photo": self._to_photo(self.truth.portrait_box),
            "mrz_corners_photo": self._to_photo(self.truth.mrz_box),
            "page_size": list(self.truth.page_size),
            "dpi": round(self.truth.dpi, 1),
            "spec": spec,
            "photo": self.photo,
        }


TIERS = ("normal", "hard")


def generate_document(
    seed: int, tier: str, index: int, *, dpi: float | None = None
) -> SyntheticDocument:
    """Document ``index`` of ``tier`` for ``seed`` (independent of how many others are made)."""
    rng = np.random.default_rng([seed, TIERS.index(tier), index])
    spec = random_spec(rng, dpi=dpi)
    page, truth = render_document(spec, rng)
    photo, record = photograph(page, tier, rng)
    return SyntheticDocument(
        name=f"{tier}_{index:04d}_{spec.format.lower()}",
        tier=tier,
        image=photo,
        spec=spec,
        truth=truth,
        photo=record,
    )


def generate_dataset(n_normal: int, n_hard: int, seed: int) -> Iterator[SyntheticDocument]:
    """Yield ``n_normal`` normal-tier then ``n_hard`` hard-tier documents."""
    for index in range(n_normal):
        yield generate_document(seed, "normal", index)
    for index in range(n_hard):
        yield generate_document(seed, "hard", index)


def main(argv: Sequence[str] | None = None) -> int:
    """Write the data set as JPEG files plus truth.json."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out/docs"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--normal", type=int, default=200)
    parser.add_argument("--hard", type=int, default=120)
    parser.add_argument("--pages", action="store_true", help="also write the flat pages")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    entries = []
    for doc in generate_dataset(args.normal, args.hard, args.seed):
        file_name = f"{doc.name}.jpg"
        # the photo was already JPEG-compressed at the recorded quality: store it losslessly
        cv2.imwrite(str(args.out / f"{doc.name}.png"), cv2.cvtColor(doc.image, cv2.COLOR_RGB2BGR))
        file_name = f"{doc.name}.png"
        if args.pages:
            page, _ = render_document(doc.spec, np.random.default_rng(0))
            cv2.imwrite(
                str(args.out / f"{doc.name}_page.png"), cv2.cvtColor(page, cv2.COLOR_RGB2BGR)
            )
        entry = doc.truth_json()
        entry["file"] = file_name
        entries.append(entry)
        print(file_name, doc.truth.mrz_lines[-1], flush=True)
    (args.out / "truth.json").write_text(
        json.dumps({"seed": args.seed, "documents": entries}, indent=1, ensure_ascii=False)
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
