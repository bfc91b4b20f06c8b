"""ICAO 9303 MRZ codec: check digits, formats, corrections accepted only when proven."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.vision.document.countries import ICAO_COUNTRY_CODES, is_known_country
from app.vision.document.mrz import (
    MrzFields,
    birth_date_from_mrz,
    compute_check_digit,
    expiry_date_from_mrz,
    parse_mrz,
    parse_mrz_alternatives,
    unprovable_lookalikes,
)

TODAY = date(2026, 11, 26)

TD3_UTO = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
)
TD2_UTO = ("I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6")
TD1_UTO = (
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
)
MRVA_UTO = (
    "V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L8988901C4XXX4009078F96121096ZE184226B<<<<<<",
)
MRVB_UTO = ("V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<")


def _td3_line2(number: str, nat: str, dob: str, sex: str, exp: str, personal: str) -> str:
    """Build a TD3 line 2 with every check digit computed."""
    number = number.ljust(9, "<")
    personal = personal.ljust(14, "<")
    personal_check = "<" if set(personal) == {"<"} else compute_check_digit(personal)
    body = (
        number
        + compute_check_digit(number)
        + nat
        + dob
        + compute_check_digit(dob)
        + sex
        + exp
        + compute_check_digit(exp)
        + personal
        + personal_check
    )
    composite = compute_check_digit(body[0:10] + body[13:20] + body[21:43])
    return body + composite


def _td1_lines(number: str, dob: str, exp: str, opt1: str = "", opt2: str = "") -> tuple[str, ...]:
    """Build TD1 lines (long numbers continue into optional data) with computed checks."""
    if len(number) > 9:
        head, rest = number[:9], number[9:]
        line1 = f"I<UTO{head}<{rest}{compute_check_digit(number)}{opt1}".ljust(30, "<")
    else:
        padded = number.ljust(9, "<")
        line1 = f"I<UTO{padded}{compute_check_digit(padded)}{opt1}".ljust(30, "<")
    body2 = (
        f"{dob}{compute_check_digit(dob)}F{exp}{compute_check_digit(exp)}UTO{opt2.ljust(11, '<')}"
    )
    composite = compute_check_digit(line1[5:30] + body2[0:7] + body2[8:15] + body2[18:29])
    return line1, body2 + composite, "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"


# ----------------------------------------------------------------------------- check digits


@pytest.mark.parametrize(
    ("text", "digit"),
    [
        ("L898902C3", "6"),  # ICAO 9303-3 worked examples (Utopia specimen)
        ("740812", "2"),
        ("120415", "9"),
        ("ZE184226B", "1"),
        ("L898902C3674081221204159ZE184226B<<<<<1", "0"),  # TD3 composite
        ("D23145890", "7"),
        ("L8988901C", "4"),
        ("400907", "8"),
        ("961210", "9"),
        ("<<<<<<<<<", "0"),
        ("AB2134", "5"),  # 10*7 + 11*3 + 2*1 + 1*7 + 3*3 + 4*1 = 125
    ],
)
def test_check_digit_matches_icao_examples(text: str, digit: str) -> None:
    assert compute_check_digit(text) == digit


def test_check_digit_rejects_non_mrz_characters() -> None:
    with pytest.raises(ValueError):
        compute_check_digit("ab")


# ----------------------------------------------------------------------------- formats


@pytest.mark.parametrize(
    ("lines", "fmt", "number", "birth", "expiry", "optional"),
    [
        (TD3_UTO, "TD3", "L898902C3", date(1974, 8, 12), date(2012, 4, 15), "ZE184226B"),
        (TD2_UTO, "TD2", "D23145890", date(1974, 8, 12), date(2012, 4, 15), ""),
        (TD1_UTO, "TD1", "D23145890", date(1974, 8, 12), date(2012, 4, 15), ""),
        (MRVA_UTO, "MRVA", "L8988901C", date(1940, 9, 7), date(1996, 12, 10), "6ZE184226B"),
        (MRVB_UTO, "MRVB", "L8988901C", date(1940, 9, 7), date(1996, 12, 10), ""),
    ],
)
def test_each_format_parses_icao_specimen(
    lines: tuple[str, ...],
    fmt: str,
    number: str,
    birth: date,
    expiry: date,
    optional: str,
) -> None:
    result = parse_mrz(lines, today=TODAY)
    # The MRV-A specimen's optional data (6ZE184226B) has letter/digit look-alikes that
    # no check digit covers: read exactly, but not proven.
    proven = fmt != "MRVA"
    assert result.found and result.valid == proven, result.checks
    assert result.checks["unchecked_positions_proven"] == proven
    assert result.format == fmt
    assert result.lines == lines
    assert result.corrections == ()
    assert result.reason_codes == (() if proven else ("mrz_check_failed",))
    assert result.fields is not None
    assert result.fields.surname == "ERIKSSON"
    assert result.fields.given_names == "ANNA MARIA"
    assert result.fields.issuing_country == "UTO"
    assert result.fields.document_number == number
    assert result.fields.birth_date == birth
    assert result.fields.expiry_date == expiry
    assert result.fields.optional_data == optional
    if proven:
        assert result.confidence == 1.0


def test_to_json_has_design_shape() -> None:
    payload = parse_mrz(TD3_UTO, today=TODAY).to_json()
    assert set(payload) == {"found", "format", "lines", "valid", "fields", "checks"}
    assert set(payload["fields"]) == set(MrzFields.__dataclass_fields__)
    assert payload["fields"]["birth_date"] == "1974-08-12"
    assert payload["fields"]["expiry_date"] == "2012-04-15"
    assert payload["checks"]["composite"] is True
    json.dumps(payload)


def test_ground_truth_transcriptions_are_valid(shared_data: Path) -> None:
    truth = json.loads((shared_data / "documents" / "ground_truth.json").read_text())
    verified = {name: entry for name, entry in truth.items() if entry["mrz"]}
    assert len(verified) == 10
    for name, entry in verified.items():
        result = parse_mrz(entry["mrz"], today=TODAY)
        assert result.valid, (name, result.checks)
        assert result.format == entry["format"], name
        assert list(result.lines) == entry["mrz"], name


# ----------------------------------------------------------------------------- ICAO rules


def test_long_document_number_td1() -> None:
    lines = _td1_lines("D23145890734", "740812", "120415")
    assert lines[0] == "I<UTOD23145890<7349<<<<<<<<<<<"
    result = parse_mrz(lines, today=TODAY)
    assert result.valid, result.checks
    assert result.fields is not None
    assert result.fields.document_number == "D23145890734"
    assert result.fields.optional_data == ""


def test_long_document_number_with_wrong_continuation_check_fails() -> None:
    line1, line2, line3 = _td1_lines("D23145890734", "740812", "120415")
    broken = line1[:18] + "0" + line1[19:]  # the continuation's check digit
    result = parse_mrz((broken, line2, line3), today=TODAY)
    assert not result.valid


def test_long_document_number_td2() -> None:
    number = "D23145890734"
    line2 = f"{number[:9]}<UTO7408122F1204159{number[9:]}{compute_check_digit(number)}<<<"
    line2 += compute_check_digit(line2[0:10] + line2[13:20] + line2[21:35])
    result = parse_mrz((TD2_UTO[0], line2), today=TODAY)
    assert result.valid, result.checks
    assert result.fields is not None
    assert result.fields.document_number == number


@pytest.mark.parametrize("personal_check", ["<", "0"])
def test_empty_personal_number_accepts_filler_or_zero(personal_check: str) -> None:
    line2 = _td3_line2("L898902C3", "UTO", "740812", "F", "120415", "")
    line2 = line2[:42] + personal_check
    line2 += compute_check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    result = parse_mrz((TD3_UTO[0], line2), today=TODAY)
    assert result.valid, result.checks


def test_empty_personal_number_rejects_other_digits() -> None:
    line2 = _td3_line2("L898902C3", "UTO", "740812", "F", "120415", "")
    line2 = line2[:42] + "7"
    line2 += compute_check_digit(line2[0:10] + line2[13:20] + line2[21:43])
    result = parse_mrz((TD3_UTO[0], line2), today=TODAY)
    assert not result.valid
    assert not result.checks["personal_number"]


def test_wrong_composite_fails() -> None:
    line2 = TD3_UTO[1][:43] + "1"
    result = parse_mrz((TD3_UTO[0], line2), today=TODAY)
    assert not result.valid
    assert result.checks["composite"] is False
    assert result.reason_codes == ("mrz_check_failed",)


@pytest.mark.parametrize("code", ["D", "GBD", "GBN", "GBO", "GBP", "GBS", "UNO", "UNA", "UNK"])
def test_special_icao_codes_are_known(code: str) -> None:
    assert is_known_country(code)


@pytest.mark.parametrize("code", ["XXA", "XXB", "XXC", "XXX", "EUE", "DEU", "FRA", "D<<", "UTO"])
def test_more_codes_are_known(code: str) -> None:
    assert is_known_country(code)


@pytest.mark.parametrize("code", ["ZZZ", "ABC", "GBX", "XX", "", "QQQ"])
def test_unknown_codes_are_rejected(code: str) -> None:
    assert not is_known_country(code)


def test_country_list_is_complete_enough() -> None:
    assert len(ICAO_COUNTRY_CODES) > 260


def test_german_one_letter_code_parses() -> None:
    line1 = "P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<"
    line2 = _td3_line2("C01X00T47", "D<<", "640812", "F", "270228", "")
    result = parse_mrz((line1, line2), today=TODAY)
    assert result.valid, result.checks
    assert result.fields is not None
    assert result.fields.issuing_country == "D"
    assert result.fields.nationality == "D"


def test_unknown_nationality_makes_read_invalid() -> None:
    line2 = _td3_line2("L898902C3", "QQQ", "740812", "F", "120415", "ZE184226B")
    result = parse_mrz((TD3_UTO[0], line2), today=TODAY)
    assert not result.valid
    assert result.checks["nationality"] is False
    assert result.checks["composite"] is True


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("740812", date(1974, 8, 12)),
        ("051231", date(2005, 12, 31)),
        ("261126", date(2026, 11, 26)),  # today
        ("261127", date(1926, 11, 27)),  # tomorrow cannot be a birth date
        ("000229", date(2000, 2, 29)),
        ("991301", None),
        ("990230", None),
    ],
)
def test_birth_century(yymmdd: str, expected: date | None) -> None:
    assert birth_date_from_mrz(yymmdd, TODAY) == expected


@pytest.mark.parametrize(
    ("yymmdd", "expected"),
    [
        ("120415", date(2012, 4, 15)),
        ("301231", date(2030, 12, 31)),
        ("461125", date(2046, 11, 25)),  # within today + 20 years
        ("470101", date(1947, 1, 1)),  # beyond: previous century
        ("961210", date(1996, 12, 10)),
    ],
)
def test_expiry_century(yymmdd: str, expected: date) -> None:
    assert expiry_date_from_mrz(yymmdd, TODAY) == expected


def test_sex_x_and_filler_are_valid_and_other_letters_are_not() -> None:
    for sex, ok in (("X", True), ("<", True), ("M", True), ("Q", False)):
        line2 = _td3_line2("L898902C3", "UTO", "740812", sex, "120415", "ZE184226B")
        result = parse_mrz((TD3_UTO[0], line2), today=TODAY)
        assert result.valid is ok, sex


def test_invalid_calendar_date_fails_even_with_matching_check_digit() -> None:
    line2 = _td3_line2("L898902C3", "UTO", "741332", "F", "120415", "ZE184226B")
    result = parse_mrz((TD3_UTO[0], line2), today=TODAY)
    assert not result.valid


# ----------------------------------------------------------------------------- corrections


def test_letter_in_date_is_forced_to_digit_and_proven() -> None:
    line2 = TD3_UTO[1].replace("7408122", "74O8122")
    result = parse_mrz((TD3_UTO[0], line2), today=TODAY)
    assert result.valid
    assert result.lines == TD3_UTO
    assert any("type mask" in c for c in result.corrections)
    assert result.confidence < 1.0


def test_digit_in_country_code_is_forced_to_letter() -> None:
    line1 = TD3_UTO[0].replace("P<UTO", "P<UT0")
    result = parse_mrz((line1, TD3_UTO[1]), today=TODAY)
    assert result.valid
    assert result.fields is not None and result.fields.issuing_country == "UTO"


@pytest.mark.parametrize(
    "noisy",
    [
        "L8989O2C36UTO7408122F1204159ZE184226B<<<<<10",  # 0 -> O in the number
        "L8989D2C36UTO7408122F1204159ZE184226B<<<<<10",  # 0 -> D in the number
        "L898902C36UTO7408122F1204159ZE184226B<<K<<10",  # filler -> K in a filler run
    ],
)
def test_lookalike_in_alphanumeric_field_is_corrected_when_check_digits_prove_it(
    noisy: str,
) -> None:
    result = parse_mrz((TD3_UTO[0], noisy), today=TODAY)
    assert result.valid, result.checks
    assert result.lines == TD3_UTO
    assert result.corrections
    assert result.confidence < 1.0


@pytest.mark.parametrize(("letter", "digit"), [("K", "<"), ("G", "6"), ("U", "0")])
def test_some_lookalikes_are_invisible_to_check_digits(letter: str, digit: str) -> None:
    # Their values differ by a multiple of 10: the OCR must not confuse them (documented
    # limitation; the codec cannot prove or refute such a substitution).
    assert compute_check_digit(f"AB{letter}12") == compute_check_digit(f"AB{digit}12")


def test_two_lookalikes_passing_the_same_check_are_not_accepted() -> None:
    # B->8 (the truth) and Z->2 both satisfy the personal number's check digit, and the
    # composite cannot separate them (same weight phase): nothing is proven.
    noisy = "L898902C36UTO7408122F1204159ZE1B4226B<<<<<10"
    result = parse_mrz((TD3_UTO[0], noisy), today=TODAY)
    assert not result.valid
    assert result.checks["unambiguous"] is False


def test_k_right_after_data_is_kept_since_no_check_digit_can_tell() -> None:
    noisy = "L898902C36UTO7408122F1204159ZE184226BK<<<<10"
    result = parse_mrz((TD3_UTO[0], noisy), today=TODAY)
    assert result.fields is not None
    assert result.fields.optional_data == "ZE184226BK"


def test_corrupted_digit_is_rejected_not_guessed() -> None:
    # 3 -> 8 is not a look-alike correction: the read must fail, never guess.
    noisy = TD3_UTO[1].replace("L898902C3", "L898902C8")
    result = parse_mrz((TD3_UTO[0], noisy), today=TODAY)
    assert not result.valid
    assert result.checks["document_number"] is False
    assert "mrz_check_failed" in result.reason_codes


def test_corrupted_date_digit_is_rejected() -> None:
    noisy = TD3_UTO[1].replace("7408122", "7408132")
    result = parse_mrz((TD3_UTO[0], noisy), today=TODAY)
    assert not result.valid
    assert result.checks["birth_date"] is False


def test_lookalike_not_proven_by_check_digit_is_not_applied() -> None:
    # The number reads O where the truth is 0, *and* its check digit was also misread:
    # no candidate passes, so nothing is corrected and the read is invalid.
    noisy = "L8989O2C37UTO7408122F1204159ZE184226B<<<<<10"
    result = parse_mrz((TD3_UTO[0], noisy), today=TODAY)
    assert not result.valid
    assert result.fields is not None
    assert "O" in result.fields.document_number


def test_ambiguous_alternatives_are_not_accepted() -> None:
    # MRV-B has no composite. The OCR misread position 3 and offers the truth as runner-up,
    # and offers a runner-up at position 6 that satisfies the check digit just as well:
    # two equally cheap corrections pass, so neither is proven.
    number = "L8988901C"
    weights = (7, 3, 1)
    corrupt_index, other_index = 3, 6
    corrupt_digit = "3"
    shift = weights[corrupt_index % 3] * (int(number[corrupt_index]) - int(corrupt_digit))
    other_digit = next(
        d
        for d in "0123456789"
        if (weights[other_index % 3] * (int(d) - int(number[other_index])) - shift) % 10 == 0
    )
    rows = [list(MRVB_UTO[0]), list(MRVB_UTO[1])]
    rows[1][corrupt_index] = corrupt_digit + number[corrupt_index]
    rows[1][other_index] = number[other_index] + other_digit
    result = parse_mrz_alternatives(rows, today=TODAY)
    assert not result.valid
    assert result.checks["unambiguous"] is False
    # With only the true runner-up offered, the correction is proven.
    rows[1][other_index] = number[other_index]
    assert parse_mrz_alternatives(rows, today=TODAY).lines == MRVB_UTO


@pytest.mark.parametrize("require_unique", [False, True])
def test_of_equally_cheap_corrections_the_nearer_runner_ups_are_reported(
    require_unique: bool,
) -> None:
    # SYNTHETIC seed 202 hard_0040: the document number 34690186 was read 34690T86 with
    # runner-ups 0 -> U, O and T -> 1. Changing T to 1 (the first runner-up) and 0 to O
    # (the second) both pass the check digit: neither is proven, but the read reported
    # is the one made of the nearer runner-up (it was the first found, 3469OT86).
    line2 = "34690186<7POL8705242M280321604570503159<<<38"
    rows = [list("P<POLSZCZESNY<<JACEK<<<<<<<<<<<<<<<<<<<<<<<<"), list(line2)]
    rows[1][4] = "0UO"
    rows[1][5] = "T1"
    result = parse_mrz_alternatives(rows, today=TODAY, require_unique=require_unique)
    assert not result.valid
    assert result.checks["unambiguous"] is False
    assert result.lines[1] == line2


def test_ocr_alternatives_proven_by_check_digit_are_used() -> None:
    rows = [list(TD3_UTO[0]), list(TD3_UTO[1])]
    rows[1][3] = "38"  # the OCR preferred 3, its runner-up is 8
    result = parse_mrz_alternatives(rows, today=TODAY)
    assert result.valid
    assert result.lines == TD3_UTO


def test_filler_read_as_k_at_end_of_name_field_is_cleaned() -> None:
    line1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<K<<<KK<<<<<<<<"
    result = parse_mrz((line1, TD3_UTO[1]), today=TODAY)
    assert result.valid
    assert result.lines == TD3_UTO
    assert result.fields is not None and result.fields.given_names == "ANNA MARIA"


def test_k_inside_names_is_kept() -> None:
    line1 = "P<UTOKIRK<<ERIK<K<<<<<<<<<<<<<<<<<<<<<<<<<<<"
    result = parse_mrz((line1, TD3_UTO[1]), today=TODAY)
    assert result.valid
    assert result.fields is not None
    assert result.fields.surname == "KIRK"
    assert result.fields.given_names == "ERIK K"


def test_letters_after_end_of_names_make_read_invalid() -> None:
    line1 = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<XY<<<<<"
    result = parse_mrz((line1, TD3_UTO[1]), today=TODAY)
    assert not result.valid
    assert result.checks["names"] is False


def test_a_names_field_opening_with_a_filler_is_a_slipped_read() -> None:
    # Seen on an unseen synthetic seed (303, hard_0081): the names line of a TD1 read one
    # cell late, `<WEISS<<JUERGEN<<<...`; every check digit is on the other lines.
    line1 = "P<UTO<ERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<"
    result = parse_mrz((line1, TD3_UTO[1]), today=TODAY)
    assert not result.valid
    assert result.checks["names"] is False


def test_length_repair_in_filler_run() -> None:
    line1 = TD3_UTO[0] + "<<"  # two fillers too many
    line2 = TD3_UTO[1].replace("<<<<<", "<<<<")  # one filler missing
    result = parse_mrz((line1, line2), today=TODAY)
    assert result.valid, result.checks
    assert result.lines == TD3_UTO


def test_lowercase_and_spaces_are_tolerated() -> None:
    result = parse_mrz(
        ("p<uto eriksson<<anna<maria<<<<<<<<<<<<<<<<<<<", TD3_UTO[1].lower()), today=TODAY
    )
    assert result.valid


@pytest.mark.parametrize(
    "lines",
    [
        (),
        ("",),
        ("HELLO WORLD",),
        ("THIS IS NOT", "AN MRZ"),
        ("A" * 44,) * 4,
    ],
)
def test_non_mrz_text_is_not_found(lines: tuple[str, ...]) -> None:
    result = parse_mrz(lines, today=TODAY)
    assert not result.found
    assert not result.valid
    assert result.reason_codes == ("mrz_not_found",)
    assert result.to_json()["fields"] is None


def test_garbage_of_the_right_shape_is_found_but_invalid() -> None:
    result = parse_mrz(("X" * 44, "Y" * 44), today=TODAY)
    assert result.found
    assert not result.valid
    assert result.reason_codes == ("mrz_check_failed", "document_country_unknown")


def test_unknown_country_is_not_spelled_from_runner_ups() -> None:
    # The O of UTO read as D, with O as runner-up: the codec reports what was read first
    # (a near tie is broken upstream, where the OCR has the scores: cells._decoded_fields).
    rows = [list(TD3_UTO[0]), list(TD3_UTO[1])]
    rows[1][12] = "DO"
    result = parse_mrz_alternatives(rows, today=TODAY)
    assert result.lines[1][10:13] == "UTD"
    assert not result.valid
    assert result.reason_codes == ("document_country_unknown",)


def test_unknown_country_with_two_listed_spellings_is_not_guessed() -> None:
    # AUX is not a country; its runner-ups spell AUS and AUT equally cheaply: no guess,
    # the field stays as read and fails its check.
    line1 = "P<AUX" + TD3_UTO[0][5:]
    rows = [list(line1), list(TD3_UTO[1])]
    rows[0][4] = "XST"
    result = parse_mrz_alternatives(rows, today=TODAY)
    assert result.lines[0][2:5] == "AUX"
    assert not result.valid
    assert result.checks["issuing_country"] is False


def test_runner_ups_are_not_used_when_the_country_is_listed() -> None:
    rows = [list(TD3_UTO[0]), list(TD3_UTO[1])]
    rows[0][3] = "TA"  # UTO is listed; UAO would not be, but nothing needs repairing
    assert parse_mrz_alternatives(rows, today=TODAY).lines == TD3_UTO


# ----------------------------------------------------------------- unchecked look-alikes

# A US visa (MRV-A) whose optional data IFLNDOOAMS803085 (letters O) a reader returned
# as IFLND00AMS803085 (zeros): no check digit covers the field, so neither is proven.
US_VISA_LINES = (
    "VNUSASPECIMEN<<SAMPLE<<<<<<<<<<<<<<<<<<<<<<<",
    "X12345678" + compute_check_digit("X12345678") + "USA8001014F2811051IFLNDOOAMS803085",
)


@pytest.mark.parametrize("optional", ["IFLNDOOAMS803085", "IFLND00AMS803085"])
def test_mrv_optional_data_with_lookalikes_is_never_valid(optional: str) -> None:
    lines = (US_VISA_LINES[0], US_VISA_LINES[1][:28] + optional)
    result = parse_mrz(lines, today=TODAY)
    assert result.format == "MRVA"
    assert all(v for k, v in result.checks.items() if k != "unchecked_positions_proven")
    assert result.checks["unchecked_positions_proven"] is False
    assert not result.valid
    assert result.fields is not None and result.fields.optional_data == optional


def test_mrv_optional_data_without_lookalikes_can_be_valid() -> None:
    lines = (US_VISA_LINES[0], US_VISA_LINES[1][:28] + "NYC<AMX<<<<<<<<<")
    result = parse_mrz(lines, today=TODAY)
    assert result.valid, result.checks
    assert unprovable_lookalikes("MRVA", lines) == []


def test_checked_optional_data_is_proven_by_its_check_digits() -> None:
    # TD3's personal number has its own check digit: look-alikes there are proven.
    assert unprovable_lookalikes("TD3", TD3_UTO) == []
    assert parse_mrz(TD3_UTO, today=TODAY).valid


# ------------------------------------------------------------------ country codes


@pytest.mark.parametrize(("printed", "reported"), [("BDR", "BDR"), ("SI<", "SI")])
def test_a_country_code_not_on_the_list_is_reported_as_printed(printed: str, reported: str) -> None:
    lines = (
        TD3_UTO[0][:2] + printed + TD3_UTO[0][5:],
        TD3_UTO[1][:10] + printed + TD3_UTO[1][13:],
    )
    result = parse_mrz(lines, today=TODAY)
    assert result.lines == lines
    assert result.fields is not None
    assert result.fields.issuing_country == reported
    assert result.fields.nationality == reported
    assert not result.valid
    assert result.reason_codes == ("document_country_unknown",)


def test_a_country_runner_up_does_not_replace_the_read_code() -> None:
    # BDR with a runner-up G for the D: BGR is on the list, but the D was read.
    rows = [list(TD3_UTO[0][:2] + "BDR" + TD3_UTO[0][5:]), list(TD3_UTO[1])]
    rows[0][3] = "DG"
    result = parse_mrz_alternatives(rows, today=TODAY)
    assert result.fields is not None and result.fields.issuing_country == "BDR"
    assert "document_country_unknown" in result.reason_codes


def test_other_failures_keep_mrz_check_failed_beside_the_country_code() -> None:
    lines = (TD3_UTO[0][:2] + "BDR" + TD3_UTO[0][5:], TD3_UTO[1][:-1] + "9")
    result = parse_mrz(lines, today=TODAY)
    assert result.reason_codes == ("mrz_check_failed", "document_country_unknown")
