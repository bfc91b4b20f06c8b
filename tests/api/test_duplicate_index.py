"""The worker's duplicate index: sealed templates round-trip, other accounts are found,
and one undecryptable template does not stop the search."""

from __future__ import annotations

import numpy as np
from fastapi.testclient import TestClient

from app.accounts.service import get_or_create_account
from app.core.audit import SYSTEM
from app.core.db import session_factory
from app.core.types import new_id
from app.pipeline.duplicates import seal_encoding, search_faces
from app.verifications.models import FaceTemplate
from app.verifications.service import create_verification


def _template(
    session,
    account_id: str,
    verification_id: str,
    encoding: np.ndarray | None,
    model: str = "test",
):
    template = FaceTemplate(
        id=new_id("fce"),
        verification_id=verification_id,
        account_id=account_id,
        source="selfie",
        model_version=model,
        encrypted_encoding=b"",
    )
    template.encrypted_encoding = (
        seal_encoding(template.id, encoding) if encoding is not None else b"\x01" + b"\x00" * 40
    )  # sealed with another key
    session.add(template)


def test_search_finds_other_accounts_and_skips_unreadable(client: TestClient) -> None:
    rng = np.random.default_rng(0)
    face = rng.normal(0, 0.1, 128).astype(np.float32)
    with session_factory()() as s:
        a = get_or_create_account(s, "dup-a")
        b = get_or_create_account(s, "dup-b")
        va, _ = create_verification(s, a, SYSTEM)
        vb, _ = create_verification(s, b, SYSTEM)
        _template(s, a.id, va.id, face)
        _template(s, b.id, vb.id, face + 0.01)
        _template(s, b.id, vb.id, None)
        s.commit()
        hits = search_faces(s, face, a.id, max_distance=0.5, template_model_id="test")
        assert [h.group for h in hits] == [b.id]
        assert search_faces(s, face, b.id, 0.5, "test")[0].group == a.id


def test_search_only_compares_templates_of_the_same_model(client: TestClient) -> None:
    rng = np.random.default_rng(1)
    face = rng.normal(0, 0.1, 128).astype(np.float32)
    with session_factory()() as s:
        a = get_or_create_account(s, "model-a")
        b = get_or_create_account(s, "model-b")
        c = get_or_create_account(s, "model-c")
        vb, _ = create_verification(s, b, SYSTEM)
        vc, _ = create_verification(s, c, SYSTEM)
        _template(s, b.id, vb.id, face, model="old-model")  # the same vector, another space
        _template(s, c.id, vc.id, face, model="new-model")
        s.commit()
        assert [h.group for h in search_faces(s, face, a.id, 0.5, "new-model")] == [c.id]
        assert [h.group for h in search_faces(s, face, a.id, 0.5, "old-model")] == [b.id]
        assert search_faces(s, face, a.id, 0.5, "unknown-model") == []
