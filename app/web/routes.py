"""Server-rendered pages: the end user's capture flow and the reviewer console."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from app.core.deps import SESSION_COOKIE, DbSession, csrf_token_for
from app.core.deps import _read_session_cookie as read_session_cookie
from app.reviews.models import Reviewer
from app.verifications.models import Verification

WEB_DIR = Path(__file__).resolve().parent
STATIC_DIR = WEB_DIR / "static"
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))

router = APIRouter(include_in_schema=False)

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob: mediastream:; "
        "style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    ),
}


@router.get("/capture/{verification_id}", response_class=HTMLResponse)
def capture_page(request: Request, verification_id: str, session: DbSession) -> HTMLResponse:
    """The capture flow. The client secret stays in the page (query string), never in cookies."""
    verification = session.get(Verification, verification_id)
    return templates.TemplateResponse(
        request,
        "capture.html",
        {"verification_id": verification_id, "known": verification is not None},
        headers=PAGE_HEADERS,
    )


@router.get("/review", response_class=HTMLResponse)
def review_console(request: Request, session: DbSession) -> HTMLResponse:
    cookie = request.cookies.get(SESSION_COOKIE)
    reviewer_id = read_session_cookie(cookie)
    reviewer = session.get(Reviewer, reviewer_id) if reviewer_id else None
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
