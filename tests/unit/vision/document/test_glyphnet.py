"""The trained MRZ cell classifier and the lattice it places (glyphnet.py, cells.py,
lattice.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from app.vision.document import cells, glyph_training, lattice, ocr_types, rectify
from app.vision.document.glyphnet import (
    GAP,
    N_CLASSES,
    GlyphNet,
    GlyphNetMissing,
    _read,
    load_glyphnet,
    save_glyphnet,
    window_shape,
)
from app.vision.document.glyphs import MRZ_CHARSET, to_feature

PARAMS = ocr_types.OcrParams()


def _rendered(seed: int, text: str) -> glyph_training.RenderedLine:
    return glyph_training.render_line(text, np.random.default_rng(seed))


def _place_and_read(line: glyph_training.RenderedLine) -> tuple[np.ndarray, str]:
    ink = rectify._ink(line.strip)
    # The reader's own pitch estimate, as in ocr._read_group.
    rough = lattice._cell_centres(ink[slice(*rectify._band(ink))].sum(axis=0), len(line.text))
    pitch = float(np.median(np.diff(rough)))
    table = cells._net_table(ink, pitch)
    centres = lattice._lattice_by_net(table, len(line.text), pitch, PARAMS)
    assert centres is not None
    scores = cells._net_scores(table, centres)
    return centres, "".join(MRZ_CHARSET[int(k)] for k in scores.argmax(axis=1))


def test_shipped_weights_load_and_fit_the_charset() -> None:
    net = load_glyphnet()
    assert net.version.startswith("glyphnet-")
    probs = np.exp(net.log_probs(np.zeros((2, net.w1.shape[0]), np.float32)))
    assert probs.shape == (2, len(MRZ_CHARSET) + 1)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-4)


def test_missing_or_foreign_weights_are_refused(tmp_path: Path) -> None:
    with pytest.raises(GlyphNetMissing):
        _read(tmp_path / "absent.npz")
    net = load_glyphnet()
    wrong = type(net)(net.w1[:10], net.b1, net.w2, net.b2, net.version)
    save_glyphnet(wrong, tmp_path / "wrong.npz")
    with pytest.raises(GlyphNetMissing):
        _read(tmp_path / "wrong.npz")


@pytest.mark.parametrize("seed", range(6))
def test_lattice_lands_on_the_glyphs_and_reads_them(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    text = glyph_training._random_text(rng)
    line = glyph_training.render_line(text, rng)
    centres, read = _place_and_read(line)
    pitch = float(np.median(np.diff(line.centres)))
    assert np.abs(centres - line.centres).max() < 0.3 * pitch
    # Rendered lines include heavy degradations; most cells still read right.
    assert sum(a == b for a, b in zip(read, text, strict=True)) >= 0.9 * len(text)


def test_a_dark_page_edge_before_the_line_is_not_taken_for_a_cell() -> None:
    text = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<"
    line = _rendered(7, text)
    strip = line.strip.copy()
    pitch = float(np.median(np.diff(line.centres)))
    edge = int(line.centres[0] - 1.2 * pitch)
    strip[:, :edge] = 30  # the desk beyond the page, right before the first glyph
    centres, read = _place_and_read(glyph_training.RenderedLine(strip, line.centres, text))
    assert abs(centres[0] - line.centres[0]) < 0.3 * pitch
    assert read.endswith("<<<<<")


def test_gap_windows_are_recognised_between_glyphs() -> None:
    line = _rendered(3, "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
    ink = rectify._ink(line.strip)
    pitch = float(np.median(np.diff(line.centres)))
    table = cells._net_table(ink, pitch)
    between = ((line.centres[:-1] + line.centres[1:]) / 2).astype(int)
    on = line.centres.astype(int)
    assert np.mean(table[between].argmax(axis=1) == GAP) > 0.9
    assert np.mean(table[on].argmax(axis=1) != GAP) > 0.95


def test_the_trainer_learns_from_a_few_rendered_lines() -> None:
    features, labels = glyph_training.make_dataset(150, seed=1)
    held_x, held_y = glyph_training.make_dataset(10, seed=2)
    epochs_done: list[int] = []
    net = glyph_training.train(
        features, labels, epochs=6, seed=0, progress=lambda epoch, _: epochs_done.append(epoch)
    )
    glyph_accuracy, gap_accuracy = glyph_training.accuracy(net, held_x, held_y)
    assert glyph_accuracy > 0.3  # chance is 1 in 37
    assert gap_accuracy > 0.6
    assert epochs_done == [1, 2, 3, 4, 5, 6]  # progress after every epoch


def _train_by_the_textbook(
    features: np.ndarray, labels: np.ndarray, hidden: int, epochs: int, seed: int
) -> list[np.ndarray]:
    """The training step written plainly, a new array for every term: what the in-place
    ``glyph_training.train`` must compute (Adam, cosine decay, weight decay on w1)."""
    rng = np.random.default_rng(seed)
    dim, batch, lr = features.shape[1], 256, 2e-3
    params = [
        rng.normal(0, np.sqrt(2.0 / dim), (dim, hidden)),
        np.zeros(hidden),
        rng.normal(0, np.sqrt(1.0 / hidden), (hidden, N_CLASSES)),
        np.zeros(N_CLASSES),
    ]
    params = [p.astype(np.float32).astype(np.float64) for p in params]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    n, step = len(labels), 0
    total = epochs * ((n + batch - 1) // batch)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            x, y = features[idx].astype(np.float64), labels[idx]
            w1, b1, w2, b2 = params
            h_pre = x @ w1 + b1
            h = np.maximum(h_pre, 0)
            logits = h @ w2 + b2
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            p[np.arange(len(y)), y] -= 1.0
            g_logits = p / len(y)
            g_h = (g_logits @ w2.T) * (h_pre > 0)
            grads = [x.T @ g_h + 1e-5 * w1, g_h.sum(0), h.T @ g_logits, g_logits.sum(0)]
            step += 1
            rate = lr * 0.5 * (1 + np.cos(np.pi * step / total))
            for i, grad in enumerate(grads):
                m[i] = 0.9 * m[i] + 0.1 * grad
                v[i] = 0.999 * v[i] + 0.001 * grad**2
                m_hat, v_hat = m[i] / (1 - 0.9**step), v[i] / (1 - 0.999**step)
                params[i] = params[i] - rate * m_hat / (np.sqrt(v_hat) + 1e-8)
    return params


@pytest.mark.parametrize("feature_dtype", ["float32", "float16"])
def test_the_in_place_trainer_computes_the_textbook_step(feature_dtype: str) -> None:
    # 700-odd windows: two full batches and a short last one in each epoch.
    features, labels = glyph_training.make_dataset(9, seed=4, feature_dtype=feature_dtype)
    assert len(labels) % 256 != 0
    net = glyph_training.train(features, labels, hidden=32, epochs=3, seed=5)
    expected = _train_by_the_textbook(features, labels, hidden=32, epochs=3, seed=5)
    for got, want in zip((net.w1, net.b1, net.w2, net.b2), expected, strict=True):
        assert got.dtype == np.float32
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=2e-6)


def test_fine_tuning_starts_from_the_given_network_and_leaves_it_untouched() -> None:
    features, labels = glyph_training.make_dataset(9, seed=4)
    start = glyph_training.train(features, labels, hidden=16, epochs=1, seed=1)
    before = [w.copy() for w in (start.w1, start.b1, start.w2, start.b2)]
    # At a learning rate of zero the training keeps the initial weights exactly.
    frozen = glyph_training.train(features, labels, hidden=64, epochs=1, lr=0.0, initial=start)
    tuned = glyph_training.train(features, labels, hidden=64, epochs=2, seed=2, initial=start)
    for kept, moved, original, initial in zip(
        (frozen.w1, frozen.b1, frozen.w2, frozen.b2),
        (tuned.w1, tuned.b1, tuned.w2, tuned.b2),
        (start.w1, start.b1, start.w2, start.b2),
        before,
        strict=True,
    ):
        np.testing.assert_array_equal(kept, initial)
        assert moved.shape == initial.shape  # the initial network's size, not ``hidden``
        assert not np.array_equal(moved, initial)
        np.testing.assert_array_equal(original, initial)  # trained on a copy
    with pytest.raises(ValueError):
        glyph_training.train(features[:, :-1], labels, initial=start)


def test_features_held_in_float16_are_the_float32_ones_rounded() -> None:
    # The wide network's 40,000 training lines fit in memory only in half precision.
    full_x, full_y = glyph_training.make_dataset(12, seed=3, context=2.8)
    half_x, half_y = glyph_training.make_dataset(12, seed=3, context=2.8, feature_dtype="float16")
    assert half_x.dtype == np.float16 and full_x.dtype == np.float32
    assert full_x.shape == half_x.shape and full_x.shape[1] == np.prod(window_shape(2.8))
    assert np.array_equal(full_y, half_y)
    assert np.array_equal(full_x.astype(np.float16), half_x)
    # One line yields at most 44 glyph windows and 45 gap windows.
    assert len(full_y) <= 12 * 89


def _strip_at(y: float) -> rectify._LineStrip:
    return rectify._LineStrip(
        strip=np.zeros((53, 1400), np.uint8),
        origin=np.array([0.0, y]),
        direction=np.array([1.0, 0.0]),
        input_per_strip_px=1.0,
        cap_height=20.0,
    )


def test_a_mark_beyond_the_line_that_reads_like_a_glyph_makes_the_placement_uncertain() -> None:
    import cv2

    text = "DUPONT<<JEAN<PIERRE<JEAN<PIERR"  # a names line: no check digit covers it
    line = _rendered(2, text)  # a render whose ends are clean (about half are not)
    ink = rectify._ink(line.strip)
    pitch = float(np.median(np.diff(line.centres)))
    table = cells._net_table(ink, pitch)
    assert lattice._slip_alternative(table, line.centres, PARAMS) is None
    # Two crossing strokes one pitch after the last glyph: a chevron look-alike.
    strip = line.strip.copy()
    x = int(line.centres[-1] + pitch)
    mid = strip.shape[0] // 2
    cv2.line(strip, (x - 6, mid - 9), (x + 6, mid), 40, 2)
    cv2.line(strip, (x - 6, mid + 9), (x + 6, mid), 40, 2)
    table = cells._net_table(rectify._ink(strip), pitch)
    assert lattice._slip_alternative(table, line.centres, PARAMS) is not None


def test_a_lattice_moved_by_one_cell_puts_each_cell_where_its_neighbour_was() -> None:
    # Perspective: the step shrinks from 26 to 22 px along a 36-cell line. A lattice
    # that slipped one cell left (its first cell on blank paper, the last glyph left
    # out) moves right onto every glyph; moving it whole by its last step put the first
    # cell 4 px off its glyph (seed 303 normal_0087: an I read as C).
    steps = np.linspace(26.0, 22.0, 35).round()
    glyphs = 130.0 + np.concatenate([[0.0], np.cumsum(steps)])
    table = np.full((1100, GAP + 1), -20.0, np.float32)
    table[:, GAP] = 0.0
    for x in glyphs.astype(int):
        table[x, MRZ_CHARSET.index("A")] = 0.0
        table[x, GAP] = -20.0
    slipped = np.concatenate([[glyphs[0] - steps[0]], glyphs[:-1]])
    alternative = lattice._slip_alternative(table, slipped, PARAMS)
    assert alternative is not None
    moved, gain = alternative
    assert np.array_equal(moved, glyphs) and gain > 0


def test_an_uncertain_line_takes_the_placement_that_lines_up_with_the_others() -> None:
    strips = [_strip_at(0.0), _strip_at(40.0)]
    anchor = 100.0 + 24.0 * np.arange(30)
    # Line 2 could sit as placed (aligned) or one cell left: it stays.
    centres, uncertain, together = lattice._resolve_slips(
        strips, [anchor, anchor.copy()], [None, (anchor - 24.0, -0.5)], PARAMS
    )
    assert not uncertain and together is None and np.allclose(centres[1], anchor)
    # Line 2 was placed one cell right (a stray mark taken for a glyph): it moves back.
    centres, uncertain, _ = lattice._resolve_slips(
        strips, [anchor, anchor + 24.0], [None, (anchor.copy(), -0.5)], PARAMS
    )
    assert not uncertain and np.allclose(centres[1], anchor)
    # Both lines could move together: alignment cannot tell, the check digits will, so
    # the moved placement comes back for the caller to read if the first fails.
    centres, uncertain, together = lattice._resolve_slips(
        strips, [anchor, anchor.copy()], [(anchor + 24.0, -1.0), (anchor + 24.0, -1.0)], PARAMS
    )
    assert not uncertain and np.allclose(centres[0], anchor)
    assert together is not None and np.allclose(together[1], anchor + 24.0)
    # Half a cell either way: nothing decides, so the read cannot be proven.
    _, uncertain, _ = lattice._resolve_slips(
        strips, [anchor, anchor + 12.0], [None, (anchor - 12.0, -0.5)], PARAMS
    )
    assert uncertain


def test_misalignment_measures_a_slipped_line_in_pitches() -> None:
    def line(x0: float, y: float) -> ocr_types.LineGeometry:
        return ocr_types.LineGeometry(
            start=(x0, y), end=(x0 + 29 * 20.0, y), pitch=20.0, cap_height=18
        )

    assert rectify._misalignment([line(100, 0), line(100, 40), line(100, 80)]) < 0.01
    slipped = rectify._misalignment([line(100, 0), line(100, 40), line(120, 80)])
    assert abs(slipped - 1.0) < 0.01 and slipped > PARAMS.max_line_misalignment


def test_cells_beyond_the_strip_read_as_blank_instead_of_failing() -> None:
    line = _rendered(2, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<")
    ink = rectify._ink(line.strip)
    outside = line.centres + ink.shape[1]  # a whole lattice past the right edge
    feats = cells._cell_features(ink, outside)
    assert feats.shape[1] == len(outside) and np.isfinite(feats).all()
    table = cells._net_table(ink, float(np.median(np.diff(line.centres))))
    near_edge = line.centres + (ink.shape[1] - 1 - line.centres[-1])  # last cell on the edge
    assert lattice._slip_alternative(table, near_edge, PARAMS) is None or (
        lattice._slip_alternative(table, near_edge, PARAMS)[0][-1] <= ink.shape[1] - 1  # type: ignore[index]
    )


@pytest.mark.parametrize("pitch_scale", [1.0, 0.75])  # 0.75: windows under 20 px wide
def test_cell_features_are_to_feature_of_each_window(pitch_scale: float) -> None:
    line = _rendered(3, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<")
    ink = rectify._ink(line.strip)
    centres = line.centres[0] + (line.centres - line.centres[0]) * pitch_scale
    centres[-1] = ink.shape[1] + 5.0  # a cell past the edge reads the blank border
    feats = cells._cell_features(ink, centres)
    y0, y1 = rectify._band(ink)
    pad = int(rectify._RECT_PITCH)
    padded = np.pad(ink, ((0, 0), (pad, pad)))
    pitch = float(np.median(np.diff(centres)))
    width = max(round(pitch), 1)
    for s, shift in enumerate(cells._SHIFTS):
        for k, centre in enumerate(centres):
            x0 = round(centre + shift * pitch - pitch / 2) + pad
            x0 = int(np.clip(x0, 0, padded.shape[1] - width))
            expected = to_feature(padded[y0:y1, x0 : x0 + width])
            np.testing.assert_allclose(feats[s, k], expected, atol=1e-5)


def test_soft_weights_load_and_are_the_soft_recipe() -> None:
    soft = load_glyphnet("soft")
    assert soft.version == glyph_training.KINDS["soft"].version
    assert soft.w1.shape[1] == glyph_training.KINDS["soft"].hidden
    assert load_glyphnet().version == glyph_training.KINDS["sharp"].version
    wide = load_glyphnet("soft-wide")
    assert wide.version == glyph_training.KINDS["soft-wide"].version
    assert wide.context == glyph_training.KINDS["soft-wide"].context
    assert wide.w1.shape[1] == glyph_training.KINDS["soft-wide"].hidden


def test_soft_lines_get_the_pair_of_soft_networks() -> None:
    threshold = PARAMS.soft_network_below
    assert threshold <= PARAMS.min_settle_sharpness  # a soft-network line never settles
    line = _rendered(8, "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
    ink = rectify._ink(line.strip)
    pitch = float(np.median(np.diff(line.centres)))
    sharp = cells._net_table(ink, pitch, load_glyphnet("sharp"))
    assert np.array_equal(cells._cell_table(ink, pitch, threshold, PARAMS), sharp)
    # The photo-tuned pair by default; the rendered-only pair when the params name it.
    for params in (PARAMS, ocr_types.OcrParams(soft_networks=("soft", "soft-wide"))):
        narrow_kind, wide_kind = params.soft_networks
        narrow = cells._net_table(ink, pitch, load_glyphnet(narrow_kind))
        wide = cells._net_table(ink, pitch, load_glyphnet(wide_kind), stride=cells._WIDE_STRIDE)
        pair = cells._cell_table(ink, pitch, threshold - 0.01, params)
        assert np.allclose(np.exp(pair), (np.exp(narrow) + np.exp(wide)) / 2, atol=1e-5)


def test_the_wide_window_reads_heavy_blur_better() -> None:
    """Held-out heavy-blur renders (a seed no network was trained on), the same cells
    cut one pitch wide and 2.8 pitches wide: the wide network, and the pair the reader
    uses, read more cells right than the pitch-wide soft network (measured 0.84 vs 0.87;
    the pair reads as well as the wide one here, and more lines exactly in the reader,
    benchmarks/NOTES-mrz.md)."""
    narrow_x, labels = glyph_training.make_dataset(100, seed=424243, hard_share=1.0)
    wide_x, wide_labels = glyph_training.make_dataset(
        100, seed=424243, hard_share=1.0, context=load_glyphnet("soft-wide").context
    )
    assert np.array_equal(labels, wide_labels)
    narrow = load_glyphnet("soft").log_probs(narrow_x)
    wide = load_glyphnet("soft-wide").log_probs(wide_x)
    glyphs = labels != GAP

    def accuracy(table: np.ndarray) -> float:
        return float((table.argmax(axis=1)[glyphs] == labels[glyphs]).mean())

    assert accuracy(wide) > accuracy(narrow) + 0.02
    assert accuracy(np.logaddexp(narrow, wide)) > accuracy(narrow) + 0.02


def test_the_soft_network_reads_heavy_blur_better() -> None:
    """On renders with the heavy blur of a shaky capture (a seed neither network was
    trained on), the soft network reads more cells right than the sharp one."""
    features, labels = glyph_training.make_dataset(60, seed=424242, hard_share=1.0)
    soft_glyphs, _ = glyph_training.accuracy(load_glyphnet("soft"), features, labels)
    sharp_glyphs, _ = glyph_training.accuracy(load_glyphnet("sharp"), features, labels)
    assert soft_glyphs > sharp_glyphs + 0.02


@pytest.mark.parametrize("context", [1.0, 2.2])
def test_the_reader_sees_the_windows_the_trainer_cut(context: float, tmp_path: Path) -> None:
    """``_net_table``'s fast windows equal the trainer's ``to_feature`` windows, at any
    context width, and the width survives saving."""
    from app.vision.document.glyphs import FEATURE_SHAPE, to_feature

    rows, cols = FEATURE_SHAPE[0], round(FEATURE_SHAPE[1] * context)
    rng = np.random.default_rng(5)
    net = GlyphNet(
        w1=rng.normal(0, 0.1, (rows * cols, 16)).astype(np.float32),
        b1=np.zeros(16, np.float32),
        w2=rng.normal(0, 0.1, (16, len(MRZ_CHARSET) + 1)).astype(np.float32),
        b2=np.zeros(len(MRZ_CHARSET) + 1, np.float32),
        version="test",
        context=context,
    )
    save_glyphnet(net, tmp_path / "wide.npz")
    assert _read(tmp_path / "wide.npz").context == context
    line = _rendered(4, "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<")
    ink = rectify._ink(line.strip)
    pitch = float(np.median(np.diff(line.centres)))
    table = cells._net_table(ink, pitch, net)
    y0, y1 = rectify._band(ink)
    width = round(pitch * context)
    pad = 3 * width
    padded = np.pad(ink, ((0, 0), (pad, pad)))
    for centre in line.centres[::7]:
        column = round(float(centre))
        x0 = round(column - pitch * context / 2) + pad
        feature = to_feature(padded[y0:y1, x0 : x0 + width], (rows, cols))
        assert np.allclose(net.log_probs(feature[None])[0], table[column], atol=1e-3)


def test_a_strided_table_reads_every_stride_th_column_and_interpolates_between() -> None:
    line = _rendered(9, "L898902C36UTO7408122F1204159ZE184226B<<<<<10")
    ink = rectify._ink(line.strip)
    pitch = float(np.median(np.diff(line.centres)))
    net = load_glyphnet("soft-wide")
    full = cells._net_table(ink, pitch, net)
    strided = cells._net_table(ink, pitch, net, stride=2)
    assert strided.shape == full.shape
    assert np.allclose(np.exp(strided[::2]), np.exp(full[::2]), atol=1e-5)  # read exactly
    between = np.exp(strided[1:-1:2])
    assert np.allclose(between, (np.exp(full[:-2:2]) + np.exp(full[2::2])) / 2, atol=1e-4)
    # and the interpolation stays close to reading every column
    agree = strided.argmax(axis=1) == full.argmax(axis=1)
    assert agree.mean() > 0.9


def _lean_deg(text: str, seed: int, shear_deg: float = 0.0) -> float:
    """How far (degrees) the rendered glyphs of ``text`` (all I: upright bars) lean: the
    median over glyphs of their ink's principal axis against the vertical."""
    import cv2

    ink, centres = glyph_training._ink_map(text, np.random.default_rng(seed), shear_deg)
    leans = []
    for cx in centres:
        window = np.ascontiguousarray(ink[:, max(round(cx) - 9, 0) : round(cx) + 9])
        m = cv2.moments(window.astype(np.float32))
        leans.append(np.degrees(0.5 * np.arctan2(2 * m["mu11"], m["mu02"] - m["mu20"])))
    return float(np.median(leans))


def test_training_glyphs_are_sheared_only_when_the_recipe_asks() -> None:
    """The soft recipes render glyphs leaning by up to 15 degrees (a phone's perspective
    leans the text's verticals against the line), the sharp recipe upright."""
    upright = [_lean_deg("I" * 30, seed) for seed in range(12)]
    sheared = [_lean_deg("I" * 30, seed, 15.0) for seed in range(12)]
    assert max(abs(a) for a in upright) < 1.5  # the +-0.8 degree rotation only
    assert sum(abs(a) > 2.0 for a in sheared) >= 8
    assert max(abs(a) for a in sheared) < 16.0
    for recipe in ("soft", "soft-wide"):
        assert glyph_training.KINDS[recipe].shear_deg == 15.0
    assert glyph_training.KINDS["sharp"].shear_deg == 0.0
