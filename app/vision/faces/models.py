"""Load the face models once per process.

Two families, each where it earns its place (benchmarks/NOTES-faces.md):

- **Templates** (matching, duplicates, identity across a liveness burst): YuNet finds the
  face and its 5 landmarks, MobileFaceNet turns the aligned 112x112 crop into a 128-d
  unit vector. Both are ONNX files shipped in ``app/vision/faces/onnx`` with their
  licences, run by OpenCV's DNN module, and refused at load when their SHA-256 differs.
- **dlib** (HOG detector and 68-point landmarks): still used by the liveness signals
  (head pose, eye and mouth geometry) and by the document reader's portrait locator.
  Its ResNet encoder is kept only so the benchmark can print the previous model's figures
  beside the new ones on the same sets; no decision uses it.

face_recognition loads its models at import time; the web app never imports it. The
Celery worker calls :func:`load_face_models` once in ``worker_process_init`` and the CLI
calls it on demand. Nothing is downloaded at run time.
"""

from __future__ import annotations

import hashlib
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

MODEL_DIR = Path(__file__).resolve().parent / "onnx"
DETECTOR_FILE = "yunet_2023mar.onnx"
DETECTOR_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"
EMBEDDER_FILE = "mobilefacenet.onnx"
EMBEDDER_SHA256 = "b7120c095d60094f28a4a54ba6a8bf51b297a6273fb40ef6350dfec1f63d9507"

DETECTOR_ID = f"yunet-2023mar-{DETECTOR_SHA256[:8]}"
# The template space: stored templates carry it, the policy keys its face bands by it and
# the duplicate search only compares templates that share it.
TEMPLATE_MODEL_ID = f"mobilefacenet-128-{EMBEDDER_SHA256[:8]}"
# What every face check records as its model version (detector + embedder).
FACE_MODEL_VERSION = f"{TEMPLATE_MODEL_ID}+{DETECTOR_ID}"
# The template space of the previous release (dlib ResNet), still found on stored rows
# until they are re-encoded (``idgate faces reencode``).
LEGACY_DLIB_MODEL_ID = "dlib-resnet-v1+hog+shape68"

_lock = threading.Lock()
_cached: FaceModels | None = None


class ModelIntegrityError(RuntimeError):
    """A shipped model file is missing or its SHA-256 is not the one recorded."""


def verified_model_path(name: str, sha256: str, directory: Path = MODEL_DIR) -> Path:
    """Return the path of a shipped model after checking its SHA-256."""
    path = directory / name
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelIntegrityError(f"face model {name} cannot be read: {exc}") from exc
    if digest != sha256:
        raise ModelIntegrityError(f"face model {name} has sha256 {digest}, expected {sha256}")
    return path


class FaceDetector:
    """YuNet over images of any size (one OpenCV object; calls are serialised)."""

    def __init__(self, path: Path, score_threshold: float = 0.6) -> None:
        # OpenCV's DNN engine warns on every load that YuNet's target hint is ignored
        # (it runs on the CPU either way); keep the CLI's stderr for real problems.
        previous = cv2.utils.logging.getLogLevel()
        cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
        try:
            self._detector: Any = cv2.FaceDetectorYN.create(
                str(path), "", (320, 320), score_threshold, 0.3, 5000
            )
        finally:
            cv2.utils.logging.setLogLevel(previous)
        self._lock = threading.Lock()

    def detect(self, bgr: np.ndarray) -> np.ndarray:
        """Raw YuNet rows (n, 15): x, y, w, h, 5 landmark pairs, score; image pixels."""
        height, width = bgr.shape[:2]
        with self._lock:
            self._detector.setInputSize((width, height))
            _, faces = self._detector.detect(np.ascontiguousarray(bgr))
        if faces is None:
            return np.zeros((0, 15), dtype=np.float32)
        return np.asarray(faces, dtype=np.float32).reshape(-1, 15)


class FaceEmbedder:
    """MobileFaceNet: (n, 3, 112, 112) normalised float32 -> (n, 128) raw embeddings."""

    def __init__(self, path: Path) -> None:
        self._net: Any = cv2.dnn.readNetFromONNX(str(path))
        self._lock = threading.Lock()

    def forward(self, batch: np.ndarray) -> np.ndarray:
        """Run the network on a prepared NCHW batch."""
        with self._lock:
            self._net.setInput(np.ascontiguousarray(batch, dtype=np.float32))
            out = self._net.forward()
        return np.asarray(out, dtype=np.float32).reshape(batch.shape[0], -1)


@dataclass(frozen=True)
class FaceModels:
    """The face detector and embedder behind templates, and dlib's models (see module doc)."""

    face_detector: FaceDetector
    embedder: FaceEmbedder
    detector: Any  # dlib.fhog_object_detector (portrait locator, liveness)
    shape68: Any  # dlib.shape_predictor, 68 landmarks (liveness signals)
    shape5: Any  # dlib.shape_predictor, 5 landmarks (legacy encoder alignment)
    encoder: Any  # dlib.face_recognition_model_v1 (benchmark comparison only)
    version: str = FACE_MODEL_VERSION
    template_model_id: str = TEMPLATE_MODEL_ID


def load_face_models() -> FaceModels:
    """Return the process-wide face models, loading them on first call (~0.5 s)."""
    global _cached
    if _cached is not None:
        return _cached
    with _lock:
        if _cached is None:
            import dlib

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pkg_resources deprecation
                import face_recognition_models as frm

            _cached = FaceModels(
                face_detector=FaceDetector(verified_model_path(DETECTOR_FILE, DETECTOR_SHA256)),
                embedder=FaceEmbedder(verified_model_path(EMBEDDER_FILE, EMBEDDER_SHA256)),
                detector=dlib.get_frontal_face_detector(),
                shape68=dlib.shape_predictor(frm.pose_predictor_model_location()),
                shape5=dlib.shape_predictor(frm.pose_predictor_five_point_model_location()),
                encoder=dlib.face_recognition_model_v1(frm.face_recognition_model_location()),
            )
    return _cached
