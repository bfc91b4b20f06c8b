"""Parsers for sanctions and export-control lists: bytes in, ``ListEntry`` tuples out.

Formats: OFAC SDN.CSV (+ ALT.CSV aliases, ADD.CSV countries), the UN Security Council
consolidated XML, the ITA Consolidated Screening List CSV (with or without the leading
``_id`` column), the BIS Denied Persons List (tab-separated) and FollowTheMoney entities
(JSON lines). Every parse returns a ``LoadedList`` whose ``version`` is the publisher's date
when the file has one, else the first 12 hex digits of its SHA-256, so that a verdict can
record exactly which file it used.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

EntryKind = Literal["person", "organisation", "vessel", "aircraft", "unknown"]
FORMATS = ("ofac-csv", "un-xml", "csl-csv", "dpl-tsv", "ftm")


class ListFormatError(ValueError):
    """The file is not in the format it was given (or sniffed) as."""


@dataclass(frozen=True)
class ListEntry:
    """One listed party with its names and identifying details."""

    list: str
    entry_id: str
    kind: EntryKind
    name: str
    aliases: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()  # "YYYY", "YYYY-MM" or "YYYY-MM-DD"
    countries: tuple[str, ...] = ()  # as written by the list (names or ISO codes)
    programs: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "list": self.list,
            "entry_id": self.entry_id,
            "kind": self.kind,
            "name": self.name,
            "aliases": list(self.aliases),
            "birth_dates": list(self.birth_dates),
            "countries": list(self.countries),
            "programs": list(self.programs),
        }

    @classmethod
    def from_json(cls, data: dict[str, object]) -> ListEntry:
        def strs(key: str) -> tuple[str, ...]:
            value = data.get(key) or []
            return tuple(str(v) for v in value) if isinstance(value, list) else ()

        kind = str(data.get("kind", "unknown"))
        return cls(
            str(data["list"]),
            str(data["entry_id"]),
            kind if kind in ("person", "organisation", "vessel", "aircraft") else "unknown",  # type: ignore[arg-type]
            str(data["name"]),
            strs("aliases"),
            strs("birth_dates"),
            strs("countries"),
            strs("programs"),
        )


@dataclass(frozen=True)
class LoadedList:
    """A parsed list file: its name, version, content hash and entries."""

    list: str
    version: str
    sha256: str
    entries: tuple[ListEntry, ...]
    source_files: tuple[str, ...] = field(default=())

    @property
    def alias_count(self) -> int:
        return sum(len(e.aliases) for e in self.entries)


def _digest(*blobs: bytes) -> str:
    h = hashlib.sha256()
    for b in blobs:
        h.update(b)
    return h.hexdigest()


def _text(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.replace("\x1a", "").lstrip("\ufeff")


def _empty(value: str | None) -> bool:
    return value is None or value.strip() in ("", "-0-")


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DOB = re.compile(r"\bDOB\s+([^;.]+)", re.IGNORECASE)
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})\s+([A-Za-z]{3})[a-z]*\s+(\d{4})")
_MONTH_YEAR = re.compile(r"^([A-Za-z]{3})[a-z]*\s+(\d{4})$")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")
_NATIONALITY = re.compile(r"\bnationality\s+([^;.]+)", re.IGNORECASE)


def parse_loose_date(text: str) -> list[str]:
    """Dates as lists write them ("01 Jan 1960", "Jan 1960", "1960 to 1962", "circa 1958",
    "1960-01-01") as ISO prefixes; several when a range or list is given."""
    text = text.strip()
    out: list[str] = []
    for d, mon, y in _DAY_MONTH_YEAR.findall(text):
        if mon.lower()[:3] in _MONTHS:
            out.append(f"{y}-{_MONTHS[mon.lower()[:3]]:02d}-{int(d):02d}")
    if out:
        return out
    iso = re.findall(r"\b(\d{4})-(\d{2})-(\d{2})\b", text)
    if iso:
        return ["-".join(parts) for parts in iso]
    m = _MONTH_YEAR.match(text)
    if m and m.group(1).lower()[:3] in _MONTHS:
        return [f"{m.group(2)}-{_MONTHS[m.group(1).lower()[:3]]:02d}"]
    years = [int(y) for y in _YEAR.findall(text)]
    if len(years) == 2 and " to " in text and 0 < years[1] - years[0] <= 20:
        return [str(y) for y in range(years[0], years[1] + 1)]
    return [str(y) for y in years]


# --- OFAC ---------------------------------------------------------------------------------


def parse_ofac(
    sdn: bytes, alt: bytes | None = None, add: bytes | None = None, list_name: str = "ofac_sdn"
) -> LoadedList:
    """OFAC's SDN.CSV with optional ALT.CSV (aliases) and ADD.CSV (address countries)."""
    aliases: defaultdict[str, list[str]] = defaultdict(list)
    countries: defaultdict[str, list[str]] = defaultdict(list)
    if alt:
        for row in csv.reader(io.StringIO(_text(alt))):
            if len(row) >= 4 and not _empty(row[3]):
                aliases[row[0].strip()].append(row[3].strip())
    if add:
        for row in csv.reader(io.StringIO(_text(add))):
            if len(row) >= 5 and not _empty(row[4]):
                countries[row[0].strip()].append(row[4].strip())
    entries = []
    for row in csv.reader(io.StringIO(_text(sdn))):
        if not row or not row[0].strip():
            continue
        if len(row) < 12 or not row[0].strip().isdigit():
            raise ListFormatError(f"not an OFAC SDN.CSV row: {row[:3]}")
        ent, name, sdn_type, program = (c.strip() for c in row[:4])
        remarks = "" if _empty(row[11]) else row[11]
        kind: EntryKind = {
            "individual": "person",
            "vessel": "vessel",
            "aircraft": "aircraft",
        }.get(sdn_type.lower(), "organisation")  # type: ignore[assignment]
        births = [d for m in _DOB.findall(remarks) for d in parse_loose_date(m)]
        nats = [n.strip() for n in _NATIONALITY.findall(remarks)]
        entries.append(
            ListEntry(
                list_name,
                ent,
                kind,
                name,
                tuple(dict.fromkeys(aliases.get(ent, ()))),
                tuple(dict.fromkeys(births)),
                tuple(dict.fromkeys(nats + countries.get(ent, []))),
                tuple(p.strip() for p in program.strip("[]").split("] [") if p.strip()),
            )
        )
    if not entries:
        raise ListFormatError("no OFAC entries found")
    digest = _digest(sdn, alt or b"", add or b"")
    return LoadedList(list_name, f"sha256:{digest[:12]}", digest, tuple(entries))


