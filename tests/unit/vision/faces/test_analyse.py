"""Face analysis on real photos in shared data (YuNet + MobileFaceNet, shipped in the package)."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from app.policy import load_policy
from app.vision.faces import (
    TEMPLATE_MODEL_ID,
    FaceQualityThresholds,
    MatchBands,
    analyse_face,
    analyse_selfie_burst,
    compare_faces,
    face_distance,
    load_face_models,
)
from app.vision.faces.analyse import as_rgb_uint8, face_sharpness
from app.vision.faces.embedding import ARCFACE_TEMPLATE, align_face, similarity_transform
from app.vision.faces.models import (
    DETECTOR_FILE,
    DETECTOR_SHA256,
    MODEL_DIR,
    ModelIntegrityError,
    verified_model_path,
)

BANDS = load_policy().face_bands_for(TEMPLATE_MODEL_ID)
assert BANDS is not None


def _load(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    assert bgr is not None, path
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


@pytest.fixture(scope="module")
def models():  # type: ignore[no-untyped-def]
    return load_face_models()


@pytest.fixture(scope="module")
def faces(shared_data: Path) -> Path:
    return shared_data / "faces"


def _portrait_of(image: np.ndarray, box: tuple[int, int, int, int], width: int) -> np.ndarray:
    """A passport-style crop around a detected face, resized so the crop is ``width`` px wide."""
    top, right, bottom, left = box
    face_h = bottom - top
    cx, cy = (left + right) / 2, (top + bottom) / 2 - 0.1 * face_h
    half_w, half_h = face_h * 0.8, face_h * 1.05
    y0, y1 = max(0, round(cy - half_h)), min(image.shape[0], round(cy + half_h))
    x0, x1 = max(0, round(cx - half_w)), min(image.shape[1], round(cx + half_w))
    crop = image[y0:y1, x0:x1]
    height = round(crop.shape[0] * width / crop.shape[1])
    return cv2.resize(crop, (width, height), interpolation=cv2.INTER_AREA)


def test_selfie_single_face_gives_a_128d_unit_template(models, faces: Path) -> None:  # type: ignore[no-untyped-def]
    result = analyse_face(_load(faces / "obama" / "obama.jpg"), role="selfie", models=models)
    assert result.faces_found == 1
    assert result.reason_codes == ()
    assert result.sample is not None
    assert result.sample.encoding.shape == (128,)
    assert result.sample.encoding.dtype == np.float32
    assert float(np.linalg.norm(result.sample.encoding)) == pytest.approx(1.0, abs=1e-5)
    assert result.sample.model_id == TEMPLATE_MODEL_ID == models.template_model_id
    top, right, bottom, left = result.sample.box
    assert 0 <= left < right <= 910 and 0 <= top < bottom <= 1137
    assert result.sample.width_px > 150
    assert result.sample.yaw_deg is not None and abs(result.sample.yaw_deg) < 15


def test_selfie_with_two_people_is_rejected(models, faces: Path) -> None:  # type: ignore[no-untyped-def]
    result = analyse_face(_load(faces / "multi" / "two_people.jpg"), role="selfie", models=models)
    assert result.reason_codes == ("selfie_multiple_faces",)
    assert result.faces_found == 2
    assert result.sample is None


def test_small_background_face_is_ignored(models, faces: Path) -> None:  # type: ignore[no-untyped-def]
    user = _load(faces / "obama" / "obama.jpg")
    found = analyse_face(user, role="selfie", models=models)
    assert found.sample is not None
    top, right, bottom, left = found.sample.box
    cx, cy = (left + right) // 2, (top + bottom) // 2
    user_crop = user[cy - 170 : cy + 170, cx - 170 : cx + 170]  # face ~237 px wide
    other = _load(faces / "biden" / "biden2.jpg")  # face ~515 px in 1200 px
    small = cv2.resize(other, (230, 230), interpolation=cv2.INTER_AREA)  # face ~100 px
    canvas = np.full((540, 560, 3), 120, dtype=np.uint8)
    canvas[0:230, 0:230] = small
    canvas[200:540, 220:560] = user_crop
    result = analyse_face(canvas, role="selfie", models=models)
    assert result.reason_codes == ()
    assert result.faces_found == 1
    assert result.sample is not None and result.sample.width_px > 180
    # the same background face counts once it is at least as big as the ratio allows
    strict = analyse_face(
        canvas,
        role="selfie",
        models=models,
        thresholds=FaceQualityThresholds(background_face_ratio=0.2),
    )
    assert strict.reason_codes == ("selfie_multiple_faces",)


def test_no_face_in_a_blank_image(models) -> None:  # type: ignore[no-untyped-def]
    blank = np.full((480, 640, 3), 128, dtype=np.uint8)
    selfie = analyse_face(blank, role="selfie", models=models)
    assert selfie.reason_codes == ("selfie_no_face",) and selfie.sample is None
    portrait = analyse_face(blank[:100, :80], role="portrait", models=models)
    assert portrait.reason_codes == ("face_portrait_not_found",) and portrait.sample is None


def test_small_portrait_is_found_and_matches_the_same_person(models, faces: Path) -> None:  # type: ignore[no-untyped-def]
    selfie = analyse_face(_load(faces / "obama" / "obama.jpg"), role="selfie", models=models)
    source = _load(faces / "obama" / "obama1.jpg")
    src = analyse_face(source, role="selfie", models=models)
    assert selfie.sample is not None and src.sample is not None
    portrait_img = _portrait_of(source, src.sample.box, 60)
    portrait = analyse_face(portrait_img, role="portrait", models=models)
    assert portrait.sample is not None, portrait.reason_codes
    # face width is reported in the crop's own pixels
    assert 25 <= portrait.sample.width_px <= 60
    distance = face_distance(selfie.sample.encoding, portrait.sample.encoding)
    assert distance < BANDS.match_max_distance

    impostor = analyse_face(_load(faces / "biden" / "biden2.jpg"), role="selfie", models=models)
    assert impostor.sample is not None
    assert face_distance(impostor.sample.encoding, portrait.sample.encoding) > (
        BANDS.mismatch_min_distance
    )


@pytest.mark.parametrize("width", [60, 400])
def test_portrait_box_is_in_the_crop_pixels_at_any_size(models, faces: Path, width: int) -> None:  # type: ignore[no-untyped-def]
    source = _load(faces / "obama" / "obama1.jpg")
    src = analyse_face(source, role="selfie", models=models)
    assert src.sample is not None
    crop = _portrait_of(source, src.sample.box, width)
    portrait = analyse_face(crop, role="portrait", models=models)
    assert portrait.sample is not None
    top, right, bottom, left = portrait.sample.box
    # the face sits in the middle of a passport-style crop, not at an edge
    centre_x, centre_y = (left + right) / 2 / crop.shape[1], (top + bottom) / 2 / crop.shape[0]
    assert 0.35 < centre_x < 0.65 and 0.3 < centre_y < 0.7, portrait.sample.box
    assert 0.4 < portrait.sample.width_px / width < 0.9
    same = face_distance(portrait.sample.encoding, src.sample.encoding)
    assert same < (0.45 if width == 400 else 0.8)


def test_tiny_portrait_is_flagged_low_quality(models, faces: Path) -> None:  # type: ignore[no-untyped-def]
    source = _load(faces / "obama" / "obama.jpg")
    src = analyse_face(source, role="selfie", models=models)
    assert src.sample is not None
    portrait = analyse_face(
        _portrait_of(source, src.sample.box, 40),
        role="portrait",
        models=models,
        thresholds=FaceQualityThresholds(min_portrait_face_width_px=50),
    )
    assert "face_quality_low" in portrait.reason_codes
    assert portrait.sample is not None  # still encoded, so a reviewer sees a distance


def test_small_selfie_face_is_low_quality(models, faces: Path) -> None:  # type: ignore[no-untyped-def]
    result = analyse_face(
        _load(faces / "resolution" / "obama-240p.jpg"), role="selfie", models=models
    )
    assert result.sample is not None
    assert result.sample.width_px < 80
    assert result.reason_codes == ("selfie_quality_low",)


def test_blurry_selfie_is_low_quality(models, faces: Path) -> None:  # type: ignore[no-untyped-def]
    sharp = _load(faces / "obama" / "obama.jpg")
    blurred = cv2.GaussianBlur(sharp, (0, 0), sigmaX=12)
    thresholds = FaceQualityThresholds()
    sharp_result = analyse_face(sharp, role="selfie", models=models, thresholds=thresholds)
    blurred_result = analyse_face(blurred, role="selfie", models=models, thresholds=thresholds)
    assert sharp_result.sample is not None and blurred_result.sample is not None
    assert blurred_result.sample.sharpness < sharp_result.sample.sharpness / 5
    assert blurred_result.reason_codes == ("selfie_quality_low",)


def test_grey_and_rgba_inputs_are_accepted() -> None:
    grey = np.zeros((10, 12), dtype=np.uint8)
    assert as_rgb_uint8(grey).shape == (10, 12, 3)
    rgba = np.zeros((10, 12, 4), dtype=np.uint8)
    assert as_rgb_uint8(rgba).shape == (10, 12, 3)
    with pytest.raises(ValueError):
        as_rgb_uint8(np.zeros((10, 12, 3), dtype=np.float32))
    with pytest.raises(ValueError):
        as_rgb_uint8(np.zeros((0, 0, 3), dtype=np.uint8))


def test_sharpness_is_scale_normalised() -> None:
    rng = np.random.default_rng(3)
    texture = (rng.random((64, 64)) * 255).astype(np.uint8)
    big = cv2.resize(texture, (256, 256), interpolation=cv2.INTER_NEAREST)
    flat = np.full((64, 64), 90, dtype=np.uint8)
    assert face_sharpness(flat) == 0.0
    assert face_sharpness(big) > face_sharpness(cv2.GaussianBlur(big, (0, 0), 4)) * 3


@pytest.mark.parametrize(
    ("distance", "band", "codes"),
    [
        (0.2, "match", ()),
        (1.05, "match", ()),
        (1.1, "review", ("face_match_uncertain",)),
        (1.22, "mismatch", ("face_mismatch",)),
        (1.6, "mismatch", ("face_mismatch",)),
    ],
)
def test_compare_faces_bands(distance: float, band: str, codes: tuple[str, ...]) -> None:
    a = np.zeros(128, dtype=np.float32)
    b = np.zeros(128, dtype=np.float32)
    b[0] = distance
    result = compare_faces(a, b, MatchBands(match_max_distance=1.05, mismatch_min_distance=1.22))
    assert result.band == band
    assert result.reason_codes == codes
    assert result.distance == pytest.approx(distance, abs=1e-6)
    assert 0.0 <= result.similarity <= 1.0
    payload = result.to_json()
    assert payload["band"] == band and payload["match"] == (band == "match")


def test_similarity_decreases_with_distance() -> None:
    bands = MatchBands()
    a = np.zeros(128, dtype=np.float32)
    scores = []
    for d in (0.1, 0.6, 1.0, 1.1, 1.2, 1.5):
        b = np.zeros(128, dtype=np.float32)
        b[5] = d
        scores.append(compare_faces(a, b, bands).similarity)
    assert scores == sorted(scores, reverse=True)


def test_bad_bands_and_templates_are_rejected() -> None:
    with pytest.raises(ValueError):
        MatchBands(match_max_distance=0.7, mismatch_min_distance=0.5)
    with pytest.raises(ValueError):
        face_distance(np.zeros(127), np.zeros(128))
    with pytest.raises(ValueError):
        face_distance(np.full(128, np.nan), np.zeros(128))


def test_yaw_changes_sign_in_a_mirror_image(models, faces: Path) -> None:  # type: ignore[no-untyped-def]
    turned = _load(faces / "obama" / "obama1.jpg")
    result = analyse_face(turned, role="selfie", models=models)
    mirrored = analyse_face(np.ascontiguousarray(turned[:, ::-1]), role="selfie", models=models)
    assert result.sample is not None and mirrored.sample is not None
    assert result.sample.yaw_deg is not None and mirrored.sample.yaw_deg is not None
    assert abs(result.sample.yaw_deg) > 10
    assert result.sample.yaw_deg * mirrored.sample.yaw_deg < 0
    assert abs(result.sample.yaw_deg + mirrored.sample.yaw_deg) < 8


def test_a_tampered_model_file_is_refused(tmp_path: Path) -> None:
    assert verified_model_path(DETECTOR_FILE, DETECTOR_SHA256) == MODEL_DIR / DETECTOR_FILE
    copy = tmp_path / DETECTOR_FILE
    data = bytearray((MODEL_DIR / DETECTOR_FILE).read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit
    copy.write_bytes(bytes(data))
    with pytest.raises(ModelIntegrityError, match="sha256"):
        verified_model_path(DETECTOR_FILE, DETECTOR_SHA256, tmp_path)
    with pytest.raises(ModelIntegrityError, match="cannot be read"):
        verified_model_path("missing.onnx", DETECTOR_SHA256, tmp_path)


def test_licences_ship_beside_the_models() -> None:
    for name in ("LICENSE.yunet.txt", "LICENSE.mobilefacenet.txt"):
        assert (MODEL_DIR / name).read_text().strip()


def test_alignment_maps_the_landmarks_onto_the_arcface_template(models, faces: Path) -> None:  # type: ignore[no-untyped-def]
    # a known similarity is recovered exactly
    angle, scale, shift = 0.3, 2.5, np.array([40.0, -12.0])
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    source = (ARCFACE_TEMPLATE @ rotation.T) * scale + shift
    matrix = similarity_transform(source, ARCFACE_TEMPLATE)
    mapped = source @ matrix[:, :2].T + matrix[:, 2]
    assert np.allclose(mapped, ARCFACE_TEMPLATE, atol=1e-6)
    # on a real photo, the aligned crop is 112x112 and its eyes sit where the template says
    from app.vision.faces import detect_faces

    image = _load(faces / "obama" / "obama.jpg")
    face = detect_faces(image, models)[0]
    crop = align_face(image, face.landmarks)
    assert crop.shape == (112, 112, 3) and crop.dtype == np.uint8
    again = detect_faces(cv2.resize(crop, (224, 224)), models, max_side=224)
    assert again, "the aligned crop still shows a face"
    assert np.abs(again[0].landmarks / 2 - ARCFACE_TEMPLATE).max() < 6


def _clip(path: Path, count: int) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
    picks = np.linspace(0, len(frames) - 1, count).round().astype(int)
    return [frames[int(i)] for i in picks]


def test_burst_template_averages_several_frames_of_the_same_face(
    models,
    shared_data: Path,  # type: ignore[no-untyped-def]
) -> None:
    burst = _clip(shared_data / "video" / "d3.mp4", 30)
    single = analyse_face(burst[0], role="selfie", models=models)
    result = analyse_selfie_burst(burst, models=models, preferred_indices=(0,))
    assert single.sample is not None and result.sample is not None
    assert result.sample.template_frames >= 2
    assert result.sample.box == single.sample.box  # the preferred frame is the one reported
    assert float(np.linalg.norm(result.sample.encoding)) == pytest.approx(1.0, abs=1e-5)
    # the burst template is still that person, and differs from the one-frame template
    assert 0.0 < face_distance(result.sample.encoding, single.sample.encoding) < 0.6
    other = analyse_selfie_burst(
        _clip(shared_data / "video" / "d9.mp4", 30), models=models, preferred_indices=(0,)
    )
    assert other.sample is not None
    assert face_distance(other.sample.encoding, result.sample.encoding) > (
        BANDS.mismatch_min_distance
    )


def test_a_burst_whose_chosen_frame_shows_no_face_reports_it(models, shared_data: Path) -> None:  # type: ignore[no-untyped-def]
    burst = _clip(shared_data / "video" / "d3.mp4", 12)
    burst[4] = np.full_like(burst[4], 128)
    result = analyse_selfie_burst(burst, models=models, preferred_indices=(4,))
    assert result.sample is None and result.reason_codes == ("selfie_no_face",)
    with pytest.raises(ValueError):
        analyse_selfie_burst([], models=models)


def test_the_previous_release_templates_stay_available_for_the_benchmark(
    models, faces: Path
) -> None:  # type: ignore[no-untyped-def]
    from app.vision.faces import LEGACY_DLIB_MODEL_ID
    from app.vision.faces.legacy_dlib import analyse_face_dlib

    image = _load(faces / "obama" / "obama.jpg")
    old = analyse_face_dlib(image, role="selfie", models=models)
    new = analyse_face(image, role="selfie", models=models)
    assert old.sample is not None and new.sample is not None
    assert old.sample.model_id == LEGACY_DLIB_MODEL_ID != new.sample.model_id
    assert old.sample.encoding.shape == (128,)
    assert abs(float(np.linalg.norm(old.sample.encoding)) - 1.0) > 1e-3  # not a unit template


def test_a_burst_reuses_the_points_it_is_given(models, shared_data: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.vision.faces import analyse as analyse_module
    from app.vision.faces import detect_faces
    from app.vision.faces.embedding import yaw_from_landmarks

    burst = _clip(shared_data / "video" / "d3.mp4", 30)
    points = {i: detect_faces(frame, models)[0].landmarks for i, frame in enumerate(burst)}
    # the three most frontal frames, as the liveness check ranks them
    ranked = tuple(sorted(points, key=lambda i: abs(yaw_from_landmarks(points[i])))[:3])
    known = {i: points[i] for i in ranked[1:]}
    detected = analyse_selfie_burst(burst, models=models, preferred_indices=ranked)
    calls: list[int] = []
    original = analyse_module.detect_faces

    def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(analyse_module, "detect_faces", counting)
    reused = analyse_selfie_burst(
        burst, models=models, preferred_indices=ranked, known_landmarks=known
    )
    assert len(calls) == 1  # the chosen frame only; the others' points were given
    assert detected.sample is not None and reused.sample is not None
    assert reused.sample.template_frames == detected.sample.template_frames == 3
    # the given points came from a finer detection than the burst's own: close, not equal
    assert face_distance(detected.sample.encoding, reused.sample.encoding) < 0.25
