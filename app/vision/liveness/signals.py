"""Per-frame liveness signals: face box, landmarks, head pose, eyes and mouth.

Yaw comes from the detector's 5 points (YuNet: eyes, nose tip, mouth corners), which
stay on the face up to full profile; pitch, eye openness and mouth geometry come from
dlib's 68 points, trusted only while the head is not turned far (see verify.py).

Sign conventions (unmirrored camera frames, i.e. as the camera sees the user):
- ``yaw_deg`` > 0 when the user turns their head to THEIR OWN LEFT. Facing the camera,
  the user's left is on the image's right, so the nose moves towards +x in the image.
- ``pitch_deg`` > 0 when the user looks UP (the nose moves towards -y in the image).
Both are approximations from landmark geometry (see :func:`head_pose`), used relative
to the user's own baseline. Checked on d3.mp4: at 8.8 s the nose points to the image's
right (the person's own left) and yaw is +30 degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

# dlib 68-point indices
JAW = tuple(range(0, 17))
NOSE = tuple(range(27, 36))
RIGHT_EYE = tuple(range(36, 42))  # the user's right eye, on the image's left
LEFT_EYE = tuple(range(42, 48))
MOUTH_OUTER = tuple(range(48, 60))
# Points that move with the skull (eye corners, nose, jaw outline); mouth and lids excluded.
RIGID_POINTS = (*JAW, *NOSE, 36, 39, 42, 45)

# Depth of the nose tip in front of the eye corners, over the outer eye-corner distance,
# for an average adult face (~27 mm / ~90 mm). Converts the nose offset into degrees.
NOSE_DEPTH_RATIO = 0.3
# Resting drop of the nose tip below the eye corners, same unit (median of the real clips);
# subtracted so that a level head reads a pitch near zero.
REST_NOSE_DROP = 0.37


# 5-point pose: nose-tip depth in front of the eye/mouth plane over the eye-centre distance
# (~30 mm / ~63 mm) and over the eye-to-mouth height (~30 mm / ~70 mm).
NOSE_DEPTH_OVER_EYES = 0.48
NOSE_DEPTH_OVER_FACE_HEIGHT = 0.43
# Resting share of the eye-to-mouth height at which the nose tip sits (subtracted so that
# a level head reads near zero; only changes against the user's baseline matter).
REST_NOSE_HEIGHT = 0.55


@dataclass(frozen=True)
class FrameSignals:
    """What one frame tells about the face in it (coordinates in the analysed image)."""

    index: int
    n_faces: int
    box: tuple[int, int, int, int] | None  # left, top, right, bottom
    landmarks: np.ndarray | None  # (68, 2) float
    yaw_deg: float = math.nan
    pitch_deg: float = math.nan
    ear: float = math.nan  # eye aspect ratio, mean of both eyes
    mouth_width: float = math.nan  # mouth corner distance / inter-ocular distance
    mouth_open: float = math.nan  # inner-lip gap / inter-ocular distance
    corner_lift: float = math.nan  # lip-centre y minus mouth-corner y, / inter-ocular
    interocular: float = math.nan  # pixels between the eye centres
    sharpness: float = math.nan  # variance of the Laplacian inside the face box
    points5: np.ndarray | None = None  # (5, 2) detector points: eyes, nose tip, mouth corners
    detector_score: float = math.nan
    landmark_misfit: float = math.nan  # see landmark_misfit()
    pitch5_deg: float = math.nan  # pitch from the 5 detector points (see head_pose_5)

    @property
    def has_face(self) -> bool:
        """True when one dominant face with landmarks was found."""
        return self.landmarks is not None


def shape_to_array(shape: Any) -> np.ndarray:
    """Convert a dlib full_object_detection into a (n, 2) float array."""
    return np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)


def eye_aspect_ratio(landmarks: np.ndarray) -> float:
    """Mean eye aspect ratio of both eyes (lid gap over eye width); ~0.3 open, <0.2 closed."""
    ratios = []
    for eye in (RIGHT_EYE, LEFT_EYE):
        p = landmarks[list(eye)]
        width = float(np.linalg.norm(p[0] - p[3]))
        gap = float(np.linalg.norm(p[1] - p[5]) + np.linalg.norm(p[2] - p[4]))
        ratios.append(gap / (2.0 * width) if width > 0 else math.nan)
    return float(np.mean(ratios))


def interocular_distance(landmarks: np.ndarray) -> float:
    """Distance in pixels between the two eye centres."""
    right = landmarks[list(RIGHT_EYE)].mean(axis=0)
    left = landmarks[list(LEFT_EYE)].mean(axis=0)
    return float(np.linalg.norm(left - right))


def mouth_metrics(landmarks: np.ndarray) -> tuple[float, float, float]:
    """Return (width, opening, corner lift), each divided by the inter-ocular distance."""
    iod = interocular_distance(landmarks)
    if iod <= 0:
        return math.nan, math.nan, math.nan
    width = float(np.linalg.norm(landmarks[54] - landmarks[48])) / iod
    opening = float(np.linalg.norm(landmarks[66] - landmarks[62])) / iod
    lip_centre_y = (landmarks[51, 1] + landmarks[57, 1]) / 2.0
    corners_y = (landmarks[48, 1] + landmarks[54, 1]) / 2.0
    return width, opening, float(lip_centre_y - corners_y) / iod


def head_pose(landmarks: np.ndarray) -> tuple[float, float]:
    """Approximate (yaw, pitch) in degrees from where the nose tip sits against the eyes.

    The offset of the nose tip (landmark 30) from the midpoint of the four eye corners is
    measured along the eye axis (yaw) and across it (pitch), in units of the outer
    eye-corner distance; ``atan(offset / NOSE_DEPTH_RATIO)`` turns it into an angle. The
    pitch keeps the face's resting nose-below-eyes offset, so only changes against the
    user's own baseline are meaningful. Geometry is used instead of solvePnP against a
    generic 3-D face: on the real clips solvePnP flipped sign between neighbouring frames
    when the mouth opened, this ratio stayed smooth. Roll is cancelled by the eye axis.
    """
    corners = landmarks[[36, 39, 42, 45]]
    centre = corners.mean(axis=0)
    axis = landmarks[45] - landmarks[36]
    width = float(np.linalg.norm(axis))
    if width <= 0:
        return math.nan, math.nan
    along = axis / width
    across = np.array([-along[1], along[0]])  # image "down" for an upright face
    offset = landmarks[30] - centre
    yaw = math.degrees(math.atan(float(offset @ along) / width / NOSE_DEPTH_RATIO))
    drop = float(offset @ across) / width - REST_NOSE_DROP
    pitch = -math.degrees(math.atan(drop / NOSE_DEPTH_RATIO))
    return yaw, pitch


def head_pose_5(points5: np.ndarray) -> tuple[float, float]:
    """Approximate (yaw, pitch) in degrees from the detector's 5 points.

    Yaw: the nose tip's offset from the eye midpoint along the eye axis, over the eye
    distance (both shrink alike with pitch; the ratio follows tan(yaw)). Pitch: where the
    nose tip sits between the eye line and the mouth line, across the eye axis (the ratio
    is unaffected by yaw foreshortening and follows tan(pitch)). Unlike dlib's 68 points
    these points stay on the face up to full profile, so the sign does not flip at the
    end of a full turn (measured on turns_womanA_eyewide.mp4).
    """
    p = np.asarray(points5, dtype=np.float64).reshape(5, 2)
    eye_a, eye_b, nose, mouth_a, mouth_b = p
    axis = eye_b - eye_a
    span = float(np.linalg.norm(axis))
    if span <= 1e-6:
        return math.nan, math.nan
    along = axis / span
    across = np.array([-along[1], along[0]])
    eyes = (eye_a + eye_b) / 2.0
    mouth = (mouth_a + mouth_b) / 2.0
    height = float((mouth - eyes) @ across)
    if height <= 1e-6:
        return math.nan, math.nan
    yaw = math.degrees(math.atan(float((nose - eyes) @ along) / span / NOSE_DEPTH_OVER_EYES))
    nose_height = float((nose - eyes) @ across) / height
    pitch = math.degrees(math.atan((REST_NOSE_HEIGHT - nose_height) / NOSE_DEPTH_OVER_FACE_HEIGHT))
    return yaw, pitch


# Largest distance between dlib's eye centres, nose tip and mouth corners and the
# detector's 5 points, over the eye distance, for which dlib's 68 points are trusted.
MAX_LANDMARK_MISFIT = 0.4


def landmark_misfit(landmarks: np.ndarray, points5: np.ndarray) -> float:
    """How far dlib's 68 points have drifted from the detector's 5 points (0 = agree)."""
    p = np.asarray(points5, dtype=np.float64).reshape(5, 2)
    own = np.array(
        [
            landmarks[list(RIGHT_EYE)].mean(axis=0),
            landmarks[list(LEFT_EYE)].mean(axis=0),
            landmarks[30],
            landmarks[48],
            landmarks[54],
        ]
    )
    span = float(np.linalg.norm(p[1] - p[0]))
    if span <= 1e-6:
        return math.inf
    return float(np.linalg.norm(own - p, axis=1).max() / span)


def face_sharpness(gray: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Variance of the Laplacian inside the face box (higher is sharper)."""
    left, top, right, bottom = box
    h, w = gray.shape[:2]
    crop = gray[max(0, top) : min(h, bottom), max(0, left) : min(w, right)]
    if crop.size < 16:
        return 0.0
    return float(cv2.Laplacian(crop, cv2.CV_64F).var())


