"""``idgate lists load``, ``idgate screen`` and ``idgate ownership``."""

from __future__ import annotations

import argparse
import csv
import io
import json
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from app.screening.lists import FORMATS, ListFormatError


def _usage(message: str) -> Exception:
    from app.cli import UsageError

    return UsageError(message)


def _read(path: str) -> bytes:
    p = Path(path)
    if not p.is_file():
        raise _usage(f"no such file: {path}")
    return p.read_bytes()


def _data_dir() -> Path:
    from app.core.config import get_settings

    return get_settings().data_dir


def cmd_lists_load(args: argparse.Namespace) -> dict[str, Any]:
    from app.organisations import liststore

    files = [(path, _read(path)) for path in args.files]
    try:
        loaded = liststore.parse_files(files, args.format)
    except (ListFormatError, ValueError, UnicodeDecodeError) as exc:
        raise _usage(str(exc)) from exc
    out = []
    for item in loaded:
        path = liststore.save(_data_dir(), item, [Path(f).name for f in args.files])
        out.append(
            {
                "list": item.list,
                "version": item.version,
                "sha256": item.sha256,
                "entries": len(item.entries),
                "aliases": item.alias_count,
                "stored": str(path),
            }
        )
    result: dict[str, Any] = {"loaded": out}
    if args.recompute:
        result["recomputed"] = _recompute()
    elif args.enqueue:
        from workers.celery_app import celery_app

        celery_app.send_task("idgate.organisations.recompute")
        result["recompute"] = "queued"
    return result


def _recompute() -> dict[str, Any]:
    """Recompute every organisation's verdict now, in this process (needs the database)."""
    from app.core.audit import SYSTEM
    from app.core.db import session_scope
    from app.organisations.service import recompute

    with session_scope() as session:
        done = recompute(session, SYSTEM)
        return {"parties": len(done.verdicts), "accounts_changed": done.changed_accounts}


def _query(name: str, kind: str | None, birth: str | None, country: str | None) -> Any:
    from app.screening.screen import Query

    kind = (kind or "any").strip() or "any"
    if kind not in ("person", "organisation", "any"):
        raise _usage(f"kind must be person or organisation, not {kind!r}")
    if birth:
        try:
            date.fromisoformat(birth) if len(birth) == 10 else int(birth[:4])
        except ValueError as exc:
            raise _usage(f"birth date must be YYYY-MM-DD (or YYYY), not {birth!r}") from exc
    return Query(name, kind, birth or None, (country or "").upper() or None)  # type: ignore[arg-type]


def _screen_one(screener: Any, versions: dict[str, str], query: Any) -> dict[str, Any]:
    started = time.perf_counter()
    hits = screener.screen(query)
    return {
        "name": query.name,
        "hits": [h.to_json() for h in hits],
        "match": any(h.match for h in hits),
        "lists": versions,
        "elapsed_ms": round((time.perf_counter() - started) * 1000, 2),
    }


def cmd_screen(args: argparse.Namespace) -> int | dict[str, Any]:
    from app.organisations import liststore

    if bool(args.name) == bool(args.batch):
        raise _usage("give a NAME or --batch FILE (not both)")
    screener, versions = liststore.load_screener(_data_dir())
    if not versions:
        raise _usage("no lists loaded; run `idgate lists load FILE...` first")
    if args.name:
        return _screen_one(
            screener, versions, _query(args.name, args.kind, args.birth_date, args.country)
        )
    text = _read(args.batch).decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "name" not in reader.fieldnames:
        raise _usage(f"{args.batch}: a CSV with a `name` column is needed")
    queries = [
        _query(
            row["name"] or "",
            row.get("kind") or args.kind,
            row.get("birth_date") or None,
            row.get("country") or None,
        )
        for row in reader
    ]
    for query in queries:
        print(json.dumps(_screen_one(screener, versions, query)), flush=True)
    return 0


def _seeds(text: str | None) -> list[str]:
    return [s.strip() for s in (text or "").split(",") if s.strip()]


