"""The ownership restriction engine: OFAC's 50 Percent Rule and its EU and UK cousins.

An entity is *restricted* when restricted owners together hold at least the regime's
threshold of it, directly or through entities that are themselves restricted. A restricted
entity passes its whole stake on (X 50 % of A, A 50 % of B: B is restricted, not "25 %"),
stakes of several restricted owners add up when the regime aggregates, and stakes held
through entities that are not restricted do not count.

The computation is a monotone fixed point over the ownership graph, run twice:

* with every holding at its *minimum* percentage (unknown = 0): the entities that are
  certainly restricted;
* with every holding at its *maximum* percentage (unknown = 100): the entities that *could*
  be restricted. Those that are not certainly restricted go to review (``ownership_unknown``):
  an unknown percentage is never taken as zero.

Holdings that ended before ``as_of`` (or start after it) do not count. Cycles are harmless:
an entity joins the restricted set at most once, so the propagation stops. Control without
majority ownership (a board appointment, a director, or restricted owners holding at least
``review_stake_pct`` but below the threshold) is a reason for review, not a restriction.

Regimes: OFAC and the EU count ``>= 50 %`` and aggregate the stakes of all restricted
owners; the UK counts ``> 50 %`` and does not aggregate different designated owners: each
listed seed's holdings (direct, and through the entities it alone controls) are summed
separately.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Container, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Status = Literal["restricted", "review", "clear"]
RESTRICTED: Status = "restricted"
REVIEW: Status = "review"
CLEAR: Status = "clear"

# Exclusive range bounds ("more than 50 %", "less than 100 %") are moved this far inward.
EXCLUSIVE_NUDGE_PCT = 1e-6
_EPS = 1e-9


@dataclass(frozen=True)
class Regime:
    """How a jurisdiction applies the rule."""

    name: str
    threshold_pct: float = 50.0
    inclusive: bool = True  # True: ">= threshold"; False: "> threshold"
    aggregate: bool = True  # add up the stakes of different restricted owners
    review_stake_pct: float = 25.0  # a minority stake this large by restricted owners: review

    def crosses(self, pct: float) -> bool:
        """Whether a summed stake meets the threshold."""
        if self.inclusive:
            return pct >= self.threshold_pct - _EPS
        return pct > self.threshold_pct + _EPS

    @property
    def comparison(self) -> str:
        return ">=" if self.inclusive else ">"


REGIMES: Mapping[str, Regime] = {
    "ofac": Regime("ofac", 50.0, inclusive=True, aggregate=True),
    "eu": Regime("eu", 50.0, inclusive=True, aggregate=True),
    "uk": Regime("uk", 50.0, inclusive=False, aggregate=False),
}


@dataclass(frozen=True)
class Holding:
    """An ownership edge: ``owner`` holds between ``min_pct`` and ``max_pct`` of ``asset``.

    ``None`` bounds are unknown: 0 for "certainly", 100 for "possibly".
    """

    id: str
    owner: str
    asset: str
    min_pct: float | None = None
    max_pct: float | None = None
    start: date | None = None
    end: date | None = None
    source: str = ""

    def __post_init__(self) -> None:
        lo = 0.0 if self.min_pct is None else self.min_pct
        hi = 100.0 if self.max_pct is None else self.max_pct
        if not (0.0 <= lo <= 100.0 and 0.0 <= hi <= 100.0) or lo > hi + _EPS:
            raise ValueError(
                f"holding {self.id}: percentages must satisfy 0 <= min <= max <= 100, "
                f"got min={self.min_pct} max={self.max_pct}"
            )

    @classmethod
    def exact(cls, id: str, owner: str, asset: str, pct: float, **kw: object) -> Holding:
        """A holding with a known percentage."""
        return cls(id, owner, asset, pct, pct, **kw)  # type: ignore[arg-type]

    @property
    def low(self) -> float:
        return 0.0 if self.min_pct is None else self.min_pct

    @property
    def high(self) -> float:
        return 100.0 if self.max_pct is None else self.max_pct

    def active_on(self, day: date) -> bool:
        """Counts on ``day``: started (or no start) and not ended before it."""
        if self.start is not None and self.start > day:
            return False
        return not (self.end is not None and self.end < day)

    def describe(self) -> str:
        if self.min_pct is None and self.max_pct is None:
            return "unknown %"
        if self.min_pct is not None and self.max_pct is not None and self.min_pct == self.max_pct:
            return f"{_fmt(self.min_pct)} %"
        return f"{_fmt(self.low)}-{_fmt(self.high)} %"


@dataclass(frozen=True)
class Control:
    """A control edge without (or beside) ownership: director, board appointment, ..."""

    id: str
    controller: str
    entity: str
    role: str = "director"
    start: date | None = None
    end: date | None = None
    source: str = ""

    def active_on(self, day: date) -> bool:
        if self.start is not None and self.start > day:
            return False
        return not (self.end is not None and self.end < day)


@dataclass(frozen=True)
class Seed:
    """A party restricted by itself: listed, or of a restricted jurisdiction."""

    entity_id: str
    reason: str  # e.g. "listed:ofac_sdn:1234" or "jurisdiction:XX"


@dataclass(frozen=True)
class PathStep:
    owner: str
    asset: str
    holding_id: str
    pct: str  # as written: "50 %", "25-60 %", "unknown %"


@dataclass(frozen=True)
class Contribution:
    """A stake of a (possibly) restricted owner counted towards an entity's sum."""

    owner: str
    holding_id: str
    pct: float  # the bound used: minimum for restricted, maximum for review


