"""Secrets: the at-rest encryption key, API keys, client secrets, document fingerprints."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.core.config import Settings

_BLOB_FORMAT = b"\x01"  # version byte of the encrypted envelope


def _load_or_create(path: Path, nbytes: int) -> bytes:
    """Read a key file, creating it with mode 0600 on first use (embedded default)."""
    if path.exists():
        return base64.b64decode(path.read_text().strip())
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = secrets.token_bytes(nbytes)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, base64.b64encode(key) + b"\n")
    finally:
        os.close(fd)
    return key


@dataclass(frozen=True)
class Keys:
    """The service's symmetric keys, derived from settings or key files."""

    storage_key: bytes  # AES-256-GCM for blobs, templates, webhook secrets
    app_secret: bytes  # HMAC for cookies, CSRF and document fingerprints

    @classmethod
    def from_settings(cls, settings: Settings) -> Keys:
        keys_dir = settings.data_dir / "keys"
        storage = (
            base64.b64decode(settings.storage_key)
            if settings.storage_key
            else _load_or_create(keys_dir / "storage.key", 32)
        )
        if len(storage) != 32:
            raise ValueError("IDGATE_STORAGE_KEY must be 32 bytes, base64-encoded")
        app_secret = (
            settings.app_secret.encode()
            if settings.app_secret
            else _load_or_create(keys_dir / "app.key", 32)
        )
        return cls(storage_key=storage, app_secret=app_secret)


def encrypt(key: bytes, plaintext: bytes, associated: bytes) -> bytes:
    """AES-GCM with a random nonce; ``associated`` binds the ciphertext to its purpose."""
    nonce = secrets.token_bytes(12)
    return _BLOB_FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, associated)


def decrypt(key: bytes, envelope: bytes, associated: bytes) -> bytes:
    """Inverse of :func:`encrypt`; raises ``cryptography.exceptions.InvalidTag`` on tampering."""
    if envelope[:1] != _BLOB_FORMAT:
        raise ValueError("unknown encrypted envelope format")
    return AESGCM(key).decrypt(envelope[1:13], envelope[13:], associated)


def sha256_hex(data: bytes | str) -> str:
    if isinstance(data, str):
        data = data.encode()
    return hashlib.sha256(data).hexdigest()


def constant_time_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def hmac_hex(key: bytes, message: str) -> str:
    return hmac.new(key, message.encode(), hashlib.sha256).hexdigest()


def document_fingerprint(app_secret: bytes, issuing_country: str, document_number: str) -> str:
    """Keyed HMAC of the document identity, so duplicates are found without storing numbers."""
    normalised = (
        f"{issuing_country.strip().upper()}|{document_number.strip().upper().replace('<', '')}"
    )
    return hmac_hex(app_secret, "document:" + normalised)


API_KEY_PREFIX = "idg_"


def generate_api_key() -> tuple[str, str, str]:
    """Return (full key shown once, lookup prefix, sha256 of the full key)."""
    prefix = secrets.token_hex(6)
    full = f"{API_KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return full, prefix, sha256_hex(full)


def parse_api_key(full: str) -> str | None:
    """The lookup prefix of a well-formed key, else None."""
    if not full.startswith(API_KEY_PREFIX):
        return None
    parts = full[len(API_KEY_PREFIX) :].split("_", 1)
    if len(parts) != 2 or len(parts[0]) != 12:
        return None
    return parts[0]
