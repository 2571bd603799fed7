"""Form posts from the pages: vote, save to the library, not interested (CSRF-checked).

Each answers JSON to the progressive JavaScript (Accept: application/json) and otherwise
redirects back, so every button works without JavaScript too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paperfeed.accounts.marks import PaperNotFound, set_not_interested, set_saved, set_vote
from paperfeed.web.auth import LoginRequired, check_csrf, get_viewer, require_user
from paperfeed.web.pages import canonical_id, engine_of

router = APIRouter(include_in_schema=False)

FormStr = Annotated[str, Form(max_length=300)]
OptStr = Annotated[str | None, Form(max_length=2000)]


def wants_json(request: Request) -> bool:
    """Whether the caller is the page's script (it asks for JSON)."""
    return "application/json" in request.headers.get("accept", "")


def safe_next(raw: str | None, default: str = "/") -> str:
    """A local path to go back to (never another site: no scheme, no //host)."""
    if not raw or not raw.startswith("/") or raw.startswith("//") or "\\" in raw:
        return default
    return raw


def _act(request: Request, paper_id: str, csrf: str | None, nxt: str | None,
         change: Callable[[int, str], dict[str, Any]]) -> Response:
    viewer = get_viewer(request)
    api = wants_json(request)
    try:  # anonymous: to the login page first (nothing changes, so no token is needed yet)
        user = require_user(viewer, api)
    except LoginRequired:
        raise LoginRequired(safe_next(nxt)) from None
    check_csrf(request, viewer, csrf)
    pid = canonical_id(paper_id)
    try:
        result = change(user.id, pid)
    except PaperNotFound:
        raise HTTPException(404, f"no paper {pid!r} here") from None
    if api:
        return JSONResponse(result)
    return RedirectResponse(safe_next(nxt), status_code=303)


def _on(value: str | None) -> bool:
    return value not in ("0", "false", "off", "")


@router.post("/actions/vote")
def vote_action(request: Request, paper_id: FormStr, on: OptStr = "1", csrf: OptStr = None,
                next: OptStr = None) -> Response:
    """Vote for a paper (on=1) or take the vote back (on=0)."""
    engine = engine_of(request)
    return _act(request, paper_id, csrf, next,
                lambda u, p: set_vote(engine, u, p, _on(on)))


@router.post("/actions/save")
def save_action(request: Request, paper_id: FormStr, on: OptStr = "1", tags: OptStr = None,
                csrf: OptStr = None, next: OptStr = None) -> Response:
    """Save a paper to the library with comma-separated tags (on=1), or remove it (on=0)."""
    engine = engine_of(request)
    return _act(request, paper_id, csrf, next,
                lambda u, p: set_saved(engine, u, p, _on(on), (tags or "").split(",")))


@router.post("/actions/hide")
def hide_action(request: Request, paper_id: FormStr, on: OptStr = "1", csrf: OptStr = None,
                next: OptStr = None) -> Response:
    """Mark a paper "not interested" (on=1) or undo it (on=0)."""
    engine = engine_of(request)
    return _act(request, paper_id, csrf, next,
                lambda u, p: set_not_interested(engine, u, p, _on(on)))
