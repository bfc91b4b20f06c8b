"""Line finding and rectification (line_finding.py, rectify.py): levelled chaining of
tilted blurred text, the cells-per-line estimate, and grouping of tilted lines."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.vision.document import cells, line_finding, ocr, ocr_types, rectify
from benchmarks.synth.documents import generate_document

PARAMS = ocr_types.OcrParams()


def _groups(chains: list[ocr_types._Chain]) -> list[list[ocr_types._Chain]]:
    groups = line_finding._group_lines(chains)
    groups.sort(key=lambda g: -sum(len(c.idx) for c in g) * (1.2 if len(g) == 3 else 1.0))
    return groups


@pytest.fixture(scope="module")
def tilted_blurred_td3() -> tuple[np.ndarray, list[tuple[float, float]]]:
    """SYNTHETIC hard-tier TD3 (seed 7, #116): tilted 15 degrees, Gaussian and motion blur.
    Also the true MRZ band corners in photo pixels."""
    doc = generate_document(7, "hard", 116)
    gray = cv2.cvtColor(doc.image, cv2.COLOR_RGB2GRAY)
    return gray, doc.truth_json()["mrz_corners_photo"]


def test_tilted_blurred_lines_are_chained_whole_once_levelled(tilted_blurred_td3) -> None:  # type: ignore[no-untyped-def]
    gray, corners = tilted_blurred_td3
    work = line_finding._work_image(gray, PARAMS)
    scale = line_finding._work_scale(gray, PARAMS)
    (x0, y0), (x1, y1) = corners[0], corners[1]
    true_angle = math.degrees(math.atan2(y1 - y0, x1 - x0))
    true_length = math.hypot(x1 - x0, y1 - y0) * scale
    skew = line_finding._text_skew(line_finding._line_blob_chains(work, 0.15 * max(work.shape)))
    assert abs(skew - true_angle) < 1.5
    # Unlevelled, the glued runs break the chains: neither line spans the MRZ.
    plain = _groups(line_finding._chains(line_finding._components(work), PARAMS.min_chain))
    assert all(len(c.idx) < 44 for c in plain[0])
    # Levelled, both lines are whole, and come back in the work image's own pixels.
    levelled = _groups(line_finding._levelled_chains(work, skew, PARAMS.min_chain))[0]
    assert [len(c.idx) for c in levelled] == [44, 44]
    for chain in levelled:
        assert abs(math.degrees(math.atan(chain.slope)) - true_angle) < 1.0
        length = (chain.right - chain.left) / math.cos(math.atan(chain.slope))
        assert 0.9 * true_length < length < 1.02 * true_length
        y_mid = chain.slope * (chain.left + chain.right) / 2 + chain.intercept
        band = np.array(corners) * scale
        assert band[:, 1].min() < y_mid < band[:, 1].max()
    assert line_finding._cells_for(levelled, gray, scale) == [44, 36]


def test_cells_per_line_follow_the_measured_pitch() -> None:
    def chain(length: float, pitch: float) -> ocr_types._Chain:
        return ocr_types._Chain(
            idx=list(range(30)), left=0.0, right=length, pitch=pitch, height=20.0
        )

    gray = np.full((10, 10), 255, np.uint8)
    assert line_finding._cells_for([chain(43.7 * 20, 20.0)] * 2, gray, 1.0) == [44, 36]
    assert line_finding._cells_for([chain(35.6 * 20, 20.0)] * 2, gray, 1.0) == [36, 44]
    # Always both counts, nearest first: the other is read when the nearer does not read.
    assert line_finding._cells_for([chain(38.9 * 20, 20.0)] * 2, gray, 1.0) == [36, 44]
    assert line_finding._cells_for([chain(40.5 * 20, 20.0)] * 2, gray, 1.0) == [44, 36]
    assert line_finding._cells_for([chain(29.7 * 20, 20.0)] * 3, gray, 1.0) == [30]
    # Two lines of 30 cells are two lines of a TD1: no two-line format is read from them.
    assert line_finding._cells_for([chain(29.7 * 20, 20.0)] * 2, gray, 1.0) == []
    assert line_finding._cells_for([chain(32.5 * 20, 20.0)] * 2, gray, 1.0) == [36, 44]


def test_line_blob_cells_come_from_the_ink_period(shared_data: Path) -> None:
    """A line blob has no glyphs to measure; the period of its ink gives the count."""
    gray = cv2.imread(str(shared_data / "documents" / "passport-td3.jpg"), cv2.IMREAD_GRAYSCALE)
    work = line_finding._work_image(gray, PARAMS)
    scale = line_finding._work_scale(gray, PARAMS)
    group = _groups(line_finding._chains(line_finding._components(work), PARAMS.min_chain))[0]
    blobs = [replace(c, idx=[], pitch=c.height * 1.3) for c in group]  # a poor guess
    assert abs(rectify._periodic_cells(gray, blobs[0], scale) - 44) < 1.5
    assert line_finding._cells_for(blobs, gray, scale) == [44, 36]
    # Blank paper has no period: both counts stay open.
    blank = np.full_like(gray, 230)
    assert rectify._periodic_cells(blank, blobs[0], scale) == 0.0
    assert line_finding._cells_for(blobs, blank, scale) == [36, 44]


@pytest.mark.parametrize("angle_deg", [0.0, 10.0, -15.0])
def test_lines_three_heights_apart_are_grouped_at_any_tilt(angle_deg: float) -> None:
    slope = math.tan(math.radians(angle_deg))
    height, across = 24.0, 3.0 * 24.0  # line spacing measured up to 3 cap heights
    lines = [
        ocr_types._Chain(
            idx=list(range(44)),
            height=height,
            slope=slope,
            intercept=100.0 + k * across / math.cos(math.radians(angle_deg)),
            left=50.0,
            right=1100.0,
            pitch=24.0,
        )
        for k in range(2)
    ]
    assert line_finding._group_lines(lines) == [lines]
    apart = [lines[0], replace(lines[1], intercept=lines[1].intercept * 1.6)]
    assert line_finding._group_lines(apart) == []


def test_a_line_cut_short_is_grouped_with_the_line_it_starts_with() -> None:
    """Glare over the end of a name stops its chain; MRZ lines still start together."""
    full = ocr_types._Chain(
        idx=list(range(36)), height=24.0, intercept=200.0, left=50.0, right=900.0, pitch=24.0
    )
    cut = replace(full, idx=list(range(22)), intercept=140.0, right=50.0 + 0.55 * 850.0)
    assert line_finding._group_lines([cut, full]) == [[cut, full]]
    # The same share of overlap elsewhere on the line is not an MRZ's shape.
    shifted = replace(cut, left=cut.left + 300.0, right=cut.right + 300.0)
    assert line_finding._group_lines([shifted, full]) == []
    # The cells per line come from the longer line, not from the mean of the two.
    gray = np.full((10, 10), 255, np.uint8)
    assert line_finding._cells_for([cut, full], gray, 1.0) == [36, 44]


def test_a_line_that_starts_late_is_grouped_with_the_line_it_ends_with() -> None:
    """Glued glyphs at the start of a line (seed 7 hard_0070) drop them from its chain;
    MRZ lines still end together. Line blobs must still start together."""
    full = ocr_types._Chain(
        idx=list(range(44)), height=24.0, intercept=200.0, left=50.0, right=1100.0, pitch=24.0
    )
    late = replace(full, idx=list(range(23)), intercept=260.0, left=1100.0 - 0.5 * 1050.0)
    assert line_finding._group_lines([full, late]) == [[full, late]]
    blob, late_blob = replace(full, idx=[]), replace(late, idx=[])
    assert line_finding._group_lines([blob, late_blob]) == []


def test_blurred_lines_are_spaced_in_pitches_when_their_glyphs_shrink() -> None:
    """Heavy blur thresholds glyphs to 0.7 of the pitch (seed 7 hard_0038): the line
    spacing, 3.9 measured heights, is 2.7 pitches."""
    first = ocr_types._Chain(
        idx=list(range(20)), height=16.5, intercept=100.0, left=50.0, right=600.0, pitch=24.3
    )
    second = replace(first, idx=list(range(17)), intercept=165.0)
    assert line_finding._group_lines([first, second]) == [[first, second]]
    far = replace(second, intercept=100.0 + 3.6 * 24.3)
    assert line_finding._group_lines([first, far]) == []


def test_long_lines_of_one_pitch_cut_short_at_different_ends_are_grouped() -> None:
    """Seed 7 hard_0062: the first line lost its start under a dark corner, the second
    its end to faint fillers; 61 % of the longer one overlaps the other."""
    first = ocr_types._Chain(
        idx=list(range(32)), height=20.0, intercept=100.0, left=642.0, right=1528.0, pitch=26.4
    )
    second = replace(first, idx=list(range(22)), intercept=163.0, left=566.0, right=1180.0)
    assert line_finding._group_lines([first, second]) == [[first, second]]
    # Short pieces that overlap as little may be any two lines of text.
    assert line_finding._group_lines([first, replace(second, idx=list(range(14)))]) == []


def test_glyph_heights_may_differ_under_blur_when_the_pitch_agrees() -> None:
    line = ocr_types._Chain(idx=list(range(19)), height=12.0, pitch=13.5)
    thinner = replace(line, height=8.5)  # seed 7 hard_0105: blur thinned one line
    assert line_finding._similar_glyphs(line, thinner)
    assert not line_finding._similar_glyphs(line, replace(thinner, pitch=9.0))
    assert not line_finding._similar_glyphs(line, replace(line, height=6.0))


def test_a_line_split_by_a_wide_gap_is_chained_whole() -> None:
    """A guilloche or glare hiding ten glyphs in the middle of a line (seed 7 hard_0059)
    left two chains that no group could use; long pieces of one pitch are joined."""
    pitch, height = 15, 13
    kept = [k for k in range(44) if not 17 <= k < 27]
    stats = np.array([[100 + k * pitch, 200, 10, height, 90] for k in kept], np.int32)
    chains = line_finding._chains(stats, 14)
    assert len(chains) == 1 and len(chains[0].idx) == len(kept)
    # Short pieces across such a gap stay apart (they may be unrelated text).
    short = np.array([[100 + k * pitch, 200, 10, height, 90] for k in range(44)
                      if k < 6 or k >= 16], np.int32)  # fmt: skip
    assert len(line_finding._chains(short, 5)) == 2


def test_pieces_scaled_by_perspective_join_across_a_glare_spot() -> None:
    """Seed 7 hard_0085: a glare spot hid 13 glyphs in the middle of a line seen at a
    slant, leaving a near piece of 11 glyphs (24 px high, pitch 27) and a far piece of
    18 (17 px, pitch 18.5), 357 px apart. Perspective scales pitch and height together;
    the pieces joined, the line was read whole instead of its right half."""

    def boxes(n: int, x0: float, height: int, pitch: float) -> list[list[int]]:
        return [[round(x0 + k * pitch), 300 - height // 2, round(0.7 * height), height,
                 round(0.5 * height * height)] for k in range(n)]  # fmt: skip

    near = boxes(11, 466, 24, 27.2)
    far_x0 = near[-1][0] + near[-1][2] + 357
    stats = np.array(near + boxes(18, far_x0, 17, 18.5), np.int32)
    chains = line_finding._chains(stats, 14)
    assert len(chains) == 1 and len(chains[0].idx) == 29
    # Glyphs as high but half as far apart again for their size are not one typeface.
    other = np.array(near + boxes(18, far_x0, 17, 30.0), np.int32)
    assert [len(c.idx) for c in line_finding._chains(other, 14)] == [18]


def test_pieces_of_one_pitch_join_though_blur_thinned_one() -> None:
    """Seed 202 hard_0006: a line chained as two pieces whose glyphs measure 19 and 13 px
    high (blur over one half) but share the pitch; unjoined, neither piece grouped."""

    def boxes(n: int, x0: int, height: int, pitch: int) -> list[list[int]]:
        return [[x0 + k * pitch, 220 - height // 2, 12, height, 120] for k in range(n)]

    # 40 px between the pieces: too far for the glyph chaining, within the merge's reach
    first = boxes(22, 100, 19, 18)
    second_x0 = first[-1][0] + 12 + 40
    stats = np.array(first + boxes(16, second_x0, 13, 18), np.int32)
    chains = line_finding._chains(stats, 14)
    assert len(chains) == 1 and len(chains[0].idx) == 38
    # The same heights at another pitch are another text.
    other = np.array(first + boxes(16, second_x0, 13, 13), np.int32)
    assert len(line_finding._chains(other, 14)) == 2


def test_faint_strokes_in_the_bright_part_of_a_strip_keep_their_ink() -> None:
    """A lamp to one side: the left half of the strip is bright paper with faint grey
    strokes, the right half dim paper with black strokes. Normalised against one level
    for the whole strip, the faint strokes fell under the paper level (E read as L)."""
    height, width = 53, 40 * int(rectify._RECT_PITCH)
    strip = np.empty((height, width), np.uint8)
    strip[:, : width // 2] = 250
    strip[:, width // 2 :] = 150
    bars = [x for x in range(0, width, 24)]
    for x in bars:
        paper = int(strip[0, x])
        strip[20:34, x + 8 : x + 11] = 215 if paper == 250 else 30
    ink = rectify._ink(strip)
    faint = [float(ink[27, x + 9]) for x in bars if x + 9 < width // 2 - 48]
    dark = [float(ink[27, x + 9]) for x in bars if x > width // 2 + 48]
    paper_left = float(ink[5, 100])
    assert min(faint) > 0.5, faint
    assert min(dark) > 0.9
    assert paper_left < 0.05


def _rendered_line(dark: str, faint: str, faint_level: int) -> tuple[np.ndarray, float, float]:
    """An OCR-B line on white: ``dark`` in black, then ``faint`` in grey ``faint_level``.
    Returns the image, the pitch and the right end of the dark ink."""
    from PIL import Image, ImageDraw, ImageFont

    from app.vision.document.glyphs import _font_path

    font = ImageFont.truetype(str(_font_path()), 40)
    pitch = float(font.getlength("A"))
    image = Image.new("L", (round(pitch * (len(dark) + len(faint) + 30)), 120), 255)
    draw = ImageDraw.Draw(image)
    x0 = 12 * pitch
    draw.text((x0, 40), dark, font=font, fill=0)
    draw.text((x0 + pitch * len(dark), 40), faint, font=font, fill=faint_level)
    gray = cv2.GaussianBlur(np.asarray(image), (0, 0), 1.5)
    inked = (gray[:, : round(x0 + pitch * len(dark))] < 128).any(axis=0)
    dark_end = float(np.nonzero(inked)[0][-1])
    return gray, pitch, dark_end


def test_a_line_is_continued_over_faint_fillers_the_chaining_missed() -> None:
    dark, faint = "P<ESPNUNEZ<GARCIA<<JESUS", "<" * 20
    gray, pitch, dark_end = _rendered_line(dark, faint, faint_level=150)
    rows = np.nonzero((gray < 128).any(axis=1))[0]
    chain = ocr_types._Chain(
        idx=list(range(len(dark))), height=float(rows[-1] - rows[0]), slope=0.0,
        intercept=float(rows.mean()), left=12 * pitch + 1, right=dark_end, pitch=pitch,
    )  # fmt: skip
    left, right = line_finding._line_continues(gray, chain)
    assert left == 0
    assert abs(right - len(faint)) <= 1
    # Both lines of a two-line group get the continued extent: 44 cells, not a TD1's 30.
    continued = line_finding._continued_group(gray, [chain, chain])
    cells = (continued[0].right - continued[0].left) / pitch + 0.32
    assert abs(cells - 44) <= 1.5
    # The lines of a three-line group (a TD1 chained to its first glyphs) too.
    assert line_finding._continued_group(gray, [chain, chain, chain])[2].right == continued[1].right
    # Without the faint fillers nothing continues the line.
    bare, _, bare_end = _rendered_line(dark, "", faint_level=255)
    assert line_finding._line_continues(bare, replace(chain, right=bare_end)) == (0, 0)


def test_two_chained_td1_lines_are_read_with_a_third_line_above_or_below() -> None:
    """Only two lines of a TD1 chained (glare over the names line): the candidates are the
    TD1 with a third line one spacing above, and one below; 44-cell lines stay as found."""
    blank = np.full((400, 600), 230, np.uint8)
    pitch = 10.0

    def chain(y: float, cells: int) -> ocr_types._Chain:
        return ocr_types._Chain(
            idx=list(range(cells)), height=12.0, slope=0.02, intercept=y,
            left=100.0, right=100.0 + (cells - 0.32) * pitch, pitch=pitch,
        )  # fmt: skip

    pair = [chain(200.0, 30), chain(230.0, 30)]
    candidates = line_finding._candidate_groups(blank, blank, 1.0, pair)
    assert [[round(c.intercept) for c in group] for group in candidates] == [
        [170, 200, 230],
        [200, 230, 260],
    ]
    assert all(line_finding._cells_for(group, blank, 1.0) == [30] for group in candidates)
    # Near the top of the image there is no room above.
    high = [chain(20.0, 30), chain(50.0, 30)]
    assert [
        [round(c.intercept) for c in g]
        for g in line_finding._candidate_groups(blank, blank, 1.0, high)
    ] == [[20, 50, 80]]
    # Where a three-line group was found, its two-line subgroups are not guessed again.
    assert line_finding._candidate_groups(blank, blank, 1.0, pair, guess_third=False) == [pair]
    td3 = [chain(200.0, 44), chain(230.0, 44)]
    assert line_finding._candidate_groups(blank, blank, 1.0, td3) == [td3]


@pytest.mark.parametrize(
    ("n_lines", "n_cells", "best", "runner_up", "expected"),
    [
        (2, 36, "U", "V", "V"),
        (2, 44, "D", "P", "P"),
        (3, 30, "P", "I", "I"),
        (2, 36, "C", "I", "C"),
    ],
)
def test_the_first_cell_holds_a_document_code_letter_of_the_shape(
    n_lines: int, n_cells: int, best: str, runner_up: str, expected: str
) -> None:
    from app.vision.document.glyphs import MRZ_CHARSET

    scores = np.full((n_cells, len(MRZ_CHARSET)), -8.0, np.float32)
    scores[0, MRZ_CHARSET.index(best)] = -0.1
    scores[0, MRZ_CHARSET.index(runner_up)] = -2.5
    scores[1, MRZ_CHARSET.index("U")] = -0.1  # only the first cell is limited
    limited = cells._document_code_first(scores, n_lines, n_cells)
    assert MRZ_CHARSET[int(limited[0].argmax())] == expected
    assert MRZ_CHARSET[int(limited[1].argmax())] == "U"
    assert scores[0, MRZ_CHARSET.index(best)] == np.float32(-0.1)  # input untouched


def test_a_line_blob_cut_short_is_continued_at_the_pitch_of_its_ink() -> None:
    """Blobs (glyphs too blurred to chain) have no glyph spacing to measure: the period of
    their ink gives the pitch, and the line is continued over the faint fillers."""
    dark, faint = "P<ESPNUNEZ<GARCIA<<JESUS", "<" * 20
    gray, pitch, dark_end = _rendered_line(dark, faint, faint_level=150)
    rows = np.nonzero((gray < 128).any(axis=1))[0]
    blob = ocr_types._Chain(
        idx=[], height=float(rows[-1] - rows[0]), slope=0.0, intercept=float(rows.mean()),
        left=12 * pitch + 1, right=dark_end, pitch=0.0,
    )  # fmt: skip
    pitched = line_finding._blob_pitches(gray, 1.0, [blob, blob])
    assert pitched is not None
    assert abs(pitched[0].pitch - pitch) < 0.05 * pitch
    [group] = line_finding._candidate_groups(gray, gray, 1.0, [blob, blob])
    cells = (group[0].right - group[0].left) / pitch + 0.32
    assert abs(cells - 44) <= 1.5
    assert line_finding._cells_for(group, gray, 1.0) == [44, 36]
    # No period (a plain bar, say): nothing to step along, the blobs stay as found.
    bar = np.full_like(gray, 255)
    bar[rows[0] : rows[-1], round(blob.left) : round(blob.right)] = 0
    assert line_finding._blob_pitches(bar, 1.0, [blob, blob]) is None


def _chain_with_pitch_gradient(left_pitch: float, right_pitch: float, n: int) -> ocr_types._Chain:
    """A chain of ``n`` glyph centres whose spacing grows linearly from left to right."""
    steps = np.linspace(left_pitch, right_pitch, n - 1)
    cx = 100.0 + np.concatenate([[0.0], np.cumsum(steps)])
    return ocr_types._Chain(
        idx=list(range(n)),
        cx=cx,
        cy=np.full(n, 200.0),
        height=left_pitch * 1.2,
        intercept=200.0,
        left=float(cx[0] - 0.34 * left_pitch),  # OCR-B ink: 0.16 pitch inside the cell
        right=float(cx[-1] + 0.34 * right_pitch),
        pitch=float(np.median(steps)),
    )


def test_the_pitch_gradient_along_a_line_is_measured_from_its_glyphs() -> None:
    ratio = rectify._pitch_ratio(_chain_with_pitch_gradient(20.0, 28.0, 36))
    assert abs(ratio - 28.0 / 20.0) < 0.03
    assert rectify._pitch_ratio(_chain_with_pitch_gradient(24.0, 24.0, 36)) == pytest.approx(1.0)
    # Too few glyphs to tell: no correction.
    assert rectify._pitch_ratio(_chain_with_pitch_gradient(20.0, 28.0, 8)) == 1.0


def test_an_even_pitch_strip_keeps_the_ink_ends_and_follows_the_gradient() -> None:
    n_cells = 36
    width = (n_cells + 2 * rectify._MARGIN_CELLS) * round(rectify._RECT_PITCH)
    assert rectify._even_pitch_columns(1.02, width, n_cells) is None  # too small to matter
    columns = rectify._even_pitch_columns(1.4, width, n_cells)
    assert columns is not None and len(columns) == width + 1
    ink_start = (rectify._MARGIN_CELLS + 0.16) * rectify._RECT_PITCH
    ink_end = ink_start + (n_cells - 0.32) * rectify._RECT_PITCH
    assert np.interp(ink_start, np.arange(width + 1), columns) == pytest.approx(ink_start)
    assert np.interp(ink_end, np.arange(width + 1), columns) == pytest.approx(ink_end)
    steps = np.diff(columns)
    assert np.all(steps > 0)
    assert steps[-1] / steps[0] == pytest.approx(1.4 ** (width / ((n_cells - 0.32) * 24)), 0.01)


def test_the_geometry_of_an_even_pitch_strip_maps_back_to_the_glyphs() -> None:
    chain = _chain_with_pitch_gradient(20.0, 28.0, 36)
    gray = np.full((400, 1400), 220, np.uint8)
    line = rectify._rectify(gray, chain, 36, 1.0)
    assert line.affine_columns is not None
    # The evenly spaced cells of the strip land on the chain's unevenly spaced glyphs.
    centres = (rectify._MARGIN_CELLS + 0.5 + np.arange(36)) * rectify._RECT_PITCH
    geometry = rectify._geometry(line, centres)
    assert abs(geometry.start[0] - chain.cx[0]) < 2.0
    assert abs(geometry.end[0] - chain.cx[-1]) < 2.0
    turned = rectify._geometry(rectify._turn(line), line.strip.shape[1] - centres[::-1])
    assert abs(turned.start[0] - chain.cx[-1]) < 2.0
    assert abs(turned.end[0] - chain.cx[0]) < 2.0


def _assert_hard_capture_read_exactly(seed: int, index: int) -> None:
    """The generator's hard capture ``index`` of ``seed`` reads as its true MRZ."""
    document = generate_document(seed, "hard", index)
    read = ocr.read_mrz(document.image, today=date(2026, 11, 26))
    assert list(read.result.lines) == list(document.truth.mrz_lines)


@pytest.mark.parametrize("index", [4, 73])
def test_lines_under_strong_perspective_read_exactly(index: int) -> None:
    """SYNTHETIC hard captures (seed 7) whose pitch doubles / grows 1.5x along the MRZ:
    with one pitch per line the cell lattice started a cell or more off."""
    _assert_hard_capture_read_exactly(7, index)


# SYNTHETIC hard captures of seed 7 that a fix made readable, and what had gone wrong
# with each.
HARD_CAPTURES_FOUND = {
    # blur 1.9 px and 8 px of motion shrink the thresholded glyphs to 0.7 of the pitch;
    # the MRZ was not found at all
    "hard_0038_blurred_visa": 38,
    # a glare spot across the middle of both lines under strong perspective; only their
    # far halves were chained and read
    "hard_0085_slanted_passport_with_glare": 85,
    # a dark desk and a glare spot widen the image's contrast, and the MRZ's faint
    # strokes fell under the ink threshold; the whole-line blobs misread it
    "hard_0064_faint_mrz_in_contrasty_photo": 64,
    # a faint MRZ (found at the lower ink threshold) whose lines overlap by 61 %: no MRZ
    "hard_0062_lines_cut_short_at_different_ends": 62,
    # low resolution (9.5 px pitch) and mild blur, crispness 0.57-0.59: the sharp network
    # read 17 cells wrong; the heavy-blur pair reads lines below 0.65 (``OcrParams``)
    "hard_0036_low_resolution_passport": 36,
    # heavy blur: the soft networks trained on 9,000 lines read MEYER as MEYCR and
    # GUDMUNDSSON as GUDMUNDSSCN; trained on 20,000 they read both exactly
    "hard_0088_blurred_name_under_glare": 88,
    "hard_0107_blurred_id_card_name": 107,
    # names under heavy blur (crispness 0.18-0.46), a letter a nat or two behind its
    # look-alike: JEAP, JOHNSGN, WZLLIAMS ... ROBE<M, DALEMBCRT, WTLLIAM. The names
    # prior (name_grammar.NamePrior) reads them as names go.
    "hard_0011_blurred_visa_given_names": 11,
    "hard_0018_blurred_id_card_surname": 18,
    "hard_0059_blurred_passport_long_names": 59,
    "hard_0072_blurred_passport_surname": 72,
    "hard_0093_blurred_id_card_given_name": 93,
}


@pytest.mark.parametrize("index", HARD_CAPTURES_FOUND.values(), ids=HARD_CAPTURES_FOUND.keys())
def test_hard_captures_are_found_and_read_exactly(index: int) -> None:
    _assert_hard_capture_read_exactly(7, index)


# TD2 lines (36 cells) that ran on into other print, so their extent suggested 44 cells;
# read at 44 they failed every check digit. The other count is read too and taken when
# more check digits pass there.
LINES_THAT_RAN_ON = {
    "seed_303_hard_0028_td2": (303, 28),
    "seed_404_hard_0020_td2": (404, 20),
    "seed_404_hard_0032_td2": (404, 32),
}


@pytest.mark.parametrize(
    ("seed", "index"), LINES_THAT_RAN_ON.values(), ids=LINES_THAT_RAN_ON.keys()
)
def test_lines_whose_extent_suggests_the_wrong_cell_count_are_read_exactly(
    seed: int, index: int
) -> None:
    _assert_hard_capture_read_exactly(seed, index)


@pytest.mark.parametrize("turn", [cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_90_COUNTERCLOCKWISE])
def test_a_sideways_mrz_chains_only_once_turned_and_reads_either_way_up(
    shared_data: Path, turn: int
) -> None:
    # REAL: the Latvian booklet, photographed a quarter turn round. Upright, only the
    # facing page's few printed lines chain; turned either way, both MRZ lines chain whole.
    # Clockwise, the MRZ is upside down and its upright reading still scores above 0.8
    # (which, on an image known to be upright, skips the half-turned reading): read
    # either way up, both turns read it valid.
    bgr = cv2.imread(str(shared_data / "documents" / "0_pass-lva.jpg"), cv2.IMREAD_COLOR)
    photo = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    upright = ocr.search_mrz(photo, PARAMS)
    turned = ocr.search_mrz(cv2.rotate(photo, turn), PARAMS)
    assert upright.glyph_count < 60
    assert [len(chain.idx) for chain in turned.groups[0]] == [44, 44]
    read = ocr.read_search(turned, today=date(2026, 11, 26), params=PARAMS, either_way_up=True)
    assert read.result.valid
    assert read.result.lines[1] == "LT00000004XXC8605102F1210314111111<11648<<86"
    assert read.upside_down == (turn == cv2.ROTATE_90_CLOCKWISE)


@pytest.mark.parametrize(
    ("name", "groups_read", "valid"),
    [
        # REAL: the first group is the printed fields (not OCR-B, 0.62); the MRZ is the
        # second and reads valid.
        ("passport-td2.jpg", 2, True),
        # REAL: the MRZ is the first group and reads like OCR-B (0.94) but its checks
        # fail; the second group, other text, is not read.
        ("100_id-rou.jpg", 1, False),
    ],
)
def test_no_group_is_read_after_one_that_reads_like_ocr_b(
    shared_data: Path, monkeypatch: pytest.MonkeyPatch, name: str, groups_read: int, valid: bool
) -> None:
    scores: list[float] = []
    real_read_group = ocr._read_group

    def recording_read_group(*args, **kwargs):  # type: ignore[no-untyped-def]
        attempt = real_read_group(*args, **kwargs)
        scores.append(attempt[0].glyph_score if attempt else 0.0)
        return attempt

    monkeypatch.setattr(ocr, "_read_group", recording_read_group)
    bgr = cv2.imread(str(shared_data / "documents" / name), cv2.IMREAD_COLOR)
    read = ocr.read_mrz(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), today=date(2026, 11, 26))
    assert len(scores) == groups_read
    assert (scores[0] >= PARAMS.mrz_glyph_score) == (groups_read == 1)
    assert read.result.valid == valid