def measure_landmarks(
    index: int,
    n_faces: int,
    box: tuple[int, int, int, int],
    landmarks: np.ndarray,
    gray: np.ndarray,
    points5: np.ndarray | None = None,
    detector_score: float = math.nan,
) -> FrameSignals:
    """Derive pose, eye and mouth signals from one frame's landmarks (yaw from the 5
    detector points when given, else from the 68 points; pitch from the 68 points)."""
    yaw, pitch = head_pose(landmarks)
    width, opening, lift = mouth_metrics(landmarks)
    ear = eye_aspect_ratio(landmarks)
    fit = math.nan
    if points5 is not None:
        # Yaw from the detector's points (they stay on the face at full profile). Pitch
        # stays with the 68 points while they fit the face: YuNet's nose point follows a
        # look up by a third of the angle dlib's does (turns_womanA_eyewide 10-11 s: +14
        # vs +40 degrees). When dlib's fit drifts off the detector's points (a hard look
        # down, a full turn), its pitch, eyes and mouth are noise (NaN here; verify.py
        # then reads the pitch change from the 5 points).
        yaw, pitch5 = head_pose_5(points5)
        fit = landmark_misfit(landmarks, points5)
        if not fit <= MAX_LANDMARK_MISFIT:
            pitch = math.nan
            width = opening = lift = ear = math.nan
    return FrameSignals(
        index=index,
        n_faces=n_faces,
        box=box,
        landmarks=landmarks,
        yaw_deg=yaw,
        pitch_deg=pitch,
        ear=ear,
        mouth_width=width,
        mouth_open=opening,
        corner_lift=lift,
        interocular=interocular_distance(landmarks),
        sharpness=face_sharpness(gray, box),
        points5=points5,
        detector_score=detector_score,
        landmark_misfit=fit,
        pitch5_deg=pitch5 if points5 is not None else math.nan,
    )
