"""AAMVA licence payload parsing and PDF417 reading from photographed card backs."""

from __future__ import annotations

from datetime import date

import cv2
import numpy as np
import pytest
import zxingcpp

from app.vision.document.aamva import dominant_bar_angle, parse_aamva, read_licence_barcode

HEADER_V9 = "@\n\x1e\rANSI 636014090002DL00410278ZC03190008"
CALIFORNIA = (
    HEADER_V9 + "DLDAQD1234567\nDCSSMITH\nDACJOHN\nDADPAUL\nDBB04151980\nDBA04152030\n"
    "DBD04152022\nDBC1\nDAJCA\nDAG123 MAIN ST\nDAISACRAMENTO\nDAK958230000  \nDCGUSA\r"
    "ZCZCAX\r"
)
ONTARIO = (
    "@\n\x1e\rANSI 636012080002DL00410200ZO02410030"
    "DLDAQM12345678901234\nDCSTREMBLAY\nDACÉLODIE\nDADNONE\nDBB19850312\nDBA20291231\n"
    "DBC2\nDAJON\nDCGCAN\r"
)
VERSION_1 = (
    "@\n\x1e\rANSI 6360050101DL00300201"
    "DLDAQ123456789\nDAADOE,JANE,Q\nDBB19700101\nDBA20250101\nDBCF\nDAJFL\r"
)
IDENTITY_CARD = (
    "@\n\x1e\rANSI 636026100001ID00310150"
    "IDDAQ0987654321\nDCSGARCÍA\nDACANA\nDBB12311999\nDBA12312031\nDBC9\nDAJAZ\nDCGUSA\r"
)


def test_parse_us_licence() -> None:
    data = parse_aamva(CALIFORNIA)
    assert data.document_number == "D1234567"
    assert (data.surname, data.given_names) == ("SMITH", "JOHN PAUL")
    assert data.birth_date == date(1980, 4, 15)
    assert data.expiry_date == date(2030, 4, 15)
    assert data.issue_date == date(2022, 4, 15)
    assert data.sex == "M"
    assert (data.jurisdiction, data.country, data.iin, data.version) == ("CA", "USA", "636014", 9)
    assert (data.street, data.city, data.postal_code) == ("123 MAIN ST", "SACRAMENTO", "958230000")
    assert data.subfile_type == "DL"
    assert ("DAQ", "D1234567") in data.elements


def test_parse_canadian_dates_are_ccyymmdd_and_none_middle_name_is_dropped() -> None:
    data = parse_aamva(ONTARIO)
    assert data.birth_date == date(1985, 3, 12)
    assert data.expiry_date == date(2029, 12, 31)
    assert data.given_names == "ÉLODIE"
    assert data.sex == "F"
    assert data.jurisdiction == "ON"


def test_parse_version_1_full_name_and_letter_sex() -> None:
    data = parse_aamva(VERSION_1)
    assert (data.surname, data.given_names) == ("DOE", "JANE Q")
    assert data.sex == "F"
    assert data.version == 1
    # version 1 has no DCG: the CCYYMMDD date is recognised because MMDDCCYY is impossible
    assert data.birth_date == date(1970, 1, 1)


