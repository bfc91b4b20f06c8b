"""The FastAPI application: routers, error handlers, health and metrics."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import compile_path
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts.routes import router as accounts_router
from app.core import readiness
from app.core.config import get_settings
from app.core.db import get_engine
from app.core.errors import DESCRIPTIONS, ApiError, ErrorOut
from app.core.log_redaction import install as install_log_redaction
from app.core.throttle import set_client_address
from app.organisations.review_routes import router as organisations_review_router
from app.organisations.routes import router as organisations_router
from app.reviews.routes import router as review_router
from app.verifications.routes import capture, platform
from app.web.routes import STATIC_DIR
from app.web.routes import router as pages_router
from app.webhooks.routes import router as webhooks_router

log = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "idgate_http_requests_total", "HTTP requests", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram("idgate_http_request_seconds", "HTTP request latency", ["route"])


def _body_limit_hit(error: BaseException | None) -> bool:
    """Whether the body limit fired inside body parsing (FastAPI wraps it, and a task
    group of the metrics middleware may wrap it once more)."""
    if isinstance(error, StarletteHTTPException):
        return error.status_code == 413
    if isinstance(error, BaseExceptionGroup):
        return any(_body_limit_hit(inner) for inner in error.exceptions)
    return False


class ClientAddressMiddleware:
    """Make the client's address available to the throttling code of this request, and
    refuse request bodies over ``IDGATE_MAX_REQUEST_BYTES`` before anything parses them."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        set_client_address(client[0] if client else "unknown")
        limit = get_settings().max_request_bytes
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            too_large = ApiError(413, "upload_too_large", None, limit_bytes=limit)
            await JSONResponse(too_large.body(), status_code=413)(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # a body without (or lying about) its length
                    # an HTTPException passes through FastAPI's body parsing unchanged
                    raise StarletteHTTPException(413, "upload_too_large")
            return message

        await self.app(scope, counting_receive, send)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    from app.policy_runtime import get_policy

    get_policy()  # a bad policy file must stop start-up, not the first request
    yield


DOCS_ASSETS = "/docs-assets"


class Readiness(BaseModel):
    """What /readyz found: the database, and the workers consuming the pipeline queue."""

    status: str
    database: str
    workers: list[str] = []


def _install_local_docs(app: FastAPI) -> None:
    """Swagger UI at /docs and ReDoc at /redoc from packaged assets (work offline)."""
    import fastapi_offline
    from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
    from starlette.responses import HTMLResponse

    assets = Path(fastapi_offline.__file__).parent / "static"
    app.mount(DOCS_ASSETS, StaticFiles(directory=assets), name="docs-assets")

    async def swagger(_request: Request) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="idgate API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    async def redoc(_request: Request) -> HTMLResponse:
        return get_redoc_html(
            openapi_url=app.openapi_url or "/openapi.json",
            title="idgate API",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    app.add_route("/docs", swagger, include_in_schema=False)
    app.add_route("/redoc", redoc, include_in_schema=False)


def create_app() -> FastAPI:
    """Build the app. Importing this module loads no vision model."""
    install_log_redaction()
    app = FastAPI(
        title="idgate",
        version="0.1.0",
        description=(
            "Identity verification that restores API access to flagged accounts. "
            "Platform endpoints take `Authorization: Bearer idg_…` API keys; the capture "
            "session endpoints take the verification's `X-Client-Secret`; reviewer "
            "endpoints take the console session cookie and `X-CSRF-Token`."
        ),
        lifespan=_lifespan,
        # served below from the assets that the fastapi-offline package ships: no CDN
        docs_url=None,
        redoc_url=None,
    )
    _install_local_docs(app)

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in exc.errors()]
        err = ApiError(422, "validation_error", None, errors=errors)
        return JSONResponse(err.body(), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 413 or _body_limit_hit(exc.__cause__):
            too_large = ApiError(
                413, "upload_too_large", None, limit_bytes=get_settings().max_request_bytes
            )
            return JSONResponse(too_large.body(), status_code=413)
        if exc.status_code == 400:  # an unparsable body is a validation error like the rest
            err = ApiError(422, "validation_error", None, errors=[{"msg": str(exc.detail)}])
            return JSONResponse(err.body(), status_code=422)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:
            # Starlette names the methods of one route; the path may have several routes.
            allowed = allowed_methods(_request.app, _request.url.path)
            if allowed:
                headers["Allow"] = ", ".join(allowed)
        return JSONResponse(
            ApiError(exc.status_code, code, str(exc.detail)).body(),
            status_code=exc.status_code,
            headers=headers or None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return JSONResponse(
            ApiError(500, "internal_error", "Something went wrong.").body(), status_code=500
        )

    @app.middleware("http")
    async def _metrics(request: Request, call_next):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        response = await call_next(request)
        route = request.scope.get("route")
        path = getattr(route, "path", "unmatched")
        HTTP_REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        HTTP_LATENCY.labels(path).observe(time.perf_counter() - start)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["ops"],
        response_model=Readiness,
        responses={
            503: {
                "description": "not_ready: the database is unreachable or no worker consumes "
                "the pipeline queue (asked over the broker, cached for 2 s)"
            }
        },
    )
    def readyz() -> JSONResponse:
        try:
            with get_engine().connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            error = ApiError(503, "not_ready", None, database=str(exc)[:200], workers=[])
            return JSONResponse(error.body(), status_code=503)
        # Accepted submissions would wait forever if nobody consumed the pipeline queue.
        consumers = readiness.pipeline_consumers()
        if not consumers:
            error = ApiError(503, "not_ready", None, database="ok", workers=[])
            return JSONResponse(error.body(), status_code=503)
        return JSONResponse({"status": "ready", "database": "ok", "workers": consumers})

    @app.get(
        "/metrics",
        tags=["ops"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus"}},
    )
    def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    app.add_middleware(ClientAddressMiddleware)
    app.include_router(accounts_router)
    app.include_router(organisations_router)
    app.include_router(organisations_review_router)
    app.include_router(platform)
    app.include_router(capture)
    app.include_router(review_router)
    app.include_router(webhooks_router)
    app.include_router(pages_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.openapi = lambda: truthful_openapi(app)  # type: ignore[method-assign]
    return app


def iter_routes(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, APIRoute]]:
    """Every API route with its full path, through included routers."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            yield from iter_routes(included.routes, prefix + (getattr(context, "prefix", "") or ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def allowed_methods(app: FastAPI, path: str) -> list[str]:
    """The methods that some route accepts at ``path`` (for the ``Allow`` header)."""
    table = getattr(app.state, "route_table", None)
    if table is None:
        table = [
            (compile_path(full)[0], frozenset(route.methods or ()))
            for full, route in iter_routes(app.routes)
        ]
        app.state.route_table = table
    methods: set[str] = set()
    for regex, route_methods in table:
        if regex.match(path):
            methods |= route_methods
    return sorted(methods)


# Statuses every route of a security scheme can answer (the error body is ErrorOut).
_SCHEME_STATUSES = {
    "ApiKey": (401, 403, 429),
    "ClientSecret": (401, 429),
    "ReviewerSession": (401, 403),
}


def truthful_openapi(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, completed with what the routes really answer.

    Each operation lists the error statuses its authentication can produce, 404 when it
    has path parameters, and every error (422 included) with the one error schema.
    """
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
    )
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(
        {
            name: definition
            for name, definition in ErrorOut.model_json_schema(
                ref_template="#/components/schemas/{model}"
            )
            .get("$defs", {})
            .items()
        }
    )
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    error_schema.pop("$defs", None)
    components["ErrorOut"] = error_schema
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    error_ref = {
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}}
    }
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            statuses: set[int] = set()
            for requirement in operation.get("security", []):
                for scheme in requirement:
                    statuses.update(_SCHEME_STATUSES.get(scheme, ()))
            if "{" in path:
                statuses.add(404)
            if operation.get("parameters") or operation.get("requestBody"):
                statuses.add(422)
            for status in statuses:
                responses.setdefault(
                    str(status), {"description": DESCRIPTIONS.get(status, "Error")}
                )
            for status, response in responses.items():
                if status.startswith(("4", "5")):
                    response.update(error_ref)
                    if status == "429":
                        response["headers"] = {
                            "Retry-After": {
                                "description": "Seconds to wait",
                                "schema": {"type": "integer"},
                            }
                        }
    app.openapi_schema = schema
    return schema
