"""Re-encoding stored selfie templates after a face-model upgrade: from the stored image,
idempotent, resumable, and nothing of a redacted verification is brought back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.accounts.service import get_or_create_account
from app.core.audit import SYSTEM
from app.core.db import session_factory
from app.core.types import new_id
from app.pipeline.duplicates import open_encoding, seal_encoding, search_faces
from app.pipeline.reencode import reencode_templates
from app.pipeline.stages import load_artifact_image
from app.verifications.models import FaceTemplate
from app.verifications.service import collecting_attempt, create_verification, store_artifact
from app.vision.faces import (
    LEGACY_DLIB_MODEL_ID,
    TEMPLATE_MODEL_ID,
    analyse_face,
    face_distance,
    load_face_models,
)


def _legacy_template(session, verification, *, with_image: Path | None) -> str:  # type: ignore[no-untyped-def]
    if with_image is not None:
        data = with_image.read_bytes()
        store_artifact(
            session,
            verification,
            collecting_attempt(session, verification),
            "selfie_best",
            data,
            "image/jpeg",
        )
    template = FaceTemplate(
        id=new_id("fce"),
        verification_id=verification.id,
        account_id=verification.account_id,
        source="selfie",
        model_version=LEGACY_DLIB_MODEL_ID,
        encrypted_encoding=b"",
    )
    # a dlib-like template: another space, never comparable with the new ones
    template.encrypted_encoding = seal_encoding(template.id, np.full(128, 0.05, np.float32))
    session.add(template)
    return template.id


def test_outdated_templates_are_reencoded_once_from_their_stored_image(
    client: TestClient, shared_data: Path
) -> None:
    models = load_face_models()
    photo = shared_data / "faces" / "obama" / "obama.jpg"
    with session_factory()() as s:
        account = get_or_create_account(s, "reencode-a")
        other = get_or_create_account(s, "reencode-b")
        gone = get_or_create_account(s, "reencode-c")
        verification, _ = create_verification(s, account, SYSTEM)
        verification_b, _ = create_verification(s, other, SYSTEM)
        verification_c, _ = create_verification(s, gone, SYSTEM)
        old_id = _legacy_template(s, verification, with_image=photo)
        _legacy_template(
            s, verification_b, with_image=shared_data / "faces" / "biden" / "biden.jpg"
        )
        no_image_id = _legacy_template(s, verification_c, with_image=None)
        s.commit()

    factory = session_factory()
    # (other tests of this session leave templates of made-up models without images: they
    # are reported as unconvertible like the one here)
    report = reencode_templates(factory, models, load_artifact_image, batch_size=1)
    assert report.reencoded == 2 and report.no_face == 0
    assert no_image_id in report.skipped_ids  # the one without an image stays, reported
    assert report.remaining == report.unconvertible == len(report.skipped_ids)
    with factory() as s:
        assert s.get(FaceTemplate, old_id) is None
        assert s.get(FaceTemplate, no_image_id) is not None
        new = s.scalars(
            select(FaceTemplate).where(FaceTemplate.verification_id == verification.id)
        ).all()
        assert [t.model_version for t in new] == [TEMPLATE_MODEL_ID]
        expected = analyse_face(load_artifact_image_of(photo), role="selfie", models=models)
        assert expected.sample is not None
        assert face_distance(open_encoding(new[0]), expected.sample.encoding) < 1e-4
        # the new template is found by the duplicate search of the current model
        hits = search_faces(s, expected.sample.encoding, other.id, 0.5, TEMPLATE_MODEL_ID)
        assert account.id in [h.group for h in hits]

    again = reencode_templates(factory, models, load_artifact_image)
    assert again.reencoded == 0
    assert again.skipped_ids == report.skipped_ids and again.remaining == report.remaining


def load_artifact_image_of(path: Path) -> np.ndarray:
    from app.media import decode_image

    return decode_image(path.read_bytes(), max_bytes=50_000_000, max_pixels=50_000_000).rgb


def test_a_redacted_verification_gets_no_new_template(
    client: TestClient, shared_data: Path
) -> None:
    from app.core.types import utcnow

    with session_factory()() as s:
        account = get_or_create_account(s, "reencode-redacted")
        verification, _ = create_verification(s, account, SYSTEM)
        template_id = _legacy_template(
            s, verification, with_image=shared_data / "faces" / "obama" / "obama2.jpg"
        )
        # a redaction that committed while the job was between its query and its write
        verification.redacted_at = utcnow()
        s.commit()
    report = reencode_templates(session_factory(), load_face_models(), load_artifact_image)
    assert template_id in report.skipped_ids
    with session_factory()() as s:
        rows = s.scalars(
            select(FaceTemplate).where(FaceTemplate.verification_id == verification.id)
        ).all()
        assert [t.id for t in rows] == [template_id]  # nothing new written
