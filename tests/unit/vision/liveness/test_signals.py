import math

import numpy as np

from app.vision.liveness.signals import (
    MAX_LANDMARK_MISFIT,
    eye_aspect_ratio,
    head_pose,
    head_pose_5,
    landmark_misfit,
    mouth_metrics,
)


def _frontal_landmarks() -> np.ndarray:
    """A schematic upright frontal face in dlib's 68-point layout (image coordinates)."""
    lm = np.zeros((68, 2))
    lm[0:17] = [(100 + 12.5 * k, 200 + 60 * math.sin(math.pi * k / 16)) for k in range(17)]
    for start, cx in ((36, 150.0), (42, 250.0)):  # right eye (image left), left eye
        lm[start : start + 6] = [
            (cx - 20, 150),
            (cx - 7, 144),
            (cx + 7, 144),
            (cx + 20, 150),
            (cx + 7, 156),
            (cx - 7, 156),
        ]
    lm[27:31] = [(200, 150 + 10 * k) for k in range(4)]
    lm[30] = (200, 150 + 0.37 * 140)  # nose tip at the resting drop below the eye corners
    lm[31:36] = [(185 + 7.5 * k, 205) for k in range(5)]
    lm[48:60] = [
        (170, 240),
        (180, 235),
        (190, 233),
        (200, 234),
        (210, 233),
        (220, 235),
        (230, 240),
        (220, 246),
        (210, 248),
        (200, 249),
        (190, 248),
        (180, 246),
    ]
    lm[60:68] = [
        (172, 240),
        (190, 238),
        (200, 238),
        (210, 238),
        (228, 240),
        (210, 242),
        (200, 242),
        (190, 242),
    ]
    return lm


def test_frontal_face_reads_level() -> None:
    yaw, pitch = head_pose(_frontal_landmarks())
    assert abs(yaw) < 1.0 and abs(pitch) < 1.0


def test_nose_towards_image_right_is_the_users_left_turn() -> None:
    lm = _frontal_landmarks()
    lm[30, 0] += 30  # nose tip moves towards +x: the user turned to their own left
    yaw, _ = head_pose(lm)
    assert yaw > 15
    lm[30, 0] -= 60
    assert head_pose(lm)[0] < -15


def test_nose_up_is_looking_up() -> None:
    lm = _frontal_landmarks()
    lm[30, 1] -= 25
    assert head_pose(lm)[1] > 10
    lm[30, 1] += 50
    assert head_pose(lm)[1] < -10


def test_eye_aspect_ratio_drops_when_lids_close() -> None:
    lm = _frontal_landmarks()
    open_ear = eye_aspect_ratio(lm)
    for start in (36, 42):
        lm[start + 1, 1] = lm[start + 2, 1] = 149
        lm[start + 4, 1] = lm[start + 5, 1] = 151
    assert open_ear > 0.25 and eye_aspect_ratio(lm) < 0.1


def test_mouth_width_is_relative_to_eye_distance() -> None:
    lm = _frontal_landmarks()
    width, opening, _ = mouth_metrics(lm)
    assert math.isclose(width, 60 / 100, rel_tol=1e-6)
    assert opening < 0.1
    scaled = lm * 2.0
    assert math.isclose(mouth_metrics(scaled)[0], width, rel_tol=1e-6)


def _points5(nose_dx: float = 0.0, nose_dy: float = 0.0) -> np.ndarray:
    """YuNet's 5 points of an upright frontal face: eyes, nose tip, mouth corners."""
    return np.array(
        [[150.0, 150.0], [250.0, 150.0], [200.0 + nose_dx, 200.0 + nose_dy], [165, 240], [235, 240]]
    )


def test_five_point_yaw_follows_the_nose_and_keeps_its_sign_at_profile() -> None:
    assert abs(head_pose_5(_points5())[0]) < 1.0
    assert head_pose_5(_points5(nose_dx=30))[0] > 15  # the user's own left
    assert head_pose_5(_points5(nose_dx=-30))[0] < -15
    # near profile the eyes close up while the nose runs far out: still the same sign
    profile = _points5(nose_dx=-45)
    profile[1, 0] = 190.0
    assert head_pose_5(profile)[0] < -30


def test_landmark_misfit_is_small_when_both_models_agree() -> None:
    lm = _frontal_landmarks()
    agree = np.array(
        [
            lm[36:42].mean(axis=0),
            lm[42:48].mean(axis=0),
            lm[30],
            lm[48],
            lm[54],
        ]
    )
    assert landmark_misfit(lm, agree) < 0.01
    drifted = agree.copy()
    drifted[2, 1] += 60  # dlib's nose half an eye distance away from the detector's
    assert landmark_misfit(lm, drifted) > MAX_LANDMARK_MISFIT
