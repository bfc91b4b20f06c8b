"""Face detection (YuNet), alignment and templates (MobileFaceNet). Pure: arrays in, arrays out.

A template is a 128-d unit vector. Two templates of the same person are close in Euclidean
distance (0 .. 2; ``sqrt(2 - 2 cos)``); the preprocessing follows the model's README in
``app/vision/faces/onnx``: a least-squares similarity transform of the 5 landmarks onto the
plain ArcFace template, RGB / 255, ImageNet mean and std, NCHW.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from app.vision.faces.models import FaceModels

# Landmarks in the aligned 112x112 crop: the eye on the image's left, the other eye, nose
# tip, the mouth corner on the image's left, the other corner (YuNet's order too).
ARCFACE_TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)
ALIGNED_SIZE = 112
_MEAN = np.array([0.485, 0.456, 0.406], dtype=np.float32)
_STD = np.array([0.229, 0.224, 0.225], dtype=np.float32)
# Depth of the nose tip in front of the eyes over the distance between the eye centres
# (~30 mm / ~63 mm): turns the nose's sideways offset into an approximate yaw.
_NOSE_DEPTH_RATIO = 0.48


@dataclass(frozen=True)
class DetectedFace:
    """One YuNet detection in the coordinates of the image handed in."""

    box: tuple[float, float, float, float]  # x, y, width, height
    landmarks: np.ndarray  # (5, 2): eye (image left), eye, nose tip, mouth corners
    score: float

    @property
    def width(self) -> float:
        """Box width in pixels."""
        return self.box[2]

    @property
    def area(self) -> float:
        """Box area in square pixels."""
        return self.box[2] * self.box[3]


def detect_faces(rgb: np.ndarray, models: FaceModels, *, max_side: int = 640) -> list[DetectedFace]:
    """Faces in an RGB uint8 image, largest first. Large images are searched on a copy
    whose longer side is ``max_side``; coordinates are returned in the input's pixels."""
    height, width = rgb.shape[:2]
    scale = min(1.0, max_side / float(max(height, width)))
    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    rows = models.face_detector.detect(bgr)
    faces = [
        DetectedFace(
            box=(
                float(r[0] / scale),
                float(r[1] / scale),
                float(r[2] / scale),
                float(r[3] / scale),
            ),
            landmarks=(r[4:14].reshape(5, 2).astype(np.float64) / scale),
            score=float(r[14]),
        )
        for r in rows
    ]
    return sorted(faces, key=lambda f: f.area, reverse=True)


def similarity_transform(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares similarity (rotation, uniform scale, shift) mapping ``source`` points
    onto ``target`` points (Umeyama's method); a 2x3 matrix for ``cv2.warpAffine``."""
    src = np.asarray(source, dtype=np.float64)
    dst = np.asarray(target, dtype=np.float64)
    src_mean, dst_mean = src.mean(axis=0), dst.mean(axis=0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, singular, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        sign[1, 1] = -1.0
    rotation = u @ sign @ vt
    variance = float((src_c**2).sum() / len(src))
    scale = float(np.trace(np.diag(singular) @ sign)) / variance if variance > 0 else 1.0
    matrix = np.zeros((2, 3), dtype=np.float64)
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - scale * rotation @ src_mean
    return matrix


def align_face(rgb: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """The 112x112 RGB crop of a face, aligned on the ArcFace template.

    A face much larger than the crop is first cut out and shrunk with area averaging, so
    the warp does not alias (a 600 px face sampled bilinearly onto 112 px loses detail).
    """
    points = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    matrix = similarity_transform(points, ARCFACE_TEMPLATE)
    scale = math.hypot(matrix[0, 0], matrix[0, 1])
    source = rgb
    if scale < 0.5:
        # Cut a generous square around the landmarks, shrink it to twice the final size.
        centre = points.mean(axis=0)
        half = 1.2 * ALIGNED_SIZE / scale
        x0, y0 = max(0, int(centre[0] - half)), max(0, int(centre[1] - half))
        x1 = min(rgb.shape[1], int(centre[0] + half) + 1)
        y1 = min(rgb.shape[0], int(centre[1] + half) + 1)
        shrink = 2.0 * scale
        crop = rgb[y0:y1, x0:x1]
        size = (max(1, round(crop.shape[1] * shrink)), max(1, round(crop.shape[0] * shrink)))
        source = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        points = (points - (x0, y0)) * (size[0] / crop.shape[1], size[1] / crop.shape[0])
        matrix = similarity_transform(points, ARCFACE_TEMPLATE)
    return cv2.warpAffine(
        source, matrix, (ALIGNED_SIZE, ALIGNED_SIZE), borderMode=cv2.BORDER_REPLICATE
    )


def embed_aligned(
    crops: Sequence[np.ndarray], models: FaceModels, *, mirror: bool = True
) -> np.ndarray:
    """(n, 128) unit templates of aligned RGB crops; with ``mirror`` each crop's template
    is the sum of the crop's and its horizontal mirror's embeddings, then normalised."""
    if not crops:
        return np.zeros((0, 128), dtype=np.float32)
    stack = np.stack([np.asarray(c, dtype=np.float32) / 255.0 for c in crops])
    stack = (stack - _MEAN) / _STD
    if mirror:
        stack = np.concatenate([stack, stack[:, :, ::-1, :]])
    raw = models.embedder.forward(stack.transpose(0, 3, 1, 2))
    if mirror:
        raw = raw[: len(crops)] + raw[len(crops) :]
    return normalise_rows(raw)


def normalise_rows(vectors: np.ndarray) -> np.ndarray:
    """Scale each row to unit length (rows of zeros stay zero)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return (matrix / np.maximum(norms, 1e-12)).astype(np.float32)


def aggregate_templates(templates: np.ndarray) -> np.ndarray:
    """One unit template from several of the same face (mean direction)."""
    matrix = np.asarray(templates, dtype=np.float32).reshape(-1, 128)
    if matrix.shape[0] == 0:
        raise ValueError("no templates to aggregate")
    return normalise_rows(matrix.sum(axis=0, keepdims=True))[0]


def yaw_from_landmarks(landmarks: np.ndarray) -> float:
    """Approximate head turn in degrees from 5 landmarks (positive: nose towards the
    image's right). Coarse (about +/-10 degrees); used to prefer frontal frames."""
    points = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    eye_a, eye_b, nose = points[0], points[1], points[2]
    axis = eye_b - eye_a
    span = float(np.linalg.norm(axis))
    if span <= 1e-6:
        return 90.0
    offset = float((nose - (eye_a + eye_b) / 2.0) @ (axis / span)) / span
    return math.degrees(math.atan(offset / _NOSE_DEPTH_RATIO))
