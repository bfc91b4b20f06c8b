"""Encrypted blob storage for images (local folder by default)."""

from app.storage.blobs import BlobStore, LocalBlobStore, get_blob_store

__all__ = ["BlobStore", "LocalBlobStore", "get_blob_store"]
