"""Domain errors raised by the pure core; each carries a stable reason code."""

from __future__ import annotations


class VisionError(Exception):
    """A problem with the input that becomes a reason code, never a 500."""

    def __init__(self, reason_code: str, message: str | None = None) -> None:
        super().__init__(message or reason_code)
        self.reason_code = reason_code
        self.message = message or reason_code


class ImageRejected(VisionError):
    """The bytes are not an acceptable image (corrupt, wrong type, too large)."""
