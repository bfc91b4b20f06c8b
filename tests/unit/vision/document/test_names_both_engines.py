"""An unproven read reports the names letter both engines back: a runner-up of the glyph
network that Tesseract reads, when Tesseract reads the rest of the names as the network
does. It never makes a read valid."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from app.vision.document import ocr, ocr_types, second_opinion
from app.vision.document.mrz import parse_mrz
from benchmarks.synth.documents import generate_document

TODAY = date(2026, 11, 26)
TRUTH = (
    "IRNORL602793882<<<<<<<<<<<<<<<",
    "8403205M3109166NOR<<<<<<<<<<<0",
    "OESTERGAARD<<AAKE<<<<<<<<<<<<<",
)
MISREAD = (*TRUTH[:2], "OESFERGAARD<<AAKE<<<<<<<<<<<<<")
MIN_AGREEMENT = ocr_types.OcrParams().names_agreement_for_runner_ups


def _unproven(lines: tuple[str, ...]) -> ocr_types.MrzRead:
    return ocr_types.MrzRead(result=replace(parse_mrz(lines, today=TODAY), valid=False))


def _rows(lines: tuple[str, ...], runner_ups: dict[tuple[int, int], str]) -> list[list[str]]:
    rows = [list(line) for line in lines]
    for (line, pos), extra in runner_ups.items():
        rows[line][pos] += extra
    return rows


def _read(texts: list[str], runner_ups: dict[tuple[int, int], str]) -> ocr_types.MrzRead:
    return second_opinion._names_both_engines_read(
        _unproven(MISREAD), _rows(MISREAD, runner_ups), texts, TODAY, MIN_AGREEMENT
    )


def test_a_runner_up_tesseract_reads_replaces_the_networks_letter_unproven() -> None:
    read = _read(list(TRUTH), {(2, 3): "T7"})
    assert read.result.lines == TRUTH
    assert read.result.fields is not None and read.result.fields.surname == "OESTERGAARD"
    assert not read.result.valid
    assert read.result.corrections[-1].startswith("line 3 pos 4: F->T")


def test_a_letter_the_network_did_not_offer_is_not_taken_from_tesseract() -> None:
    read = _read(list(TRUTH), {(2, 3): "7"})
    assert read.result.lines == MISREAD


def test_tesseract_reading_the_names_differently_throughout_is_no_evidence() -> None:
    # 12 of the 15 names letters read alike (0.8, the changed one counted): too few.
    texts = [*TRUTH[:2], "OESTERGAARO<<AAXE<<<<<<<<<<<<<"]
    read = _read(texts, {(2, 3): "T"})
    assert read.result.lines == MISREAD


def test_a_letter_is_not_taken_where_tesseract_misreads_a_neighbouring_cell() -> None:
    # 13 of 15 letters alike (0.87), but the E after the F is read as X.
    texts = [*TRUTH[:2], "OESTXRGAARD<<AAKE<<<<<<<<<<<<<"]
    read = _read(texts, {(2, 3): "T"})
    assert read.result.lines == MISREAD


def test_the_filler_is_never_replaced_by_what_tesseract_reads_there() -> None:
    # Tesseract reads fillers as K; even offered as a runner-up, a filler stays.
    texts = [*TRUTH[:2], "OESTERGAARD<<AAKEKKKK<<<<<<<<<"]
    read = _read(texts, {(2, 3): "T", (2, 17): "K"})
    assert read.result.lines == TRUTH


@pytest.mark.parametrize(
    ("seed", "index"),
    [
        # SYNTHETIC hard captures (crispness 0.5-0.7): the network read OESFERGAARD and
        # LOURCIRO with T and E its runner-ups; Tesseract read both letters right.
        (404, 56),
        (404, 110),
    ],
)
def test_hard_captures_report_the_letter_both_engines_read(seed: int, index: int) -> None:
    document = generate_document(seed, "hard", index)
    read = ocr.read_mrz(document.image, today=TODAY)
    assert list(read.result.lines) == list(document.truth.mrz_lines)
    assert not read.result.valid


def test_a_runner_up_is_not_taken_where_tesseract_reads_the_fillers_as_letters() -> None:
    # SYNTHETIC normal capture (seed 303 #50, MRV-B): the network read MAERTA, R its
    # runner-up for the last A; Tesseract read MAERTRERCK where the fillers are.
    document = generate_document(303, "normal", 50)
    read = ocr.read_mrz(document.image, today=TODAY)
    assert list(read.result.lines) == list(document.truth.mrz_lines)
