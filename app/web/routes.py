"""Server-rendered pages: the end user's capture flow and the reviewer console.

Besides the pages, this module serves the small helpers the capture page needs: the QR
code of the capture link (cross-device handoff), the short-link handoff and the end
user's request for a manual (non-biometric) review.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel, Field
from sqlalchemy import select

from app.core import throttle
from app.core.audit import Actor, record
from app.core.config import get_settings
from app.core.deps import (
    SESSION_COOKIE,
    DbSession,
    client_secret_header,
    csrf_token_for,
    reviewer_for_cookie,
)
from app.core.errors import ApiError, errors
from app.reviews.service import MANUAL_REVIEW_ACTION
from app.verifications import models as m
from app.verifications import service
from app.verifications.models import Verification

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))

router = APIRouter(include_in_schema=False)

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; "
        "style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    # The capture page needs the camera of this origin only.
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
}

HANDOFF_ACTION = "verification.handoff"

ClientSecret = Annotated[str | None, Depends(client_secret_header)]


def short_link_for(verification: Verification) -> str:
    """The short link printed under the QR code (``/c/<short code>``)."""
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/c/{verification.short_code}"


@router.get("/capture/{verification_id}", response_class=HTMLResponse)
def capture_page(request: Request, verification_id: str, session: DbSession) -> HTMLResponse:
    """The capture flow. The client secret stays in the page (query string), never in cookies."""
    verification = session.get(Verification, verification_id)
    return templates.TemplateResponse(
        request,
        "capture.html",
        {
            "verification_id": verification_id,
            "known": verification is not None,
            "short_link": short_link_for(verification) if verification else "",
            "retention_days": get_settings().retention_days,
        },
        headers=PAGE_HEADERS,
    )


def qr_svg(text: str) -> bytes:
    """An SVG QR code of ``text`` (error correction M, 4-module quiet zone)."""
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
        border=4,
        image_factory=qrcode.image.svg.SvgPathImage,
    )
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()


@router.get("/capture/{verification_id}/qr.svg")
def capture_qr(verification_id: str, session: DbSession, secret: ClientSecret) -> Response:
    """The QR code of the full capture link, for opening the flow on a phone.

    The secret (``X-Client-Secret`` header, never the URL) is checked first, so the route
    cannot be used to make QR codes of links to other verifications or of arbitrary text.
    """
    verification = service.authenticate_client(session, verification_id, secret)
    return Response(
        qr_svg(service.capture_url(verification, secret or "")),
        media_type="image/svg+xml",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'"},
    )


def _by_short_code(session: DbSession, code: str) -> Verification | None:
    """The verification of a short link; unknown codes are counted per client address."""
    throttle.check_address("short_link_address")
    verification = session.scalar(
        select(Verification).where(Verification.short_code == code.upper())
    )
    if verification is None:
        throttle.fail_address("short_link_address")
    return verification


@router.get("/c/{short_code}", response_class=HTMLResponse)
def handoff_page(request: Request, short_code: str, session: DbSession) -> HTMLResponse:
    """Short link: a page that moves the capture session to this device on a button press.

    Following the link does nothing by itself (link previewers and prefetchers issue GETs);
    the POST issues a new client secret, so the link on the other device stops working.
    """
    verification = _by_short_code(session, short_code)
    usable = verification is not None and verification.status in m.INPUT_STATUSES
    return templates.TemplateResponse(
        request,
        "handoff.html",
        {"short_code": short_code.upper(), "usable": usable},
        status_code=200 if usable else 404,
        headers=PAGE_HEADERS,
    )


@router.post("/c/{short_code}")
def handoff(short_code: str, session: DbSession) -> Response:
    """Continue the capture on this device: rotate the client secret and open the flow."""
    verification = _by_short_code(session, short_code)
    if verification is None or verification.status not in m.INPUT_STATUSES:
        return RedirectResponse(f"/c/{short_code}", status_code=303)
    if service.expire_if_due(session, verification):
        session.commit()
        return RedirectResponse(f"/c/{short_code}", status_code=303)
    secret = service.rotate_client_secret(verification)
    record(
        session, Actor("end_user", verification.id), HANDOFF_ACTION, "verification", verification.id
    )
    session.commit()
    return RedirectResponse(
        f"/capture/{verification.id}?secret={secret}",
        status_code=303,
        headers={"Cache-Control": "no-store"},
    )


class ManualReviewRequest(BaseModel):
    note: str = Field(default="", max_length=1000)


class ManualReviewOut(BaseModel):
    recorded: bool
    message: str


@router.post(
    "/capture/{verification_id}/manual-review",
    response_model=ManualReviewOut,
    responses=errors(409),
)
def request_manual_review(
    verification_id: str, body: ManualReviewRequest, session: DbSession, secret: ClientSecret
) -> ManualReviewOut:
    """Record that the user declines biometric processing and asks for a human instead.

    The request lands in the audit log of the verification; the reviewer console lists it.
    It does not change the verification's status: support staff follow up with the user.
    """
    verification = service.authenticate_client(session, verification_id, secret)
    service.expire_if_due(session, verification)
    if verification.status in m.TERMINAL_STATUSES or verification.redacted_at is not None:
        session.commit()
        raise ApiError(409, "invalid_state", status=verification.status)
    record(
        session,
        Actor("end_user", verification.id),
        MANUAL_REVIEW_ACTION,
        "verification",
        verification.id,
        note=body.note.strip(),
    )
    session.commit()
    return ManualReviewOut(
        recorded=True,
        message=(
            "Your request for a manual review was recorded. The support team of the service "
            f"will contact you. Your reference: {verification.id}."
        ),
    )


@router.get("/review", response_class=HTMLResponse)
def review_console(request: Request, session: DbSession) -> HTMLResponse:
    """The reviewer console (login form when there is no valid session)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    reviewer = reviewer_for_cookie(session, cookie)
    if reviewer is None or cookie is None:
        return templates.TemplateResponse(request, "review_login.html", {}, headers=PAGE_HEADERS)
    return templates.TemplateResponse(
        request,
        "review.html",
        {"reviewer": reviewer, "csrf_token": csrf_token_for(cookie)},
        headers=PAGE_HEADERS,
    )


@router.get("/", include_in_schema=False)
def index() -> RedirectResponse:
    return RedirectResponse("/docs")
