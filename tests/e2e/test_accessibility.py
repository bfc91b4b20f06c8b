"""axe-core on every page of the capture flow and the console: no serious/critical issues."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import (
    PHONE,
    REVIEWER_EMAIL,
    REVIEWER_PASSWORD,
    Server,
    axe_violations,
)

pytestmark = pytest.mark.e2e


def test_pages_have_no_serious_axe_violations(server: Server, browser: Any) -> None:
    # bypass_csp only lets the test inject axe-core; the pages themselves are unchanged
    context = browser.new_context(viewport=PHONE, bypass_csp=True, permissions=["camera"])
    page = context.new_page()
    link = server.flag("acct-a11y")
    found: dict[str, list[dict[str, Any]]] = {}

    page.goto(link["url"])
    page.wait_for_selector("#step-consent:not([hidden])")
    page.locator("#no-biometrics summary").click()
    page.locator("#handoff summary").click()
    page.wait_for_selector("#handoff-qr:not([hidden])")
    # the QR code is fetched with the secret in a header and shown from a blob: URL
    assert page.get_attribute("#handoff-qr", "src").startswith("blob:")
    found["consent"] = axe_violations(page)

    page.get_by_label("I agree that my document photos").check()
    page.get_by_role("button", name="Agree and continue").click()
    page.wait_for_selector("#step-document:not([hidden])")
    found["document"] = axe_violations(page)

    page.goto(f"{server.base_url}/c/{link['short_code']}")
    found["handoff"] = axe_violations(page)

    page.goto(server.base_url + "/review")
    found["console-login"] = axe_violations(page)
    page.get_by_label("Email").fill(REVIEWER_EMAIL)
    page.get_by_label("Password").fill(REVIEWER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#filters")
    page.wait_for_timeout(500)
    found["console-queue"] = axe_violations(page)
    context.close()

    serious = {name: v for name, v in found.items() if v}
    assert not serious, serious


def test_status_page_is_accessible(server: Server, browser: Any) -> None:
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    link = server.flag("acct-a11y-status")
    server.api("POST", f"/v1/verifications/{link['id']}/cancel")
    page.goto(link["url"])
    page.wait_for_selector("#step-status:not([hidden])")
    assert "canceled" in page.inner_text("#status-text")
    violations = axe_violations(page)
    context.close()
    assert not violations, violations
