"""Train the MRZ cell classifier (``glyphnet.py``) from rendered OCR-B lines.

Everything comes from Debian's ``fonts-ocr-b`` typeface and a fixed seed: random MRZ-like
lines are rendered in the reader's rectified-strip geometry (24 px per cell), then
"photographed": stroke weight, glyph size and pitch errors, paper texture and uneven
light, down-sampling to 7-24 px per cell (what phone photos give), blur, motion, noise and
JPEG, and back up to the strip size the way the reader rectifies a line. Windows centred
on a glyph are labelled with it; windows centred between two glyphs (or on the empty
margin) with the gap class.

    uv run python -m app.vision.document.glyph_training              # glyphnet.npz
    uv run python -m app.vision.document.glyph_training --kind soft  # glyphnet-soft.npz
    uv run python -m app.vision.document.glyph_training --kind soft-wide
    uv run python -m app.vision.document.glyph_training --check      # accuracy only

Run with ``OPENBLAS_NUM_THREADS=1``: single-threaded, the soft and soft-wide recipes each
gave bit-identical weights twice; an earlier soft recipe, run twice multi-threaded, gave
equally accurate but different arrays.

Pure NumPy / OpenCV / Pillow. Single-threaded on the 2026-11-27 machine: 16 minutes for
the soft network, 31 for the soft-wide one; about two minutes for the sharp one. The
soft-wide recipe's 1.26 million training windows take 7.9 GB in float32 (1568 values
each). Before ``make_dataset`` filled them in place they were held twice, 16 GB resident,
and the recipe had to run alone on a 24 GB machine.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import cv2
import numpy as np

from app.vision.document.glyphnet import (
    GAP,
    N_CLASSES,
    WEIGHTS_PATHS,
    GlyphNet,
    save_glyphnet,
    window_shape,
)
from app.vision.document.glyphs import MRZ_CHARSET, to_feature

STRIP_PITCH = 24.0  # must equal rectify._RECT_PITCH
STRIP_HEIGHT = round(STRIP_PITCH * 2.2)
MARGIN_CELLS = 5  # must equal rectify._MARGIN_CELLS


@dataclass(frozen=True)
class Recipe:
    """How one shipped network is trained (seed 9303 for both)."""

    lines: int  # rendered training lines
    hidden: int  # hidden units
    epochs: int
    hard_share: float  # share of lines with the heavy blur of a shaky, out-of-focus capture
    version: str
    # How training strips are normalised to ink: "strip" (one paper level per strip,
    # ``rectify._strip_ink``) or "column" (levels around each column, ``rectify._ink``, what the
    # reader feeds both networks). Trained on "column", the sharp network read the
    # benchmark as well but no longer settled the clean Utopia specimen on its own (its
    # template second opinion read O where it read 0); on "strip" it does.
    ink: str = "column"
    context: float = 1.0  # window width in pitches (``GlyphNet.context``)
    # Largest shear of the glyphs (degrees, uniform +-): under a phone's perspective the
    # text's verticals lean against the line's normal (seed 7 hard tier: up to 16).
    shear_deg: float = 0.0
    # How the rendered features are held while training: "float16" halves the memory
    # (each batch is computed in float32).
    feature_dtype: str = "float32"


# 20,000 lines (1.26 million windows): on held-out renders 0.852 of the glyphs right for
# the narrow network and 0.890 for the wide one, against 0.824 and 0.864 from 9,000 lines
# (held out: the next 2,000 and 900 lines of the same seed; round 9 of
# benchmarks/NOTES-mrz.md).
_SOFT = Recipe(
    lines=20000, hidden=512, epochs=20, hard_share=1.0, version="glyphnet-soft-3", shear_deg=15.0
)
KINDS = {
    "sharp": Recipe(
        lines=3000, hidden=256, epochs=12, hard_share=0.0, version="glyphnet-2", ink="strip"
    ),
    "soft": _SOFT,
    # The soft training with windows 2.8 pitches wide (how far blurred neighbours bleed in).
    "soft-wide": replace(_SOFT, version="glyphnet-soft-wide-3", context=2.8),
}


@dataclass(frozen=True)
class RenderedLine:
    """A degraded grey strip and the true cell centres / characters on it."""

    strip: np.ndarray  # uint8 (STRIP_HEIGHT, width)
    centres: np.ndarray  # float x of each cell centre
    text: str


def _random_text(rng: np.random.Generator) -> str:
    """An MRZ-like line: letters, digits and filler runs in plausible proportions."""
    n = int(rng.choice([30, 36, 44]))
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    digits = "0123456789"
    out: list[str] = []
    while len(out) < n:
        kind = rng.random()
        run = int(rng.integers(1, 10))
        if kind < 0.38:
            out.extend(rng.choice(list(letters), run))
        elif kind < 0.68:
            out.extend(rng.choice(list(digits), run))
        elif kind < 0.9:
            out.extend("<" * int(rng.integers(1, 3)))
        else:
            out.extend("<" * int(rng.integers(3, 16)))
    return "".join(out[:n])


_FONT_CACHE: dict[int, object] = {}


def _font(size: int) -> object:
    from PIL import ImageFont

    from app.vision.document.glyphs import _font_path

    if size not in _FONT_CACHE:
        _FONT_CACHE[size] = ImageFont.truetype(str(_font_path()), size)
    return _FONT_CACHE[size]


def _ink_map(
    text: str, rng: np.random.Generator, shear_deg: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """Ink (float 0..1) at 4x the strip resolution, and the cell centres at strip scale;
    glyphs sheared by up to ``shear_deg`` about the line's centre row."""
    from PIL import Image, ImageDraw

    up = 4
    pitch = STRIP_PITCH * float(rng.uniform(0.93, 1.07))  # the reader's pitch estimate errs
    drift = float(rng.uniform(-0.03, 0.03))  # perspective left over after rectification
    cap = pitch * float(rng.uniform(0.78, 1.0))
    size = max(8, round(100 * cap * up / 72.0))
    font = _font(size)
    advance = float(font.getlength("A"))  # type: ignore[attr-defined]
    _left, top, _right, bottom = font.getbbox("H")  # type: ignore[attr-defined]
    n = len(text)
    first = (MARGIN_CELLS + 0.5) * STRIP_PITCH + float(rng.uniform(-0.5, 0.5)) * pitch
    steps = np.arange(n, dtype=np.float64)
    centres = first + pitch * (steps + drift * steps * steps / max(n, 1))
    width = round((n + 2 * MARGIN_CELLS) * STRIP_PITCH * 1.15)
    centre_y = STRIP_HEIGHT / 2 + float(rng.uniform(-0.1, 0.1)) * pitch
    canvas = Image.new("L", (width * up, STRIP_HEIGHT * up), 0)
    draw = ImageDraw.Draw(canvas)
    for char, cx in zip(text, centres, strict=True):
        jitter_x = float(rng.normal(0, 0.02)) * pitch
        jitter_y = float(rng.normal(0, 0.02)) * pitch
        x = (cx + jitter_x) * up - advance / 2
        y = (centre_y + jitter_y) * up - (top + bottom) / 2
        draw.text((x, y), char, font=font, fill=255)  # type: ignore[arg-type]
    ink: np.ndarray = np.asarray(canvas, dtype=np.uint8)
    weight = int(rng.integers(-3, 4))
    kernel = np.ones((3, 3), np.uint8)
    if weight > 0:
        ink = cv2.dilate(ink, kernel, iterations=weight)
    elif weight < 0:
        ink = cv2.erode(ink, kernel, iterations=-weight)
    angle = float(rng.uniform(-0.8, 0.8))
    matrix = cv2.getRotationMatrix2D((ink.shape[1] / 2, ink.shape[0] / 2), angle, 1.0)
    if shear_deg > 0:  # drawn only then: the unsheared recipes keep their random stream
        shear = math.tan(math.radians(float(rng.uniform(-shear_deg, shear_deg))))
        rows = np.array([[1.0, shear, -shear * centre_y * up], [0.0, 1.0, 0.0], [0, 0, 1]])
        matrix = (np.vstack([matrix, [0, 0, 1]]) @ rows)[:2]
    ink = cv2.warpAffine(ink, matrix, (ink.shape[1], ink.shape[0]))
    small = cv2.resize(ink, (width, STRIP_HEIGHT), interpolation=cv2.INTER_AREA)
    return small.astype(np.float32) / 255.0, centres