# Blurred MRZ glyphs that chained into no line while a few lines of other print did:
# the glyph chains' read failed its check digits, and the MRZ was found only as
# whole-line blobs, which are now read too and taken when more check digits pass.
MRZ_ONLY_AS_BLOBS = {
    "seed_404_hard_0111_td3": (404, 111),
    "seed_404_hard_0021_td3": (404, 21),
    "seed_505_hard_0096_td3": (505, 96),
}


@pytest.mark.parametrize(
    ("seed", "index"), MRZ_ONLY_AS_BLOBS.values(), ids=MRZ_ONLY_AS_BLOBS.keys()
)
def test_an_mrz_found_only_as_line_blobs_is_read_after_failed_glyph_chains(
    seed: int, index: int
) -> None:
    _assert_hard_capture_read_exactly(seed, index)


def _chained(left: float, right: float, pitch: float, glyphs: int = 20) -> ocr_types._Chain:
    return ocr_types._Chain(
        idx=list(range(glyphs)), left=left, right=right, pitch=pitch, height=20.0
    )


def test_lines_are_extended_to_the_length_their_pitch_gives_at_either_end() -> None:
    # 35 cells' extent at a pitch of 10: a 44-cell line is 436.8 px long.
    group = [_chained(100.0, 446.8, 10.0), _chained(105.0, 440.0, 10.0)]
    right = line_finding._extended_to_pitch(group, 44, 1)
    left = line_finding._extended_to_pitch(group, 44, -1)
    assert right is not None and left is not None
    assert [(c.left, c.right) for c in right] == [(100.0, pytest.approx(536.8))] * 2
    assert [(c.left, c.right) for c in left] == [(pytest.approx(10.0), 446.8)] * 2


