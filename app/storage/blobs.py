"""Blob stores. Every blob is AES-GCM encrypted, bound to its key as associated data."""

from __future__ import annotations

import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from app.core.config import get_settings
from app.core.security import Keys, decrypt, encrypt


class BlobStore(Protocol):
    """Where image bytes live. Keys are opaque strings chosen by the caller."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class LocalBlobStore:
    """Encrypted files under a folder; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path, key: bytes) -> None:
        self.root = root
        self._key = key
        root.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key: str) -> Path:
        if ".." in key or key.startswith("/"):
            raise ValueError("invalid blob key")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        envelope = encrypt(self._key, data, key.encode())
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(envelope)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        return decrypt(self._key, self._path(key).read_bytes(), key.encode())

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).exists()


@lru_cache(maxsize=1)
def get_keys() -> Keys:
    return Keys.from_settings(get_settings())


@lru_cache(maxsize=1)
def get_blob_store() -> BlobStore:
    """The configured blob store (local encrypted folder)."""
    return LocalBlobStore(get_settings().blob_dir, get_keys().storage_key)
