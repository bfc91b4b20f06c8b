"""Printed fields (VIZ): parsing tables, tolerant comparison, and OCR of generated documents."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.vision.document.viz import (
    REASON_DATA_MISMATCH,
    PrintedFields,
    compare_printed_with_mrz,
    find_dates,
    fold_name,
    names_agree,
    parse_printed_date,
    read_printed_fields,
)
from benchmarks.synth.documents import DocumentSpec, render_document


@dataclass(frozen=True)
class FakeMrzFields:
    """Stands in for the reader's MrzFields: only the attributes the comparison reads."""

    surname: str
    given_names: str
    document_number: str
    birth_date: date | None
    expiry_date: date | None


MRZ = FakeMrzFields("MUELLER", "JUERGEN KARL", "C01X00T47", date(1974, 8, 12), date(2031, 4, 15))


def printed(**overrides: object) -> PrintedFields:
    base = PrintedFields(
        surname="MÜLLER",
        given_names="JÜRGEN KARL",
        document_number="C01X00T47",
        birth_date=date(1974, 8, 12),
        expiry_date=date(2031, 4, 15),
        confidence=0.9,
        raw_text="",
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "icao", "expected"),
    [
        ("Müller", True, "MUELLER"),
        ("Müller", False, "MULLER"),
        ("Østergaard", True, "OESTERGAARD"),
        ("Groß", True, "GROSS"),
        ("Þórsdóttir", True, "THORSDOTTIR"),
        ("Łukasz", False, "LUKASZ"),
        ("Jean-Pierre", True, "JEAN PIERRE"),
        ("ANNA<MARIA", True, "ANNA MARIA"),
    ],
)
def test_fold_name(text: str, icao: bool, expected: str) -> None:
    assert fold_name(text, icao=icao) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 AUG 1974", date(1974, 8, 12)),
        ("12 AUG/AOÛT 1974", date(1974, 8, 12)),
        ("12 AUG/AOUT 1974", date(1974, 8, 12)),
        ("03 DEC/DÉC 2028", date(2028, 12, 3)),
        ("12.08.1974", date(1974, 8, 12)),
        ("12/08/1974", date(1974, 8, 12)),
        ("1974-08-12", date(1974, 8, 12)),
        ("born 1 MAI 1990 in Paris", date(1990, 5, 1)),
        ("14 MÄRZ 2001", date(2001, 3, 14)),
        ("1960.02.08", date(1960, 2, 8)),
        ("12 AUGUST/AOUT 74", date(1974, 8, 12)),
        ("16 APR/AVR 07", date(2007, 4, 16)),
        ("31.02.1990", None),
        ("no date here", None),
    ],
)
def test_parse_printed_date(text: str, expected: date | None) -> None:
    assert parse_printed_date(text) == expected


def test_find_dates_keeps_text_order() -> None:
    found = find_dates("issued 01.02.2020 expires 31 JAN 2030 born 1980-05-06")
    assert [d for _, d in found] == [date(2020, 2, 1), date(2030, 1, 31), date(1980, 5, 6)]


@pytest.mark.parametrize(
    ("printed_name", "mrz_name", "agree"),
    [
        ("MÜLLER", "MUELLER", True),  # ICAO transliteration
        ("MÜLLER", "MULLER", True),  # simple transliteration
        ("ØSTERGAARD", "OESTERGAARD", True),
        ("BRZĘCZYSZCZYKIEWICZ", "BRZECZYSZCZYKIEW", True),  # truncated MRZ name field
        ("WILLIAMS-JONES", "WILLIAMS JONES", True),
        ("N/ESS", "NAESS", True),  # one OCR slip
        ("POR", "THOR", True),  # Þ read as P by an English-trained OCR
        ("OZTURK", "OEZTUERK", True),  # Ö and Ü read without their diacritics
        ("KE", "AAKE", True),  # Å lost entirely: one slip
        ("WEIB", "WEISS", True),  # ß read as B
        ("PAUL", "THOMAS", False),
        ("SMITH", "JOHNSON", False),
        ("ANNA MARIA", "ANNA", False),
        ("ERIKSSON", "ERIKSEN", False),
    ],
)
def test_names_agree(printed_name: str, mrz_name: str, agree: bool) -> None:
    assert names_agree(printed_name, mrz_name) is agree


def test_consistent_document() -> None:
    result = compare_printed_with_mrz(printed(), MRZ)
    assert result.consistent is True
    assert result.score == 1.0
    assert result.reason_codes == ()
    assert set(result.compared) == {
        "surname", "given_names", "document_number", "birth_date", "expiry_date"
    }  # fmt: skip


