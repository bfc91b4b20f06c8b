"""The common-extent fallback of the line finding (line_finding.py), on a real
specimen's rectified lines."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from app.vision.document import line_finding, ocr_types


def _first_group(path: Path) -> tuple[np.ndarray, list[ocr_types._Chain], float]:
    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    params = ocr_types.OcrParams()
    scale = float(np.clip(params.work_max_side / max(gray.shape), 0.5, 6.0))
    work = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    groups = line_finding._group_lines(
        line_finding._chains(line_finding._components(work), params.min_chain)
    )
    groups.sort(key=lambda g: -sum(len(c.idx) for c in g))
    return gray, groups[0], scale


def test_common_extent_gives_every_line_the_group_span(shared_data: Path) -> None:
    _, group, _ = _first_group(shared_data / "documents" / "passport-td3.jpg")
    short = [replace(group[0], left=group[0].left + 50.0), group[1]]
    common = line_finding._common_extent(short)
    assert {c.left for c in common} == {min(c.left for c in short)}
    assert {c.right for c in common} == {max(c.right for c in short)}