def test_parse_identity_card_subfile() -> None:
    data = parse_aamva(IDENTITY_CARD)
    assert data.subfile_type == "ID"
    assert data.sex == "X"
    assert data.birth_date == date(1999, 12, 31)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("hello world", "header"),
        ("@\n\x1e\rANSI 636014090001ZC00300010ZCZCA1\r", "no DL or ID subfile"),
        (HEADER_V9 + "DLDCSSMITH\nDAJCA\r", "DAQ"),
        (HEADER_V9 + "DLDAQX1\nDBB13452020\nDAJCA\r", "not a valid date"),
        (HEADER_V9 + "DLDAQX1\nDBB1980\nDAJCA\r", "not 8 digits"),
        (HEADER_V9 + "DLDAQX1\nDCSSMITH\r", "DAJ"),
    ],
)
def test_malformed_payloads_raise_clear_errors(payload: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_aamva(payload)


def _card_photo(payload: str, angle: float, blur: float, seed: int) -> np.ndarray:
    """The back of a card carrying the PDF417, rotated, on a textured desk, blurred, noisy."""
    rng = np.random.default_rng(seed)
    symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.PDF417)
    code = np.asarray(symbol.to_image(scale=3))
    card_h, card_w = int(code.shape[0] * 1.8), int(code.shape[1] * 1.2)
    card = np.full((card_h, card_w), 235, np.uint8)
    y0, x0 = (card_h - code.shape[0]) // 2, (card_w - code.shape[1]) // 2
    card[y0 : y0 + code.shape[0], x0 : x0 + code.shape[1]] = np.minimum(code, 235)
    cv2.putText(card, "DONOR  VETERAN", (20, 40), cv2.FONT_HERSHEY_SIMPLEX, 1.0, 60, 2)
    height, width = card_h * 2, card_w * 2
    desk = rng.normal(120, 25, size=(height // 16, width // 16)).astype(np.float32)
    desk = cv2.resize(desk, (width, height), interpolation=cv2.INTER_CUBIC)
    src = np.float32([[0, 0], [card_w, 0], [card_w, card_h], [0, card_h]])
    turn = cv2.getRotationMatrix2D((card_w / 2, card_h / 2), angle, 1.0)
    moved = cv2.transform(src[None], turn)[0] + np.float32([width / 4, height / 4])
    moved += rng.uniform(-6, 6, size=(4, 2)).astype(np.float32)  # slight perspective
    homography = cv2.getPerspectiveTransform(src, moved)
    warped = cv2.warpPerspective(card, homography, (width, height)).astype(np.float32)
    mask = cv2.warpPerspective(np.ones_like(card, np.float32), homography, (width, height))
    photo = desk * (1 - mask) + warped * mask
    photo = cv2.GaussianBlur(photo, (0, 0), blur) + rng.normal(0, 4, size=photo.shape)
    grey = np.clip(photo, 0, 255).astype(np.uint8)
    return cv2.cvtColor(grey, cv2.COLOR_GRAY2RGB)


@pytest.mark.parametrize("angle", [0.0, 4.0, -7.0, 12.0])
def test_reads_rotated_blurred_barcode(angle: float) -> None:
    data = read_licence_barcode(_card_photo(CALIFORNIA, angle, blur=1.0, seed=int(angle) + 40))
    assert data is not None
    assert data.document_number == "D1234567"
    assert data.birth_date == date(1980, 4, 15)


def test_direct_zxing_fails_on_the_rotated_photo_so_deskewing_matters() -> None:
    photo = _card_photo(CALIFORNIA, 12.0, blur=1.0, seed=52)
    grey = cv2.cvtColor(photo, cv2.COLOR_RGB2GRAY)
    pdf417 = zxingcpp.barcode_formats_from_str("PDF417")
    assert zxingcpp.read_barcodes(grey, formats=pdf417) == []
    assert abs(abs(dominant_bar_angle(grey)) - 12.0) < 2.0
    assert read_licence_barcode(photo) is not None


def test_no_barcode_or_non_aamva_barcode_gives_none() -> None:
    rng = np.random.default_rng(1)
    noise = rng.integers(0, 255, size=(300, 400, 3), dtype=np.uint8)
    assert read_licence_barcode(noise) is None
    other = np.asarray(
        zxingcpp.create_barcode("just a shipping label", zxingcpp.BarcodeFormat.PDF417).to_image(
            scale=3
        )
    )
    other = cv2.copyMakeBorder(other, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)
    assert read_licence_barcode(other) is None


def test_reads_generated_licence_backs_with_perspective() -> None:
    """SYNTHETIC card backs: rotation up to 20 degrees, perspective, blur, JPEG."""
    from benchmarks.synth.documents import photograph_licence_back, random_aamva_payload

    for index in range(6):
        rng = np.random.default_rng([7, 9, index])
        payload, values = random_aamva_payload(rng)
        photo, _ = photograph_licence_back(payload, rng)
        data = read_licence_barcode(photo)
        assert data is not None, index
        assert data.document_number == values["document_number"]
        assert data.birth_date is not None and data.birth_date.isoformat() == values["birth_date"]
        assert (data.surname, data.jurisdiction) == (values["surname"], values["jurisdiction"])
