"""API errors: one JSON shape, a stable code, the right HTTP status."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from app.core.reasons import message_for


class ApiError(Exception):
    """An error the client can act on: ``{"error": {"code", "message", "details"}}``."""

    def __init__(
        self,
        http_status: int,
        code: str,
        message: str | None = None,
        /,
        headers: dict[str, str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message or code)
        self.status = http_status
        self.code = code
        self.message = message or message_for(code)
        self.details = details
        self.headers = headers or {}

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


class ErrorBody(BaseModel):
    code: str
    message: str
    details: dict[str, Any] = {}


class ErrorOut(BaseModel):
    """Every error answer: ``{"error": {"code", "message", "details"}}``."""

    error: ErrorBody


DESCRIPTIONS = {
    400: "Bad request",
    401: "Missing or invalid credentials",
    403: "Not allowed (scope, role or CSRF token)",
    404: "Not found",
    409: "Conflict with the current state",
    410: "Gone (expired)",
    413: "Upload too large",
    415: "Unsupported media type",
    422: "Validation error or unusable input",
    429: "Rate limited (see Retry-After)",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the error statuses a route can answer."""
    return {s: {"model": ErrorOut, "description": DESCRIPTIONS.get(s, "Error")} for s in statuses}
