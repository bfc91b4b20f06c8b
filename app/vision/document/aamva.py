"""US / Canadian driver licences and ID cards: the AAMVA PDF417 barcode on the back.

``parse_aamva`` reads the AAMVA DL/ID card design standard payload (versions 1-10):
header ``@\\n\\x1e\\rANSI `` (or ``AAMVA`` in some version-1 cards), issuer identification
number, version, subfile designators, then ``DL`` / ``ID`` subfiles of elements such as
``DAQ`` (document number) each terminated by a line feed.

``read_licence_barcode`` finds the PDF417 symbol with zxing-cpp. zxing tolerates only a few
degrees of rotation for PDF417, so the image is deskewed first from the dominant orientation
of its bars, then a short list of rotations is tried.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import cv2
import numpy as np

DATA_ELEMENT_SEPARATOR = "\n"
RECORD_SEPARATOR = "\x1e"
SEGMENT_TERMINATOR = "\r"

_HEADER = re.compile(r"@\s*\x1e?\s*(?:ANSI |AAMVA)(\d{6})(\d{2})(.*)", re.DOTALL)
_ELEMENT = re.compile(r"^([A-Z]{3})(.*)$")

_SEX_CODES = {"1": "M", "2": "F", "9": "X", "M": "M", "F": "F", "X": "X"}


@dataclass(frozen=True)
class LicenceData:
    """Fields of an AAMVA DL/ID subfile (``None`` where the card does not carry them)."""

    document_number: str
    surname: str | None
    given_names: str | None  # first name and middle names, space-separated
    birth_date: date | None
    expiry_date: date | None
    issue_date: date | None
    sex: str | None  # M | F | X
    street: str | None
    city: str | None
    postal_code: str | None
    country: str | None  # USA | CAN
    subfile_type: str  # DL (driver licence) | ID (identification card)
    iin: str  # issuer identification number, e.g. 636014 = California
    jurisdiction: str  # state / province code from DAJ, e.g. "CA"
    version: int  # AAMVA standard version
    elements: tuple[tuple[str, str], ...]  # every element of the subfile, in order


def _subfile_text(body: str, version: int) -> tuple[str, str]:
    """Return (type, text) of the first DL or ID subfile in the part after the version."""
    # Version >= 2 has a 2-digit jurisdiction version before the 2-digit number of entries.
    designators_start = 2 if version >= 2 else 0
    search_from = 0
    entries = re.match(r"\d{2}", body[designators_start:])
    if entries:
        search_from = designators_start + 2 + 10 * int(entries.group(0))
    # The designators' offsets are often wrong in the field (counted from different
    # origins), so the subfile is located by its type followed by a D?? element instead.
    for origin in (search_from, 0):
        for kind in ("DL", "ID"):
            match = re.compile(kind + r"(?=D[A-Z]{2})").search(body, origin)
            if match:
                return kind, _cut_subfile(body[match.end() :])
    raise ValueError("AAMVA payload has no DL or ID subfile")


def _cut_subfile(text: str) -> str:
    end = text.find(SEGMENT_TERMINATOR)
    return text if end < 0 else text[:end]


def _parse_date(value: str, country: str | None) -> date:
    digits = value.strip()
    if not re.fullmatch(r"\d{8}", digits):
        raise ValueError(f"AAMVA date {value!r} is not 8 digits")
    us = (int(digits[4:8]), int(digits[0:2]), int(digits[2:4]))  # MMDDCCYY
    canadian = (int(digits[0:4]), int(digits[4:6]), int(digits[6:8]))  # CCYYMMDD
    order = [canadian, us] if country == "CAN" else [us, canadian]
    for year, month, day in order:
        try:
            if 1850 <= year <= 2200:
                return date(year, month, day)
        except ValueError:
            continue
    raise ValueError(f"AAMVA date {value!r} is not a valid date")


def parse_aamva(payload: str) -> LicenceData:
    """Parse an AAMVA barcode payload; raises ValueError with a clear message if malformed."""
    header = _HEADER.search(payload)
    if header is None:
        raise ValueError("not an AAMVA payload: missing '@' + 'ANSI ' header")
    iin, version_text, body = header.group(1), header.group(2), header.group(3)
    version = int(version_text)
    kind, text = _subfile_text(body, version)

    elements: list[tuple[str, str]] = []
    for raw_line in text.split(DATA_ELEMENT_SEPARATOR):
        line = raw_line.strip("\r\x1e")
        match = _ELEMENT.match(line)
        if match:
            elements.append((match.group(1), match.group(2).strip()))
    values = dict(elements)
    number = values.get("DAQ")
    if not number:
        raise ValueError("AAMVA subfile has no document number (DAQ)")

    country = values.get("DCG") or None
    surname = values.get("DCS") or values.get("DAB")
    given_parts = [values.get("DAC") or values.get("DCT"), values.get("DAD")]
    if surname is None and "DAA" in values:  # version 1: full name "LAST,FIRST,MIDDLE"
        parts = [p.strip() for p in re.split(r"[,$]", values["DAA"]) if p.strip()]
        surname = parts[0] if parts else None
        given_parts = parts[1:]
    given = " ".join(p.replace(",", " ").strip() for p in given_parts if p and p != "NONE")

    def optional_date(code: str) -> date | None:
        return _parse_date(values[code], country) if values.get(code) else None

    jurisdiction = values.get("DAJ")
    if not jurisdiction:
        raise ValueError("AAMVA subfile has no jurisdiction code (DAJ)")
    return LicenceData(
        document_number=number,
        surname=surname or None,
        given_names=given or None,
        birth_date=optional_date("DBB"),
        expiry_date=optional_date("DBA"),
        issue_date=optional_date("DBD"),
        sex=_SEX_CODES.get(values.get("DBC", "").strip()),
        street=values.get("DAG") or None,
        city=values.get("DAI") or None,
        postal_code=(values.get("DAK") or "").strip() or None,
        country=country,
        subfile_type=kind,
        iin=iin,
        jurisdiction=jurisdiction,
        version=version,
        elements=tuple(elements),
    )


# --------------------------------------------------------------------------- barcode reading


def _to_grey(image_rgb: np.ndarray) -> np.ndarray:
    if image_rgb.ndim == 2:
        return image_rgb
    grey: np.ndarray = cv2.cvtColor(image_rgb, cv2.COLOR_RGB2GRAY)
    return grey


def dominant_bar_angle(grey: np.ndarray) -> float:
    """Angle (degrees, in [-45, 45)) that would make the dominant straight edges axis-aligned."""
    scale = min(1.0, 1000.0 / max(grey.shape[:2]))
    small = cv2.resize(grey, None, fx=scale, fy=scale) if scale < 1 else grey
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    magnitude = np.hypot(gx, gy)
    strong = magnitude > np.percentile(magnitude, 90)
    # Fold orientations modulo 90 degrees: bars and row edges vote for the same skew.
    angles = np.degrees(np.arctan2(gy[strong], gx[strong])) % 90.0
    hist, edges = np.histogram(angles, bins=180, range=(0, 90), weights=magnitude[strong])
    hist = np.convolve(np.concatenate([hist[-3:], hist, hist[:3]]), np.ones(5), "same")[3:-3]
    peak = float(edges[int(np.argmax(hist))] + 0.25)
    return peak - 90.0 if peak >= 45.0 else peak


def _rotate(grey: np.ndarray, angle_deg: float) -> np.ndarray:
    h, w = grey.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle_deg, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(h * sin + w * cos), int(h * cos + w * sin)
    matrix[0, 2] += new_w / 2 - w / 2
    matrix[1, 2] += new_h / 2 - h / 2
    rotated: np.ndarray = cv2.warpAffine(
        grey, matrix, (new_w, new_h), flags=cv2.INTER_CUBIC, borderValue=255
    )
    return rotated


def _order_corners(points: np.ndarray) -> np.ndarray:
    """TL, TR, BR, BL from four unordered points."""
    pts = points.reshape(4, 2).astype(np.float32)
    by_sum, by_diff = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    return np.array(
        [pts[np.argmin(by_sum)], pts[np.argmin(by_diff)], pts[np.argmax(by_sum)],
         pts[np.argmax(by_diff)]],
        dtype=np.float32,
    )  # fmt: skip


def barcode_quads(grey: np.ndarray, max_quads: int = 3) -> list[np.ndarray]:
    """Quadrilaterals (TL, TR, BR, BL) of dense-edge regions that may hold a PDF417."""
    gx = cv2.convertScaleAbs(cv2.Sobel(grey, cv2.CV_16S, 1, 0, ksize=3))
    gy = cv2.convertScaleAbs(cv2.Sobel(grey, cv2.CV_16S, 0, 1, ksize=3))
    energy = cv2.blur(cv2.addWeighted(gx, 0.5, gy, 0.5, 0), (9, 9))
    _, mask = cv2.threshold(energy, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    size = max(5, min(grey.shape[:2]) // 60)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((size, size), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    min_area = 0.01 * grey.shape[0] * grey.shape[1]
    quads = []
    for contour in sorted(contours, key=cv2.contourArea, reverse=True)[:max_quads]:
        if cv2.contourArea(contour) < min_area:
            break
        hull = cv2.convexHull(contour)
        approx = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
        if len(approx) == 4:
            quads.append(_order_corners(approx))
        else:
            quads.append(_order_corners(cv2.boxPoints(cv2.minAreaRect(contour))))
    return quads


def _rectify_quad(grey: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Warp ``quad`` to an upright rectangle with a white quiet zone around it."""
    width = int(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))
    height = int(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))
    if width < height:  # bars run along the long side; keep it horizontal
        quad = np.roll(quad, -1, axis=0)
        width, height = height, width
    margin = max(10, height // 8)
    target = np.array(
        [[margin, margin], [margin + width, margin], [margin + width, margin + height],
         [margin, margin + height]],
        dtype=np.float32,
    )  # fmt: skip
    # grow the quad a little: the energy mask hugs the bars and may clip the outer columns
    centre = quad.mean(axis=0)
    grown = (centre + (quad - centre) * 1.06).astype(np.float32)
    transform = cv2.getPerspectiveTransform(grown, target)
    rectified: np.ndarray = cv2.warpPerspective(
        grey, transform, (width + 2 * margin, height + 2 * margin),
        flags=cv2.INTER_CUBIC, borderValue=255,
    )  # fmt: skip
    return rectified


def _decode(grey: np.ndarray) -> str | None:
    import zxingcpp

    results = zxingcpp.read_barcodes(
        grey, formats=zxingcpp.barcode_formats_from_str("PDF417"), text_mode=zxingcpp.TextMode.Plain
    )
    for result in results:
        if result.valid and result.text:
            return str(result.text)
    return None


def read_licence_barcode(image_rgb: np.ndarray) -> LicenceData | None:
    """Find and parse the AAMVA PDF417 barcode; ``None`` if none decodes to an AAMVA payload."""
    grey = _to_grey(image_rgb)
    if max(grey.shape[:2]) > 2400:  # zxing's own downscaling handles the rest
        scale = 2400 / max(grey.shape[:2])
        grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    views = [grey]
    views += [_rectify_quad(grey, quad) for quad in barcode_quads(grey)]
    for view in views:
        text = _decode(view)
        if text is not None:
            return _parse_or_none(text)
    skew = dominant_bar_angle(grey)
    candidates = [skew, skew + 1.5, skew - 1.5, skew + 3.0, skew - 3.0]
    candidates += [float(a) for a in range(-20, 21, 5)]
    tried: list[float] = [0.0]  # the unrotated image was tried above
    for angle in candidates:
        if any(abs(angle - t) < 0.75 for t in tried):
            continue
        tried.append(angle)
        view = grey if angle == 0.0 else _rotate(grey, angle)
        text = _decode(view)
        if text is None and angle == skew:
            sharpened = cv2.addWeighted(view, 1.8, cv2.GaussianBlur(view, (0, 0), 2.0), -0.8, 0)
            text = _decode(sharpened)
        if text is not None:
            return _parse_or_none(text)
    return None


def _parse_or_none(text: str) -> LicenceData | None:
    try:
        return parse_aamva(text)
    except ValueError:
        return None  # a PDF417 that is not an AAMVA licence
