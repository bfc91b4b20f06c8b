"""Fields no check digit covers, decoded under their constraints: the names field under
ICAO 9303's grammar, the country codes as read (the ICAO list breaks near ties only)."""

from __future__ import annotations

import numpy as np
import pytest

from app.vision.document.name_grammar import NAME_ALPHABET, decode_name_field
from app.vision.document.ocr import _decoded_fields, _decoded_first


def _scores(first: str, runner_up: dict[int, tuple[str, float]] | None = None) -> np.ndarray:
    """Log-probabilities where ``first`` is each cell's first choice (-0.1) and, per cell
    index, an optional runner-up at the given log-probability; everything else -9."""
    out = np.full((len(first), len(NAME_ALPHABET)), -9.0)
    for cell, char in enumerate(first):
        out[cell, NAME_ALPHABET.index(char)] = -0.1
    for cell, (char, value) in (runner_up or {}).items():
        out[cell, NAME_ALPHABET.index(char)] = value
    return out


@pytest.mark.parametrize(
    "field",
    [
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<<",
        "MUELLER<LUEDENSCHEIDT<<KARL<HEI",  # truncated: ends on a letter
        "NAESS<<<<<<<<<<<<<<<<<<<<<<<<<<",  # primary identifier only
        "DE<LA<TORRE<<JOSE<<<<<<<<<<<<<<",
        "A<<B<<<<<",
    ],
)
def test_grammatical_first_choices_are_kept(field: str) -> None:
    assert decode_name_field(_scores(field)) == field


def test_letters_after_the_padding_become_fillers() -> None:
    # hard_0075 (seed 7): a filler run under blur read as CSYY after the given name.
    read = "MUNOZ<<INIGO<<<<<<<<<<<<CSYY<<"
    truth = "MUNOZ<<INIGO<<<<<<<<<<<<<<<<<<"
    runner_ups = {24 + k: ("<", -2.5) for k in range(4)}
    assert decode_name_field(_scores(read, runner_ups)) == truth


def test_a_filler_inside_the_given_names_becomes_its_runner_up_letter() -> None:
    # hard_0095 (seed 7): the H of HENRY read as a filler, making a second separator.
    read = "SMITH<<WILLIAM<<ENRY<<<<<<<"
    truth = "SMITH<<WILLIAM<HENRY<<<<<<<"
    assert decode_name_field(_scores(read, {15: ("H", -1.4)})) == truth


def test_the_field_opens_with_a_letter() -> None:
    read = "<OHNSON<<CHLOE<<<<<"
    assert decode_name_field(_scores(read, {0: ("J", -3.0)})) == "JOHNSON<<CHLOE<<<<<"


def test_the_cheapest_repair_wins() -> None:
    # Two ways to make WILLIAM<<ENRY grammatical: H for the filler (1.3 nats) or four
    # fillers for ENRY (4 x 4 nats). The first is far cheaper.
    read = "SMITH<<WILLIAM<<ENRY<<<"
    runner_ups = {15: ("H", -1.4), **{16 + k: ("<", -4.1) for k in range(4)}}
    assert decode_name_field(_scores(read, runner_ups)) == "SMITH<<WILLIAM<HENRY<<<"


def test_names_first_keeps_the_networks_choice_as_runner_up() -> None:
    rows = [["P", "<", "Q", "X"], ["<", "<", "AB"]]
    names = list(zip([(0, 2), (0, 3), (1, 0), (1, 2)], "QY<B", strict=True))
    out = _decoded_first([list(row) for row in rows], names)
    # unchanged where the decoded letter is the first choice; else the decoded letter
    # first, the network's first choice second (a near tie the second engine settles)
    assert out == [["P", "<", "Q", "YX"], ["<", "<", "BA"]]


