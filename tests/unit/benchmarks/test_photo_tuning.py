"""Fine-tuning the soft networks on reader-cut lines of generated photos (photo_tuning.py)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from app.vision.document import glyph_training, ocr_types, rectify
from app.vision.document.glyphnet import GAP, load_glyphnet
from app.vision.document.glyphs import MRZ_CHARSET
from benchmarks import photo_tuning
from benchmarks.synth.documents import REFERENCE_DATE, SyntheticDocument, generate_document


@cache
def _soft_photo() -> SyntheticDocument:
    # A TD2 of a tuning seed whose two lines are soft (stroke sharpness about 0.35).
    return generate_document(9001, "hard", 1)


@pytest.mark.parametrize(
    ("read", "truth", "agreement"),
    [
        ("P<UTOERIKSSON", "P<UTOERIKSSON", 1.0),
        ("P<UTOFRIKSSON", "P<UTOERIKSSON", 12 / 13),
        ("<UTOERIKSSON<", "P<UTOERIKSSON", 1 / 13),  # a lattice one cell off
        ("P<UTOERIKSSO", "P<UTOERIKSSON", 0.0),  # another cell count
        ("", "", 0.0),
    ],
)
def test_line_agreement_is_the_share_of_cells_read_right(
    read: str, truth: str, agreement: float
) -> None:
    assert photo_tuning.line_agreement(read, truth) == pytest.approx(agreement)


def test_soft_lines_of_a_photo_are_harvested_with_their_true_text() -> None:
    doc = _soft_photo()
    truth = doc.truth_json()["mrz"]
    lines = photo_tuning.harvest_image(doc.image, truth, "t9001/hard_0001", REFERENCE_DATE)
    assert [line.text for line in lines] == truth
    for index, line in enumerate(lines):
        assert line.source == f"t9001/hard_0001/{index}"
        assert line.sharpness < ocr_types.OcrParams().soft_network_below
        assert line.agreement >= photo_tuning.MIN_AGREEMENT
        assert len(line.centres) == len(line.text)
        # The centres lie on the strip, a pitch apart, inside the reader's margins.
        assert np.all(np.diff(line.centres) > 0.8 * rectify._RECT_PITCH)
        assert line.centres[0] > 0 and line.centres[-1] < line.strip.shape[1]


def test_a_truth_that_does_not_fit_the_cells_harvests_nothing() -> None:
    doc = _soft_photo()
    # The true lines moved by one cell: the reader's lattice no longer sits on them.
    slipped = [line[1:] + "<" for line in doc.truth_json()["mrz"]]
    assert photo_tuning.harvest_image(doc.image, slipped, "x", REFERENCE_DATE) == []


def test_photo_windows_label_each_cell_with_its_true_character() -> None:
    doc = _soft_photo()
    lines = photo_tuning.harvest_image(
        doc.image, doc.truth_json()["mrz"], "t9001/hard_0001", REFERENCE_DATE
    )
    features, labels = photo_tuning.photo_windows(lines, context=1.0, passes=2, seed=1)
    glyphs = labels[labels != GAP]
    one_pass = [MRZ_CHARSET.index(char) for line in lines for char in line.text]
    assert glyphs.tolist() == one_pass * 2
    assert features.shape == (len(labels), load_glyphnet("soft").w1.shape[0])
    wide, _ = photo_tuning.photo_windows(lines, context=2.8, passes=1, seed=1)
    assert wide.shape[1] == load_glyphnet("soft-wide").w1.shape[0]


def test_photos_of_a_benchmark_seed_are_refused(tmp_path: Path) -> None:
    (tmp_path / "truth.json").write_text(json.dumps({"seed": 7, "documents": []}))
    with pytest.raises(SystemExit, match="not a tuning seed"):
        list(photo_tuning.photographs([tmp_path]))
    assert 7 not in photo_tuning.TUNING_SEEDS and 202 not in photo_tuning.TUNING_SEEDS
    assert photo_tuning.HELD_OUT_SEED in photo_tuning.TUNING_SEEDS


def test_the_reader_uses_the_photo_tuned_pair_built_on_the_rendered_one() -> None:
    assert ocr_types.OcrParams().soft_networks == ("soft-photo", "soft-wide-photo")
    for kind, tuned_kind in photo_tuning.TUNED_KINDS.items():
        rendered, tuned = load_glyphnet(kind), load_glyphnet(tuned_kind)
        assert tuned.version == photo_tuning.tuned_version(kind)
        assert tuned.context == rendered.context == glyph_training.KINDS[kind].context
        assert tuned.w1.shape == rendered.w1.shape
        assert not np.array_equal(tuned.w1, rendered.w1)
