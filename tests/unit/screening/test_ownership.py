"""The restriction engine on every example of the organisations issue, and its edges."""

from __future__ import annotations

import random
from datetime import date

import pytest

from app.screening.ownership import (
    CLEAR,
    RESTRICTED,
    REVIEW,
    Control,
    Holding,
    OwnershipGraph,
    Seed,
    evaluate,
)

TODAY = date(2026, 12, 6)


def h(owner: str, asset: str, pct: float | None, **kw: object) -> Holding:
    return Holding(f"{owner}>{asset}", owner, asset, pct, pct, **kw)  # type: ignore[arg-type]


def graph(holdings: list[Holding], listed: str = "X", regime: str = "ofac", **kw: object):
    seeds = [Seed(s, f"listed:test:{s}") for s in listed.split(",")]
    return OwnershipGraph(holdings, seeds=seeds, regime=regime, as_of=TODAY, **kw)  # type: ignore[arg-type]


# --- the four OFAC examples ---------------------------------------------------------------


def test_restricted_owner_passes_its_whole_stake_on() -> None:
    g = graph([h("X", "A", 50), h("A", "B", 50)])
    assert g.status("A") == RESTRICTED
    assert g.status("B") == RESTRICTED  # not "25 %"
    v = g.verdict("B")
    assert v.reasons == ("owned_by_restricted",)
    assert v.sum_pct == 50
    assert [[(s.owner, s.asset, s.pct) for s in p] for p in v.paths] == [
        [("X", "A", "50 %"), ("A", "B", "50 %")]
    ]


def test_stakes_of_several_restricted_owners_add_up() -> None:
    g = graph([h("X", "A", 50), h("X", "B", 50), h("A", "C", 25), h("B", "C", 25)])
    v = g.verdict("C")
    assert v.status == RESTRICTED
    assert v.sum_pct == 50
    assert {c.owner for c in v.contributions} == {"A", "B"}
    assert len(v.paths) == 2


def test_direct_and_indirect_stakes_add_up() -> None:
    g = graph([h("X", "A", 50), h("X", "B", 10), h("A", "B", 40)])
    v = g.verdict("B")
    assert v.status == RESTRICTED
    assert v.sum_pct == 50
    assert {(c.owner, c.pct) for c in v.contributions} == {("X", 10), ("A", 40)}


def test_stakes_through_unrestricted_entities_do_not_count() -> None:
    g = graph([h("X", "A", 25), h("X", "B", 25), h("A", "C", 50), h("B", "C", 50)])
    assert g.status("A") == REVIEW  # a 25 % stake by a listed party: minority, review
    assert g.status("B") == REVIEW
    assert g.status("C") == CLEAR


def test_just_below_threshold_is_not_restricted() -> None:
    g = graph([h("X", "A", 49.99)])
    assert g.status("A") == REVIEW  # 25-49 % by a restricted owner: review, not restricted
    assert g.verdict("A").reasons == ("minority_stake_by_restricted",)
    assert graph([h("X", "A", 24.9)]).status("A") == CLEAR


# --- EU and UK ----------------------------------------------------------------------------


def test_eu_aggregates_listed_owners() -> None:
    holdings = [h("X", "C", 30), h("Y", "C", 25)]
    assert graph(holdings, listed="X,Y", regime="eu").status("C") == RESTRICTED
    assert graph(holdings, listed="X,Y", regime="ofac").status("C") == RESTRICTED


def test_uk_does_not_aggregate_different_listed_owners() -> None:
    holdings = [h("X", "C", 30), h("Y", "C", 25)]
    g = graph(holdings, listed="X,Y", regime="uk")
    assert g.status("C") == REVIEW  # 55 % by listed parties together: review, not restricted
    assert g.verdict("C").reasons == ("minority_stake_by_restricted",)


def test_uk_needs_more_than_half() -> None:
    assert graph([h("X", "A", 50)], regime="uk").status("A") == REVIEW
    assert graph([h("X", "A", 50.5)], regime="uk").status("A") == RESTRICTED
    assert graph([h("X", "A", 50)], regime="eu").status("A") == RESTRICTED


def test_uk_sums_one_listed_owner_direct_and_through_its_companies() -> None:
    holdings = [h("X", "A", 60), h("X", "C", 30), h("A", "C", 30)]
    g = graph(holdings, regime="uk")
    assert g.status("C") == RESTRICTED
    assert g.verdict("C").sum_pct == 60


def test_uk_does_not_mix_two_owners_chains() -> None:
    holdings = [h("X", "A", 60), h("Y", "B", 60), h("A", "C", 30), h("B", "C", 30)]
    assert graph(holdings, listed="X,Y", regime="uk").status("C") == REVIEW
    assert graph(holdings, listed="X,Y", regime="ofac").status("C") == RESTRICTED


# --- cycles ---------------------------------------------------------------------------------


def test_cycle_terminates_and_restricts_through_it() -> None:
    holdings = [h("X", "A", 50), h("A", "B", 60), h("B", "A", 30), h("B", "C", 51)]
    g = graph(holdings)
    assert g.status("A") == RESTRICTED
    assert g.status("B") == RESTRICTED
    assert g.status("C") == RESTRICTED
    # the explanation follows simple paths only
    for path in g.verdict("C").paths:
        nodes = [path[0].owner] + [s.asset for s in path]
        assert len(nodes) == len(set(nodes))


def test_cycle_without_a_listed_entry_stays_clear() -> None:
    g = graph([h("A", "B", 100), h("B", "A", 100), h("X", "Z", 10)])
    assert g.status("A") == CLEAR
    assert g.status("B") == CLEAR


