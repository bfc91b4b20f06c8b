"""The common-extent fallback in ocr.py, on a real specimen's rectified lines."""

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
