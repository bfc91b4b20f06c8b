"""API errors: one JSON shape, a stable code, the right HTTP status."""

from __future__ import annotations

from typing import Any

from app.core.reasons import message_for


class ApiError(Exception):
    """An error the client can act on: ``{"error": {"code", "message", "details"}}``."""

    def __init__(
        self, http_status: int, code: str, message: str | None = None, /, **details: Any
    ) -> None:
        super().__init__(message or code)
        self.status = http_status
        self.code = code
        self.message = message or message_for(code)
        self.details = details

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")


def unauthorized(code: str = "unauthorized") -> ApiError:
    return ApiError(401, code)


def forbidden(code: str = "forbidden") -> ApiError:
    return ApiError(403, code)


def conflict(code: str, message: str | None = None, **details: Any) -> ApiError:
    return ApiError(409, code, message, **details)
