"""verify_liveness on real frames of d3.mp4 (LivePortrait, MIT) and attacks built from them.

d3 6.3-9.4 s: the woman turns to her own right (nose to the image's left), looks down,
then turns to her own left (labelled from sampled frames; see benchmarks/NOTES-liveness.md).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from app.vision.faces.models import FaceModels, load_face_models
from app.vision.liveness.evidence import planar_residual, rigid_points
from app.vision.liveness.extract import analyse_frame
from app.vision.liveness.verify import LivenessThresholds, verify_liveness

CHALLENGE = ("turn_right", "look_down", "turn_left")


@pytest.fixture(scope="module")
def models() -> FaceModels:
    return load_face_models()


@pytest.fixture(scope="module")
def d3_segment(shared_data: Path) -> tuple[list[np.ndarray], list[float]]:
    capture = cv2.VideoCapture(str(shared_data / "video" / "d3.mp4"))
    fps = capture.get(cv2.CAP_PROP_FPS)
    first, last = round(6.3 * fps), round(9.4 * fps)
    wanted = set(np.linspace(first, last, 30).round().astype(int).tolist())
    frames, times = [], []
    index = 0
    while index <= last:
        ok, frame = capture.read()
        if not ok:
            break
        if index in wanted:
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
            times.append((index - first) / fps)
        index += 1
    capture.release()
    assert len(frames) == 30
    return frames, times


def test_genuine_segment_passes_its_own_challenge(d3_segment, models) -> None:
    frames, times = d3_segment
    result = verify_liveness(frames, times, CHALLENGE, models=models)
    assert result.live, result.to_json()
    assert result.reasons == ()
    assert [a.action for a in result.actions] == list(CHALLENGE)
    at = [a.at_s for a in result.actions]
    assert all(t is not None for t in at) and at == sorted(at)
    assert result.signals["planar_residual"] > LivenessThresholds().min_planar_residual
    assert result.best_frame_index is not None and 0 <= result.best_frame_index < 30
    payload = result.to_json()
    assert payload["live"] is True and payload["actions"][0]["action"] == "turn_right"


def test_frontal_frames_come_with_their_points_in_input_pixels(d3_segment, models) -> None:
    from app.vision.faces import detect_faces

    frames, times = d3_segment
    # the same frames at twice the size: the points must follow the input, not the analysis
    big = [cv2.resize(f, (f.shape[1] * 2, f.shape[0] * 2)) for f in frames]
    result = verify_liveness(big, times, CHALLENGE, models=models)
    assert result.frontal_frame_indices
    assert len(result.frontal_frame_points) == len(result.frontal_frame_indices)
    index, points = result.frontal_frame_indices[0], result.frontal_frame_points[0]
    assert points is not None and points.shape == (5, 2)
    found = detect_faces(big[index], models, max_side=2000)[0].landmarks
    eye_distance = float(np.linalg.norm(found[1] - found[0]))
    assert float(np.abs(points - found).max()) < 0.15 * eye_distance


def test_same_segment_fails_a_different_order(d3_segment, models) -> None:
    frames, times = d3_segment
    result = verify_liveness(frames, times, ("turn_left", "look_down", "turn_right"), models=models)
    assert not result.live
    assert "liveness_challenge_failed" in result.reasons


def test_static_repeated_frame_is_a_replay(d3_segment, models) -> None:
    frames, times = d3_segment
    rng = np.random.default_rng(3)
    still = frames[0].astype(np.float32)
    injected = [
        np.clip(still + rng.normal(0, 2.0, still.shape), 0, 255).astype(np.uint8)
        for _ in range(len(frames))
    ]
    result = verify_liveness(injected, times, CHALLENGE, models=models)
    assert not result.live
    assert "liveness_replay_suspected" in result.reasons


def _tilt(image: np.ndarray, yaw_deg: float) -> np.ndarray:
    """The picture as a flat print rotated about its vertical axis before a pinhole camera."""
    h, w = image.shape[:2]
    focal, a = 1.2 * w, np.radians(yaw_deg)
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    x = corners[:, 0] * np.cos(a)
    z = focal + corners[:, 0] * np.sin(a)
    projected = np.stack([focal * x / z + w / 2, focal * corners[:, 1] / z + h / 2], axis=1)
    source = (corners + np.array([w / 2, h / 2])).astype(np.float32)
    homography = cv2.getPerspectiveTransform(source, projected.astype(np.float32))
    return cv2.warpPerspective(image, homography, (w, h))


def test_homography_warped_photo_is_flat_and_a_real_turn_is_not(d3_segment, models) -> None:
    frames, _ = d3_segment
    frontal = analyse_frame(0, frames[0], models).signals
    assert frontal.landmarks is not None
    limit = LivenessThresholds().min_planar_residual
    for yaw in (-35.0, 35.0):
        tilted = analyse_frame(1, _tilt(frames[0], yaw), models).signals
        assert tilted.landmarks is not None
        flat = planar_residual(
            rigid_points(frontal.landmarks), rigid_points(tilted.landmarks), frontal.interocular
        )
        assert flat < limit
    turned = analyse_frame(2, frames[-7], models).signals  # ~8.7 s: turned to her left
    assert turned.landmarks is not None and turned.yaw_deg - frontal.yaw_deg > 15
    real = planar_residual(
        rigid_points(frontal.landmarks), rigid_points(turned.landmarks), frontal.interocular
    )
    assert real > limit


def test_bad_input_never_raises(models) -> None:
    blank = [np.zeros((64, 64, 3), np.uint8)] * 10
    times = [k / 10 for k in range(10)]
    assert verify_liveness(blank, times, ("blink", "wave"), models=models).reasons == (
        "liveness_failed",
    )
    assert verify_liveness(blank[:3], times[:3], ("blink",), models=models).reasons == (
        "liveness_failed",
    )
    no_face = verify_liveness(blank, times, ("turn_left", "blink"), models=models)
    assert not no_face.live and "selfie_no_face" in no_face.reasons
    wrong_type = verify_liveness(["x"] * 10, times, ("blink",), models=models)  # type: ignore[list-item]
    assert wrong_type.reasons == ("liveness_failed",)


def _clip_frames(path: Path, start_s: float, end_s: float, n: int) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS)
    wanted = set(np.linspace(start_s * fps, end_s * fps, n).round().astype(int).tolist())
    frames, index = [], 0
    while index <= max(wanted):
        ok, frame = capture.read()
        if not ok:
            break
        if index in wanted:
            frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        index += 1
    capture.release()
    return frames


def test_two_people_spliced_together_fail_identity(d3_segment, models, shared_data) -> None:
    frames, times = d3_segment
    other = _clip_frames(shared_data / "video" / "WDA_KatieHill_000.mp4", 3.6, 7.9, 30)
    size = (frames[0].shape[1], frames[0].shape[0])
    spliced = frames[:15] + [cv2.resize(f, size) for f in other[15:]]
    result = verify_liveness(spliced, times, ("turn_right", "turn_left"), models=models)
    assert not result.live
    assert "liveness_failed" in result.reasons
    assert result.signals["identity_distance"] > LivenessThresholds().max_identity_distance


def test_two_faces_in_view_are_reported(models, shared_data) -> None:
    image = cv2.imread(str(shared_data / "faces" / "multi" / "two_people.jpg"))
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    frames = [np.roll(rgb, 2 * k, axis=1) for k in range(12)]
    times = [k / 10 for k in range(12)]
    result = verify_liveness(frames, times, ("turn_left", "blink"), models=models)
    assert not result.live
    assert "selfie_multiple_faces" in result.reasons


def _hide_face(frame: np.ndarray, models: FaceModels) -> np.ndarray:
    """The frame with the face covered by a flat patch of its own mean colour (a hand)."""
    from app.vision.faces import detect_faces

    faces = detect_faces(frame, models)
    assert faces, "the test needs a face to hide"
    x, y, w, h = (int(v) for v in faces[0].box)
    hidden = frame.copy()
    patch = hidden[max(0, y - h // 4) : y + h + h // 4, max(0, x - w // 4) : x + w + w // 4]
    patch[:] = patch.reshape(-1, 3).mean(axis=0).astype(np.uint8)
    return hidden


def test_a_face_hidden_for_a_moment_keeps_its_track(d3_segment, models) -> None:
    # Seven frames (~0.75 s) between the turn to her right and the look down show no
    # face: with 23 of 30 frames showing it, the previous release declined (face in
    # < 80 % of frames). Continuity bridges the gap; the hidden frames count neither way.
    frames, times = d3_segment
    covered = [_hide_face(f, models) if 8 <= k <= 14 else f for k, f in enumerate(frames)]
    result = verify_liveness(covered, times, CHALLENGE, models=models)
    assert result.signals["face_fraction"] == 1.0
    assert result.live, result.to_json()
    assert result.frontal_frame_indices and not 8 <= result.frontal_frame_indices[0] <= 14


def test_a_swap_hidden_in_the_gap_is_caught(d3_segment, models, shared_data) -> None:
    frames, times = d3_segment
    other = _clip_frames(shared_data / "video" / "WDA_KatieHill_000.mp4", 3.6, 7.9, 30)
    size = (frames[0].shape[1], frames[0].shape[0])
    swapped = (
        frames[:12]
        + [_hide_face(f, models) for f in frames[12:15]]
        + [cv2.resize(f, size) for f in other[15:]]
    )
    result = verify_liveness(swapped, times, ("turn_right", "turn_left"), models=models)
    assert not result.live
    assert "liveness_failed" in result.reasons