@dataclass(frozen=True)
class Verdict:
    """The standing of one entity under one regime, with its explanation."""

    entity_id: str
    status: Status
    reasons: tuple[str, ...] = ()
    regime: str = "ofac"
    seed_reasons: tuple[str, ...] = ()
    sum_pct: float | None = None  # the sum that crossed (restricted) or could cross (review)
    contributions: tuple[Contribution, ...] = ()
    paths: tuple[tuple[PathStep, ...], ...] = ()
    controls: tuple[str, ...] = ()  # ids of controlling edges from restricted parties

    def to_json(self) -> dict[str, object]:
        return {
            "entity_id": self.entity_id,
            "status": self.status,
            "reasons": list(self.reasons),
            "regime": self.regime,
            "seed_reasons": list(self.seed_reasons),
            "sum_pct": None if self.sum_pct is None else round(self.sum_pct, 6),
            "contributions": [
                {"owner": c.owner, "holding_id": c.holding_id, "pct": round(c.pct, 6)}
                for c in self.contributions
            ],
            "paths": [
                [
                    {"owner": s.owner, "asset": s.asset, "holding_id": s.holding_id, "pct": s.pct}
                    for s in path
                ]
                for path in self.paths
            ],
            "controls": list(self.controls),
        }


def _fmt(value: float) -> str:
    return f"{value:g}"


@dataclass
class _Sets:
    """The certain (min) and possible (max) restricted sets of one origin."""

    certain: set[str] = field(default_factory=set)
    possible: set[str] = field(default_factory=set)


