"""Second-engine confirmation: the rule that keeps confident glyph errors from being valid.

The three false-valid patterns below were measured on the synthetic normal tier (seed 101)
before the rule existed; the "other" lines are Tesseract's actual output on those images.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.vision.document import cells, ocr, ocr_types, second_opinion
from app.vision.document.confirm import align, confirm_read, disagreements
from app.vision.document.mrz import mask_character, parse_mrz
from app.vision.document.mrz_layout import check_digit_groups

TODAY = date(2025, 6, 1)


def test_align_handles_dropped_and_inserted_characters() -> None:
    assert align("ABC<<D", "ABC<D") == ["A", "B", "C", "<", None, "D"] or align(
        "ABC<<D", "ABC<D"
    ) == ["A", "B", "C", None, "<", "D"]
    assert align("AB<<C", "AB<K<C") in (
        ["A", "B", "<", "<", "C"],
        ["A", "B", "<", "K", "C"],
        ["A", "B", "K", "<", "C"],
    )
    assert align("ABC", "") == [None, None, None]


def test_mask_character_maps_look_alikes_into_the_position_class() -> None:
    assert mask_character("0", "A") == "O"
    assert mask_character("O", "N") == "0"
    assert mask_character("S", "C") == "5"
    assert mask_character("Q", "A") == "Q"
    assert mask_character("X", "N") == "X"  # no look-alike: stays, and will not match


def test_check_digit_groups_follow_a_long_td1_number() -> None:
    lines = [
        "I<UTOD23145890<7349<<<<<<<<<<<",
        "7408122F1204159UTO<<<<<<<<<<<8",
        "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
    ]
    groups = check_digit_groups("TD1", lines)
    assert groups["document_number"][-1] == (0, 18)
    assert (0, 15) in groups["document_number"]
    assert (1, 29) in groups["composite"]


# SEBASTIAO read SEBASTIAC: names have no check digit, the read passed every check.
TD3_TRUTH = [
    "P<BRASIMOES<<RUI<SEBASTIAO<<<<<<<<<<<<<<<<<<",
    "8249369270BRA6308155M2611240<<<<<<<<<<<<<<00",
]
TD3_TESSERACT = ["P<BRASIMOES<<RUI<SEBASTIAQ<<<<<<<<", "8249369270BRA6308155M2611240<<<<<<<<<<<00"]


def test_name_letter_error_is_not_confirmed() -> None:
    glyph = [TD3_TRUTH[0].replace("SEBASTIAO", "SEBASTIAC"), TD3_TRUTH[1]]
    assert parse_mrz(glyph, today=TODAY).valid  # the codec alone cannot see it
    confirmation = confirm_read(glyph, "TD3", TD3_TESSERACT)
    assert not confirmation.confirmed
    assert (0, 25) in confirmation.unconfirmed


def test_correct_read_is_confirmed_despite_filler_noise() -> None:
    lines = [
        "P<HRVBABIC<<LUKA<<<<<<<<<<<<<<<<<<<<<<<<<<<<",
        "JY53574333HRV6610311M3409246<<<<<<<<<<<<<<00",
    ]
    tesseract = [
        "P<HRVBABIC<K<LUKA<K<<<<SSSSSSSKKKK",
        "JYS3574333HRV6610311M3409246<<<<<S<E<EEC<I0",
    ]
    assert parse_mrz(lines, today=TODAY).valid
    assert confirm_read(lines, "TD3", tesseract).confirmed


def test_filler_read_where_the_other_engine_sees_a_letter_is_not_confirmed() -> None:
    lines = [TD3_TRUTH[0].replace("SEBASTIAO", "SEBASTIA<"), TD3_TRUTH[1]]
    assert not confirm_read(lines, "TD3", TD3_TESSERACT).confirmed


# MRV-A has no composite and no optional-data check digit: S7PLR0J read S7FLR0J.
MRVA_TRUTH = [
    "V<TURSAHIN<<ISMAIL<<<<<<<<<<<<<<<<<<<<<<<<<<",
    "D309628836TUR8309145M2203089S7PLR0J<<<<<<<<<",
]


def test_visa_optional_data_error_is_not_confirmed() -> None:
    glyph = [MRVA_TRUTH[0], MRVA_TRUTH[1].replace("S7PLR0J", "S7FLR0J")]
    checks = parse_mrz(glyph, today=TODAY).checks
    # Every check passes but one: the optional data holds S and 0, look-alikes no check
    # digit covers, so the codec never calls it valid (the confirmation catches the F).
    assert [name for name, ok in checks.items() if not ok] == ["unchecked_positions_proven"]
    tesseract = [MRVA_TRUTH[0], "D309628836TUR8309145M2203089S7PLR0J<<<<<<<<"]
    confirmation = confirm_read(glyph, "MRVA", tesseract)
    assert not confirmation.confirmed
    assert (1, 30) in confirmation.unconfirmed
    assert confirm_read(MRVA_TRUTH, "MRVA", tesseract).confirmed


# TD2: two wrong characters in the document number whose weighted sum moved by a
# multiple of 10 (so check digit and composite still pass), plus a wrong type letter.
TD2_TRUTH = ["IRNLDJANSSEN<<JAN<<<<<<<<<<<<<<<<<<<", "P273745995DNK5306109M2303185<<<<<<<6"]
TD2_TESSERACT = ["IRNLDJANSSENK<JANK<<K<<KKKKKEEKS", "P273745995DNK5306109M2303185<<<<<<<6"]


def test_td2_double_error_is_caught_by_the_type_letter_and_the_number_group() -> None:
    glyph = ["IFNLDJANSSEN<<JAN<<<<<<<<<<<<<<<<<<<", "TQ73745995DNK5306109M2303185<<<<<<<6"]
    confirmation = confirm_read(glyph, "TD2", TD2_TESSERACT)
    assert not confirmation.confirmed
    assert (0, 1) in confirmation.unconfirmed
    assert "document_number" in confirmation.overloaded_groups


def test_two_disagreements_in_one_check_group_are_never_confirmed() -> None:
    # Type letter right this time: only the double error in the number remains.
    glyph = [TD2_TRUTH[0], "TQ73745995DNK5306109M2303185<<<<<<<6"]
    confirmation = confirm_read(glyph, "TD2", TD2_TESSERACT)
    assert confirmation.unconfirmed == ()
    assert confirmation.overloaded_groups == ("document_number",)
    assert not confirmation.confirmed
    # A single disagreement is what the check digit itself is for.
    single = [TD2_TRUTH[0], "T273745995DNK5306109M2303185<<<<<<<6"]
    assert confirm_read(single, "TD2", TD2_TESSERACT).overloaded_groups == ()


def test_missing_engine_or_line_count_mismatch_is_not_confirmed() -> None:
    assert not confirm_read(TD3_TRUTH, "TD3", None).confirmed
    assert not confirm_read(TD3_TRUTH, "TD3", TD3_TESSERACT[:1]).confirmed
    assert not confirm_read(TD3_TRUTH, "XX", TD3_TESSERACT).confirmed


def test_dropped_letter_is_a_disagreement_but_dropped_filler_is_not() -> None:
    other = ["P<BRASIMOES<<RUI<SEBASTAO<<<<<<", TD3_TRUTH[1]]
    differ = disagreements(TD3_TRUTH, "TD3", other)
    assert differ & {(0, 23), (0, 24)}
    assert all(TD3_TRUTH[line][pos] != "<" for line, pos in differ)


def test_reader_demotes_a_read_the_second_engine_contradicts(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = cv2.cvtColor(
        cv2.imread(str(shared_data / "documents" / "passport-td3.jpg")), cv2.COLOR_BGR2RGB
    )
    # Nothing settled by the classifiers alone: every unchecked position needs Tesseract.
    params = ocr_types.OcrParams(net_settled_margin=1e9)
    honest = ocr.read_mrz(image, today=TODAY, params=params)
    assert honest.result.valid and honest.result.checks["second_engine_agrees"]
    surname_start = 5
    lines = list(honest.result.lines)
    wrong = lines[0][:surname_start] + "Q" + lines[0][surname_start + 1 :]
    monkeypatch.setattr(ocr, "_tesseract_lines", lambda crops: [wrong, lines[1]])
    contradicted = ocr.read_mrz(image, today=TODAY, params=params)
    assert not contradicted.result.valid
    assert contradicted.result.checks["second_engine_agrees"] is False
    assert "mrz_check_failed" in contradicted.result.reason_codes


def test_agreed_characters_lose_their_runner_ups_and_agreed_runner_ups_win() -> None:
    rows = [list("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"), list(TD3_TRUTH[1])]
    rows[0][20] = "MN"  # near tie; Tesseract reads M: pinned
    rows[0][21] = "EA"  # glyph says E, runner-up A, Tesseract reads A: A wins (names)
    rows[1][0] = "80"  # checked position, Tesseract reads 8: pinned
    rows[1][1] = "2Z"  # checked: Tesseract's Z (a runner-up) must not override here
    strict = [list(r) for r in rows]
    texts = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<", "8Z49369270BRA6308155M2611240<<<<<<<<<<<<<<00"]
    new_rows, new_strict = second_opinion._adopt_agreed_runner_ups(rows, strict, texts, "TD3")
    assert new_rows[0][20] == "M" and new_strict[0][20] == "M"
    assert new_rows[0][21] == "AE" and new_strict[0][21] == "A"
    assert new_rows[1][0] == "8"
    assert new_rows[1][1] == "2Z"


def test_a_contradiction_outside_the_runner_ups_is_not_adopted() -> None:
    rows = [list(TD3_TRUTH[0]), list(TD3_TRUTH[1])]
    rows[0][25] = "C"  # SEBASTIAC with no runner-up: Tesseract's Q is not adopted
    texts = [TD3_TRUTH[0][:25] + "Q" + TD3_TRUTH[0][26:], TD3_TRUTH[1]]
    new_rows, _ = second_opinion._adopt_agreed_runner_ups(
        rows, [list(r) for r in rows], texts, "TD3"
    )
    assert new_rows[0][25] == "C"


def test_look_alike_runner_ups_survive_agreement() -> None:
    # Canadian specimen 79_pass-can: number ZE000509 read ZEOO05O9 by both engines; three
    # O/0 swaps change the check sum by 360. Tesseract confuses O/0 as the glyphs do, so
    # its agreement must not remove the 0 runner-ups the codec needs to see the doubt.
    line2 = "ZEOO05O9<9CAN8501019F2301147<<<<<<<<<<<<<<08"
    rows = [list("P<CANMARTIN<<SARAH<<<<<<<<<<<<<<<<<<<<<<<<<<"), list(line2)]
    for pos in (2, 3, 6):
        rows[1][pos] = "O0"
    rows[1][4] = "0D"  # D and 0 are look-alikes too: kept
    rows[1][5] = "5S"
    texts = ["P<CANMARTIN<<SARAH<<<<<<<<<<<<<<<<<<<<<<<<<<", line2]
    new_rows, _ = second_opinion._adopt_agreed_runner_ups(
        rows, [list(r) for r in rows], texts, "TD3"
    )
    assert [new_rows[1][p] for p in (2, 3, 6)] == ["O0", "O0", "O0"]
    assert new_rows[1][4] == "0D" and new_rows[1][5] == "5S"


def test_settled_positions_are_not_held_against_the_read() -> None:
    other = [TD3_TRUTH[0][:5] + "Q" + TD3_TRUTH[0][6:], TD3_TRUTH[1]]
    assert not confirm_read(TD3_TRUTH, "TD3", other).confirmed
    assert confirm_read(TD3_TRUTH, "TD3", other, settled=frozenset({(0, 5)})).confirmed
    # Settling one position does not excuse a disagreement at another.
    assert not confirm_read(TD3_TRUTH, "TD3", other, settled=frozenset({(0, 6)})).confirmed


def test_a_clear_read_needs_no_second_engine(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    image = cv2.cvtColor(
        cv2.imread(str(shared_data / "documents" / "passport-td3.jpg")), cv2.COLOR_BGR2RGB
    )

    def no_tesseract(crops: object) -> None:
        raise AssertionError("Tesseract must not run for a read the classifiers settle")

    monkeypatch.setattr(ocr, "_tesseract_lines", no_tesseract)
    read = ocr.read_mrz(image, today=TODAY)
    assert read.result.valid and read.result.checks["classifiers_certain"] is True
    assert "second_engine_agrees" not in read.result.checks


def test_certainty_requires_the_networks_clear_first_choice_everywhere() -> None:

    from app.vision.document.glyphs import MRZ_CHARSET
    from app.vision.document.mrz import parse_mrz
    from app.vision.document.mrz_layout import position_masks

    result = parse_mrz(TD3_TRUTH, today=TODAY)
    assert result.valid
    masks = position_masks("TD3")

    params = ocr_types.OcrParams()
    sure = second_opinion._certainty(
        result, _confident(TD3_TRUTH, 6.0), _confident(TD3_TRUTH, 1.0), masks, params
    )
    assert sure.self_confirmed and (0, 5) in sure.settled
    # One unchecked cell with a close runner-up: settled elsewhere, but not self-confirmed.
    net = _confident(TD3_TRUTH, 6.0)
    net[0][5, MRZ_CHARSET.index("<")] = -2.0
    unsure = second_opinion._certainty(result, net, _confident(TD3_TRUTH, 1.0), masks, params)
    assert not unsure.self_confirmed and (0, 5) not in unsure.settled and (0, 6) in unsure.settled
    # The template classifier reading another character un-settles that position.
    templates = _confident(TD3_TRUTH, 1.0)
    templates[0][6, :] = -20.0
    templates[0][6, MRZ_CHARSET.index("Q")] = 0.0
    split = second_opinion._certainty(result, _confident(TD3_TRUTH, 6.0), templates, masks, params)
    assert not split.self_confirmed and (0, 6) not in split.settled


def test_a_far_runner_up_backed_by_tesseract_alone_is_not_adopted() -> None:
    # Synthetic case seen on a tuning seed: the glyph network read WILLIAMS with T far
    # behind I (outside the unchecked margin); Tesseract read WILLTAMS. Adopting T would
    # let the same Tesseract reading "confirm" a wrong name.
    rows = [list("POUSAWILLIAMS<JONES<<ROBERT<WILLIAM<HENRY<<<"), list(TD3_TRUTH[1])]
    strict = [list(r) for r in rows]
    rows[0][9] = "IT"  # offered to the check-digit search only
    texts = ["POUSAWILLTAMS<JONES<<ROBERT<WILLIAM<HENRY<<<", TD3_TRUTH[1]]
    new_rows, new_strict = second_opinion._adopt_agreed_runner_ups(rows, strict, texts, "TD3")
    assert new_rows[0][9] == "IT" and new_strict[0][9] == "I"


def test_a_blurred_line_settles_nothing_on_its_own() -> None:

    from app.vision.document.mrz import parse_mrz
    from app.vision.document.mrz_layout import position_masks

    result = parse_mrz(TD3_TRUTH, today=TODAY)
    masks = position_masks("TD3")

    params = ocr_types.OcrParams()
    crisp = second_opinion._certainty(
        result, _confident(TD3_TRUTH), _confident(TD3_TRUTH), masks, params, [0.9, 0.9]
    )
    assert crisp.self_confirmed
    blurred = second_opinion._certainty(
        result, _confident(TD3_TRUTH), _confident(TD3_TRUTH), masks, params, [0.5, 0.9]
    )
    assert not blurred.self_confirmed
    assert blurred.clear_lines == frozenset({1})
    assert not any(line == 0 for line, _ in blurred.settled)


def test_stroke_sharpness_falls_with_blur() -> None:
    import numpy as np

    from app.vision.document import glyph_training

    rng = np.random.default_rng(4)
    strip = glyph_training.render_line("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", rng).strip
    sharp = cells._stroke_sharpness(strip)
    soft = cells._stroke_sharpness(cv2.GaussianBlur(strip, (0, 0), 2.5))
    assert soft < 0.7 * sharp


def test_a_template_disagreement_at_a_checked_position_needs_the_second_engine() -> None:

    from app.vision.document.glyphs import MRZ_CHARSET
    from app.vision.document.mrz import parse_mrz
    from app.vision.document.mrz_layout import position_masks

    result = parse_mrz(TD3_TRUTH, today=TODAY)
    masks = position_masks("TD3")

    templates = _confident(TD3_TRUTH)
    first = TD3_TRUTH[1][0]
    other = "7" if first != "7" else "3"
    templates[1][0, :] = -20.0
    templates[1][0, MRZ_CHARSET.index(other)] = 0.0  # a digit of the document number
    certainty = second_opinion._certainty(
        result, _confident(TD3_TRUTH), templates, masks, ocr_types.OcrParams()
    )
    assert not certainty.self_confirmed and 1 not in certainty.clear_lines


def _confident(lines: list[str], lead: float | None = None) -> list[np.ndarray]:
    """Classifier scores that read ``lines`` with log-probability 0; with ``lead``, a
    runner-up (the filler, or A for a filler) ``lead`` nats behind each cell."""
    from app.vision.document.glyphs import MRZ_CHARSET

    out = []
    for line in lines:
        scores = np.full((len(line), len(MRZ_CHARSET)), -20.0)
        for pos, char in enumerate(line):
            scores[pos, MRZ_CHARSET.index(char)] = 0.0
            if lead is not None:
                runner = "<" if char != "<" else "A"
                scores[pos, MRZ_CHARSET.index(runner)] = -lead
        out.append(scores)
    return out


# SYNTHETIC seed 303, normal_0132 (a TD1 whose MRZ crosses a dark guilloche loop): the
# network read a filler of the optional data as I and the composite 9 as 5, the template
# classifier disagreeing on both; the two errors compensate in the composite check digit.
TD1_TRUTH = (
    "ACBEL37316798480031346<<<<<<<<",
    "5203286M2701149BEL<<<<<<<<<<<9",
    "GARCON<<LOIC<<<<<<<<<<<<<<<<<<",
)
TD1_COMPENSATED = (TD1_TRUTH[0], "5203286M2701149BEL<<<<<<I<<<<5", TD1_TRUTH[2])


def test_two_doubtful_cells_in_one_check_group_need_the_other_engine() -> None:
    assert parse_mrz(TD1_COMPENSATED, today=TODAY).valid  # the check digits cannot tell
    doubtful = frozenset({(1, 24), (1, 29)})
    # The other engine sees the filler and the 9: neither doubtful cell is backed.
    denied = confirm_read(TD1_COMPENSATED, "TD1", TD1_TRUTH, doubtful=doubtful)
    assert not denied.confirmed and "composite" in denied.overloaded_groups
    # Without the doubt (or with one doubtful cell) the same texts confirm the read, as
    # before: Tesseract's filler is no opinion, and one opinion per group is allowed.
    assert confirm_read(TD1_COMPENSATED, "TD1", TD1_TRUTH).confirmed
    assert confirm_read(TD1_COMPENSATED, "TD1", TD1_TRUTH, doubtful=frozenset({(1, 29)})).confirmed
    # Backed by the other engine on all but one doubtful cell: proven.
    backed = (TD1_TRUTH[0], "5203286M2701149BEL<<<<<<I<<<<9", TD1_TRUTH[2])
    assert confirm_read(TD1_COMPENSATED, "TD1", backed, doubtful=doubtful).confirmed
    # A doubtful filler counts as backed by Tesseract's usual readings of the chevron.
    truth_doubt = frozenset({(1, 24), (1, 29)})
    texts = (TD1_TRUTH[0], "5203286M2701149BEL<<<<<<K<<<<9", TD1_TRUTH[2])
    assert confirm_read(TD1_TRUTH, "TD1", texts, doubtful=truth_doubt).confirmed


def test_certainty_marks_checked_cells_the_classifiers_disagree_on() -> None:
    from app.vision.document.glyphs import MRZ_CHARSET
    from app.vision.document.mrz_layout import position_masks

    result = parse_mrz(TD1_COMPENSATED, today=TODAY)
    net = _confident(list(TD1_COMPENSATED), 6.0)
    templates = _confident(list(TD1_COMPENSATED), 1.0)
    for pos, other in ((24, "<"), (29, "9")):
        templates[1][pos, :] = -20.0
        templates[1][pos, MRZ_CHARSET.index(other)] = 0.0
    certainty = second_opinion._certainty(
        result, net, templates, position_masks("TD1"), ocr_types.OcrParams(), [0.85] * 3
    )
    assert certainty.doubtful == frozenset({(1, 24), (1, 29)})
    assert not certainty.self_confirmed


def test_compensating_misreads_on_a_guilloche_are_not_valid() -> None:
    from benchmarks.synth.documents import generate_document

    doc = generate_document(303, "normal", 132)
    assert tuple(doc.truth_json()["mrz"]) == TD1_TRUTH
    read = ocr.read_mrz(doc.image, today=TODAY)
    assert not read.result.valid or tuple(read.result.lines) == TD1_TRUTH


def test_a_read_too_soft_to_confirm_is_not_sent_to_tesseract(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """100_id-che's lines (crispness about 0.64) need Tesseract to confirm the names. Below
    ``min_confirm_sharpness`` the read stays unproven without waiting for Tesseract."""
    image = cv2.cvtColor(
        cv2.imread(str(shared_data / "documents" / "100_id-che.jpg")), cv2.COLOR_BGR2RGB
    )
    confirmed = ocr.read_mrz(image, today=TODAY)
    assert confirmed.result.valid and confirmed.result.checks["second_engine_agrees"] is True

    def no_tesseract(crops: object) -> None:
        raise AssertionError("Tesseract must not run on a read too soft to confirm")

    monkeypatch.setattr(ocr, "_tesseract_lines", no_tesseract)
    params = ocr_types.OcrParams(min_confirm_sharpness=0.7, min_second_opinion_sharpness=1.0)
    soft = ocr.read_mrz(image, today=TODAY, params=params)
    assert not soft.result.valid
    assert soft.result.lines == confirmed.result.lines
    assert soft.result.checks["second_engine_agrees"] is False


def test_a_read_without_tesseract_starts_no_tesseract(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tesseract's processes start at the worker's start or at their first use, never for
    a read told not to use Tesseract."""

    def no_reader() -> None:
        raise AssertionError("Tesseract was started")

    monkeypatch.setattr(ocr, "shared_line_reader", no_reader)
    image = cv2.cvtColor(
        cv2.imread(str(shared_data / "documents" / "100_id-che.jpg")), cv2.COLOR_BGR2RGB
    )
    params = ocr_types.OcrParams(use_tesseract=False)
    read = ocr.read_mrz(image, today=TODAY, params=params)
    assert read.lines  # the MRZ was found and read, by the classifiers alone
