"""Screening names against loaded lists: a fast shortlist, then the pairwise scorer.

Shortlist (in memory): rows sharing a phonetic token key with the query (rarest keys first),
plus the nearest rows by edit distance over sorted-token strings (``rapidfuzz``, in C), so
that a name with every word misspelt is still found. Each shortlisted row is scored by
``names.score``; a hit *matches* when its score reaches the threshold and the birth date,
when both sides have one, does not contradict it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from app.screening import names
from app.screening.lists import ListEntry

QueryKind = names.Kind


@dataclass(frozen=True)
class Query:
    """What is screened: a name, optionally its kind, birth date (ISO) and country."""

    name: str
    kind: QueryKind = "any"
    birth_date: str | None = None
    country: str | None = None


@dataclass(frozen=True)
class Hit:
    """A list entry that resembles the query, with the score and why."""

    list: str
    entry_id: str
    name: str  # the entry's primary name
    matched_name: str  # the name or alias that scored best
    score: float
    match: bool
    reasons: tuple[str, ...]
    aligned: tuple[tuple[str, str, float], ...]
    kind: str

    def to_json(self) -> dict[str, object]:
        return {
            "list": self.list,
            "entry_id": self.entry_id,
            "name": self.name,
            "matched_name": self.matched_name,
            "score": round(self.score, 4),
            "match": self.match,
            "reasons": list(self.reasons),
            "aligned": [list(a) for a in self.aligned],
        }


def birth_dates_compatible(query: str, listed: Iterable[str]) -> bool | None:
    """True when a listed date agrees with the query on every part both give (year, month,
    day); False when every listed date disagrees; None when the list gives none."""
    listed = [d for d in listed if d]
    if not listed:
        return None
    q = query.split("-")
    for d in listed:
        parts = d.split("-")
        if all(a == b for a, b in zip(q, parts, strict=False)):
            return True
    return False


# Chosen by benchmarks/bench_screening.py on its tuning half (false hits <= 0.5 per 1,000).
SCREEN_THRESHOLD = 0.90


def screening_score(result: names.NameScore, q: names.PreparedName, c: names.PreparedName) -> float:
    """The pair score, discounted where a word is only loosely similar, and where one side is
    a single word: a one-word list name
    inside a longer query ("DANIEL" in "Daniel Thomas"), or two different one-word names,
    is weak evidence against a list of 20,000 names."""
    value = result.score
    if not result.features:
        return 0.0
    # the same letters in the same (aligned) order, every word accounted for: a typo or two
    # in an otherwise identical name keeps its character-level similarity
    if not result.unmatched_query and not result.unmatched_candidate:
        spelled = result.features[4]
        if spelled >= 0.9 and len("".join(q.tokens)) >= 8:
            return spelled * (0.8 if (len(q.tokens) == 1) != (len(c.tokens) == 1) else 1.0)
    # every aligned word must be close: two names of short, loosely similar syllables
    # ("Jeong" / "Hsing") add up to a high pair score but are different people
    weakest = min((sim for _, _, sim in result.aligned), default=0.0)
    if weakest < 0.9:
        value *= (weakest / 0.9) ** 2
    # a short word (a syllable of a romanised Chinese or Korean name) that differs is a
    # different name more often than a spelling slip: Jian / Qian, Sang / Song
    for a, b, sim in result.aligned:
        if sim < 1.0 and max(len(a), len(b)) <= 5:
            value *= 0.93
    # words of the list name left over when the rest only nearly matches
    if result.unmatched_candidate and weakest < 1.0:
        value *= 0.9 ** len(result.unmatched_candidate)
    # a name matched through initials alone
    if result.aligned and all(min(len(a), len(b)) == 1 for a, b, _ in result.aligned):
        value *= 0.5
    single_q, single_c = len(q.tokens) == 1, len(c.tokens) == 1
    if single_q != single_c:
        value *= 0.8
    elif single_q and q.tokens != c.tokens:
        value *= 0.9
    return value


_KIND_FAMILY = {"person": "person", "organisation": "organisation"}


class Screener:
    """An in-memory index over list entries (primary names and aliases)."""

    def __init__(
        self,
        entries: Iterable[ListEntry],
        *,
        threshold: float = SCREEN_THRESHOLD,
        shortlist: int = 300,
        common_key_share: float = 0.02,
    ) -> None:
        self.entries: list[ListEntry] = list(entries)
        self.threshold = threshold
        self.shortlist = shortlist
        self._row_entry: list[int] = []
        self._row_name: list[str] = []
        self._row_prepared: list[names.PreparedName] = []
        self._row_sorted: list[str] = []
        by_key: defaultdict[str, list[int]] = defaultdict(list)
        for idx, entry in enumerate(self.entries):
            for raw in dict.fromkeys((entry.name, *entry.aliases)):
                prepared = names.prepare(raw)
                if not prepared.tokens:
                    continue
                row = len(self._row_entry)
                self._row_entry.append(idx)
                self._row_name.append(raw)
                self._row_prepared.append(prepared)
                self._row_sorted.append(" ".join(sorted(prepared.tokens)))
                for key in set(prepared.keys):
                    by_key[key].append(row)
        self._by_key = dict(by_key)
        self._common = max(50, int(common_key_share * max(1, len(self._row_entry))))

    @property
    def size(self) -> int:
        """Indexed names (primary names and aliases)."""
        return len(self._row_entry)

    def _candidates(self, prepared: names.PreparedName) -> list[int]:
        weight: defaultdict[int, float] = defaultdict(float)
        for key in set(prepared.keys):
            rows = self._by_key.get(key, ())
            if not rows or len(rows) > self._common:
                continue
            w = 1.0 / len(rows)
            for row in rows:
                weight[row] += w
        ranked = sorted(weight, key=weight.__getitem__, reverse=True)[: self.shortlist]
        near = process.extract(
            " ".join(sorted(prepared.tokens)),
            self._row_sorted,
            scorer=fuzz.ratio,
            limit=30,
            score_cutoff=60,
        )
        return list(dict.fromkeys([*ranked, *(row for _, _, row in near)]))

    def screen(
        self,
        query: Query,
        *,
        limit: int = 10,
        min_score: float = 0.3,
        dismissed: Collection[tuple[str, str]] = (),
    ) -> tuple[Hit, ...]:
        """Hits for the query, best first; ``dismissed`` (list, entry_id) pairs are skipped."""
        prepared = names.prepare(query.name)
        if not prepared.tokens:
            return ()
        best: dict[int, tuple[float, int, names.NameScore]] = {}
        for row in self._candidates(prepared):
            idx = self._row_entry[row]
            entry = self.entries[idx]
            if (entry.list, entry.entry_id) in dismissed:
                continue
            family = _KIND_FAMILY.get(entry.kind)
            if query.kind != "any" and family is not None and family != query.kind:
                continue
            candidate = self._row_prepared[row]
            result = names.score(prepared, candidate)
            value = screening_score(result, prepared, candidate)
            if value >= min_score and (idx not in best or value > best[idx][0]):
                best[idx] = (value, row, result)
        hits = []
        for idx, (value, row, result) in best.items():
            entry = self.entries[idx]
            reasons: list[str] = []
            match = value >= self.threshold
            if query.birth_date and entry.kind in ("person", "unknown"):
                compatible = birth_dates_compatible(query.birth_date, entry.birth_dates)
                if compatible is True:
                    reasons.append("birth_date_agrees")
                elif compatible is False:
                    reasons.append("birth_date_differs")
                    match = False
            if query.country and any(query.country.upper() == c.upper() for c in entry.countries):
                reasons.append("country_agrees")
            reasons.insert(0, "name_match" if value >= self.threshold else "name_similar")
            hits.append(
                Hit(
                    entry.list,
                    entry.entry_id,
                    entry.name,
                    self._row_name[row],
                    value,
                    match,
                    tuple(reasons),
                    result.aligned,
                    entry.kind,
                )
            )
        hits.sort(key=lambda h: (not h.match, -h.score, h.list, h.entry_id))
        return tuple(hits[:limit])
