"""The reviewer console in Chromium: a case escalated by a still selfie is approved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e import flow
from tests.e2e.conftest import REVIEWER_EMAIL, REVIEWER_PASSWORD, Server, shot

pytestmark = pytest.mark.e2e


def escalate_case(server: Server, page: Any, account: str, doc: Path, selfie: Path) -> str:
    """Run the flow with a still selfie (liveness not checked -> human review)."""
    link = server.flag(account)
    page.goto(link["url"])
    flow.give_consent(page)
    flow.upload_document(page, doc)
    flow.still_selfie(page, selfie)
    status = flow.submit_and_wait(page)
    assert status == "needs_review", flow.reason_codes(page)
    assert "liveness_not_checked" in flow.reason_codes(page)
    return str(link["id"])


def test_reviewer_approves_a_case(
    server: Server,
    browser: Any,
    phone: Any,
    documents: dict[str, Path],
    selfies: dict[str, Path],
) -> None:
    verification_id = escalate_case(
        server, phone, "acct-review", documents["obama"], selfies["obama"]
    )
    shot(phone, "09-result-needs-review")

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.base_url + "/review")
    shot(page, "10-console-login")
    page.get_by_label("Email").fill(REVIEWER_EMAIL)
    page.get_by_label("Password").fill(REVIEWER_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector("#cases tr")
    page.select_option("#f-reason", "liveness_not_checked")
    page.get_by_role("button", name="Apply filters").click()
    row = page.locator("#cases tr", has_text="acct-review")
    row.get_by_role("button", name="Claim").click()
    page.wait_for_selector("#cases tr:has-text('acct-review'):has-text('reviewer@example.com')")
    shot(page, "11-console-queue")
    row.get_by_role("link").click()
    page.wait_for_selector("#case-view:not([hidden])")
    page.wait_for_selector("#checks tr")
    assert "liveness" in page.inner_text("#checks")
    assert page.locator("#doc-images img").count() >= 1
    assert "MRZ" in page.inner_text("#fields").upper() or page.locator("#fields tr").count() > 3
    assert "case viewed" in page.inner_text("#history")
    page.wait_for_load_state("networkidle")  # the evidence images, before measuring the page
    shot(page, "12-console-case")
    page.select_option("#decision", "approve")
    page.get_by_label("Reason (required").fill("Document and selfie show the same person.")
    page.get_by_role("button", name="Record decision").click()
    page.wait_for_selector("#decide-result:has-text('Decision recorded')")
    page.locator("#decide-result").scroll_into_view_if_needed()
    shot(page, "13-console-decided", full_page=False)
    context.close()

    access = server.api("GET", "/v1/accounts/acct-review/access")
    assert access["access"] == "allowed"
    verification = server.api("GET", f"/v1/verifications/{verification_id}")
    assert verification["status"] == "approved"
    assert verification["decision"]["decided_by"] == "reviewer"
