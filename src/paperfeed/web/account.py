"""Sign up, log in, log out, the account page (API tokens) and the library page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.accounts.collections import public_tags
from paperfeed.accounts.marks import library
from paperfeed.accounts.passwords import WeakPassword
from paperfeed.accounts.sessions import LIFETIME, create_session, end_session
from paperfeed.accounts.tokens import TooManyTokens, create_token, list_tokens, revoke_token
from paperfeed.accounts.users import InvalidEmail, RateLimited, authenticate, signup
from paperfeed.web.actions import safe_next
from paperfeed.web.auth import SESSION_COOKIE, check_csrf, get_viewer, require_user
from paperfeed.web.pages import PageNo, engine_of
from paperfeed.web.render import render

router = APIRouter(include_in_schema=False)

Email = Annotated[str, Form(max_length=320)]
Password = Annotated[str, Form(max_length=2048)]
OptStr = Annotated[str | None, Form(max_length=2000)]
SIGNED_UP = ("If that email was new, your account is ready: log in below. If it already had "
             "an account, log in with its password.")
BAD_LOGIN = "Wrong email or password."


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request) -> Response:
    """The sign-up form."""
    return render(request, "signup.html", {"nav": "signup"})


@router.post("/signup")
def signup_submit(request: Request, email: Email, password: Password,
                  display_name: OptStr = None, csrf: OptStr = None) -> Response:
    """Create an account; the answer is the same whether or not the email was taken."""
    check_csrf(request, get_viewer(request), csrf)
    try:
        signup(engine_of(request), email, password, display_name)
    except (InvalidEmail, WeakPassword) as e:
        return render(request, "signup.html", {"error": str(e), "email": email}, status=422)
    return RedirectResponse("/login?notice=signed-up", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None,
               notice: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """The login form."""
    msg = SIGNED_UP if notice == "signed-up" else None
    return render(request, "login.html", {"next": safe_next(next), "notice": msg,
                                          "nav": "login"})


@router.post("/login")
def login_submit(request: Request, email: Email, password: Password, next: OptStr = None,
                 csrf: OptStr = None) -> Response:
    """Check the password (rate-limited) and start a session in an HttpOnly cookie."""
    check_csrf(request, get_viewer(request), csrf)
    settings = request.app.state.settings
    ip = request.client.host if request.client else None
    ctx = {"next": safe_next(next), "email": email}
    try:
        user = authenticate(engine_of(request), email, password, ip, settings.secret_key)
    except RateLimited as e:
        return render(request, "login.html", {**ctx, "error": str(e).capitalize() + "."},
                      status=429)
    if user is None:
        return render(request, "login.html", {**ctx, "error": BAD_LOGIN}, status=400)
    token = create_session(engine_of(request), user.id)
    resp = RedirectResponse(safe_next(next), status_code=303)
    resp.set_cookie(SESSION_COOKIE, token, max_age=int(LIFETIME.total_seconds()), httponly=True,
                    samesite="lax", secure=settings.https or request.url.scheme == "https")
    return resp


@router.post("/logout")
def logout(request: Request, csrf: OptStr = None) -> Response:
    """End the session."""
    viewer = get_viewer(request)
    check_csrf(request, viewer, csrf)
    if viewer.session_token:
        end_session(engine_of(request), viewer.session_token)
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(SESSION_COOKIE)
    return resp


def _account(request: Request, status: int = 200, **extra: object) -> Response:
    user = require_user(get_viewer(request), api=False)
    with engine_of(request).connect() as conn:
        tokens = list_tokens(conn, user.id)
    return render(request, "account.html", {"tokens": tokens, "nav": "account", **extra},
                  status=status)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request) -> Response:
    """The account page: API tokens."""
    return _account(request)


@router.post("/account/tokens")
def token_create(request: Request, name: Annotated[str, Form(max_length=200)],
                 csrf: OptStr = None) -> Response:
    """Create an API token and show it once."""
    viewer = get_viewer(request)
    check_csrf(request, viewer, csrf)
    user = require_user(viewer, api=False)
    try:
        token = create_token(engine_of(request), user.id, name)
    except TooManyTokens as e:
        return _account(request, status=422, error=str(e))
    return _account(request, new_token=token)


@router.post("/account/tokens/revoke")
def token_revoke(request: Request, token_id: Annotated[str, Form(max_length=64)],
                 csrf: OptStr = None) -> Response:
    """Revoke one of the user's API tokens."""
    viewer = get_viewer(request)
    check_csrf(request, viewer, csrf)
    user = require_user(viewer, api=False)
    revoke_token(engine_of(request), user.id, token_id)
    return RedirectResponse("/account", status_code=303)


@router.get("/library", response_class=HTMLResponse)
def library_page(request: Request, tag: Annotated[str | None, Query(max_length=40)] = None,
                 page: PageNo = 1) -> Response:
    """The user's saved papers, filterable by tag."""
    user = require_user(get_viewer(request), api=False)
    with engine_of(request).connect() as conn:
        lib = library(conn, user.id, tag, 50, (page - 1) * 50)
        public = public_tags(conn, user.id)  # issue #17: public collections
    return render(request, "library.html", {"lib": lib, "tag": tag, "nav": "library",
                                            "page": page, "per_page": 50, "public": public})
