"""TemplateIndex: exact radius search, group exclusion, growth and swap-with-last removal."""

from __future__ import annotations

import numpy as np
import pytest

from app.vision.faces import IndexHit, TemplateIndex


def _templates(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.normal(0.0, 1.0, size=(n, 128)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _brute_force(
    vectors: dict[str, tuple[str, np.ndarray]],
    query: np.ndarray,
    radius: float,
    exclude: str | None,
) -> list[str]:
    hits = []
    for key, (group, vec) in vectors.items():
        d = float(np.linalg.norm(vec.astype(np.float64) - query.astype(np.float64)))
        if d <= radius and group != exclude:
            hits.append((d, key))
    return [k for _, k in sorted(hits)]


def test_search_matches_brute_force_through_growth_and_removal() -> None:
    rng = np.random.default_rng(1)
    base = _templates(300)
    index = TemplateIndex(initial_capacity=4)
    stored: dict[str, tuple[str, np.ndarray]] = {}
    for i, vec in enumerate(base):
        key, group = f"k{i}", f"acct{i % 37}"
        index.add(key, group, vec)
        stored[key] = (group, vec)
    assert len(index) == 300
    assert index.capacity >= 300
    for key in [f"k{i}" for i in rng.choice(300, size=120, replace=False)]:
        index.remove(key)
        del stored[key]
    assert len(index) == 180
    for trial in range(20):
        query = base[int(rng.integers(0, 300))] + rng.normal(0, 0.03, 128).astype(np.float32)
        exclude = f"acct{trial % 37}" if trial % 2 else None
        hits = index.search(query, max_distance=1.3, exclude_group=exclude, limit=500)
        expected = _brute_force(stored, query, 1.3, exclude)
        assert [h.key for h in hits] == expected
        for hit in hits:
            assert hit.group == stored[hit.key][0]
            assert hit.group != exclude


def test_planted_duplicate_found_and_own_account_excluded() -> None:
    base = _templates(1000, seed=2)
    index = TemplateIndex()
    for i, vec in enumerate(base):
        index.add(f"k{i}", f"acct{i}", vec)
    probe = base[500] + np.float32(0.01)
    hits = index.search(probe, max_distance=0.5, exclude_group=None)
    assert hits and hits[0].key == "k500" and hits[0].group == "acct500"
    assert hits[0].distance == pytest.approx(float(np.linalg.norm(probe - base[500])), abs=1e-5)
    assert index.search(probe, max_distance=0.5, exclude_group="acct500") == []


def test_limit_orders_nearest_first() -> None:
    index = TemplateIndex()
    origin = np.zeros(128, dtype=np.float32)
    for i in range(10):
        vec = origin.copy()
        vec[0] = 0.05 * (10 - i)
        index.add(f"k{i}", "g", vec)
    hits = index.search(origin, max_distance=1.0, limit=3)
    assert [h.key for h in hits] == ["k9", "k8", "k7"]
    assert hits == sorted(hits, key=lambda h: h.distance)
    assert all(isinstance(h, IndexHit) for h in hits)
    assert index.search(origin, max_distance=1.0, limit=0) == []


def test_radius_boundary_is_inclusive_and_exact() -> None:
    index = TemplateIndex()
    origin = np.zeros(128, dtype=np.float32)
    near, far = origin.copy(), origin.copy()
    near[3], far[3] = 0.5, 0.5002
    index.add("near", "a", near)
    index.add("far", "b", far)
    assert [h.key for h in index.search(origin, max_distance=0.5)] == ["near"]


def test_readding_a_key_replaces_it_and_remove_unknown_raises() -> None:
    index = TemplateIndex()
    a, b = _templates(2, seed=5)
    index.add("x", "g1", a)
    index.add("x", "g2", b)
    assert len(index) == 1
    hits = index.search(b, max_distance=0.01)
    assert [(h.key, h.group) for h in hits] == [("x", "g2")]
    index.remove("x")
    assert len(index) == 0 and "x" not in index
    assert index.search(b, max_distance=2.0) == []
    with pytest.raises(KeyError):
        index.remove("x")


def test_bad_templates_are_rejected() -> None:
    index = TemplateIndex()
    with pytest.raises(ValueError):
        index.add("k", "g", np.zeros(64, dtype=np.float32))
    with pytest.raises(ValueError):
        index.add("k", "g", np.full(128, np.inf, dtype=np.float32))
    with pytest.raises(ValueError):
        index.search(np.zeros(128, dtype=np.float32), max_distance=-1.0)


def test_add_many_equals_one_by_one() -> None:
    vectors = _templates(50, seed=9)
    keys = [f"k{i}" for i in range(50)]
    groups = [f"g{i % 7}" for i in range(50)]
    bulk, single = TemplateIndex(initial_capacity=2), TemplateIndex(initial_capacity=2)
    bulk.add_many(keys[:30], groups[:30], vectors[:30])
    bulk.add_many(keys[30:], groups[30:], vectors[30:])
    for key, group, vec in zip(keys, groups, vectors, strict=True):
        single.add(key, group, vec)
    assert len(bulk) == len(single) == 50
    for probe in vectors[::5]:
        assert bulk.search(probe, max_distance=1.4, exclude_group="g3", limit=50) == single.search(
            probe, max_distance=1.4, exclude_group="g3", limit=50
        )
    # repeats fall back to replace semantics
    bulk.add_many(["k0", "k0"], ["g9", "g8"], vectors[:2])
    assert len(bulk) == 50
    hits = bulk.search(vectors[1], max_distance=0.01)
    assert sorted((h.key, h.group) for h in hits) == [("k0", "g8"), ("k1", "g1")]
    with pytest.raises(ValueError):
        bulk.add_many(["a"], ["b", "c"], vectors[:1])
    with pytest.raises(ValueError):
        bulk.add_many(["a"], ["b"], vectors[:1, :64])


def test_iterating_yields_the_stored_keys_and_tolerates_removal() -> None:
    index = TemplateIndex(dim=4, initial_capacity=2)
    for key in ("a", "b", "c"):
        index.add(key, "g", np.ones(4, dtype=np.float32))
    for key in index:  # iterates over a copy
        if key != "b":
            index.remove(key)
    assert list(index) == ["b"] and len(index) == 1