def _paper(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Background grey: uneven light, sometimes a guilloche-like wave pattern."""
    height, width = shape
    xs = np.linspace(0, 1, width)[None, :]
    ys = np.linspace(0, 1, height)[:, None]
    base = float(rng.uniform(140, 245))
    light = float(rng.uniform(-40, 40)) * (xs - 0.5) + float(rng.uniform(-15, 15)) * (ys - 0.5)
    paper = base + light + np.zeros((height, width))
    if rng.random() < 0.5:
        freq = float(rng.uniform(0.05, 0.3))
        phase = float(rng.uniform(0, 6.3))
        wave = np.sin(
            freq
            * (np.arange(width)[None, :] + 8 * np.sin(np.arange(height)[:, None] * freq + phase))
        )
        paper = paper + float(rng.uniform(4, 25)) * wave
    return paper


def _clutter(grey: np.ndarray, centres: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """What lies beside a real MRZ line: the page edge and the desk beyond it, stray
    strokes of the security print. Never over the line's own cells."""
    height, width = grey.shape
    pitch = float(np.median(np.diff(centres)))
    out = grey.copy()
    for side in ("left", "right"):
        if rng.random() < 0.35:
            gap = pitch * float(rng.uniform(0.7, 3.0))
            level = float(rng.uniform(0, 255))
            texture = rng.normal(0, float(rng.uniform(2, 20)), (height, width))
            if side == "left":
                edge = max(int(centres[0] - gap), 0)
                out[:, :edge] = level + texture[:, :edge]
            else:
                edge = min(int(centres[-1] + gap), width)
                out[:, edge:] = level + texture[:, edge:]
    for _ in range(int(rng.integers(0, 4))):
        x = float(rng.uniform(0, width))
        if centres[0] - pitch < x < centres[-1] + pitch:
            continue
        y0, y1 = float(rng.uniform(0, height)), float(rng.uniform(0, height))
        x1 = x + float(rng.uniform(-2, 2)) * pitch
        cv2.line(out, (int(x), int(y0)), (int(x1), int(y1)), float(rng.uniform(0, 120)),
                 int(rng.integers(1, 4)))  # fmt: skip
    return out


def render_line(
    text: str, rng: np.random.Generator, hard_share: float = 0.0, shear_deg: float = 0.0
) -> RenderedLine:
    """Render ``text`` and degrade it like a photographed, rectified MRZ line.

    ``hard_share`` of the lines get the heavy blur of a shaky, out-of-focus capture
    (Gaussian 0.6-2 px and motion up to 10 px at the camera's resolution).
    """
    hard = hard_share > 0 and rng.random() < hard_share
    ink, centres = _ink_map(text, rng, shear_deg)
    paper = _paper(ink.shape, rng)
    ink_level = float(rng.uniform(0, 90))
    contrast = float(rng.uniform(0.45, 1.0))
    grey = paper - (paper - ink_level) * ink * contrast
    grey = _clutter(grey, centres, rng)
    # Down to the camera's resolution (7-24 px per cell), degrade there, back up.
    cell_px = float(rng.uniform(7.0, 24.0))
    factor = cell_px / STRIP_PITCH
    low_size = (max(round(grey.shape[1] * factor), 8), max(round(grey.shape[0] * factor), 8))
    low = cv2.resize(grey.astype(np.float32), low_size, interpolation=cv2.INTER_AREA)
    sigma = float(rng.uniform(0.6, 2.0)) if hard else float(rng.uniform(0.0, 1.1)) ** 1.5
    if sigma > 0.15:
        low = cv2.GaussianBlur(low, (0, 0), sigma)
    if rng.random() < (0.6 if hard else 0.25):
        length = int(rng.integers(3, 11)) if hard else int(rng.integers(2, 5))
        kernel: np.ndarray = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0 / length
        rot = cv2.getRotationMatrix2D(
            (length / 2 - 0.5, length / 2 - 0.5), float(rng.uniform(0, 180)), 1
        )
        kernel = cv2.warpAffine(kernel, rot, (length, length))
        kernel = (kernel / max(float(kernel.sum()), 1e-6)).astype(np.float32)
        low = cv2.filter2D(low, -1, kernel)
    low = low + rng.normal(0, float(rng.uniform(0, 8)), low.shape)
    low_u8 = np.clip(low, 0, 255).astype(np.uint8)
    if rng.random() < 0.8:
        quality = int(rng.integers(45, 96))
        ok, buf = cv2.imencode(".jpg", low_u8, [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            low_u8 = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)
    strip = cv2.resize(low_u8, (grey.shape[1], grey.shape[0]), interpolation=cv2.INTER_CUBIC)
    return RenderedLine(strip=strip, centres=centres, text=text)


def line_samples(
    line: RenderedLine, rng: np.random.Generator, ink_kind: str = "column", context: float = 1.0
) -> Iterator[tuple[np.ndarray, int]]:
    """(feature, label) pairs: every glyph, and windows between glyphs as the gap class;
    windows ``context`` pitches wide (``GlyphNet.context``)."""
    from app.vision.document.rectify import _band, _ink, _strip_ink

    ink = _strip_ink(line.strip) if ink_kind == "strip" else _ink(line.strip)
    y0, y1 = _band(ink)
    pitch = float(np.median(np.diff(line.centres)))
    width = round(pitch * context)
    shape = window_shape(context)
    pad = int(STRIP_PITCH * (1 + context))
    padded = np.pad(ink, ((0, 0), (pad, pad)))

    def window(centre: float) -> np.ndarray:
        x0 = round(centre - pitch * context / 2) + pad
        return to_feature(padded[y0:y1, x0 : x0 + width], shape)

    # Glyph windows within 0.1 pitch of the centre; gap windows from 0.28 pitch off, so
    # that the network's confidence peaks where the lattice must put a cell.
    for char, centre in zip(line.text, line.centres, strict=True):
        yield window(centre + float(rng.uniform(-0.1, 0.1)) * pitch), MRZ_CHARSET.index(char)
    for k in range(-1, len(line.centres)):
        if rng.random() < 0.7:
            if k < 0:
                centre = line.centres[0] - pitch * float(rng.uniform(0.5, 5.0))
            elif k == len(line.centres) - 1:
                centre = line.centres[-1] + pitch * float(rng.uniform(0.5, 5.0))
            else:
                gap = line.centres[k + 1] - line.centres[k]
                centre = line.centres[k] + gap * float(rng.uniform(0.28, 0.72))
            yield window(centre), GAP


# A line holds at most 44 glyphs and so 45 gaps: the most windows ``line_samples`` yields.
_MAX_WINDOWS_PER_LINE = 44 + 45


def make_dataset(
    n_lines: int,
    seed: int,
    hard_share: float = 0.0,
    ink_kind: str = "column",
    context: float = 1.0,
    shear_deg: float = 0.0,
    feature_dtype: str = "float32",
) -> tuple[np.ndarray, np.ndarray]:
    """Features (n, rows * cols) of ``feature_dtype`` and labels (n,) from ``n_lines``
    rendered lines."""
    rng = np.random.default_rng(seed)
    rows, cols = window_shape(context)
    # Filled in place, so that the features are never held twice: room for the most
    # windows is reserved, and the pages never written take no memory.
    feats = np.empty((n_lines * _MAX_WINDOWS_PER_LINE, rows * cols), np.dtype(feature_dtype))
    labels = np.empty(n_lines * _MAX_WINDOWS_PER_LINE, np.int64)
    count = 0
    for _ in range(n_lines):
        line = render_line(_random_text(rng), rng, hard_share, shear_deg)
        for feature, label in line_samples(line, rng, ink_kind, context):
            feats[count] = feature
            labels[count] = label
            count += 1
    return feats[:count], labels[:count]


def train(
    features: np.ndarray,
    labels: np.ndarray,
    *,
    hidden: int = 256,
    epochs: int = 12,
    batch: int = 256,
    lr: float = 2e-3,
    seed: int = 0,
    version: str = "glyphnet-dev",
    context: float = 1.0,
    progress: Callable[[int, float], None] | None = None,
    initial: GlyphNet | None = None,
) -> GlyphNet:
    """Softmax cross-entropy, Adam, a cosine learning-rate decay; plain NumPy.
    ``progress(epoch, seconds)`` is called after each epoch. With ``initial`` the training
    starts from a copy of that network's weights (fine-tuning; ``hidden`` is its size)."""
    rng = np.random.default_rng(seed)
    dim = features.shape[1]
    w1 = rng.normal(0, np.sqrt(2.0 / dim), (dim, hidden)).astype(np.float32)
    b1 = np.zeros(hidden, np.float32)
    w2 = rng.normal(0, np.sqrt(1.0 / hidden), (hidden, N_CLASSES)).astype(np.float32)
    b2 = np.zeros(N_CLASSES, np.float32)
    if initial is not None:
        # The random weights above are drawn anyway: the batch order that follows comes
        # from the same generator, so it stays what it was when the tuning was recorded.
        if initial.w1.shape[0] != dim:
            raise ValueError(f"features of {dim} values, the network reads {initial.w1.shape[0]}")
        w1, b1, w2, b2 = (
            np.array(weights, np.float32)
            for weights in (initial.w1, initial.b1, initial.w2, initial.b2)
        )
        hidden = w1.shape[1]
    params = [w1, b1, w2, b2]
    grads = [np.empty_like(p) for p in params]
    g_w1, g_b1, g_w2, g_b2 = grads
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    # Every array of a step is allocated once, here, and written in place: about 1.7
    # times faster per epoch than a new array per term, and the multi-GB trainings, whose
    # epochs grew several times longer that way, keep flat epochs (NOTES-mrz.md, round 16).
    gathered = np.empty((batch, dim), features.dtype)
    x_full = gathered if features.dtype == np.float32 else np.empty((batch, dim), np.float32)
    h_pre_full = np.empty((batch, hidden), np.float32)
    h_full = np.empty_like(h_pre_full)
    g_h_full = np.empty_like(h_pre_full)
    logits_full = np.empty((batch, N_CLASSES), np.float32)
    row_max = np.empty((batch, 1), np.float32)
    step = 0
    n = len(labels)
    total_steps = epochs * ((n + batch - 1) // batch)
    for epoch in range(epochs):
        epoch_started = time.perf_counter()
        order = rng.permutation(n)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            size = len(idx)
            x, h_pre, h = x_full[:size], h_pre_full[:size], h_full[:size]
            logits, g_h, top = logits_full[:size], g_h_full[:size], row_max[:size]
            np.take(features, idx, axis=0, out=gathered[:size])
            if x_full is not gathered:
                x[...] = gathered[:size]
            y = labels[idx]
            np.matmul(x, w1, out=h_pre)
            h_pre += b1
            np.maximum(h_pre, 0, out=h)
            np.matmul(h, w2, out=logits)
            logits += b2
            np.max(logits, axis=1, keepdims=True, out=top)
            logits -= top
            np.exp(logits, out=logits)
            np.sum(logits, axis=1, keepdims=True, out=top)
            logits /= top
            # From here ``logits`` holds the gradient of the mean loss by the logits.
            logits[np.arange(size), y] -= 1.0
            logits /= size
            np.matmul(h.T, logits, out=g_w2)
            np.sum(logits, axis=0, out=g_b2)
            np.matmul(logits, w2.T, out=g_h)
            g_h *= h_pre > 0
            np.matmul(x.T, g_h, out=g_w1)
            np.multiply(w1, 1e-5, out=scratch[0])  # weight decay on w1
            g_w1 += scratch[0]
            np.sum(g_h, axis=0, out=g_b1)
            step += 1
            rate = lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))
            first_bias, second_bias = 1 - 0.9**step, 1 - 0.999**step
            for param, grad, m_i, v_i, tmp in zip(params, grads, m, v, scratch, strict=True):
                m_i *= 0.9
                np.multiply(grad, 0.1, out=tmp)
                m_i += tmp
                v_i *= 0.999
                np.multiply(grad, grad, out=tmp)
                tmp *= 0.001
                v_i += tmp
                # param -= rate * m_hat / (sqrt(v_hat) + 1e-8), the hats bias-corrected
                np.divide(v_i, second_bias, out=tmp)
                np.sqrt(tmp, out=tmp)
                tmp += 1e-8
                np.divide(m_i, tmp, out=tmp)
                tmp *= rate / first_bias
                param -= tmp
        if progress is not None:
            progress(epoch + 1, time.perf_counter() - epoch_started)
    return GlyphNet(w1=w1, b1=b1, w2=w2, b2=b2, version=version, context=context)


def accuracy(net: GlyphNet, features: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """(glyph accuracy, gap-class accuracy) on a held-out set."""
    predicted = net.log_probs(features).argmax(axis=1)
    glyph = labels != GAP
    return (
        float((predicted[glyph] == labels[glyph]).mean()),
        float((predicted[~glyph] == GAP).mean()),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted(KINDS), default="sharp")
    parser.add_argument("--lines", type=int)
    parser.add_argument("--hidden", type=int)
    parser.add_argument("--epochs", type=int)
    parser.add_argument("--hard-share", type=float)
    parser.add_argument("--context", type=float)
    parser.add_argument("--shear-deg", type=float)
    parser.add_argument("--feature-dtype", choices=("float32", "float16"))
    parser.add_argument("--seed", type=int, default=9303)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--check", action="store_true", help="train and report, do not save")
    args = parser.parse_args(argv)
    recipe = KINDS[args.kind]
    overrides = {
        name: getattr(args, name)
        for name in (
            "lines",
            "hidden",
            "epochs",
            "hard_share",
            "context",
            "shear_deg",
            "feature_dtype",
        )
        if getattr(args, name) is not None
    }
    if overrides:
        recipe = replace(recipe, **overrides, version=f"{recipe.version}-custom")
    out = args.out or WEIGHTS_PATHS[args.kind]
    started = time.perf_counter()

    def rendered(n_lines: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        return make_dataset(
            n_lines,
            seed,
            recipe.hard_share,
            recipe.ink,
            recipe.context,
            recipe.shear_deg,
            recipe.feature_dtype,
        )

    features, labels = rendered(recipe.lines, args.seed)
    held_x, held_y = rendered(max(recipe.lines // 10, 50), args.seed + 1)
    print(f"samples: {len(labels)} train, {len(held_y)} held out "
          f"({time.perf_counter() - started:.0f} s to render)")  # fmt: skip
    net = train(
        features, labels, hidden=recipe.hidden, epochs=recipe.epochs, seed=args.seed,
        version=recipe.version, context=recipe.context,
        progress=lambda epoch, seconds: print(
            f"epoch {epoch}/{recipe.epochs}: {seconds:.0f} s", flush=True
        ),
    )  # fmt: skip
    glyph_acc, gap_acc = accuracy(net, held_x, held_y)
    print(f"held-out renders: glyph accuracy {glyph_acc:.4f}, gap accuracy {gap_acc:.4f} "
          f"({time.perf_counter() - started:.0f} s total)")  # fmt: skip
    if not args.check:
        save_glyphnet(net, out)
        print(f"wrote {out} ({net.version})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