def test_ocr_confusions_in_the_number_are_forgiven() -> None:
    result = compare_printed_with_mrz(printed(document_number="CO1XOOT47"), MRZ)
    assert result.consistent is True


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"birth_date": date(1974, 8, 13)}, "birth_date"),
        ({"expiry_date": date(2030, 4, 15)}, "expiry_date"),
        ({"document_number": "C01X00T48"}, "document_number"),
        ({"surname": "SCHMIDT"}, "surname"),
    ],
)
def test_real_disagreement_is_a_data_mismatch(overrides: dict[str, object], field: str) -> None:
    result = compare_printed_with_mrz(printed(**overrides), MRZ)
    assert result.consistent is False
    assert result.mismatches == (field,)
    assert result.reason_codes == (REASON_DATA_MISMATCH,)
    assert result.score == pytest.approx(0.8)


def test_mrz_century_is_not_held_against_the_printed_date() -> None:
    # MRZ "110101" read as 2011 by the reader; the page prints 01.01.1911
    mrz = replace(MRZ, birth_date=date(2011, 1, 1))
    assert compare_printed_with_mrz(printed(birth_date=date(1911, 1, 1)), mrz).consistent is True
    assert compare_printed_with_mrz(printed(birth_date=date(1911, 1, 2)), mrz).consistent is False


def test_unreadable_printed_text_is_not_a_mismatch() -> None:
    empty = PrintedFields(None, None, None, None, None, 0.0, "")
    result = compare_printed_with_mrz(empty, MRZ)
    assert result.consistent is None
    assert result.reason_codes == ()


def test_mrz_fields_as_json_dict_with_iso_dates() -> None:
    mrz = {
        "surname": "MUELLER",
        "given_names": "JUERGEN<KARL",
        "document_number": "C01X00T47",
        "birth_date": "1974-08-12",
        "expiry_date": "2031-04-15",
    }
    assert compare_printed_with_mrz(printed(), mrz).consistent is True


SPEC = DocumentSpec(
    format="TD3",
    document_type="P",
    issuing_country="D",
    issuing_state_name="BUNDESREPUBLIK DEUTSCHLAND",
    surname="MÜLLER",
    given_names="JÜRGEN",
    document_number="C01X00T47",
    nationality="D",
    birth_date=date(1974, 8, 12),
    sex="M",
    expiry_date=date(2031, 4, 15),
    issue_date=date(2021, 4, 16),
    optional_data="",
    identity="obama",
    portrait_file="obama.jpg",
    date_style="dd_mon_fr_yyyy",
    dpi=300,
)


@pytest.mark.parametrize(
    "spec",
    [SPEC, replace(SPEC, format="TD1", document_type="ID", date_style="dd.mm.yyyy")],
    ids=["td3", "td1"],
)
def test_reads_generated_document_and_agrees_with_its_mrz(spec: DocumentSpec) -> None:
    page, truth = render_document(spec, np.random.default_rng(3))
    fields = read_printed_fields(page, spec.format)
    assert fields.surname is not None and names_agree(fields.surname, "MUELLER")
    assert fields.birth_date == spec.birth_date
    assert fields.expiry_date == spec.expiry_date
    # DejaVu's 0 and O are hard to tell apart: the comparison forgives that confusion
    assert fields.document_number is not None
    assert fields.document_number.replace("O", "0") == spec.document_number
    assert fields.confidence > 0.5
    mrz_fields = dict(truth.fields)
    agreement = compare_printed_with_mrz(fields, mrz_fields)
    assert agreement.consistent is True
    assert {"surname", "document_number", "birth_date", "expiry_date"} <= set(agreement.compared)
    other_person = {**mrz_fields, "birth_date": "1980-01-02", "document_number": "X9999999"}
    mismatch = compare_printed_with_mrz(fields, other_person)
    assert mismatch.consistent is False
    assert set(mismatch.mismatches) == {"birth_date", "document_number"}


def test_blank_page_reads_nothing() -> None:
    blank = np.full((600, 850, 3), 235, np.uint8)
    fields = read_printed_fields(blank, None)
    assert fields.surname is None and fields.birth_date is None
    assert compare_printed_with_mrz(fields, MRZ).consistent is None


@pytest.mark.parametrize(
    ("file_name", "fmt", "number"),
    [("passport-td3.jpg", "TD3", "L898902C3"), ("passport-td2.jpg", "TD2", "D23145890")],
)
def test_reads_real_icao_specimen(shared_data: Path, file_name: str, fmt: str, number: str) -> None:
    """REAL: the ICAO "Utopia" specimens are flat scans of the data page."""
    bgr = cv2.imread(str(shared_data / "documents" / file_name))
    fields = read_printed_fields(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), fmt)
    assert (fields.surname, fields.given_names) == ("ERIKSSON", "ANNA MARIA")
    assert fields.document_number == number
    # printed with two-digit years ("12 AUG/AOUT 74")
    assert fields.birth_date == date(1974, 8, 12)
    assert fields.expiry_date == date(2012, 4, 15)
    mrz = FakeMrzFields("ERIKSSON", "ANNA MARIA", number, date(1974, 8, 12), date(2012, 4, 15))
    result = compare_printed_with_mrz(fields, mrz)
    assert result.consistent is True and len(result.compared) == 5
