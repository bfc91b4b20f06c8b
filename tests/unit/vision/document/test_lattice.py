"""The lattice programme (lattice.py) on glyph evidence made up for the purpose."""

from __future__ import annotations

import numpy as np

from app.vision.document import lattice
from app.vision.document.ocr_types import OcrParams

PARAMS = OcrParams()


def _evidence(centres: np.ndarray, width: int) -> np.ndarray:
    """Glyph evidence along a strip: high (0) at ``centres``, low (-6) elsewhere."""
    glyphness = np.full(width, -6.0)
    glyphness[np.round(centres).astype(int)] = 0.0
    return glyphness


def test_the_lattice_follows_a_pitch_that_changes_slowly() -> None:
    # Perspective: the pitch grows from 24 to 27 px along a line of 44 cells.
    steps = np.linspace(24.0, 27.0, 43)
    centres = np.concatenate([[60.0], 60.0 + np.cumsum(steps)])
    glyphness = _evidence(centres, int(centres[-1]) + 80)
    placed = lattice._lattice_dp(glyphness, 44, 25.5, PARAMS, 1)
    assert placed is not None
    assert np.abs(placed - np.round(centres)).max() <= 1


def test_no_lattice_when_the_strip_is_too_short_for_the_cells() -> None:
    glyphness = np.zeros(200)
    assert lattice._lattice_dp(glyphness, 30, 24.0, PARAMS, 1) is None


def test_a_stray_mark_between_cells_does_not_pull_the_lattice() -> None:
    centres = 40.0 + 24.0 * np.arange(30)
    glyphness = _evidence(centres, int(centres[-1]) + 60)
    glyphness[int(centres[10] + 12)] = 0.0  # a mark half a pitch after cell 10
    placed = lattice._lattice_dp(glyphness, 30, 24.0, PARAMS, 1)
    assert placed is not None
    assert np.array_equal(placed, centres)
