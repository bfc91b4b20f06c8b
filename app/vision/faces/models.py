"""Load dlib's face models once per process.

face_recognition loads its models at import time; importing it from the web app would
cost ~1 s and ~100 MB per process. The core therefore uses dlib directly through this
loader, which the Celery worker calls once in ``worker_process_init`` and the CLI calls
on demand. The model files ship inside the ``face_recognition_models`` wheel: nothing is
downloaded at run time.
"""

from __future__ import annotations

import threading
import warnings
from dataclasses import dataclass
from typing import Any

_lock = threading.Lock()
_cached: FaceModels | None = None

FACE_MODEL_VERSION = "dlib-resnet-v1+hog+shape68"


@dataclass(frozen=True)
class FaceModels:
    """The dlib detector, landmark predictors and face encoder."""

    detector: Any  # dlib.fhog_object_detector
    shape68: Any  # dlib.shape_predictor, 68 landmarks
    shape5: Any  # dlib.shape_predictor, 5 landmarks (alignment for encoding)
    encoder: Any  # dlib.face_recognition_model_v1
    version: str = FACE_MODEL_VERSION


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
                detector=dlib.get_frontal_face_detector(),
                shape68=dlib.shape_predictor(frm.pose_predictor_model_location()),
                shape5=dlib.shape_predictor(frm.pose_predictor_five_point_model_location()),
                encoder=dlib.face_recognition_model_v1(frm.face_recognition_model_location()),
            )
    return _cached