def cmd_ownership(args: argparse.Namespace) -> dict[str, Any]:
    from app.screening.formats import parse_ownership
    from app.screening.ownership import REGIMES, OwnershipGraph, Seed

    try:
        data = parse_ownership(_read(args.file))
    except (ListFormatError, ValueError, UnicodeDecodeError) as exc:
        raise _usage(f"{args.file}: {exc}") from exc
    as_of = date.fromisoformat(args.as_of) if args.as_of else date.today()
    restricted = _seeds(args.restricted)
    known = {p.id for p in data.parties} | {h.owner for h in data.holdings}
    unknown = [r for r in restricted if r not in known]
    if unknown:
        raise _usage(f"--restricted ids not in {args.file}: {', '.join(unknown)}")
    graph = OwnershipGraph(
        data.holdings,
        data.controls,
        [Seed(r, "restricted:cli") for r in restricted],
        regime=REGIMES[args.regime],
        as_of=as_of,
    )
    names = {p.id: p.name for p in data.parties}
    ids = sorted(
        {p.id for p in data.parties} | graph.entities(), key=lambda i: (names.get(i, i), i)
    )
    entities = []
    for entity_id in ids:
        verdict = graph.verdict(entity_id).to_json()
        verdict["name"] = names.get(entity_id)
        entities.append(verdict)
    counts = {
        s: sum(1 for e in entities if e["status"] == s) for s in ("restricted", "review", "clear")
    }
    return {
        "format": data.format,
        "regime": args.regime,
        "as_of": as_of.isoformat(),
        "restricted_seeds": restricted,
        "counts": counts,
        "entities": entities,
    }


def cmd_organisations_import(args: argparse.Namespace) -> dict[str, Any]:
    """Store FollowTheMoney or BODS ownership data in the database and recompute verdicts."""
    from app.core.audit import SYSTEM
    from app.core.db import session_scope
    from app.core.errors import ApiError
    from app.organisations.service import import_ownership, recompute
    from app.screening.formats import parse_ownership

    try:
        data = parse_ownership(_read(args.file))
    except (ListFormatError, ValueError, UnicodeDecodeError) as exc:
        raise _usage(f"{args.file}: {exc}") from exc
    try:
        with session_scope() as session:
            counts = import_ownership(session, data, SYSTEM)
            done = recompute(session, SYSTEM)
            statuses = [v.status for v in done.verdicts.values()]
    except ApiError as exc:
        raise _usage(f"{args.file}: {exc.message}") from exc
    return {
        "format": data.format,
        "imported": counts,
        "verdicts": {s: statuses.count(s) for s in ("restricted", "review", "clear")},
        "accounts_changed": done.changed_accounts,
    }


def add_commands(sub: Any, add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Register the organisation commands on the ``idgate`` parser."""
    p = add("lists", "manage watchlists (sanctions and export-control lists)")
    lsub = p.add_subparsers(dest="action", required=True)
    c = lsub.add_parser("load", help="parse list files and store them in the data directory")
    c.add_argument("files", nargs="+")
    c.add_argument("--format", choices=FORMATS, help="else sniffed from each file")
    c.add_argument(
        "--recompute", action="store_true", help="then recompute every verdict in this process"
    )
    c.add_argument("--enqueue", action="store_true", help="then queue the recompute for a worker")
    c.add_argument("--json", action="store_true")
    c.set_defaults(run=cmd_lists_load)

    p = add("screen", "screen a name (or a CSV of names) against the loaded lists")
    p.add_argument("name", nargs="?")
    p.add_argument("--kind", choices=["person", "organisation", "any"], default=None)
    p.add_argument("--birth-date", dest="birth_date")
    p.add_argument("--country")
    p.add_argument("--batch", help="CSV with a name column (optional kind, birth_date, country)")
    p.set_defaults(run=cmd_screen, raw_if_int=True)

    p = add("organisations", "the stored organisations graph")
    osub = p.add_subparsers(dest="action", required=True)
    c = osub.add_parser("import", help="store FollowTheMoney or BODS ownership data")
    c.add_argument("file")
    c.add_argument("--json", action="store_true")
    c.set_defaults(run=cmd_organisations_import)

    p = add("ownership", "apply the 50 %% rule to FollowTheMoney or BODS ownership data")
    p.add_argument("file")
    p.add_argument("--regime", choices=["ofac", "eu", "uk"], default="ofac")
    p.add_argument("--restricted", help="comma-separated ids of restricted parties")
    p.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (default today)")
    p.set_defaults(run=cmd_ownership)
