"""The synthetic document generator produces correct ICAO 9303 ground truth, reproducibly."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from benchmarks.synth.documents import (
    DocumentSpec,
    build_mrz,
    check_digit,
    format_printed_date,
    generate_document,
    photograph,
    random_spec,
    render_document,
    transliterate,
)

UTO_SPEC = DocumentSpec(
    format="TD3",
    document_type="P",
    issuing_country="UTO",
    issuing_state_name="UTOPIA",
    surname="ERIKSSON",
    given_names="ANNA MARIA",
    document_number="L898902C3",
    nationality="UTO",
    birth_date=date(1974, 8, 12),
    sex="F",
    expiry_date=date(2012, 4, 15),
    issue_date=date(2002, 4, 16),
    optional_data="ZE184226B",
    identity="rose_leslie",
    portrait_file="img1.jpg",
    dpi=150,
)


def _digit_ok(field: str, digit: str) -> bool:
    # An empty (all-filler) optional field may carry '<' as its check digit.
    if digit == "<":
        return set(field) == {"<"}
    return check_digit(field) == digit


def _verify(fmt: str, lines: list[str]) -> None:
    """An independent re-check of every check digit, by field position."""
    if fmt == "TD1":
        l1, l2, _ = lines
        if l1[14] == "<" and l1[5:14] != "<" * 9:  # long document number
            rest = l1[15:].split("<")[0]
            assert check_digit(l1[5:14] + rest[:-1]) == rest[-1]
        else:
            assert check_digit(l1[5:14]) == l1[14]
        assert check_digit(l2[0:6]) == l2[6]
        assert check_digit(l2[8:14]) == l2[14]
        assert check_digit(l1[5:30] + l2[0:7] + l2[8:15] + l2[18:29]) == l2[29]
        return
    l2 = lines[1]
    assert check_digit(l2[0:9]) == l2[9]
    assert check_digit(l2[13:19]) == l2[19]
    assert check_digit(l2[21:27]) == l2[27]
    if fmt == "TD3":
        assert _digit_ok(l2[28:42], l2[42])
        assert check_digit(l2[0:10] + l2[13:20] + l2[21:43]) == l2[43]
    elif fmt == "TD2":
        assert check_digit(l2[0:10] + l2[13:20] + l2[21:35]) == l2[35]


def test_check_digit_matches_icao_specimen() -> None:
    assert check_digit("L898902C3") == "6"
    assert check_digit("740812") == "2"
    assert check_digit("120415") == "9"
    assert check_digit("ZE184226B<<<<<") == "1"


def test_td3_specimen_is_reproduced_exactly() -> None:
    assert build_mrz(UTO_SPEC) == [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ]


def test_td2_and_td1_specimens_are_reproduced_exactly() -> None:
    td2 = replace(UTO_SPEC, format="TD2", document_type="I", document_number="D23145890",
                  optional_data="")  # fmt: skip
    assert build_mrz(td2) == [
        "I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "D231458907UTO7408122F1204159<<<<<<<6",
    ]
    che = replace(UTO_SPEC, format="TD1", document_type="ID", issuing_country="CHE",
                  nationality="CHE", surname="VADIS", given_names="QUO",
                  document_number="S0002068", birth_date=date(1981, 2, 28),
                  expiry_date=date(2013, 1, 1), optional_data="")  # fmt: skip
    assert build_mrz(che) == [
        "IDCHES0002068<8<<<<<<<<<<<<<<<",
        "8102287F1301014CHE<<<<<<<<<<<4",
        "VADIS<<QUO<<<<<<<<<<<<<<<<<<<<",
    ]


@pytest.mark.parametrize(
    ("printed", "mrz"),
    [
        ("MÜLLER", "MUELLER"),
        ("ØSTERGAARD", "OESTERGAARD"),
        ("GROß", "GROSS"),
        ("ÞÓRSDÓTTIR", "THORSDOTTIR"),
        ("ŁUKASIEWICZ", "LUKASIEWICZ"),
        ("O'BRIEN", "OBRIEN"),
        ("MEYER-LÜDENSCHEIDT", "MEYER<LUEDENSCHEIDT"),
        ("NÚÑEZ GARCÍA", "NUNEZ<GARCIA"),
        ("ÇELİK", "CELIK"),
    ],
)
def test_transliteration(printed: str, mrz: str) -> None:
    assert transliterate(printed) == mrz


def test_printed_date_styles() -> None:
    d = date(1974, 8, 12)
    assert format_printed_date(d, "dd_mon_yyyy") == "12 AUG 1974"
    assert format_printed_date(d, "dd_mon_fr_yyyy") == "12 AUG/AOÛT 1974"
    assert format_printed_date(d, "dd.mm.yyyy") == "12.08.1974"
    assert format_printed_date(d, "yyyy-mm-dd") == "1974-08-12"


def test_random_specs_give_valid_mrz_for_every_format() -> None:
    seen: set[str] = set()
    long_numbers = 0
    for index in range(300):
        spec = random_spec(np.random.default_rng([3, index]), dpi=100)
        lines = build_mrz(spec)
        seen.add(spec.format)
        long_numbers += len(spec.document_number) > 9
        assert all(set(line) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<") for line in lines)
        _verify(spec.format, lines)
    assert seen == {"TD1", "TD2", "TD3", "MRVA", "MRVB"}
    assert long_numbers > 0


def test_rendering_is_deterministic_and_truth_is_consistent() -> None:
    a = generate_document(11, "normal", 2, dpi=120)
    b = generate_document(11, "normal", 2, dpi=120)
    assert np.array_equal(a.image, b.image)
    assert a.truth == b.truth
    assert a.truth.mrz_lines == tuple(build_mrz(a.spec))
    other = generate_document(12, "normal", 2, dpi=120)
    assert not np.array_equal(a.image, other.image) or a.spec != other.spec
    width, height = a.truth.page_size
    x0, y0, x1, y1 = a.truth.portrait_box
    fx0, fy0, fx1, fy1 = a.truth.face_box
    assert 0 <= x0 < fx0 < fx1 < x1 <= width and 0 <= y0 <= fy0 < fy1 <= y1 <= height
    assert a.truth.mrz_box[1] > y1 - 5  # the MRZ is below the portrait
    record = a.photo
    assert len(record["corners"]) == 4
    assert record["tier"] == "normal"
    h, w = a.image.shape[:2]
    assert record["photo_size"] == [w, h]
    assert a.image.dtype == np.uint8 and a.image.ndim == 3
    truth = a.truth_json()
    assert truth["mrz"] == list(a.truth.mrz_lines) and truth["identity"] == a.spec.identity
    portrait = np.array(truth["portrait_corners_photo"])
    assert portrait.shape == (4, 2)
    assert (portrait.min(axis=0) >= np.array(record["corners"]).min(axis=0) - 1).all()


def test_photograph_maps_page_corners_with_its_homography() -> None:
    page, _ = render_document(replace(UTO_SPEC, dpi=100), np.random.default_rng(0))
    photo, record = photograph(page, "hard", np.random.default_rng(5))
    homography = np.array(record["homography"])
    page_h, page_w = page.shape[:2]
    corners = np.array([[0, 0, 1], [page_w, 0, 1], [page_w, page_h, 1], [0, page_h, 1]]).T
    mapped = homography @ corners
    mapped = (mapped[:2] / mapped[2]).T
    assert np.allclose(mapped, np.array(record["corners"]), atol=0.05)
    assert 55 <= record["jpeg_quality"] <= 80
    assert photo.shape[1] == record["photo_size"][0]
