"""Find, measure and encode the face in a selfie, a selfie burst or an ID portrait; compare.

Detection is YuNet (boxes + 5 landmarks), the template MobileFaceNet on the aligned crop
plus its mirror (``embedding.py``). A selfie burst gives one template from its best
several near-frontal, sharp frames. Pure: arrays in, dataclasses out.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import cv2
import numpy as np

from app.vision.faces.embedding import (
    DetectedFace,
    aggregate_templates,
    align_face,
    detect_faces,
    embed_aligned,
    yaw_from_landmarks,
)
from app.vision.faces.models import FaceModels
from app.vision.faces.types import (
    ENCODING_DIM,
    FaceAnalysis,
    FaceMatchResult,
    FaceQualityThresholds,
    FaceRole,
    FaceSample,
    MatchBands,
)

# Selfies are searched for faces on a copy at most this big; the crop is then aligned
# from the full-resolution image.
DETECT_MAX_SIDE = 640
# Portrait crops are rescaled so their longer side is about this many pixels (small
# printed portraits are upsampled up to 4x), with a replicated border of this share of
# their size: tight crops cut the chin or forehead and the detector needs some context.
PORTRAIT_WORK_SIDE = 240
PORTRAIT_PAD_FRACTION = 0.3
# A second face counts (selfie_multiple_faces) only when the detector is this sure of it.
SECOND_FACE_MIN_SCORE = 0.8
SHARPNESS_SIDE = 96  # face region is resampled to this square before measuring focus
# A burst template averages at most this many frames; without a ranking from the liveness
# check, the best are chosen among this many candidates spread over the burst (searched
# on copies this small: a selfie face is large).
BURST_TEMPLATE_FRAMES = 3
BURST_CANDIDATES = 8
BURST_MAX_ABS_YAW_DEG = 20.0
BURST_DETECT_SIDE = 320

_DEFAULT_THRESHOLDS = FaceQualityThresholds()


def as_rgb_uint8(image: np.ndarray) -> np.ndarray:
    """Return a C-contiguous RGB uint8 view/copy of a grey, RGB or RGBA array."""
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise ValueError("image must be a non-empty numpy array")
    if image.dtype != np.uint8:
        raise ValueError(f"image must be uint8, got {image.dtype}")
    if image.ndim == 2:
        return np.ascontiguousarray(cv2.cvtColor(image, cv2.COLOR_GRAY2RGB))
    if image.ndim == 3 and image.shape[2] == 4:
        return np.ascontiguousarray(image[:, :, :3])
    if image.ndim == 3 and image.shape[2] == 3:
        return np.ascontiguousarray(image)
    raise ValueError(f"unsupported image shape {image.shape}")


def face_sharpness(grey_face: np.ndarray) -> float:
    """Focus score of a face region: Laplacian energy over intensity variance.

    The region is resampled to a fixed square first, so the score does not grow with
    resolution, and dividing by the contrast keeps dim faces from looking blurry.
    """
    square = cv2.resize(grey_face, (SHARPNESS_SIDE, SHARPNESS_SIDE), interpolation=cv2.INTER_AREA)
    square = square.astype(np.float32)
    contrast = float(square.var())
    if contrast < 1e-6:
        return 0.0
    lap = cv2.Laplacian(square, cv2.CV_32F, ksize=3)
    return float(lap.var()) / contrast / 16.0


def quality_reasons(
    role: FaceRole,
    width_px: int,
    sharpness: float,
    yaw_deg: float,
    thresholds: FaceQualityThresholds,
) -> tuple[str, ...]:
    """The capture-quality reason of a found face: a selfie too small, blurry or turned
    (``selfie_quality_low``), a portrait too small or blurry (``face_quality_low``)."""
    if role == "selfie":
        if (
            width_px < thresholds.min_selfie_face_width_px
            or sharpness < thresholds.min_sharpness
            or abs(yaw_deg) > thresholds.max_abs_yaw_deg
        ):
            return ("selfie_quality_low",)
    elif (
        width_px < thresholds.min_portrait_face_width_px
        or sharpness < thresholds.min_portrait_sharpness
    ):
        return ("face_quality_low",)
    return ()


def _box_sharpness(rgb: np.ndarray, face: DetectedFace) -> float:
    x, y, w, h = face.box
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(rgb.shape[1], round(x + w)), min(rgb.shape[0], round(y + h))
    if x1 - x0 < 4 or y1 - y0 < 4:
        return 0.0
    return face_sharpness(cv2.cvtColor(rgb[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY))


def _portrait_work_image(rgb: np.ndarray) -> tuple[np.ndarray, float, int]:
    """(work, scale, pad): the crop with a replicated border, resized by ``scale``."""
    height, width = rgb.shape[:2]
    pad = round(PORTRAIT_PAD_FRACTION * max(height, width))
    padded = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_REPLICATE)
    scale = min(4.0, PORTRAIT_WORK_SIDE / max(height, width))
    if abs(scale - 1.0) < 0.05:
        return padded, 1.0, pad
    interpolation = cv2.INTER_CUBIC if scale > 1.0 else cv2.INTER_AREA
    size = (round(padded.shape[1] * scale), round(padded.shape[0] * scale))
    return cv2.resize(padded, size, interpolation=interpolation), scale, pad


def _significant(faces: list[DetectedFace], ratio: float) -> list[DetectedFace]:
    """The largest face, and other faces at least ``ratio`` as wide that the detector is
    sure of (smaller ones are background; unsure ones are mostly faces seen in paintings,
    posters or patterns, e.g. 0.64-0.70 on the painting behind biden2.jpg)."""
    if not faces:
        return []
    main = faces[0]
    others = [
        f for f in faces[1:] if f.width >= ratio * main.width and f.score >= SECOND_FACE_MIN_SCORE
    ]
    return [main, *others]


def analyse_face(
    image: np.ndarray,
    *,
    role: FaceRole,
    models: FaceModels,
    thresholds: FaceQualityThresholds = _DEFAULT_THRESHOLDS,
    mirror: bool = True,
) -> FaceAnalysis:
    """Detect, measure and encode the face of a selfie or an ID portrait crop.

    selfie: exactly one non-background face is expected (``selfie_no_face`` /
    ``selfie_multiple_faces``); a small, blurry or turned face yields ``selfie_quality_low``.
    portrait: small crops are upsampled and the largest face is used
    (``face_portrait_not_found``; ``face_quality_low`` when too small or blurry).
    A sample is returned whenever one face could be encoded, even with quality reasons,
    so that the caller can still record a distance for a reviewer. ``mirror`` sums the
    embeddings of the crop and its mirror image (twice the cost, steadier templates).
    """
    rgb = as_rgb_uint8(image)
    if role == "selfie":
        work, scale, pad = rgb, 1.0, 0
        faces = detect_faces(rgb, models, max_side=DETECT_MAX_SIDE)
    else:
        work, scale, pad = _portrait_work_image(rgb)
        faces = detect_faces(work, models, max_side=max(work.shape[:2]))
    if not faces:
        code = "selfie_no_face" if role == "selfie" else "face_portrait_not_found"
        return FaceAnalysis(faces_found=0, sample=None, reason_codes=(code,))
    significant = _significant(faces, thresholds.background_face_ratio)
    if role == "selfie" and len(significant) > 1:
        return FaceAnalysis(
            faces_found=len(significant), sample=None, reason_codes=("selfie_multiple_faces",)
        )
    face = faces[0]
    encoding = embed_aligned([align_face(work, face.landmarks)], models, mirror=mirror)[0]
    sharpness = _box_sharpness(work, face)
    yaw = yaw_from_landmarks(face.landmarks)
    x, y, w, h = (v / scale for v in face.box)
    x, y = x - pad, y - pad
    box = (
        max(0, round(y)),
        min(rgb.shape[1], round(x + w)),
        min(rgb.shape[0], round(y + h)),
        max(0, round(x)),
    )
    width_px = max(1, round(w))
    sample = FaceSample(
        box=box,
        encoding=encoding,
        width_px=width_px,
        sharpness=sharpness,
        yaw_deg=yaw,
        model_id=models.template_model_id,
    )
    faces_found = len(significant) if role == "selfie" else len(faces)
    reasons = quality_reasons(role, width_px, sharpness, yaw, thresholds)
    return FaceAnalysis(faces_found=faces_found, sample=sample, reason_codes=reasons)


def _candidate_indices(count: int, preferred: Sequence[int], wanted: int) -> list[int]:
    """The preferred frames first, then frames spread evenly over the burst."""
    chosen = [i for i in dict.fromkeys(preferred) if 0 <= i < count]
    for i in np.linspace(0, count - 1, min(count, wanted)).round().astype(int):
        if int(i) not in chosen:
            chosen.append(int(i))
    return chosen[: max(wanted, len([i for i in preferred if 0 <= i < count]))]


def analyse_selfie_burst(
    frames: Sequence[np.ndarray],
    *,
    models: FaceModels,
    preferred_indices: Sequence[int] = (),
    thresholds: FaceQualityThresholds = _DEFAULT_THRESHOLDS,
    max_template_frames: int = BURST_TEMPLATE_FRAMES,
    candidates: int = BURST_CANDIDATES,
    known_landmarks: Mapping[int, np.ndarray] | None = None,
) -> FaceAnalysis:
    """One selfie template from the best several frames of a live burst.

    The frame at ``preferred_indices[0]`` (the liveness check's most frontal, sharp,
    neutral frame) is analysed like a still selfie: its face decides the quality and
    face-count reasons and the box reported. The template is the mean direction of the
    templates of up to ``max_template_frames`` frames showing one face no more than
    ``BURST_MAX_ABS_YAW_DEG`` turned, ranked by frontality and sharpness. When the caller
    ranks several frames already (the liveness check's ``frontal_frame_indices``), only
    those are looked at; otherwise ``candidates`` frames spread over the burst are.
    ``known_landmarks`` (frame index -> 5 points in that frame's pixels, e.g. the liveness
    check's ``frontal_frame_points``) spares detecting those frames again.
    The chosen frame's template includes its mirror image (dropping it lost genuine
    matches on the calibration clips); the other frames' do not, to keep the face stage
    within its time budget (benchmarks/NOTES-faces.md).
    """
    if not frames:
        raise ValueError("a burst needs at least one frame")
    rgb_frames = [as_rgb_uint8(f) for f in frames]
    ranked = [i for i in dict.fromkeys(preferred_indices) if 0 <= i < len(frames)]
    first = ranked[0] if ranked else 0
    main = analyse_face(rgb_frames[first], role="selfie", models=models, thresholds=thresholds)
    if main.sample is None:
        return main
    if len(ranked) > 1:
        # one spare beyond what the template needs, in case a frame shows no usable face
        pool = ranked[1 : max_template_frames + 1]
    else:
        pool = [i for i in _candidate_indices(len(frames), ranked, candidates) if i != first]
    known = known_landmarks or {}
    scored: list[tuple[float, int, np.ndarray]] = []
    for rank, index in enumerate(pool):
        if index in known:
            # already found, counted and ranked by the caller: keep its order
            points = np.asarray(known[index], dtype=np.float64).reshape(5, 2)
            if abs(yaw_from_landmarks(points)) <= BURST_MAX_ABS_YAW_DEG:
                scored.append((rank - len(pool), index, points))
            continue
        found = detect_faces(rgb_frames[index], models, max_side=BURST_DETECT_SIDE)
        significant = _significant(found, thresholds.background_face_ratio)
        if len(significant) != 1:
            continue
        face = significant[0]
        yaw = abs(yaw_from_landmarks(face.landmarks))
        if yaw > BURST_MAX_ABS_YAW_DEG:
            continue
        sharpness = _box_sharpness(rgb_frames[index], face)
        # Frontality dominates; sharpness breaks ties between similarly frontal frames.
        cost = yaw / BURST_MAX_ABS_YAW_DEG - 0.5 * min(1.0, sharpness / 0.2)
        scored.append((cost, index, face.landmarks))
    scored.sort(key=lambda item: item[0])
    crops = [
        align_face(rgb_frames[index], points)
        for _, index, points in scored[: max(0, max_template_frames - 1)]
    ]
    templates = [main.sample.encoding]
    if crops:
        templates.extend(embed_aligned(crops, models, mirror=False))
    encoding = aggregate_templates(np.stack(templates))
    sample = FaceSample(
        box=main.sample.box,
        encoding=encoding,
        width_px=main.sample.width_px,
        sharpness=main.sample.sharpness,
        yaw_deg=main.sample.yaw_deg,
        model_id=main.sample.model_id,
        template_frames=len(templates),
    )
    return FaceAnalysis(faces_found=main.faces_found, sample=sample, reason_codes=main.reason_codes)


def face_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Euclidean distance between two 128-d templates (0 .. 2 for unit templates)."""
    va = np.asarray(a, dtype=np.float64).reshape(-1)
    vb = np.asarray(b, dtype=np.float64).reshape(-1)
    if va.shape != (ENCODING_DIM,) or vb.shape != (ENCODING_DIM,):
        raise ValueError(f"templates must have {ENCODING_DIM} values, got {va.size} and {vb.size}")
    if not (np.all(np.isfinite(va)) and np.all(np.isfinite(vb))):
        raise ValueError("templates must be finite")
    return float(np.linalg.norm(va - vb))


def compare_faces(a: np.ndarray, b: np.ndarray, bands: MatchBands) -> FaceMatchResult:
    """Compare two templates of the same model: distance, band and reason codes.

    ``match`` -> no reason; ``review`` -> ``face_match_uncertain``;
    ``mismatch`` -> ``face_mismatch`` (the policy sends it to a human, never auto-declines).
    """
    distance = face_distance(a, b)
    band = bands.band(distance)
    middle = (bands.match_max_distance + bands.mismatch_min_distance) / 2.0
    # Logistic display score: 0.5 mid-grey-band, ~0.88 at the match edge.
    width = max((bands.mismatch_min_distance - bands.match_max_distance) / 4.0, 0.02)
    similarity = 1.0 / (1.0 + math.exp((distance - middle) / width))
    reasons: tuple[str, ...] = ()
    if band == "review":
        reasons = ("face_match_uncertain",)
    elif band == "mismatch":
        reasons = ("face_mismatch",)
    return FaceMatchResult(
        distance=distance,
        band=band,
        similarity=similarity,
        reason_codes=reasons,
        match_max_distance=bands.match_max_distance,
        mismatch_min_distance=bands.mismatch_min_distance,
    )
