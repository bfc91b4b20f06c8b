"""Webhook URLs cannot reach internal addresses (SSRF), at registration or at delivery."""

from __future__ import annotations

import ipaddress
import socket

import pytest
from fastapi.testclient import TestClient

from app.core.config import get_settings
from app.core.db import session_factory
from app.webhooks.delivery import deliver
from app.webhooks.models import WebhookDelivery, WebhookEndpoint
from app.webhooks.urls import AllowList, WebhookUrlRefused, check_url

INTERNAL_URLS = [
    "http://127.0.0.1:6379/",
    "http://localhost:8000/hook",
    "http://[::1]:5432/",
    "http://10.0.0.5/hook",
    "http://172.16.1.1/hook",
    "http://192.168.1.10/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[fd00:ec2::254]/",
    "http://0.0.0.0:22/",
    "http://100.64.0.1/",
    "http://[::ffff:127.0.0.1]:8000/",
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "http://0x7f.1/",
    "https://user:pw@8.8.8.8/",
    "ftp://8.8.8.8/",
]


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_internal_webhook_urls_are_refused(client: TestClient, auth, url: str) -> None:
    r = client.post("/v1/webhook-endpoints", json={"url": url}, headers=auth)
    assert r.status_code == 422, (url, r.text)
    assert r.json()["error"]["code"] == "webhook_url_refused"


def test_public_and_allow_listed_urls_are_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    none = AllowList.parse("")
    assert check_url("https://8.8.8.8/hook", none, require_resolution=True).addresses == (
        ipaddress.ip_address("8.8.8.8"),
    )
    with pytest.raises(WebhookUrlRefused):
        check_url("http://10.1.2.3/hook", none, require_resolution=True)
    allow = AllowList.parse("10.1.0.0/16, hooks.internal")
    assert check_url("http://10.1.2.3/hook", allow, require_resolution=True)
    with pytest.raises(WebhookUrlRefused):
        check_url("http://10.2.0.1/hook", allow, require_resolution=True)
    assert check_url("http://hooks.internal/x", allow, require_resolution=False)


def test_delivery_rechecks_after_dns_and_hides_network_detail(
    client: TestClient, auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A name that resolved to a public address at registration and to loopback at
    delivery (DNS rebinding) is refused; the delivery says so without probing anything."""
    answers = {"hooks.rebind.test": "93.184.216.34"}
    real = socket.getaddrinfo

    def fake_getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host in answers:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_getaddrinfo)
    r = client.post(
        "/v1/webhook-endpoints", json={"url": "http://hooks.rebind.test:6379/"}, headers=auth
    )
    assert r.status_code == 201, r.text
    endpoint_id = r.json()["id"]
    client.post("/v1/accounts/acct-ssrf-1/flag", json={}, headers=auth)
    answers["hooks.rebind.test"] = "127.0.0.1"
    with session_factory()() as s:
        delivery = s.query(WebhookDelivery).filter_by(endpoint_id=endpoint_id).first()
        assert delivery is not None
        assert deliver(s, delivery.id, timeout_s=2) == "failed"
        s.refresh(delivery)
        assert delivery.last_status_code is None
        assert delivery.last_error is not None and "private" in delivery.last_error
        # disable it so later tests' events do not queue deliveries to it
        endpoint = s.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        endpoint.active = False
        s.commit()


def test_unreachable_receivers_are_reported_without_network_detail(
    client: TestClient, auth, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(get_settings(), "webhook_allowed_hosts", "127.0.0.1/32")
    with socket.socket() as s:  # a free port on loopback: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = client.post(
        "/v1/webhook-endpoints", json={"url": f"http://127.0.0.1:{port}/"}, headers=auth
    )
    assert r.status_code == 201
    endpoint_id = r.json()["id"]
    client.post("/v1/accounts/acct-ssrf-2/flag", json={}, headers=auth)
    listed = client.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=auth).json()
    with session_factory()() as s:
        from app.webhooks.delivery import DeliveryFailed

        with pytest.raises(DeliveryFailed):
            deliver(s, listed[0]["id"], timeout_s=2)
        endpoint = s.get(WebhookEndpoint, endpoint_id)
        assert endpoint is not None
        endpoint.active = False
        s.commit()
    listed = client.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", headers=auth).json()
    error = next(d for d in listed if d["id"] == listed[0]["id"])["last_error"]
    assert error == "the receiver could not be reached"
    assert "refused" not in error.lower() and "Errno" not in error
