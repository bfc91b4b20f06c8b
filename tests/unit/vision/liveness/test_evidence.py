import math

import cv2
import numpy as np

from app.vision.liveness.evidence import (
    check_timing,
    common_face_region,
    face_thumbnail,
    frame_repetition,
    planar_residual,
)


def _face_points_3d() -> np.ndarray:
    """A crude 3-D face: jaw arc, protruding nose ridge, eye corners (millimetres)."""
    jaw = [
        (70 * math.sin(a), -60 * math.cos(a) + 20, -40 * math.cos(a) - 20)
        for a in np.linspace(-1.4, 1.4, 17)
    ]
    nose = [(0, 30 - 10 * k, 5 * k) for k in range(5)] + [(x, -15, 10) for x in (-12, -6, 0, 6, 12)]
    eyes = [(-45, 35, -10), (-15, 33, -5), (15, 33, -5), (45, 35, -10)]
    return np.array(jaw + nose + eyes, dtype=np.float64)


def _project(points: np.ndarray, yaw_deg: float) -> np.ndarray:
    a = math.radians(yaw_deg)
    rot = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    moved = points @ rot.T + np.array([0, 0, 500.0])
    return 600 * moved[:, :2] / moved[:, 2:3] + 320


def test_a_turning_3d_head_is_not_planar_but_a_warped_photo_is() -> None:
    points = _face_points_3d()
    frontal = _project(points, 0)
    turned = _project(points, 30)
    iod = float(np.linalg.norm(frontal[-1] - frontal[-4]))
    assert planar_residual(frontal, turned, iod) > 0.045
    homography = np.array([[0.8, 0.05, 40], [-0.03, 1.0, 10], [0.0004, 0.0001, 1.0]])
    warped = cv2.perspectiveTransform(frontal.reshape(-1, 1, 2), homography).reshape(-1, 2)
    assert planar_residual(frontal, warped, iod) < 0.001


def test_planar_residual_needs_points_and_a_scale() -> None:
    assert math.isnan(planar_residual(np.zeros((3, 2)), np.zeros((3, 2)), 10.0))
    assert math.isnan(planar_residual(np.zeros((10, 2)), np.zeros((10, 2)), 0.0))


def test_repeated_noisy_frame_reads_as_frozen_and_moving_frames_do_not() -> None:
    rng = np.random.default_rng(0)
    # a face-sized region (~250 px, as at 640 px analysis size) of smooth texture
    still = rng.integers(0, 255, (300, 300)).astype(np.uint8)
    still = cv2.GaussianBlur(still, (31, 31), 0)
    frozen = [
        np.clip(still + rng.normal(0, 1.5, still.shape), 0, 255).astype(np.uint8) for _ in range(10)
    ]
    region = (25, 25, 275, 275)
    rep = frame_repetition([face_thumbnail(f, region) for f in frozen], same_level=0.12)
    assert rep.frozen_ratio >= 0.8 and rep.loop_pairs > 10
    moving = [np.roll(still, 8 * k, axis=1) for k in range(10)]
    rep = frame_repetition([face_thumbnail(f, region) for f in moving], same_level=0.12)
    assert rep.frozen_ratio == 0.0 and rep.loop_pairs == 0


def test_common_face_region_is_the_padded_median_extent() -> None:
    square = np.array([[10.0, 10.0], [20.0, 20.0]])
    assert common_face_region([square, None, square + 1], padding=0.0) == (10, 10, 20, 20)
    assert common_face_region([None]) is None


def test_timing_checks() -> None:
    kwargs = dict(
        min_duration_s=1.0, max_duration_s=60.0, min_fps=2.0, max_fps=120.0, max_gap_s=3.0
    )
    assert check_timing([k / 10 for k in range(30)], **kwargs).plausible
    assert check_timing([0.0, 0.5, 0.4, 1.5], **kwargs).problem == "timestamps_not_increasing"
    assert check_timing([k / 1000 for k in range(30)], **kwargs).problem == "implausible_duration"
    assert (
        check_timing(
            [k / 10 for k in range(20)] + [6.0 + k / 10 for k in range(20)], **kwargs
        ).problem
        == "gap_in_capture"
    )
    assert check_timing([k / 500 for k in range(1000)], **kwargs).problem == (
        "implausible_frame_rate"
    )
    assert not check_timing([0.0], **kwargs).plausible
