"""Face detection, templates, comparison and the duplicate-template index (pure core)."""

from app.vision.faces.analyse import (
    analyse_face,
    analyse_selfie_burst,
    as_rgb_uint8,
    compare_faces,
    face_distance,
)
from app.vision.faces.embedding import DetectedFace, align_face, detect_faces, embed_aligned
from app.vision.faces.index import IndexHit, TemplateIndex
from app.vision.faces.models import (
    FACE_MODEL_VERSION,
    LEGACY_DLIB_MODEL_ID,
    TEMPLATE_MODEL_ID,
    FaceModels,
    ModelIntegrityError,
    load_face_models,
)
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
    "LEGACY_DLIB_MODEL_ID",
    "TEMPLATE_MODEL_ID",
    "DetectedFace",
    "FaceAnalysis",
    "FaceMatchResult",
    "FaceModels",
    "FaceQualityThresholds",
    "FaceRole",
    "FaceSample",
    "IndexHit",
    "MatchBand",
    "MatchBands",
    "ModelIntegrityError",
    "TemplateIndex",
    "align_face",
    "analyse_face",
    "analyse_selfie_burst",
    "as_rgb_uint8",
    "compare_faces",
    "detect_faces",
    "embed_aligned",
    "face_distance",
    "load_face_models",
]