def test_lines_already_about_as_long_as_their_pitch_gives_or_without_a_pitch_are_kept() -> None:
    whole = [_chained(100.0, 520.0, 10.0), _chained(100.0, 530.0, 10.0)]  # 42.5 cells of 44
    assert line_finding._extended_to_pitch(whole, 44, 1) is None
    blobs = [ocr_types._Chain(idx=[], left=0.0, right=300.0, pitch=10.0)] * 2  # no glyphs
    assert line_finding._extended_to_pitch(blobs, 44, 1) is None


# Lines the chaining stopped well short of (the pitch gives 38.7 and 23.9 cells): read
# extended to the length their glyphs' pitch gives, they read exactly.
LINES_CHAINED_SHORT = {
    "seed_303_hard_0031_td3": (303, 31),
    "seed_505_hard_0064_td2": (505, 64),
}


@pytest.mark.parametrize(
    ("seed", "index"), LINES_CHAINED_SHORT.values(), ids=LINES_CHAINED_SHORT.keys()
)
def test_lines_chained_well_short_are_read_at_their_pitch_length(seed: int, index: int) -> None:
    _assert_hard_capture_read_exactly(seed, index)


def test_a_blob_along_a_line_already_read_is_that_line_again() -> None:
    read = [ocr_types._Chain(idx=[1], left=164.0, right=1458.0, intercept=665.0, height=38.0)]
    again = ocr_types._Chain(idx=[], left=162.0, right=1453.0, intercept=660.0, height=48.9)
    assert line_finding._on_line_read(again, read)
    # the next line down, a line whose end lies two heights further on (the blob's
    # extent reads at another cell count), and one that crosses the line at a slant
    below = ocr_types._Chain(idx=[], left=162.0, right=1453.0, intercept=750.0, height=48.8)
    longer = ocr_types._Chain(idx=[], left=162.0, right=1560.0, intercept=660.0, height=48.9)
    slanted = ocr_types._Chain(
        idx=[], left=162.0, right=1453.0, slope=0.02, intercept=650.0, height=48.9
    )
    assert not line_finding._on_line_read(below, read)
    assert not line_finding._on_line_read(longer, read)
    assert not line_finding._on_line_read(slanted, read)


def test_a_lattice_moved_onto_its_glyphs_reads_the_first_cell_exactly() -> None:
    """SYNTHETIC seed 303 normal_0087, a sharp TD2 card: its lattice first slipped a cell
    left; moved back whole by the last cell's step, the first cell sat 4 px off its I,
    which read C, and the read was not valid."""
    document = generate_document(303, "normal", 87)
    read = ocr.read_mrz(document.image, today=date(2026, 11, 26))
    assert list(read.result.lines) == list(document.truth.mrz_lines)
    assert read.result.valid
