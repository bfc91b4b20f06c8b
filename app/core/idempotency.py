"""``Idempotency-Key`` for creating requests: a retried request gets the first response."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import ApiError
from app.core.models import IdempotencyRecord
from app.core.security import decrypt, encrypt, sha256_hex
from app.core.types import new_id
from app.storage.blobs import get_keys

REPLAY_HEADER = "Idempotent-Replayed"


def _aad(record_id: str) -> bytes:
    return f"idempotency-response:{record_id}".encode()


def _seal(record_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Stored responses hold client secrets: keep them encrypted (AES-GCM) at rest."""
    plaintext = json.dumps(body, separators=(",", ":")).encode()
    envelope = encrypt(get_keys().storage_key, plaintext, _aad(record_id))
    return {"sealed": base64.b64encode(envelope).decode()}


def _open(stored: IdempotencyRecord) -> dict[str, Any]:
    response = dict(stored.response or {})
    if set(response) != {"sealed"}:
        return response  # a record written before responses were sealed
    envelope = base64.b64decode(response["sealed"])
    return dict(json.loads(decrypt(get_keys().storage_key, envelope, _aad(stored.id))))


def run_idempotent(
    session: Session,
    api_key_id: str,
    key: str | None,
    request_fingerprint: Any,
    status_code: int,
    create: Callable[[], BaseModel],
) -> JSONResponse:
    """Run ``create`` once per (API key, Idempotency-Key); replay its stored response after.

    ``create`` must not commit: the response is stored in the same transaction, so a
    crash can never leave a created object without its idempotency record.
    """
    digest = sha256_hex(json.dumps(request_fingerprint, sort_keys=True, default=str))
    key_hash = None
    if key:
        if len(key) > 200:
            raise ApiError(422, "validation_error", "Idempotency-Key is at most 200 characters")
        key_hash = sha256_hex("idempotency-key:" + key)
        stored = session.scalar(
            select(IdempotencyRecord).where(
                IdempotencyRecord.api_key_id == api_key_id,
                IdempotencyRecord.key.in_((key_hash, key)),  # plain keys: rows from before
            )
        )
        if stored is not None:
            if stored.request_hash != digest:
                raise ApiError(
                    422,
                    "idempotency_key_reused",
                    "This Idempotency-Key was used with a different request.",
                )
            return JSONResponse(
                _open(stored), status_code=stored.status_code, headers={REPLAY_HEADER: "true"}
            )
    body = create().model_dump(mode="json")
    if key_hash:
        record_id = new_id("idem")
        session.add(
            IdempotencyRecord(
                id=record_id,
                api_key_id=api_key_id,
                key=key_hash,
                request_hash=digest,
                status_code=status_code,
                response=_seal(record_id, body),
            )
        )
    try:
        session.commit()
    except IntegrityError as exc:  # a concurrent request with the same key won
        session.rollback()
        raise ApiError(
            409, "idempotency_conflict", "A request with this key is in progress."
        ) from exc
    return JSONResponse(body, status_code=status_code)
