"""The worker's in-memory 1:N index over face templates, kept in sync with the database.

Templates are stored encrypted; each worker process decrypts them once into a
``TemplateIndex`` and then only loads what is new (and drops what was redacted).
See docs/duplicates-at-scale.md for the plan beyond one process's memory.
"""

from __future__ import annotations

import logging
import threading

import numpy as np
from cryptography.exceptions import InvalidTag
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.security import decrypt, encrypt
from app.storage.blobs import get_keys
from app.verifications.models import DocumentFingerprint, FaceTemplate
from app.vision.faces.index import IndexHit, TemplateIndex

log = logging.getLogger(__name__)
_lock = threading.Lock()
# Templates of different models live in different spaces: one index per template model.
_indexes: dict[str, TemplateIndex] = {}


def _aad(template_id: str) -> bytes:
    return f"face-template:{template_id}".encode()


def seal_encoding(template_id: str, encoding: np.ndarray) -> bytes:
    """Encrypt a 128-d encoding for storage (biometric data: never stored in clear)."""
    return encrypt(
        get_keys().storage_key, np.asarray(encoding, dtype="<f4").tobytes(), _aad(template_id)
    )


def open_encoding(template: FaceTemplate) -> np.ndarray:
    """Decrypt a stored template."""
    raw = decrypt(get_keys().storage_key, template.encrypted_encoding, _aad(template.id))
    return np.frombuffer(raw, dtype="<f4").astype(np.float32)


def sync_index(session: Session, template_model_id: str) -> TemplateIndex:
    """Bring the process-wide index of one template model up to date with the
    face_templates table (only selfie templates of that model are searched)."""
    with _lock:
        index = _indexes.setdefault(template_model_id, TemplateIndex())
        rows = session.execute(
            select(FaceTemplate.id, FaceTemplate.account_id).where(
                FaceTemplate.source == "selfie",
                FaceTemplate.model_version == template_model_id,
            )
        ).all()
        live = {row.id: row.account_id for row in rows}
        for key in [k for k in index if k not in live]:
            index.remove(key)
        missing = [k for k in live if k not in index]
        for start in range(0, len(missing), 1000):
            batch = list(
                session.scalars(
                    select(FaceTemplate).where(FaceTemplate.id.in_(missing[start : start + 1000]))
                )
            )
            readable = []
            for template in batch:
                try:
                    readable.append((template, open_encoding(template)))
                except (InvalidTag, ValueError):
                    # Sealed with another key (a rotated or foreign key): one unreadable
                    # template must not stop every duplicate search. It stays out of the
                    # index and is reported.
                    log.error("face template %s cannot be decrypted; skipped", template.id)
            if readable:
                index.add_many(
                    [t.id for t, _ in readable],
                    [t.account_id for t, _ in readable],
                    np.stack([e for _, e in readable]),
                )
        return index


def search_faces(
    session: Session,
    encoding: np.ndarray,
    account_id: str,
    max_distance: float,
    template_model_id: str,
) -> list[IndexHit]:
    """Other accounts' selfie templates of the same model within ``max_distance``."""
    index = sync_index(session, template_model_id)
    with _lock:
        return index.search(encoding, max_distance=max_distance, exclude_group=account_id, limit=20)


def accounts_sharing_document(session: Session, fingerprint: str, account_id: str) -> list[str]:
    rows = session.scalars(
        select(DocumentFingerprint.account_id)
        .where(
            DocumentFingerprint.fingerprint == fingerprint,
            DocumentFingerprint.account_id != account_id,
        )
        .distinct()
    )
    return list(rows)