def test_cycle_does_not_restrict_itself() -> None:
    # A and B own each other 60 %; X holds 40 % of A: A is not restricted by its own loop
    g = graph([h("X", "A", 40), h("A", "B", 60), h("B", "A", 60)])
    assert g.status("A") == REVIEW
    assert g.status("B") == CLEAR


# --- unknown and ranged percentages; ended holdings ---------------------------------------


def test_unknown_percentage_goes_to_review_never_zero() -> None:
    g = graph([h("X", "A", 50), h("A", "B", None)])
    v = g.verdict("B")
    assert v.status == REVIEW
    assert v.reasons == ("ownership_unknown",)
    assert v.sum_pct == 100
    assert v.paths[0][-1].pct == "unknown %"


def test_unknown_stake_through_two_holding_companies() -> None:
    holdings = [h("X", "H1", 100), h("H1", "H2", 60), h("H2", "T", 55)]
    assert graph(holdings).status("T") == RESTRICTED
    holdings[1] = h("H1", "H2", None)
    g = graph(holdings)
    assert g.status("H2") == REVIEW
    assert g.status("T") == REVIEW  # possibly restricted, downstream of the unknown
    assert g.verdict("T").reasons == ("ownership_unknown",)


def test_range_uses_minimum_for_restricted_and_maximum_for_review() -> None:
    ranged = Holding("r", "X", "A", 75, 100)
    assert graph([ranged]).status("A") == RESTRICTED
    maybe = Holding("r", "X", "A", 25, 60)
    assert graph([maybe]).status("A") == REVIEW
    assert graph([maybe]).verdict("A").reasons == ("ownership_unknown",)
    below = Holding("r", "X", "A", 10, 40)
    assert graph([below]).status("A") == CLEAR  # at most 40 %, at least 10 %: neither


def test_ended_holdings_do_not_count() -> None:
    ended = h("X", "A", 100, end=date(2025, 1, 31))
    assert graph([ended]).status("A") == CLEAR
    ongoing = h("X", "A", 100, end=date(2030, 1, 1))
    assert graph([ongoing]).status("A") == RESTRICTED
    future = h("X", "A", 100, start=date(2027, 1, 1))
    assert graph([future]).status("A") == CLEAR


def test_bad_percentages_are_refused() -> None:
    with pytest.raises(ValueError):
        Holding("a", "X", "A", 60, 40)
    with pytest.raises(ValueError):
        Holding("a", "X", "A", 120, 120)


# --- control ------------------------------------------------------------------------------


def test_control_without_ownership_is_review_not_restriction() -> None:
    g = OwnershipGraph(
        [h("X", "A", 10)],
        [Control("c1", "X", "A", "board_appointment")],
        [Seed("X", "listed:test:X")],
        as_of=TODAY,
    )
    v = g.verdict("A")
    assert v.status == REVIEW
    assert v.reasons == ("controlled_by_restricted",)
    assert v.controls == ("c1",)


def test_control_by_unlisted_person_is_clear() -> None:
    g = OwnershipGraph([], [Control("c1", "P", "A")], [Seed("X", "listed")], as_of=TODAY)
    assert g.status("A") == CLEAR


def test_evaluate_lists_only_flagged_entities() -> None:
    out = evaluate(
        [h("X", "A", 50), h("A", "B", 10), h("Q", "R", 90)],
        [Seed("X", "listed:test:X")],
        as_of=TODAY,
    )
    assert set(out) == {"X", "A"}
    assert out["X"].reasons == ("listed",)
    assert out["X"].seed_reasons == ("listed:test:X",)


# --- incremental recompute agrees with the full one --------------------------------------------


def _random_graph(rng: random.Random, n_nodes: int, n_edges: int) -> list[Holding]:
    out = []
    for i in range(n_edges):
        a, b = rng.randrange(n_nodes), rng.randrange(n_nodes)
        pct: float | None = rng.choice([None, 10.0, 25.0, 30.0, 50.0, 60.0, 100.0])
        if rng.random() < 0.1:
            out.append(Holding(f"e{i}", f"n{a}", f"n{b}", 20.0, 70.0))
        else:
            out.append(Holding(f"e{i}", f"n{a}", f"n{b}", pct, pct))
    return out


@pytest.mark.parametrize("regime", ["ofac", "uk"])
def test_incremental_updates_match_full_recompute(regime: str) -> None:
    rng = random.Random(7)
    holdings = _random_graph(rng, 60, 120)
    seeds = [Seed("n0", "s"), Seed("n1", "s"), Seed("n2", "s")]
    g = OwnershipGraph(holdings, seeds=seeds, regime=regime, as_of=TODAY)
    g.compute()
    for step in range(150):
        before = {e: g.status(e) for e in g.entities()}
        if step % 3 == 0 and g.holdings:
            changed = g.remove_holding(rng.choice(sorted(g.holdings)))
        else:
            new = _random_graph(rng, 60, 1)[0]
            new = Holding(f"x{step}", new.owner, new.asset, new.min_pct, new.max_pct)
            changed = g.put_holding(new)
        fresh = OwnershipGraph(g.holdings.values(), seeds=seeds, regime=regime, as_of=TODAY)
        entities = g.entities() | fresh.entities()
        assert {e: g.status(e) for e in entities} == {e: fresh.status(e) for e in entities}
        assert changed == {e for e in entities if before.get(e, CLEAR) != g.status(e)}


def test_seed_change_is_incremental_too() -> None:
    g = graph([h("X", "A", 50), h("Y", "B", 60), h("B", "C", 50)])
    assert g.status("C") == CLEAR
    changed = g.set_seeds([Seed("X", "l"), Seed("Y", "l")])
    assert changed == {"Y", "B", "C"}
    assert g.status("C") == RESTRICTED
    assert g.set_seeds([Seed("Y", "l")]) == {"X", "A"}
