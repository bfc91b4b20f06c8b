"""Face detection, templates, comparison and the duplicate-template index (pure core)."""

from app.vision.faces.analyse import analyse_face, as_rgb_uint8, compare_faces, face_distance
from app.vision.faces.index import IndexHit, TemplateIndex
from app.vision.faces.models import FACE_MODEL_VERSION, FaceModels, load_face_models
from app.vision.faces.types import (
    FaceAnalysis,
    FaceMatchResult,
    FaceQualityThresholds,
    FaceRole,
    FaceSample,
    MatchBand,
    MatchBands,
)

__all__ = [
    "FACE_MODEL_VERSION",
    "FaceAnalysis",
    "FaceMatchResult",
    "FaceModels",
    "FaceQualityThresholds",
    "FaceRole",
    "FaceSample",
    "IndexHit",
    "MatchBand",
    "MatchBands",
    "TemplateIndex",
    "analyse_face",
    "as_rgb_uint8",
    "compare_faces",
    "face_distance",
    "load_face_models",
]
