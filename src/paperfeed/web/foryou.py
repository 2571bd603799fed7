"""The For-you page and its forms. GET only reads; what the reader saw is recorded when they
press "Next" (a POST carrying the ids shown), so reloading never loses a paper."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.accounts.foryou_marks import (
    mark_seen,
    reset_feed,
    set_interest,
    set_seed_texts,
    set_social,
)
from paperfeed.accounts.marks import set_saved
from paperfeed.accounts.users import User
from paperfeed.rank.foryou_ids import resolve_ids
from paperfeed.rank.foryou_signals import for_you, interests, load_signals
from paperfeed.web.auth import check_csrf, get_viewer, require_user
from paperfeed.web.pages import engine_of
from paperfeed.web.render import render

router = APIRouter(include_in_schema=False)
PER_PAGE = 20
SOCIAL_STEPS = (0, 25, 50, 75, 100)
FormStr = Annotated[str, Form(max_length=300)]
OptStr = Annotated[str | None, Form(max_length=20_000)]


@router.get("/for-you", response_class=HTMLResponse)
def for_you_page(request: Request, seen: bool = False) -> Response:
    """Papers ranked for the signed-in reader, each with its reasons."""
    user = require_user(get_viewer(request), api=False)
    engine = engine_of(request)
    feed = for_you(engine, user.id, PER_PAGE, 0, None, include_seen=seen)
    with engine.connect() as conn:
        sig = load_signals(conn, user.id)
        mine = interests(conn, user.id)
    return render(request, "foryou.html", {
        "feed": feed, "nav": "foryou", "interests": mine, "steps": SOCIAL_STEPS,
        "n_positives": len(sig.profile.positives), "n_negatives": len(sig.profile.negatives),
        "seed_texts": sig.profile.texts, "include_seen": seen})


def _form_user(request: Request, csrf: str | None) -> User:
    viewer = get_viewer(request)
    check_csrf(request, viewer, csrf)
    return require_user(viewer, api=False)


def _back() -> Response:
    return RedirectResponse("/for-you", status_code=303)


@router.post("/for-you/next")
def next_action(request: Request, ids: OptStr = None, csrf: OptStr = None) -> Response:
    """Mark the papers just shown as seen; the next ones follow."""
    user = _form_user(request, csrf)
    mark_seen(engine_of(request), user.id, (ids or "").split())
    return _back()


@router.post("/for-you/settings")
def settings_action(request: Request, social: Annotated[int, Form(ge=0, le=100)] = 0,
                    csrf: OptStr = None) -> Response:
    user = _form_user(request, csrf)
    set_social(engine_of(request), user.id, social)
    return _back()


@router.post("/for-you/reset")
def reset_action(request: Request, csrf: OptStr = None) -> Response:
    user = _form_user(request, csrf)
    reset_feed(engine_of(request), user.id)
    return _back()


@router.post("/for-you/interests")
def interest_action(request: Request, kind: FormStr, value: FormStr, mode: OptStr = None,
                    csrf: OptStr = None) -> Response:
    """Follow or mute an author, keyword or category (mode empty: forget it)."""
    user = _form_user(request, csrf)
    try:
        set_interest(engine_of(request), user.id, kind, value, mode or None)
    except ValueError as e:
        raise HTTPException(422, str(e)) from None
    return _back()


@router.post("/for-you/seeds")
def seeds_action(request: Request, ids: OptStr = None, text: OptStr = None,
                 csrf: OptStr = None) -> Response:
    """Seeds: arXiv ids (saved to the library, tag "seed") and a pasted abstract or draft."""
    user = _form_user(request, csrf)
    engine = engine_of(request)
    found, bad = resolve_ids(engine, (ids or "").replace(",", " ").split())
    for pid in found:
        set_saved(engine, user.id, pid, True, ["seed"])
    if text is not None and text.strip():
        with engine.connect() as conn:
            old = load_signals(conn, user.id).profile.texts
        set_seed_texts(engine, user.id, [text, *old])
    if bad:
        raise HTTPException(422, "not stored here: " + ", ".join(r for r, _ in bad[:10])
                            + (f" (saved {len(found)} others)" if found else ""))
    return _back()
