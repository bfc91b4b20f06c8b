"""Reads of REAL documents that went wrong, reproduced on documents RENDERED with the same
MRZ layout by the project's generator (``benchmarks/synth/documents.py``), never the
specimens themselves:

- a US visa (MRV-A) whose optional data IFLNDOOAMS803085 was read with zeros for the
  letters O and reported valid: no check digit covers that field;
- a German specimen's legacy code BDR reported as Bulgaria's BGR (here: Belarus's BLR);
- a Slovenian card's SI< reported as GIN / GIB (here: SJM).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import numpy as np
import pytest

from app.vision.document.reader import DocumentReading, read_document
from benchmarks.synth.documents import build_mrz, random_spec, render_document

TODAY = date(2025, 6, 1)


def _render_and_read(**fields: Any) -> tuple[list[str], DocumentReading]:
    """A flat page at 400 dpi with ``fields`` printed, its MRZ lines and the reader's read."""
    rng = np.random.default_rng([26, 1])
    spec = replace(random_spec(rng), dpi=400.0, **fields)
    page, _ = render_document(spec, rng)
    return build_mrz(spec), read_document(page, today=TODAY, find_portrait=False)


@pytest.mark.parametrize("optional", ["IFLNDOOAMS803085", "IFLND00AMS803085"])
def test_us_visa_optional_data_is_never_proven(optional: str) -> None:
    lines, reading = _render_and_read(
        format="MRVA",
        document_type="V",
        issuing_country="USA",
        nationality="USA",
        document_number="X1234567",
        optional_data=optional,
    )
    mrz = reading.mrz
    assert mrz.format == "MRVA"
    assert not mrz.valid
    assert mrz.checks["unchecked_positions_proven"] is False
    assert "mrz_check_failed" in mrz.reason_codes
    assert list(mrz.lines) == lines  # read exactly, and still not proven


@pytest.mark.parametrize(
    ("fmt", "doc_type", "code", "number", "reported"),
    [
        ("TD3", "P", "BDR", "C01X00T47", "BDR"),  # German legacy code, not on the list
        ("TD1", "ID", "SI", "IA0001234", "SI"),  # printed SI<, not GIN / GIB / SJM
    ],
)
def test_printed_country_codes_are_reported_as_printed(
    fmt: str, doc_type: str, code: str, number: str, reported: str
) -> None:
    lines, reading = _render_and_read(
        format=fmt,
        document_type=doc_type,
        issuing_country=code,
        nationality=code,
        document_number=number,
        optional_data="",
    )
    mrz = reading.mrz
    assert mrz.fields is not None
    assert mrz.fields.issuing_country == reported
    assert mrz.fields.nationality == reported
    assert list(mrz.lines) == lines
    assert not mrz.valid
    assert mrz.checks["issuing_country"] is False and mrz.checks["nationality"] is False
    assert mrz.reason_codes == ("document_country_unknown",)


def test_a_listed_one_letter_code_reads_valid() -> None:
    lines, reading = _render_and_read(
        format="TD3",
        document_type="P",
        issuing_country="D",
        nationality="D",
        document_number="C01X00T47",
        optional_data="",
    )
    assert list(reading.mrz.lines) == lines
    assert reading.mrz.valid, reading.mrz.checks
    assert reading.mrz.fields is not None and reading.mrz.fields.issuing_country == "D"


def test_an_unproven_read_of_the_flattened_page_is_reported_not_dropped() -> None:
    """SYNTHETIC seed 7 normal_0091 (MRV-B, optional data 448ZC0DT): the photo itself
    gives no glyph lines; the flattened page reads exactly, but not proven (look-alikes no
    check digit covers). The read is reported, not "no MRZ"."""
    from benchmarks.synth.documents import generate_document

    doc = generate_document(7, "normal", 91)
    reading = read_document(doc.image, today=TODAY, find_portrait=False)
    assert list(reading.mrz.lines) == build_mrz(doc.spec)
    assert not reading.mrz.valid
    assert reading.mrz.reason_codes == ("mrz_check_failed",)
