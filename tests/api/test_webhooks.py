"""Webhook endpoints: create, rotate, deliveries, redelivery, and signatures checked by an
independent client (plain hmac, not idgate's own verifier)."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.core.db import session_factory
from app.webhooks.delivery import DeliveryFailed, deliver
from app.webhooks.models import WebhookDelivery
from app.webhooks.signing import sign, verify


def independent_verify(secret: str, body: bytes, header: str, tolerance: int = 300) -> bool:
    """What a platform would write from the docs alone."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    if abs(time.time() - int(fields["t"])) > tolerance:
        return False
    expected = hmac.new(
        secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class Receiver:
    def __init__(self) -> None:
        self.hits: list[tuple[dict[str, str], bytes]] = []
        self.status = 204
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.hits.append((dict(self.headers.items()), body))
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch):
    from app.core.config import get_settings

    # The receiver listens on loopback, which the SSRF guard refuses unless allow-listed.
    monkeypatch.setattr(get_settings(), "webhook_allowed_hosts", "127.0.0.1/32")
    r = Receiver()
    yield r
    r.server.shutdown()


def _deliveries(endpoint_id: str) -> list[WebhookDelivery]:
    with session_factory()() as s:
        return list(
            s.scalars(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id))
        )


def test_events_are_signed_delivered_and_redeliverable(
    client: TestClient, auth, receiver, account_id
):
    created = client.post("/v1/webhook-endpoints", json={"url": receiver.url}, headers=auth)
    assert created.status_code == 201, created.text
    endpoint = created.json()
    secret = endpoint["secret"]
    assert secret.startswith("whsec_")
    assert client.get("/v1/webhook-endpoints", headers=auth).json()[-1]["secret"] is None

    client.post(f"/v1/accounts/{account_id}/flag", json={}, headers=auth)
    rows = _deliveries(endpoint["id"])
    assert {r.event_type for r in rows} >= {"account.access_changed", "verification.created"}

    receiver.status = 503
    access = next(r for r in rows if r.event_type == "account.access_changed")
    with session_factory()() as s, pytest.raises(DeliveryFailed):
        deliver(s, access.id, timeout_s=5)
    receiver.status = 204
    with session_factory()() as s:
        assert deliver(s, access.id, timeout_s=5) == "delivered"
    headers, body = receiver.hits[-1]
    assert independent_verify(secret, body, headers["Idgate-Signature"])
    assert headers["Idgate-Event-Id"] == json.loads(body)["id"]
    payload = json.loads(body)
    assert payload["type"] == "account.access_changed"
    assert payload["data"] == {
        "account_id": account_id,
        "access": "blocked",
        "previous_access": "allowed",
        "reason": "flagged_for_abuse",
        "verification_id": None,
    }

    listed = client.get(f"/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=auth).json()
    mine = next(d for d in listed if d["id"] == access.id)
    assert mine["status"] == "delivered" and mine["attempts"] == 2
    redo = client.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{access.id}/redeliver", headers=auth
    )
    assert redo.status_code == 200 and redo.json()["status"] == "pending"
    with session_factory()() as s:
        deliver(s, access.id, timeout_s=5)
    assert json.loads(receiver.hits[-1][1])["id"] == payload["id"]  # same event id

    rotated = client.post(
        f"/v1/webhook-endpoints/{endpoint['id']}/rotate-secret", headers=auth
    ).json()
    assert rotated["secret"] != secret


def test_signature_rules():
    body = b'{"id":"evt_1"}'
    header = sign("whsec_a", body)
    assert verify("whsec_a", body, header)
    assert not verify("whsec_b", body, header)
    assert not verify("whsec_a", body + b" ", header)
    old = sign("whsec_a", body, timestamp=int(time.time()) - 3600)
    assert not verify("whsec_a", body, old)
    assert not verify("whsec_a", body, "garbage")


def test_bad_endpoint_urls_and_events_are_refused(client: TestClient, auth):
    r = client.post("/v1/webhook-endpoints", json={"url": "ftp://x"}, headers=auth)
    assert r.status_code == 422
    r = client.post(
        "/v1/webhook-endpoints", json={"url": "https://x", "events": ["nope"]}, headers=auth
    )
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