class OwnershipGraph:
    """Holdings, control edges and seeds, with the computed restricted sets.

    ``compute()`` does the full fixed point; ``put_holding``/``remove_holding``/``set_seeds``
    recompute only what the change can reach and return the ids whose status changed.
    """

    def __init__(
        self,
        holdings: Iterable[Holding] = (),
        controls: Iterable[Control] = (),
        seeds: Iterable[Seed] = (),
        *,
        regime: Regime | str = "ofac",
        as_of: date | None = None,
        max_paths: int = 5,
    ) -> None:
        self.regime = REGIMES[regime] if isinstance(regime, str) else regime
        self.as_of = as_of or date.today()
        self.max_paths = max_paths
        self._holdings: dict[str, Holding] = {}
        self._out: defaultdict[str, dict[str, Holding]] = defaultdict(dict)
        self._in: defaultdict[str, dict[str, Holding]] = defaultdict(dict)
        self._controls_in: defaultdict[str, list[Control]] = defaultdict(list)
        self._seeds: dict[str, list[str]] = defaultdict(list)
        for h in holdings:
            self._add(h)
        for c in controls:
            self._controls_in[c.entity].append(c)
        for s in seeds:
            self._seeds[s.entity_id].append(s.reason)
        # origin -> sets; aggregate regimes have one origin "*"
        self._origins: dict[str, _Sets] = {}
        # UK (one origin per seed): in how many origins' sets each entity is, for O(1) lookups
        self._certain_n: Counter[str] = Counter()
        self._possible_n: Counter[str] = Counter()
        self._computed = False

    # --- graph editing -----------------------------------------------------------

    def _add(self, h: Holding) -> None:
        if h.id in self._holdings:
            self._drop(h.id)
        self._holdings[h.id] = h
        self._out[h.owner][h.id] = h
        self._in[h.asset][h.id] = h

    def _drop(self, holding_id: str) -> Holding | None:
        h = self._holdings.pop(holding_id, None)
        if h is not None:
            self._out[h.owner].pop(h.id, None)
            self._in[h.asset].pop(h.id, None)
        return h

    @property
    def holdings(self) -> Mapping[str, Holding]:
        return self._holdings

    def entities(self) -> set[str]:
        """Every id that appears as owner, asset, seed or controlled entity."""
        ids = {h.owner for h in self._holdings.values()} | {
            h.asset for h in self._holdings.values()
        }
        ids.update(self._seeds)
        ids.update(self._controls_in)
        return ids

    def _active(self, h: Holding) -> bool:
        return h.owner != h.asset and h.active_on(self.as_of)

    # --- the fixed point -------------------------------------------------------------

    def _propagate(
        self,
        start: Iterable[str],
        use_max: bool,
        members: set[str],
        region: set[str] | None = None,
    ) -> None:
        """Grow ``members`` (already holding ``start``) to the fixed point.

        With ``region`` only entities inside it may join; the stakes of members outside the
        region into it are counted first (incremental recompute).
        """
        crosses = self.regime.crosses
        acc: defaultdict[str, float] = defaultdict(float)
        queue = [n for n in start if n in members]
        if region is not None:
            for node in region:
                if node in members:
                    continue
                for h in self._in.get(node, {}).values():
                    if h.owner in members and h.owner not in region and self._active(h):
                        acc[node] += h.high if use_max else h.low
                if crosses(acc[node]):
                    members.add(node)
                    queue.append(node)
        as_of = self.as_of
        while queue:
            owner = queue.pop()
            for h in self._out.get(owner, {}).values():
                asset = h.asset
                if asset in members or asset == owner:
                    continue
                if region is not None and asset not in region:
                    continue
                if (h.start is not None and h.start > as_of) or (
                    h.end is not None and h.end < as_of
                ):
                    continue
                total = acc[asset] + (h.high if use_max else h.low)
                acc[asset] = total
                if crosses(total):
                    members.add(asset)
                    queue.append(asset)

    def _origin_seeds(self) -> dict[str, set[str]]:
        if self.regime.aggregate:
            return {"*": set(self._seeds)}
        return {seed: {seed} for seed in self._seeds}

    def compute(self) -> None:
        """Full recompute of every origin's certain and possible sets."""
        self._origins = {}
        for origin, seeds in self._origin_seeds().items():
            sets = _Sets(set(seeds), set(seeds))
            self._propagate(seeds, False, sets.certain)
            self._propagate(seeds, True, sets.possible)
            self._origins[origin] = sets
        if not self.regime.aggregate:
            self._certain_n = Counter()
            self._possible_n = Counter()
            for sets in self._origins.values():
                self._certain_n.update(sets.certain)
                self._possible_n.update(sets.possible)
        self._computed = True

    def _ensure(self) -> None:
        if not self._computed:
            self.compute()

    # --- incremental updates -------------------------------------------------------------

    def _downstream(self, starts: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        stack = list(starts)
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(h.asset for h in self._out.get(node, {}).values())
        return seen

    def _recompute_region(self, region: set[str]) -> None:
        for origin, seeds in self._origin_seeds().items():
            sets = self._origins.setdefault(origin, _Sets())
            for members, use_max in ((sets.certain, False), (sets.possible, True)):
                members.difference_update(region)
                inside = seeds & region
                members.update(inside)
                self._propagate(inside, use_max, members, region)

    def _snapshot(self, ids: Iterable[str]) -> dict[str, Status]:
        return {i: self.status(i) for i in ids}

    def _changed(self, before: dict[str, Status]) -> set[str]:
        return {i for i, s in before.items() if self.status(i) != s}

    def put_holding(self, holding: Holding) -> set[str]:
        """Add or replace a holding; returns the entities whose status changed."""
        self._ensure()
        old = self._holdings.get(holding.id)
        touched = [holding] + ([old] if old else [])
        return self._update(touched, lambda: self._add(holding))

    def remove_holding(self, holding_id: str) -> set[str]:
        """Remove a holding; returns the entities whose status changed."""
        self._ensure()
        old = self._holdings.get(holding_id)
        if old is None:
            return set()
        return self._update([old], lambda: self._drop(holding_id))

    def _update(self, touched: list[Holding], mutate: Callable[[], object]) -> set[str]:
        # A holding only bears on the entities downstream of its asset: only they can change.
        region = self._downstream(h.asset for h in touched)
        before = self._snapshot(region)
        mutate()
        if self.regime.aggregate:
            self._recompute_region(region)
        else:
            # UK: only the seeds whose possible set holds one of the owners can change
            owners = {h.owner for h in touched}
            for seed, sets in list(self._origins.items()):
                if owners & sets.possible:
                    fresh = _Sets({seed}, {seed})
                    self._propagate({seed}, False, fresh.certain)
                    self._propagate({seed}, True, fresh.possible)
                    self._certain_n.subtract(sets.certain)
                    self._possible_n.subtract(sets.possible)
                    self._certain_n.update(fresh.certain)
                    self._possible_n.update(fresh.possible)
                    self._origins[seed] = fresh
        return self._changed(before)

    def set_seeds(self, seeds: Iterable[Seed]) -> set[str]:
        """Replace the seeds (a list changed); returns the entities whose status changed."""
        self._ensure()
        new: dict[str, list[str]] = defaultdict(list)
        for s in seeds:
            new[s.entity_id].append(s.reason)
        changed_seeds = set(new) ^ set(self._seeds)
        region = self._downstream(changed_seeds)
        before = self._snapshot(region)
        self._seeds = new
        if self.regime.aggregate:
            self._recompute_region(region)
        else:
            self.compute()
        return self._changed(before)

    # --- reading verdicts -----------------------------------------------------------------

    def _certain_any(self, entity: str) -> bool:
        if self.regime.aggregate:
            sets = self._origins.get("*")
            return sets is not None and entity in sets.certain
        return self._certain_n[entity] > 0

    def _possible_any(self, entity: str) -> bool:
        if self.regime.aggregate:
            sets = self._origins.get("*")
            return sets is not None and entity in sets.possible
        return self._possible_n[entity] > 0

    def _restricting_controls(self, entity: str) -> tuple[str, ...]:
        return tuple(
            c.id
            for c in self._controls_in.get(entity, ())
            if c.active_on(self.as_of) and self._certain_any(c.controller)
        )

    def _minority_stake(self, entity: str) -> float:
        return sum(
            h.low
            for h in self._in.get(entity, {}).values()
            if self._active(h) and self._certain_any(h.owner)
        )

    def status(self, entity: str) -> Status:
        """``restricted``, ``review`` or ``clear`` (cheap; no explanation)."""
        self._ensure()
        if self._certain_any(entity):
            return RESTRICTED
        if self._possible_any(entity):
            return REVIEW
        if self._restricting_controls(entity):
            return REVIEW
        if self._minority_stake(entity) >= self.regime.review_stake_pct - _EPS:
            return REVIEW
        return CLEAR

    def restricted(self) -> set[str]:
        """Every certainly restricted entity."""
        self._ensure()
        out: set[str] = set()
        for s in self._origins.values():
            out |= s.certain
        return out

    def flagged(self) -> dict[str, Status]:
        """Every entity that is not clear, with its status."""
        self._ensure()
        candidates: set[str] = set()
        for s in self._origins.values():
            candidates |= s.possible
        for entity in list(candidates):
            candidates.update(h.asset for h in self._out.get(entity, {}).values())
        candidates.update(self._controls_in)
        result = {}
        for entity in candidates:
            st = self.status(entity)
            if st != CLEAR:
                result[entity] = st
        return result

    def verdict(self, entity: str) -> Verdict:
        """The entity's status with its explanation: reasons, the sum, the stakes that made
        it and up to ``max_paths`` ownership paths from a seed."""
        st = self.status(entity)
        name = self.regime.name
        seed_reasons = tuple(self._seeds.get(entity, ()))
        if st == CLEAR:
            return Verdict(entity, CLEAR, (), name)
        if seed_reasons:
            return Verdict(entity, RESTRICTED, ("listed",), name, seed_reasons, None)
        if st == RESTRICTED:
            origin = next(o for o, s in self._origins.items() if entity in s.certain)
            members = self._origins[origin].certain
            sure, sure_total = self._contributions(entity, members, use_max=False)
            return Verdict(
                entity,
                RESTRICTED,
                ("owned_by_restricted",),
                name,
                (),
                sure_total,
                sure,
                self._paths(entity, members),
                self._restricting_controls(entity),
            )
        reasons: list[str] = []
        contribs: tuple[Contribution, ...] = ()
        total: float | None = None
        paths: tuple[tuple[PathStep, ...], ...] = ()
        possible = [s.possible for s in self._origins.values() if entity in s.possible]
        if possible:
            reasons.append("ownership_unknown")
            contribs, total = self._contributions(entity, possible[0], use_max=True)
            paths = self._paths(entity, possible[0])
        controls = self._restricting_controls(entity)
        if controls:
            reasons.append("controlled_by_restricted")
        minority = self._minority_stake(entity)
        if minority >= self.regime.review_stake_pct - _EPS and not possible:
            reasons.append("minority_stake_by_restricted")
            certain = _AnyCertain(self)
            contribs, total = self._contributions(entity, certain, use_max=False)
            paths = self._paths(entity, certain)
        return Verdict(entity, REVIEW, tuple(reasons), name, (), total, contribs, paths, controls)

    def _contributions(
        self, entity: str, members: Container[str], use_max: bool
    ) -> tuple[tuple[Contribution, ...], float]:
        contribs = tuple(
            Contribution(h.owner, h.id, h.high if use_max else h.low)
            for h in sorted(self._in.get(entity, {}).values(), key=lambda h: h.id)
            if h.owner in members and self._active(h)
        )
        return contribs, sum(c.pct for c in contribs)

    def _paths(self, entity: str, members: Container[str]) -> tuple[tuple[PathStep, ...], ...]:
        """Ownership paths from a seed down to ``entity`` through ``members`` (backwards DFS,
        simple paths only, bounded)."""
        found: list[tuple[PathStep, ...]] = []
        budget = 20_000
        stack: list[tuple[str, tuple[PathStep, ...], frozenset[str]]] = [
            (entity, (), frozenset({entity}))
        ]
        while stack and len(found) < self.max_paths and budget > 0:
            node, suffix, on_path = stack.pop()
            budget -= 1
            if node in self._seeds and suffix:
                found.append(suffix)
                continue
            for h in sorted(self._in.get(node, {}).values(), key=lambda h: h.id, reverse=True):
                if h.owner in members and h.owner not in on_path and self._active(h):
                    step = PathStep(h.owner, h.asset, h.id, h.describe())
                    stack.append((h.owner, (step, *suffix), on_path | {h.owner}))
        return tuple(found)


class _AnyCertain:
    """Membership in any origin's certain set (without building their union)."""

    def __init__(self, graph: OwnershipGraph) -> None:
        self._graph = graph

    def __contains__(self, entity: object) -> bool:
        return isinstance(entity, str) and self._graph._certain_any(entity)


def evaluate(
    holdings: Iterable[Holding],
    seeds: Iterable[Seed],
    *,
    controls: Iterable[Control] = (),
    regime: Regime | str = "ofac",
    as_of: date | None = None,
) -> dict[str, Verdict]:
    """One-shot: every entity that is not clear, with its verdict and explanation."""
    graph = OwnershipGraph(holdings, controls, seeds, regime=regime, as_of=as_of)
    return {entity: graph.verdict(entity) for entity in sorted(graph.flagged())}
