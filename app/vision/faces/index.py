"""Exact 1:N search over face templates, in memory.

Templates live in one preallocated float32 matrix that doubles when full; removal swaps
the last row into the hole, so add and remove are O(1) amortised. A query computes squared
distances chunk by chunk as ``|q|^2 + |x|^2 - 2 x.q`` (one matrix-vector product per chunk),
keeps rows under the radius outside the excluded group, and re-measures the survivors
exactly in float64. The plan beyond one machine's memory is docs/duplicates-at-scale.md.

Not thread-safe: a caller sharing an index across threads must serialise writes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from app.vision.faces.types import ENCODING_DIM

_INITIAL_CAPACITY = 1024
_CHUNK_ROWS = 131_072  # 64 MiB of float32 templates per matrix-vector product
# float32 cancellation in |q|^2 + |x|^2 - 2 x.q is ~1e-6 for norms near 1; widen the
# prefilter radius a little so the exact float64 re-measure decides borderline rows.
_PREFILTER_SLACK = 1e-3
_NO_GROUP = -1


@dataclass(frozen=True)
class IndexHit:
    """A stored template within the search radius."""

    key: str
    group: str
    distance: float


class TemplateIndex:
    """1:N search over face templates.

    group = the account id; hits in the excluded group (the applicant's own) are skipped.
    """

    def __init__(self, dim: int = ENCODING_DIM, initial_capacity: int = _INITIAL_CAPACITY) -> None:
        if dim < 1 or initial_capacity < 1:
            raise ValueError("dim and initial_capacity must be positive")
        self._dim = dim
        self._vectors = np.zeros((initial_capacity, dim), dtype=np.float32)
        self._sq_norms = np.zeros(initial_capacity, dtype=np.float32)
        self._group_ids = np.full(initial_capacity, _NO_GROUP, dtype=np.int32)
        self._keys: list[str] = []
        self._row_of: dict[str, int] = {}
        self._group_id_of: dict[str, int] = {}
        self._group_names: list[str] = []

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._row_of

    def __iter__(self) -> Iterator[str]:
        """The keys stored, in no particular order (over a copy: removing while iterating
        is safe)."""
        return iter(list(self._keys))

    @property
    def capacity(self) -> int:
        """Rows allocated (grows by doubling)."""
        return int(self._vectors.shape[0])

    def _check_vector(self, encoding: np.ndarray) -> np.ndarray:
        vector = np.asarray(encoding, dtype=np.float32).reshape(-1)
        if vector.shape != (self._dim,):
            raise ValueError(f"template must have {self._dim} values, got {vector.size}")
        if not np.all(np.isfinite(vector)):
            raise ValueError("template must be finite")
        return vector

    def _group_id(self, group: str) -> int:
        found = self._group_id_of.get(group)
        if found is None:
            found = len(self._group_names)
            self._group_id_of[group] = found
            self._group_names.append(group)
        return found

    def _grow(self) -> None:
        new_capacity = self.capacity * 2
        vectors = np.zeros((new_capacity, self._dim), dtype=np.float32)
        vectors[: len(self)] = self._vectors[: len(self)]
        sq_norms = np.zeros(new_capacity, dtype=np.float32)
        sq_norms[: len(self)] = self._sq_norms[: len(self)]
        group_ids = np.full(new_capacity, _NO_GROUP, dtype=np.int32)
        group_ids[: len(self)] = self._group_ids[: len(self)]
        self._vectors, self._sq_norms, self._group_ids = vectors, sq_norms, group_ids

    def add(self, key: str, group: str, encoding: np.ndarray) -> None:
        """Store a template under a unique key (re-adding a key replaces its template)."""
        vector = self._check_vector(encoding)
        row = self._row_of.get(key)
        if row is None:
            if len(self) == self.capacity:
                self._grow()
            row = len(self)
            self._keys.append(key)
            self._row_of[key] = row
        self._vectors[row] = vector
        self._sq_norms[row] = float(np.dot(vector.astype(np.float64), vector))
        self._group_ids[row] = self._group_id(group)

    def add_many(self, keys: Sequence[str], groups: Sequence[str], encodings: np.ndarray) -> None:
        """Bulk ``add`` (e.g. loading every stored template when a worker starts)."""
        matrix = np.asarray(encodings, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[1] != self._dim:
            raise ValueError(f"encodings must be (n, {self._dim}), got {matrix.shape}")
        if not len(keys) == len(groups) == matrix.shape[0]:
            raise ValueError("keys, groups and encodings must have the same length")
        if not np.all(np.isfinite(matrix)):
            raise ValueError("templates must be finite")
        if len(set(keys)) != len(keys) or any(key in self._row_of for key in keys):
            # replacements and in-batch repeats keep add()'s one-by-one semantics
            for key, group, vector in zip(keys, groups, matrix, strict=True):
                self.add(key, group, vector)
            return
        while self.capacity < len(self) + len(keys):
            self._grow()
        start, stop = len(self), len(self) + len(keys)
        self._vectors[start:stop] = matrix
        self._sq_norms[start:stop] = np.einsum(
            "ij,ij->i", matrix.astype(np.float64), matrix.astype(np.float64)
        )
        self._group_ids[start:stop] = [self._group_id(g) for g in groups]
        for offset, key in enumerate(keys):
            self._row_of[key] = start + offset
        self._keys.extend(keys)

    def remove(self, key: str) -> None:
        """Forget a template (KeyError if absent); the last row moves into its place."""
        row = self._row_of.pop(key)
        last = len(self) - 1
        if row != last:
            moved_key = self._keys[last]
            self._vectors[row] = self._vectors[last]
            self._sq_norms[row] = self._sq_norms[last]
            self._group_ids[row] = self._group_ids[last]
            self._keys[row] = moved_key
            self._row_of[moved_key] = row
        self._keys.pop()
        self._vectors[last] = 0.0
        self._sq_norms[last] = 0.0
        self._group_ids[last] = _NO_GROUP

    def search(
        self,
        encoding: np.ndarray,
        *,
        max_distance: float,
        exclude_group: str | None = None,
        limit: int = 10,
    ) -> list[IndexHit]:
        """Templates within ``max_distance`` of the query, nearest first, at most ``limit``.

        Templates whose group equals ``exclude_group`` (the applicant's own account) are
        left out. The search is exact: every stored template is measured.
        """
        if max_distance < 0:
            raise ValueError("max_distance must be >= 0")
        if limit < 1:
            return []
        query = self._check_vector(encoding)
        count = len(self)
        if count == 0:
            return []
        excluded_id = self._group_id_of.get(exclude_group, None) if exclude_group else None
        query_sq = float(np.dot(query.astype(np.float64), query))
        radius_sq = (max_distance + _PREFILTER_SLACK) ** 2

        candidate_rows: list[np.ndarray] = []
        for start in range(0, count, _CHUNK_ROWS):
            stop = min(start + _CHUNK_ROWS, count)
            # |x|^2 - 2 x.q  <  r^2 - |q|^2   (the query norm is constant across rows)
            partial = self._vectors[start:stop] @ (-2.0 * query)
            partial += self._sq_norms[start:stop]
            rows = np.flatnonzero(partial < radius_sq - query_sq)
            if rows.size == 0:
                continue
            rows += start
            if excluded_id is not None:
                rows = rows[self._group_ids[rows] != excluded_id]
            if rows.size:
                candidate_rows.append(rows)
        if not candidate_rows:
            return []

        rows = np.concatenate(candidate_rows)
        diffs = self._vectors[rows].astype(np.float64) - query.astype(np.float64)
        distances = np.sqrt(np.einsum("ij,ij->i", diffs, diffs))
        keep = distances <= max_distance
        rows, distances = rows[keep], distances[keep]
        order = np.argsort(distances, kind="stable")[:limit]
        return [
            IndexHit(
                key=self._keys[int(rows[i])],
                group=self._group_names[int(self._group_ids[rows[i]])],
                distance=float(distances[i]),
            )
            for i in order
        ]