# --- UN --------------------------------------------------------------------------------------


def parse_un(data: bytes, list_name: str = "un_consolidated") -> LoadedList:
    """The UN Security Council consolidated list XML."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ListFormatError(f"not XML: {exc}") from exc
    if root.tag != "CONSOLIDATED_LIST":
        raise ListFormatError(f"not a UN consolidated list (root {root.tag})")

    def texts(el: ET.Element, path: str) -> list[str]:
        return [t.text.strip() for t in el.findall(path) if t.text and t.text.strip()]

    entries = []
    for tag, kind in (("INDIVIDUALS/INDIVIDUAL", "person"), ("ENTITIES/ENTITY", "organisation")):
        for el in root.findall(tag):
            parts = [
                (el.findtext(p) or "").strip()
                for p in ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
            ]
            name = " ".join(p for p in parts if p)
            alias_tag = "INDIVIDUAL_ALIAS" if kind == "person" else "ENTITY_ALIAS"
            aliases = texts(el, f"{alias_tag}/ALIAS_NAME")
            original = (el.findtext("NAME_ORIGINAL_SCRIPT") or "").strip()
            if original:
                aliases.append(original)
            births: list[str] = []
            for dob in el.findall("INDIVIDUAL_DATE_OF_BIRTH"):
                if dob.findtext("DATE"):
                    births.append((dob.findtext("DATE") or "").strip()[:10])
                elif dob.findtext("YEAR"):
                    births.append((dob.findtext("YEAR") or "").strip())
                frm, to = dob.findtext("FROM_YEAR"), dob.findtext("TO_YEAR")
                if frm and to and frm.isdigit() and to.isdigit():
                    births.extend(str(y) for y in range(int(frm), int(to) + 1))
            countries = texts(el, "NATIONALITY/VALUE")
            countries += texts(el, "INDIVIDUAL_ADDRESS/COUNTRY") + texts(
                el, "ENTITY_ADDRESS/COUNTRY"
            )
            entries.append(
                ListEntry(
                    list_name,
                    (el.findtext("REFERENCE_NUMBER") or el.findtext("DATAID") or "").strip(),
                    kind,  # type: ignore[arg-type]
                    name,
                    tuple(dict.fromkeys(a for a in aliases if a != name)),
                    tuple(dict.fromkeys(births)),
                    tuple(dict.fromkeys(countries)),
                    tuple(texts(el, "UN_LIST_TYPE")),
                )
            )
    generated = root.get("dateGenerated", "")[:10]
    digest = _digest(data)
    return LoadedList(list_name, generated or f"sha256:{digest[:12]}", digest, tuple(entries))


# --- CSL and DPL -------------------------------------------------------------------------------


def _csl_kind(row: dict[str, str]) -> EntryKind:
    t = (row.get("type") or "").strip().lower()
    if t == "individual":
        return "person"
    if t in ("vessel", "aircraft"):
        return t  # type: ignore[return-value]
    if t == "entity":
        return "organisation"
    return "unknown"


def parse_csl(data: bytes, list_name: str = "csl") -> LoadedList:
    """The ITA Consolidated Screening List CSV (28 columns, optionally a leading ``_id``)."""
    reader = csv.DictReader(io.StringIO(_text(data)))
    if (
        not reader.fieldnames
        or "name" not in reader.fieldnames
        or "source" not in reader.fieldnames
    ):
        raise ListFormatError("not a Consolidated Screening List CSV (needs source and name)")
    entries = []
    for i, row in enumerate(reader):
        name = (row.get("name") or "").strip()
        if not name:
            continue
        source = (row.get("source") or "").strip()
        short = re.search(r"\(([A-Z]+)\)", source)
        entry_id = (row.get("_id") or row.get("entity_number") or "").strip() or f"row{i + 1}"
        entries.append(
            ListEntry(
                f"{list_name}:{short.group(1).lower() if short else 'other'}",
                entry_id,
                _csl_kind(row),
                name,
                tuple(a.strip() for a in (row.get("alt_names") or "").split(";") if a.strip()),
                tuple(
                    d
                    for part in (row.get("dates_of_birth") or "").split(";")
                    for d in parse_loose_date(part)
                ),
                tuple(
                    c.strip()
                    for key in ("nationalities", "citizenships")
                    for c in (row.get(key) or "").split(";")
                    if c.strip()
                ),
                tuple(p.strip() for p in (row.get("programs") or "").split(";") if p.strip()),
            )
        )
    digest = _digest(data)
    return LoadedList(list_name, f"sha256:{digest[:12]}", digest, tuple(entries))


def parse_dpl(data: bytes, list_name: str = "bis_dpl") -> LoadedList:
    """The BIS Denied Persons List, tab-separated with a header."""
    reader = csv.DictReader(io.StringIO(_text(data)), delimiter="\t")
    if not reader.fieldnames or "Name" not in reader.fieldnames:
        raise ListFormatError("not a Denied Persons List (needs a Name column)")
    entries = []
    for i, row in enumerate(reader):
        name = (row.get("Name") or "").strip()
        if name:
            country = (row.get("Country") or "").strip()
            entries.append(
                ListEntry(
                    list_name, f"row{i + 1}", "unknown", name, (), (), (country,) if country else ()
                )
            )
    digest = _digest(data)
    return LoadedList(list_name, f"sha256:{digest[:12]}", digest, tuple(entries))


# --- FollowTheMoney ------------------------------------------------------------------------------

_FTM_KINDS: dict[str, EntryKind] = {
    "Person": "person",
    "Company": "organisation",
    "Organization": "organisation",
    "LegalEntity": "organisation",
    "PublicBody": "organisation",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}


def parse_ftm_entities(data: bytes) -> list[dict[str, object]]:
    """FollowTheMoney entities from JSON lines (or one JSON array)."""
    text = _text(data).strip()
    try:
        if text.startswith("["):
            items = json.loads(text)
        else:
            items = [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as exc:
        raise ListFormatError(f"not FollowTheMoney JSON lines: {exc}") from exc
    if not all(isinstance(i, dict) and "schema" in i for i in items):
        raise ListFormatError("FollowTheMoney entities need a schema")
    return items


def parse_ftm_list(data: bytes, list_name: str = "ftm") -> LoadedList:
    """Listed parties from FollowTheMoney entities (Person, Company, Organization, ...)."""
    entries = []
    for item in parse_ftm_entities(data):
        schema = str(item["schema"])
        if schema not in _FTM_KINDS:
            continue
        props = item.get("properties") or {}
        assert isinstance(props, dict)

        def prop(key: str, props: dict[str, object] = props) -> list[str]:
            value = props.get(key) or []
            return [str(v) for v in value] if isinstance(value, list) else [str(value)]

        names = prop("name")
        if not names:
            continue
        entries.append(
            ListEntry(
                list_name,
                str(item.get("id", "")),
                _FTM_KINDS[schema],
                names[0],
                tuple(dict.fromkeys(names[1:] + prop("alias") + prop("previousName"))),
                tuple(prop("birthDate")),
                tuple(prop("nationality") + prop("country") + prop("jurisdiction")),
                tuple(prop("program") + prop("topics")),
            )
        )
    digest = _digest(data)
    return LoadedList(list_name, f"sha256:{digest[:12]}", digest, tuple(entries))


def sniff_format(data: bytes, filename: str = "") -> str:
    """Guess a list file's format from its name and first bytes."""
    head = _text(data[:4096]).lstrip()
    lower = filename.lower()
    if head.startswith("<?xml") or head.startswith("<CONSOLIDATED_LIST"):
        return "un-xml"
    if head.startswith("{") or head.startswith("["):
        return "ftm"
    first = head.splitlines()[0] if head else ""
    if "\t" in first and "Name" in first:
        return "dpl-tsv"
    if "source" in first and "name" in first:
        return "csl-csv"
    if re.match(r"^\d+,", first) or "sdn" in lower:
        return "ofac-csv"
    raise ListFormatError(f"cannot tell the format of {filename or 'the file'}; give --format")
