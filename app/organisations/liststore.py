"""Loaded watchlists on disk (``<data_dir>/lists/<list>.json``) and a cached screener.

``idgate lists load`` writes here; the CLI and the service read from here. Each file holds
the list's version and SHA-256 so that every screening verdict can record what it used.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from app.screening import lists as parsers
from app.screening.lists import ListEntry, ListFormatError, LoadedList
from app.screening.screen import Screener

_lock = threading.Lock()
_cache: dict[str, tuple[tuple[tuple[str, float], ...], Screener, dict[str, str]]] = {}


def lists_dir(data_dir: Path) -> Path:
    return data_dir / "lists"


def _ofac_role(data: bytes) -> str:
    """sdn, alt or add, by the number of columns of the first row."""
    import csv
    import io

    text = data[:4096].decode("latin-1")
    row = next(csv.reader(io.StringIO(text)), [])
    return {12: "sdn", 5: "alt", 6: "add"}.get(len(row), "sdn")


def parse_files(files: Iterable[tuple[str, bytes]], fmt: str | None = None) -> list[LoadedList]:
    """Parse list files; OFAC SDN/ALT/ADD files given together become one list."""
    ofac: dict[str, bytes] = {}
    out: list[LoadedList] = []
    for name, data in files:
        kind = fmt or parsers.sniff_format(data, name)
        if kind == "ofac-csv":
            role = _ofac_role(data)
            if role in ofac:
                raise ListFormatError(f"two OFAC {role.upper()} files given ({name})")
            ofac[role] = data
        elif kind == "un-xml":
            out.append(parsers.parse_un(data))
        elif kind == "csl-csv":
            out.append(parsers.parse_csl(data))
        elif kind == "dpl-tsv":
            out.append(parsers.parse_dpl(data))
        elif kind == "ftm":
            out.append(parsers.parse_ftm_list(data, list_name=Path(name).stem or "ftm"))
        else:
            raise ListFormatError(f"unknown format {kind}")
    if ofac:
        if "sdn" not in ofac:
            raise ListFormatError("OFAC ALT/ADD files need the SDN file with them")
        out.append(parsers.parse_ofac(ofac["sdn"], ofac.get("alt"), ofac.get("add")))
    return out


def save(data_dir: Path, loaded: LoadedList, source_files: list[str]) -> Path:
    """Write a parsed list atomically (replacing the previous version of the same list)."""
    folder = lists_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{loaded.list.replace(':', '_')}.json"
    payload = {
        "list": loaded.list,
        "version": loaded.version,
        "sha256": loaded.sha256,
        "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source_files": source_files,
        "entries": [e.to_json() for e in loaded.entries],
    }
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload), encoding="utf-8")
    os.replace(tmp, path)
    _cache.clear()
    return path


def load_screener(data_dir: Path) -> tuple[Screener, dict[str, str]]:
    """A screener over every loaded list and their versions; cached until a file changes."""
    folder = lists_dir(data_dir)
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    stamp = tuple((str(p), p.stat().st_mtime) for p in files)
    key = str(folder.resolve())
    with _lock:
        cached = _cache.get(key)
        if cached and cached[0] == stamp:
            return cached[1], cached[2]
        entries: list[ListEntry] = []
        versions: dict[str, str] = {}
        for path in files:
            payload = json.loads(path.read_text(encoding="utf-8"))
            versions[payload["list"]] = payload["version"]
            entries.extend(ListEntry.from_json(e) for e in payload["entries"])
        screener = Screener(entries)
        _cache[key] = (stamp, screener, versions)
        return screener, versions
