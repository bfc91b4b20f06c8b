"""Name normalisation and scoring, list parsers, ownership formats and the screener."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from app.screening import lists, names
from app.screening.formats import parse_bods, parse_ftm_ownership, parse_ownership
from app.screening.ownership import OwnershipGraph, Seed
from app.screening.screen import Query, Screener, birth_dates_compatible


def matches(a: str, b: str) -> bool:
    return names.score(a, b).score >= names.MATCH_THRESHOLD


# --- normalisation ---------------------------------------------------------------------------


def test_legal_forms_are_canonicalised_and_set_aside() -> None:
    a = names.prepare("Samsung Electronics Co., Ltd.")
    b = names.prepare("SAMSUNG ELECTRONICS COMPANY LIMITED")
    assert a.tokens == b.tokens == ("samsung", "electronics")
    assert a.legal == b.legal == ("co", "ltd")
    assert names.prepare("JSC Tactical Missiles Corporation").legal == ("corp", "jsc")
    assert names.prepare("Tactical Missiles Corporation Joint Stock Company").legal == (
        "corp",
        "jsc",
    )


def test_any_script_is_romanised_and_cjk_split_into_syllables() -> None:
    assert names.prepare("Сергей Лавров").tokens == ("sergey", "lavrov")
    assert names.prepare("习近平").tokens == ("xi", "jin", "ping")


def test_titles_and_duplicates_are_dropped() -> None:
    assert names.prepare("Mr. Recep Tayyip Erdogan").tokens == ("recep", "tayyip", "erdogan")


def test_romanisation_variants_share_a_phonetic_key() -> None:
    key = names.phonetic_key
    assert key("hsiao") == key("xiao")  # Wade-Giles / pinyin
    assert key("zhang") == key("chang")
    assert key("wong") == key("wang")  # Cantonese / Mandarin spelling
    assert key("chan") == key("chen")
    assert key("smith") != key("jones")


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kim Jong Un", "KIM, Jong Un"),  # word order
        ("Mao Tse-tung", "Mao Zedong"),  # Wade-Giles vs pinyin
        ("Deng Xiaoping", "Deng Xiao-ping"),  # joined vs hyphenated given name
        ("Deng Xiaoping", "Deng Xiao Ping"),
        ("J. Smith", "John Smith"),  # initial
        ("Samsung Electronics Co., Ltd.", "Samsung Electronics Company Limited"),
        ("Sergey Lavrov", "Сергей Лавров"),
        ("Wladimir Putin", "Vladimir Putin"),
    ],
)
def test_variants_match(a: str, b: str) -> None:
    assert matches(a, b), names.score(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Barack Obama", "Michelle Obama"),
        ("Angela Merkel", "Angelo Cruz"),
        ("Bowne Global Solutions, Inc.", "Acme Widgets, Inc."),
    ],
)
def test_different_names_do_not_match(a: str, b: str) -> None:
    assert not matches(a, b), names.score(a, b)


def test_score_explains_the_alignment() -> None:
    result = names.score("Vladimir Vladimirovich Putin", "Putin, Vladimir")
    assert ("putin", "putin", 1.0) in result.aligned
    assert result.unmatched_query == ("vladimirovich",)


def test_spelling_similarity_makes_a_swap_half_an_edit() -> None:
    assert names.spelling_similarity("bashir", "bahsir") > names.spelling_similarity(
        "bashir", "baxhir"
    )
    assert names.spelling_similarity("abc", "abc") == 1.0


# --- list parsers --------------------------------------------------------------------------


def test_ofac_parse(shared_data: Path) -> None:
    d = shared_data / "screening"
    loaded = lists.parse_ofac((d / "ofac_sdn.csv").read_bytes(), (d / "ofac_alt.csv").read_bytes())
    assert len(loaded.entries) == 8976
    by_id = {e.entry_id: e for e in loaded.entries}
    assert by_id["306"].name == "BANCO NACIONAL DE CUBA"
    assert "NATIONAL BANK OF CUBA" in by_id["306"].aliases
    assert by_id["6365"].kind == "person"
    assert "1957-07-30" in by_id["6365"].birth_dates
    assert loaded.version.startswith("sha256:")


def test_un_and_csl_and_dpl_parse(shared_data: Path) -> None:
    d = shared_data / "screening"
    un = lists.parse_un((d / "un_consolidated.xml").read_bytes())
    assert un.version == "2026-02-27"
    assert sum(e.kind == "person" for e in un.entries) == 730
    assert sum(e.kind == "organisation" for e in un.entries) == 273
    csl = lists.parse_csl((d / "csl_sample_2019.csv").read_bytes())
    assert len(csl.entries) == 115
    csl25 = lists.parse_csl((d / "csl_sample_2025.csv").read_bytes())
    assert len(csl25.entries) == 13
    dpl = lists.parse_dpl((d / "bis_dpl.txt").read_bytes())
    assert len(dpl.entries) == 581


def test_bad_list_files_are_refused() -> None:
    with pytest.raises(lists.ListFormatError):
        lists.parse_un(b"<html></html>")
    with pytest.raises(lists.ListFormatError):
        lists.parse_ofac(b"not,a,list\n")
    with pytest.raises(lists.ListFormatError):
        lists.sniff_format(b"\x00\x01binary", "x.bin")


def test_loose_dates() -> None:
    assert lists.parse_loose_date("01 Jan 1960") == ["1960-01-01"]
    assert lists.parse_loose_date("Jan 1960") == ["1960-01"]
    assert lists.parse_loose_date("1960 to 1962") == ["1960", "1961", "1962"]
    assert lists.parse_loose_date("circa 1958") == ["1958"]


# --- ownership formats ------------------------------------------------------------------------


def test_bods_examples_use_direct_interests_only(shared_data: Path) -> None:
    d = shared_data / "screening" / "bods_examples"
    data = parse_bods((d / "indirect-ownership.json").read_bytes())
    assert {(h.owner, h.asset, h.min_pct) for h in data.holdings} == {
        ("d4ab89ea169a", "ad3f6c2fcc9e", 60.0),
        ("c25d4d612c2c", "d4ab89ea169a", None),  # interest of unknown type and size
    }
    ranged = parse_bods((d / "bods-package-entity-owning-entity.json").read_bytes())
    (h,) = ranged.holdings
    assert h.min_pct == 75.0 and h.max_pct is not None and 99.99 < h.max_pct < 100.0


def test_bods_unknown_interest_goes_to_review(shared_data: Path) -> None:
    d = shared_data / "screening" / "bods_examples"
    data = parse_ownership((d / "indirect-ownership.json").read_bytes())
    graph = OwnershipGraph(data.holdings, data.controls, [Seed("c25d4d612c2c", "t")])
    assert graph.status("d4ab89ea169a") == "review"
    assert graph.status("ad3f6c2fcc9e") == "review"


def test_ftm_ownership_and_directorship() -> None:
    lines = [
        {"id": "x", "schema": "Person", "properties": {"name": ["X Listed"]}},
        {"id": "h1", "schema": "Company", "properties": {"name": ["Holding One"]}},
        {
            "id": "t",
            "schema": "Company",
            "properties": {"name": ["Target"], "jurisdiction": ["cy"]},
        },
        {
            "id": "o1",
            "schema": "Ownership",
            "properties": {"owner": ["x"], "asset": ["h1"], "percentage": ["60%"]},
        },
        {
            "id": "o2",
            "schema": "Ownership",
            "properties": {
                "owner": ["h1"],
                "asset": ["t"],
                "percentage": ["51"],
                "endDate": ["2020-01-01"],
            },
        },
        {
            "id": "d1",
            "schema": "Directorship",
            "properties": {"director": ["x"], "organization": ["t"]},
        },
    ]
    data = parse_ftm_ownership("\n".join(json.dumps(x) for x in lines).encode())
    assert len(data.parties) == 3 and len(data.holdings) == 2 and len(data.controls) == 1
    graph = OwnershipGraph(data.holdings, data.controls, [Seed("x", "t")], as_of=date(2026, 1, 1))
    assert graph.status("h1") == "restricted"
    # the ended holding does not count; the directorship is a reason for review
    assert graph.verdict("t").reasons == ("controlled_by_restricted",)


# --- screener ---------------------------------------------------------------------------------


def _entries() -> list[lists.ListEntry]:
    return [
        lists.ListEntry("t", "1", "person", "KIM, Jong Un", (), ("1984-01-08",)),
        lists.ListEntry(
            "t", "2", "organisation", "BANCO NACIONAL DE CUBA", ("NATIONAL BANK OF CUBA",)
        ),
        lists.ListEntry("t", "3", "person", "SMITH, John", (), ("1970",)),
    ]


def test_screener_finds_reordered_and_misspelt_names() -> None:
    screener = Screener(_entries())
    (hit, *_) = screener.screen(Query("Jong Un Kim"))
    assert hit.entry_id == "1" and hit.match
    (hit, *_) = screener.screen(Query("National Bank of Cubba"))
    assert hit.entry_id == "2" and hit.match
    assert hit.matched_name == "NATIONAL BANK OF CUBA"


def test_screener_birth_date_and_kind() -> None:
    screener = Screener(_entries())
    (hit,) = [
        h for h in screener.screen(Query("John Smith", "person", "1970-05-01")) if h.entry_id == "3"
    ]
    assert hit.match and "birth_date_agrees" in hit.reasons
    (hit,) = [
        h for h in screener.screen(Query("John Smith", "person", "1985-05-01")) if h.entry_id == "3"
    ]
    assert not hit.match and "birth_date_differs" in hit.reasons
    assert not screener.screen(Query("Banco Nacional de Cuba", "person"))


def test_dismissed_pairs_do_not_fire_again() -> None:
    screener = Screener(_entries())
    assert screener.screen(Query("Kim Jong Un"))
    assert not [h for h in screener.screen(Query("Kim Jong Un"), dismissed={("t", "1")}) if h.match]


def test_birth_dates_compatible() -> None:
    assert birth_dates_compatible("1970-05-01", ["1970"]) is True
    assert birth_dates_compatible("1970-05-01", ["1970-06"]) is False
    assert birth_dates_compatible("1970-05-01", []) is None
