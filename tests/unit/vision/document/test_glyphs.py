"""The OCR-B template set that ships with the package (``ocr-b-templates.npz``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.vision.document import glyphs


def test_shipped_templates_equal_a_fresh_rendering_of_the_font() -> None:
    shipped = glyphs.read_templates()
    assert shipped is not None, "run: uv run python -m app.vision.document.glyphs"
    try:
        rendered = glyphs.build_templates()
    except glyphs.GlyphFontMissing:
        pytest.skip("fonts-ocr-b is not installed")
    assert np.array_equal(shipped.features, rendered.features)
    assert np.array_equal(shipped.labels, rendered.labels)


def test_a_missing_or_foreign_file_is_not_used(tmp_path: Path) -> None:
    assert glyphs.read_templates(tmp_path / "none.npz") is None
    wrong = tmp_path / "wrong.npz"
    np.savez_compressed(wrong, features=np.zeros((4, 7), np.float32), labels=np.zeros(4))
    assert glyphs.read_templates(wrong) is None
    ok = tmp_path / "ok.npz"
    features = np.ones((2, glyphs.FEATURE_DIM), np.float32)
    glyphs.save_templates(glyphs.GlyphTemplates(features, np.array([0, 36], np.int32)), ok)
    loaded = glyphs.read_templates(ok)
    assert loaded is not None and loaded.labels.tolist() == [0, 36]