def _country_scores(behind: float) -> list[np.ndarray]:
    """A TD3 whose issuing state reads V, with N ``behind`` nats behind it."""
    from app.vision.document.glyphs import MRZ_CHARSET

    lines = (
        "P<VORSMITH<<JOHN<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
        "AB12345674NOR8001014M3001019<<<<<<<<<<<<<<06",
    )
    net_scores = []
    for text in lines:
        scores = np.full((len(text), len(MRZ_CHARSET)), -9.0)
        for cell, char in enumerate(text):
            scores[cell, MRZ_CHARSET.index(char)] = -0.1
        net_scores.append(scores)
    net_scores[0][2, MRZ_CHARSET.index("N")] = -0.1 - behind
    return net_scores


def test_a_near_tie_in_a_country_field_goes_to_the_code_on_the_icao_list() -> None:
    """V and N within 0.8 nats: readings of the same glyph; no code is VOR."""
    decoded = dict(_decoded_fields(_country_scores(0.8), "TD3"))
    assert "".join(decoded[(0, p)] for p in range(2, 5)) == "NOR"
    assert "".join(decoded[(1, p)] for p in range(10, 13)) == "NOR"  # already on the list
    assert "".join(decoded[(0, p)] for p in range(5, 44)).startswith("SMITH<<JOHN<<<")
    rows = [[char for char in line] for line in _LINES_VOR]
    assert _decoded_first(rows, list(decoded.items()))[0][2] == "NV"


def test_a_legible_country_code_is_reported_as_read() -> None:
    """Seed 7 hard_0063: blur read the N of NOR as V, 3.5 nats ahead. That is no tie: the
    code is reported as read (not on the list: the read is not valid) rather than
    replaced by a listed country, as a German specimen's BDR had become BGR."""
    decoded = dict(_decoded_fields(_country_scores(3.5), "TD3"))
    assert "".join(decoded[(0, p)] for p in range(2, 5)) == "VOR"
    # A wider tie margin lets the list decide again.
    decoded = dict(_decoded_fields(_country_scores(3.5), "TD3", country_tie_margin=4.0))
    assert "".join(decoded[(0, p)] for p in range(2, 5)) == "NOR"


def test_a_one_letter_code_and_an_unlisted_code_keep_their_fillers() -> None:
    from app.vision.document.glyphs import MRZ_CHARSET

    for code in ("D<<", "SI<", "BDR"):
        scores = [np.full((44, len(MRZ_CHARSET)), -9.0) for _ in range(2)]
        for line in scores:
            line[:, MRZ_CHARSET.index("<")] = -0.1
        for k, char in enumerate(code):
            for line, start in ((0, 2), (1, 10)):
                scores[line][start + k] = -9.0
                scores[line][start + k, MRZ_CHARSET.index(char)] = -0.1
        decoded = dict(_decoded_fields(scores, "TD3"))
        assert "".join(decoded[(0, p)] for p in range(2, 5)) == code
        assert "".join(decoded[(1, p)] for p in range(10, 13)) == code


_LINES_VOR = (
    "P<VORSMITH<<JOHN<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
    "AB12345674NOR8001014M3001019<<<<<<<<<<<<<<06",
)


@pytest.mark.parametrize(("fmt", "cell"), [("TD3", (1, 20)), ("TD1", (1, 7)), ("MRVB", (1, 20))])
def test_the_sex_decodes_to_the_likeliest_of_m_f_x_and_the_filler(
    fmt: str, cell: tuple[int, int]
) -> None:
    """Seed 202 hard_0006 and hard_0058: blur read M as H, which no MRZ sex is."""
    from app.vision.document.glyphs import MRZ_CHARSET
    from app.vision.document.mrz_layout import FORMAT_LINES

    n_lines, length = FORMAT_LINES[fmt]
    net_scores = [np.full((length, len(MRZ_CHARSET)), -9.0) for _ in range(n_lines)]
    for scores in net_scores:
        scores[:, MRZ_CHARSET.index("<")] = -0.1
    sex = net_scores[cell[0]][cell[1]]
    sex[MRZ_CHARSET.index("H")] = -0.05
    sex[MRZ_CHARSET.index("<")] = -6.0
    sex[MRZ_CHARSET.index("M")] = -2.0
    decoded = dict(_decoded_fields(net_scores, fmt))
    assert decoded[cell] == "M"
