"""The OpenAPI document tells the truth: a bounded schemathesis run against the app.

Every operation is called with generated requests (a platform key with every scope is
sent; client-secret and reviewer routes mostly see 401s, which must be documented too).
Checks: no 5xx, status codes and content types as documented, bodies matching the
documented schemas. The run is bounded (examples per operation, derandomised) so that it
fits the in-process tier; failures found are kept below as explicit regression tests.
"""

from __future__ import annotations

import contextlib
import io
import json

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.generation.modes import GenerationMode

from app.core.config import get_settings
from app.core.migrate import upgrade
from app.main import create_app

upgrade(get_settings().resolved_database_url)
APP = create_app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
# Schema-valid requests only: the platform key is added to every request, which would make
# "a request missing Authorization must be refused" cases meaningless (the authorization
# matrix covers missing and wrong credentials for every route).
schema.config.generation.update(modes=[GenerationMode.POSITIVE])


def _full_key() -> str:
    from app.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        scopes = (
            "accounts:read,accounts:write,verifications:read,verifications:write,webhooks:write"
        )
        assert main(["apikey", "create", "contract", "--scopes", scopes, "--json"]) == 0
    return str(json.loads(out.getvalue())["api_key"])


_KEY: list[str] = []


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_openapi_document(case) -> None:  # type: ignore[no-untyped-def]
    from app.core import readiness, throttle

    throttle.reset()
    # No worker runs in this tier; /readyz's 503 is tested in test_health_ready_openapi.
    readiness.reset_cache()
    readiness.pipeline_consumers(probe=lambda: ["contract-test-worker"])
    if not _KEY:
        _KEY.append(_full_key())
    headers = dict(case.headers or {})
    headers.setdefault("Authorization", f"Bearer {_KEY[0]}")
    case.call_and_validate(headers=headers)


def test_method_not_allowed_says_what_is_allowed(client: TestClient) -> None:
    r = client.put("/v1/verifications")
    assert r.status_code == 405 and "GET" in r.headers["Allow"]
    assert r.json()["error"]["code"] == "method_not_allowed"


def test_metrics_are_documented_as_prometheus_text(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    content = spec["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(content) == [client.get("/metrics").headers["content-type"]]


def test_security_schemes_are_declared(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert set(spec["components"]["securitySchemes"]) == {
        "ApiKey",
        "ClientSecret",
        "ReviewerSession",
    }
    flag = spec["paths"]["/v1/accounts/{account_id}/flag"]["post"]
    assert flag["security"] == [{"ApiKey": []}]
    assert {"401", "403", "422", "429"} <= set(flag["responses"])
