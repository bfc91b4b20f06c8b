"""`idgate lists load`, `idgate screen` (one name and --batch) and `idgate ownership`."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import pytest

from app.cli import main


def _run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(list(argv))
    return code, out.getvalue()


@pytest.fixture(scope="module")
def loaded(shared_data: Path) -> dict:
    d = shared_data / "screening"
    code, text = _run(
        "lists", "load", str(d / "ofac_sdn.csv"), str(d / "ofac_alt.csv"),
        str(d / "un_consolidated.xml"), "--json",
    )  # fmt: skip
    assert code == 0, text
    return json.loads(text)


def test_lists_load_reports_entries_aliases_and_versions(loaded: dict) -> None:
    by_list = {x["list"]: x for x in loaded["loaded"]}
    assert by_list["ofac_sdn"]["entries"] == 8976
    assert by_list["ofac_sdn"]["aliases"] > 11000
    assert by_list["un_consolidated"]["version"] == "2026-02-27"
    assert by_list["un_consolidated"]["entries"] == 1003


def test_screen_one_name(loaded: dict) -> None:
    code, text = _run("screen", "Jong Un Kim", "--kind", "person", "--json")
    assert code == 0
    out = json.loads(text)
    assert {"hits", "elapsed_ms", "lists"} <= set(out)
    top = out["hits"][0]
    assert {"list", "entry_id", "name", "matched_name", "score", "match"} <= set(top)
    assert top["list"] == "ofac_sdn" and top["entry_id"] == "20157" and top["match"] is True


def test_screen_a_clean_name_has_no_match(loaded: dict) -> None:
    code, text = _run("screen", "Gertrude Oberhollenzer", "--json")
    assert code == 0
    assert not [h for h in json.loads(text)["hits"] if h["match"]]


def test_screen_batch(loaded: dict, tmp_path: Path) -> None:
    batch = tmp_path / "names.csv"
    batch.write_text(
        "name,kind,birth_date\n"
        "Banco Nacional de Cuba,organisation,\n"
        "Gertrude Oberhollenzer,person,1980-01-01\n"
    )
    code, text = _run("screen", "--batch", str(batch), "--json")
    assert code == 0
    rows = [json.loads(line) for line in text.splitlines()]
    assert [r["name"] for r in rows] == ["Banco Nacional de Cuba", "Gertrude Oberhollenzer"]
    assert rows[0]["hits"][0]["entry_id"] == "306" and rows[0]["match"] is True
    assert rows[1]["match"] is False


def test_screen_bad_usage(loaded: dict, tmp_path: Path) -> None:
    assert _run("screen", "--json")[0] == 2
    assert _run("screen", "X", "--birth-date", "yesterday", "--json")[0] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("who\nX\n")
    assert _run("screen", "--batch", str(bad), "--json")[0] == 2


def test_lists_load_refuses_a_wrong_file(tmp_path: Path) -> None:
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\x00\x01\x02")
    code, text = _run("lists", "load", str(junk), "--json")
    assert code == 2
    assert json.loads(text)["error"]["code"] == "bad_usage"


def test_ownership_on_bods(shared_data: Path) -> None:
    path = shared_data / "screening" / "bods_examples" / "joint-ownership.json"
    # Natalie Coleman holds 50 % of the arrangement that holds 100 % of CHRINON LTD
    code, text = _run("ownership", str(path), "--restricted", "1accb8b18b99", "--json")
    assert code == 0
    out = json.loads(text)
    by_name = {e["name"]: e for e in out["entities"]}
    assert by_name["CHRINON LTD"]["status"] == "restricted"
    assert len(by_name["CHRINON LTD"]["paths"][0]) == 2
    # the UK needs more than half: 50 % of the arrangement is not enough
    code, text = _run(
        "ownership", str(path), "--restricted", "1accb8b18b99", "--regime", "uk", "--json"
    )
    by_name = {e["name"]: e for e in json.loads(text)["entities"]}
    assert by_name["CHRINON LTD"]["status"] == "clear"
    assert out["counts"]["restricted"] == 3


def _own(edge: str, owner: str, asset: str, pct: str) -> dict:
    props = {"owner": [owner], "asset": [asset], "percentage": [pct]}
    return {"id": edge, "schema": "Ownership", "properties": props}


def test_ownership_on_ftm(tmp_path: Path) -> None:
    lines = [
        {"id": "x", "schema": "Company", "properties": {"name": ["X"]}},
        {"id": "a", "schema": "Company", "properties": {"name": ["A"]}},
        {"id": "b", "schema": "Company", "properties": {"name": ["B"]}},
        _own("o1", "x", "a", "50"),
        _own("o2", "a", "b", "50"),
    ]
    path = tmp_path / "own.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines))
    code, text = _run("ownership", str(path), "--restricted", "x", "--json")
    assert code == 0
    statuses = {e["entity_id"]: e["status"] for e in json.loads(text)["entities"]}
    assert statuses == {"x": "restricted", "a": "restricted", "b": "restricted"}
    assert _run("ownership", str(path), "--restricted", "nobody", "--json")[0] == 2
