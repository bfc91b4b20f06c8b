"""The fallback lattice repairs in ocr.py, on a real specimen's rectified lines."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from app.vision.document import ocr


def _first_group(path: Path) -> tuple[np.ndarray, list[ocr._Chain], float]:
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    params = ocr.OcrParams()
    scale = float(np.clip(params.work_max_side / max(gray.shape), 0.5, 6.0))
    work = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    groups = ocr._group_lines(ocr._chains(ocr._components(work), params.min_chain))
    groups.sort(key=lambda g: -sum(len(c.idx) for c in g))
    return gray, groups[0], scale


def test_common_extent_gives_every_line_the_group_span(shared_data: Path) -> None:
    _, group, _ = _first_group(shared_data / "documents" / "passport-td3.jpg")
    short = [ocr.replace(group[0], left=group[0].left + 50.0), group[1]]
    common = ocr._common_extent(short)
    assert {c.left for c in common} == {min(c.left for c in short)}
    assert {c.right for c in common} == {max(c.right for c in short)}


def test_lattice_one_cell_off_is_moved_back(shared_data: Path) -> None:
    gray, group, scale = _first_group(shared_data / "documents" / "passport-td3.jpg")
    line = ocr._rectify(gray, group[1], 44, scale)
    ink = ocr._ink(line.strip)
    centres = ocr._cell_centres(ink[slice(*ocr._band(ink))].sum(axis=0), 44)
    params = ocr.OcrParams()
    right_scores = ocr._classify_cells(ocr._cell_features(ink, centres))
    pitch = float(np.median(np.diff(centres)))
    off = centres + pitch  # first glyph lost, last cell in the blank margin
    off_scores = ocr._classify_cells(ocr._cell_features(ink, off))
    assert off_scores.max(axis=1)[-1] < params.lattice_end_score
    scores, moved = ocr._best_lattice_shift(ink, off, off_scores, params)
    np.testing.assert_allclose(moved, centres)
    np.testing.assert_array_equal(scores.argmax(axis=1), right_scores.argmax(axis=1))
    # A lattice that is right stays where it is.
    _, kept = ocr._best_lattice_shift(ink, centres, right_scores, params)
    np.testing.assert_allclose(kept, centres)
