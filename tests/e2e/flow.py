"""Steps of the capture flow, driven like a user would (shared by the browser tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

DECIDED = ("approved", "declined", "needs_review", "resubmission_requested", "expired", "canceled")


def give_consent(page: Any) -> None:
    page.wait_for_selector("#step-consent:not([hidden])")
    page.get_by_label("I agree that my document photos").check()
    page.get_by_role("button", name="Agree and continue").click()
    page.wait_for_selector("#step-document:not([hidden])")


def upload_document(page: Any, path: Path, side: str = "front") -> str:
    """Upload through the file chooser; returns the upload verdict shown on the page."""
    page.check(f"#side-{side}")
    page.get_by_label("Or upload a photo of your document").set_input_files(str(path))
    page.wait_for_selector(f"#document-uploaded li[data-side={side}]")
    return str(page.inner_text("#document-result"))


def record_selfie(page: Any, on_prompt: Any = None) -> str:
    """Run the liveness challenge with the fake camera; returns the upload verdict."""
    page.get_by_role("button", name="Continue to the selfie").click()
    page.wait_for_selector("#step-selfie:not([hidden])")
    page.get_by_role("button", name="Start the selfie").click()
    # selectors, not wait_for_function: the page's CSP forbids eval
    page.wait_for_selector("#prompt:has-text('Step 1')", timeout=20000)
    if on_prompt is not None:
        on_prompt(page)
    page.wait_for_selector("#send-box:not([hidden])", timeout=45000)
    return str(page.inner_text("#selfie-result"))


def still_selfie(page: Any, path: Path) -> str:
    """Use the no-camera fallback: upload a photo of the face (liveness is then not checked)."""
    page.get_by_role("button", name="Continue to the selfie").click()
    page.wait_for_selector("#step-selfie:not([hidden])")
    if page.get_attribute("#selfie-alt", "open") is None:  # still open after a retry
        page.locator("#selfie-alt summary").click()
    page.get_by_label("Photo of your face").set_input_files(str(path))
    page.get_by_role("button", name="Upload this photo").click()
    page.wait_for_selector("#send-box:not([hidden])")
    return str(page.inner_text("#selfie-result"))


def submit_and_wait(page: Any, timeout_s: float = 180) -> str:
    """Send for verification and wait until the status page shows a decision."""
    page.get_by_role("button", name="Send for verification").click()
    page.wait_for_selector("#step-status:not([hidden])")
    selector = ", ".join(f"#status-text[data-status={s}]" for s in DECIDED)
    page.wait_for_selector(selector, timeout=timeout_s * 1000)
    return str(page.get_attribute("#status-text", "data-status"))


def reason_codes(page: Any) -> list[str]:
    return [
        str(c)
        for c in page.eval_on_selector_all(
            "#status-reasons li", "els => els.map(e => e.dataset.code)"
        )
    ]
