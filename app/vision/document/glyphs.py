"""A small template classifier for the MRZ's fixed-pitch OCR-B glyphs.

Tesseract's stock ``eng`` model was not trained on OCR-B and often reads the filler ``<``
as K or C. MRZ text is a single font on a fixed pitch, so matching each character cell
against rendered OCR-B glyphs is both faster and more reliable. The templates are rendered
from Debian's ``fonts-ocr-b`` (OCRB.otf, a font file shipped with the OS, not downloaded)
with variations of stroke weight, blur, scale and offset. Rendering them takes 0.3-0.6 s, a
large share of a fresh process's first read, so the rendered set ships with the package
(``ocr-b-templates.npz``, written by ``python -m app.vision.document.glyphs``; a unit test
checks that it equals a fresh rendering); the font is rendered only when that file is
missing.

Features are ink maps of a window one pitch wide and ``WINDOW_HEIGHT_PITCHES`` tall,
centred on the character cell, resized to ``FEATURE_SHAPE``, mean-removed and L2-normalised:
the score of a class is the best correlation with any of its templates.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

MRZ_CHARSET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
FEATURE_SHAPE = (28, 20)  # rows, cols
FEATURE_DIM = FEATURE_SHAPE[0] * FEATURE_SHAPE[1]
WINDOW_HEIGHT_PITCHES = 1.4

OCRB_FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf"),
    Path("/usr/share/fonts/truetype/ocr-b/OCRB.ttf"),
)

_RENDER_SIZE = 120  # font size in px for the master renders
TEMPLATES_PATH = Path(__file__).with_name("ocr-b-templates.npz")

_lock = threading.Lock()
_cached: GlyphTemplates | None = None


class GlyphFontMissing(RuntimeError):
    """The OCR-B font is not installed (Debian package fonts-ocr-b)."""


@dataclass(frozen=True)
class GlyphTemplates:
    """Template feature vectors (rows) and the class index of each row."""

    features: np.ndarray  # (n_templates, feature_dim) float32, L2-normalised
    labels: np.ndarray  # (n_templates,) int index into MRZ_CHARSET


def to_feature(window: np.ndarray, shape: tuple[int, int] = FEATURE_SHAPE) -> np.ndarray:
    """Ink map (float, 1 = ink) of any size -> normalised feature vector of ``shape``."""
    small = cv2.resize(window.astype(np.float32), shape[::-1], interpolation=cv2.INTER_AREA)
    vec = small.reshape(-1)
    vec = vec - vec.mean()
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 1e-6 else vec


def _font_path() -> Path:
    for path in OCRB_FONT_CANDIDATES:
        if path.is_file():
            return path
    raise GlyphFontMissing("OCR-B font not found; install Debian package fonts-ocr-b")


def _render_masters() -> tuple[dict[str, np.ndarray], float, float]:
    """Ink maps of each glyph on a canvas; returns (maps, pitch px, cap-line centre y)."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(_font_path()), _RENDER_SIZE)
    pitch = float(font.getlength("A"))
    height = int(_RENDER_SIZE * 1.6)
    width = int(pitch * 3)
    masters: dict[str, np.ndarray] = {}
    tops, bottoms = [], []
    for char in MRZ_CHARSET:
        canvas = Image.new("L", (width, height), 0)
        ImageDraw.Draw(canvas).text((pitch, _RENDER_SIZE * 0.2), char, font=font, fill=255)
        ink = np.asarray(canvas, dtype=np.float32) / 255.0
        masters[char] = ink
        if char.isalpha():
            rows = np.nonzero(ink.max(axis=1) > 0.5)[0]
            tops.append(rows[0])
            bottoms.append(rows[-1])
    centre_y = (float(np.median(tops)) + float(np.median(bottoms))) / 2
    return masters, pitch, centre_y


def _window(ink: np.ndarray, centre_x: float, centre_y: float, pitch: float) -> np.ndarray:
    half_w = pitch / 2
    half_h = pitch * WINDOW_HEIGHT_PITCHES / 2
    x0, x1 = round(centre_x - half_w), round(centre_x + half_w)
    y0, y1 = round(centre_y - half_h), round(centre_y + half_h)
    return ink[max(y0, 0) : y1, max(x0, 0) : x1]


def build_templates() -> GlyphTemplates:
    """Render the template set (about 0.3 s); normally use :func:`load_templates`."""
    masters, pitch, centre_y = _render_masters()
    features: list[np.ndarray] = []
    labels: list[int] = []
    kernel = np.ones((3, 3), np.uint8)
    for label, char in enumerate(MRZ_CHARSET):
        master = masters[char]
        weights = [
            master,
            cv2.dilate(master, kernel, iterations=2),
            cv2.dilate(master, kernel, iterations=5),
            cv2.erode(master, kernel, iterations=2),
        ]
        for weighted in weights:
            for blur in (0.0, 4.0, 8.0):
                img = cv2.GaussianBlur(weighted, (0, 0), blur) if blur else weighted
                for scale in (0.9, 1.0, 1.1):
                    for dy in (-0.06, 0.0, 0.06):
                        win = _window(img, pitch * 1.5, centre_y + dy * pitch, pitch * scale)
                        features.append(to_feature(win))
                        labels.append(label)
    return GlyphTemplates(
        features=np.stack(features).astype(np.float32), labels=np.asarray(labels, np.int32)
    )


def save_templates(templates: GlyphTemplates, path: Path = TEMPLATES_PATH) -> None:
    """Write a rendered template set for :func:`load_templates` to read."""
    np.savez_compressed(path, features=templates.features, labels=templates.labels)


def read_templates(path: Path = TEMPLATES_PATH) -> GlyphTemplates | None:
    """The template set saved at ``path``; None when the file is missing or not a set of
    this code's shape (then the font is rendered instead)."""
    if not path.is_file():
        return None
    with np.load(path) as data:
        features = np.asarray(data["features"])
        labels = np.asarray(data["labels"])
    if (
        features.dtype != np.float32
        or features.ndim != 2
        or features.shape[1] != FEATURE_DIM
        or labels.shape != (features.shape[0],)
        or labels.min(initial=0) < 0
        or labels.max(initial=0) >= len(MRZ_CHARSET)
    ):
        return None
    return GlyphTemplates(features=features, labels=labels.astype(np.int32))


def load_templates() -> GlyphTemplates:
    """The process-wide template set: the shipped one, or rendered when it is missing."""
    global _cached
    if _cached is not None:
        return _cached
    with _lock:
        if _cached is None:
            _cached = read_templates() or build_templates()
    return _cached


def classify(features: np.ndarray, templates: GlyphTemplates) -> np.ndarray:
    """Per-class scores (n_samples, len(MRZ_CHARSET)): best correlation with any template."""
    sims = features.astype(np.float32) @ templates.features.T
    n_classes = len(MRZ_CHARSET)
    per_class, remainder = divmod(len(templates.labels), n_classes)
    if remainder == 0 and np.array_equal(
        templates.labels, np.repeat(np.arange(n_classes, dtype=templates.labels.dtype), per_class)
    ):
        # Templates are stored class by class in equal blocks: one reduction does it.
        return sims.reshape(features.shape[0], n_classes, per_class).max(axis=2)
    scores = np.full((features.shape[0], n_classes), -1.0, np.float32)
    for label in range(n_classes):
        scores[:, label] = sims[:, templates.labels == label].max(axis=1)
    return scores


if __name__ == "__main__":
    save_templates(build_templates())
    print(f"wrote {TEMPLATES_PATH}")
