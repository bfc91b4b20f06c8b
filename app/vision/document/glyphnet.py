"""A small neural classifier for MRZ character cells (OCR-B), with a "no glyph here" class.

The template correlation in ``glyphs.py`` picks the nearest rendered glyph; this network
is trained (``glyph_training.py``) on whole rendered MRZ lines degraded like phone photos
(blur, noise, JPEG, stroke weight, uneven ink, neighbours bleeding into the window), so it
learns what separates look-alikes (E/F, K/X, O/C/Q) under those conditions. Its extra class,
``GAP``, is trained on windows centred between two glyphs: the reader uses it to place the
cell lattice (a window is "on a glyph" when the gap class is unlikely).

Input: feature vectors like the templates' (``glyphs.to_feature``) of a window ``context``
pitches wide (the templates see one pitch; a wider window shows the network how far a
blurred neighbour bleeds into the cell). Output: natural
log-probabilities over ``MRZ_CHARSET`` plus the gap class. The weights are NumPy archives
committed next to this module, produced by ``python -m app.vision.document.glyph_training``
from Debian's ``fonts-ocr-b`` alone (no downloaded model or data). Three are trained so:

- ``sharp`` (``glyphnet.npz``): trained on captures from crisp to moderately soft; it reads
  every line crisp enough to settle positions on its own;
- ``soft`` (``glyphnet-soft.npz``, twice the hidden units): trained only on the heavy blur
  of shaky, out-of-focus captures; it reads the lines too soft to settle anything, whose
  unchecked positions a second engine must confirm in any case;
- ``soft-wide`` (``glyphnet-soft-wide.npz``): the same training, but each window is 2.8
  pitches wide (``context``), so it sees how far the blurred neighbours bleed in. The
  reader averages its probabilities with the soft network's (an ensemble of the two).

Both soft networks are trained on glyphs sheared by up to 15 degrees: under a phone's
perspective the text's verticals lean against the line, which the rectified strip keeps.

The reader uses the soft pair fine-tuned on photographs (``soft-photo``,
``soft-wide-photo``): ``benchmarks/photo_tuning.py`` starts from the two networks above and
trains them further on MRZ lines the reader itself cut from generated photographs of
seeds the benchmark never reads, labelled with the generator's truth.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.vision.document.glyphs import FEATURE_SHAPE, MRZ_CHARSET

GAP = len(MRZ_CHARSET)  # index of the "between glyphs / no glyph" class
N_CLASSES = len(MRZ_CHARSET) + 1
WEIGHTS_PATH = Path(__file__).with_name("glyphnet.npz")
WEIGHTS_PATHS = {
    "sharp": WEIGHTS_PATH,
    "soft": Path(__file__).with_name("glyphnet-soft.npz"),
    "soft-wide": Path(__file__).with_name("glyphnet-soft-wide.npz"),
    # The soft pair fine-tuned on MRZ lines the reader cut from generated photographs
    # (``benchmarks/photo_tuning.py``): what the reader uses.
    "soft-photo": Path(__file__).with_name("glyphnet-soft-photo.npz"),
    "soft-wide-photo": Path(__file__).with_name("glyphnet-soft-wide-photo.npz"),
}

_lock = threading.Lock()
_cached: dict[str, GlyphNet] = {}


def window_shape(context: float) -> tuple[int, int]:
    """(rows, cols) of a network's input window ``context`` pitches wide, after
    resampling: the templates' shape, widened in proportion."""
    return FEATURE_SHAPE[0], round(FEATURE_SHAPE[1] * context)


class GlyphNetMissing(RuntimeError):
    """The weights file is missing or does not fit this code (re-run the training)."""


@dataclass(frozen=True)
class GlyphNet:
    """A two-layer perceptron: feature -> ReLU hidden layer -> class logits."""

    w1: np.ndarray  # (feature rows * cols, hidden) float32
    b1: np.ndarray  # (hidden,)
    w2: np.ndarray  # (hidden, N_CLASSES)
    b2: np.ndarray  # (N_CLASSES,)
    version: str
    context: float = 1.0  # window width in pitches

    @property
    def feature_shape(self) -> tuple[int, int]:
        """(rows, cols) of this network's input window after resampling."""
        return window_shape(self.context)

    def log_probs(self, features: np.ndarray) -> np.ndarray:
        """Log-probabilities (n, N_CLASSES) for feature rows (n, rows * cols)."""
        hidden = np.maximum(features.astype(np.float32) @ self.w1 + self.b1, 0.0)
        logits = hidden @ self.w2 + self.b2
        logits = logits - logits.max(axis=1, keepdims=True)
        return logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))


def save_glyphnet(net: GlyphNet, path: Path = WEIGHTS_PATH) -> None:
    """Write the weights (float16 on disk: the archive stays small)."""
    np.savez_compressed(
        path,
        w1=net.w1.astype(np.float16),
        b1=net.b1.astype(np.float16),
        w2=net.w2.astype(np.float16),
        b2=net.b2.astype(np.float16),
        version=np.array(net.version),
        context=np.array(net.context),
        charset=np.array(MRZ_CHARSET),
    )


def _read(path: Path) -> GlyphNet:
    try:
        with np.load(path) as archive:
            if str(archive["charset"]) != MRZ_CHARSET:
                raise GlyphNetMissing(f"{path}: trained for another character set")
            net = GlyphNet(
                w1=archive["w1"].astype(np.float32),
                b1=archive["b1"].astype(np.float32),
                w2=archive["w2"].astype(np.float32),
                b2=archive["b2"].astype(np.float32),
                version=str(archive["version"]),
                context=float(archive["context"]) if "context" in archive else 1.0,
            )
    except (OSError, KeyError, ValueError) as error:
        raise GlyphNetMissing(f"{path}: {error}") from error
    rows, cols = net.feature_shape
    if net.w1.shape[0] != rows * cols or net.w2.shape[1] != N_CLASSES:
        raise GlyphNetMissing(f"{path}: shapes {net.w1.shape}, {net.w2.shape} do not fit")
    return net


def load_glyphnet(kind: str = "sharp") -> GlyphNet:
    """The process-wide network of ``kind`` (a key of ``WEIGHTS_PATHS``), read on first
    use."""
    net = _cached.get(kind)
    if net is not None:
        return net
    with _lock:
        if kind not in _cached:
            _cached[kind] = _read(WEIGHTS_PATHS[kind])
    return _cached[kind]
