"""Sign up, log in, log out, the account page (API tokens, password, sessions) and the library.

Account management (tokens, password, "log out everywhere") needs a signed-in session and its
CSRF token: an API token cannot make more tokens. Pages showing account data are no-store
(web/headers.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.accounts.collections import public_tags
from paperfeed.accounts.marks import library
from paperfeed.accounts.passwords import WeakPassword
from paperfeed.accounts.sessions import (
    LIFETIME,
    create_session,
    end_all_sessions,
    end_session,
    token_hash,
)
from paperfeed.accounts.tokens import (
    SCOPES,
    TokenError,
    TooManyTokens,
    create_token,
    list_tokens,
    revoke_token,
)
from paperfeed.accounts.users import (
    InvalidEmail,
    RateLimited,
    authenticate,
    change_password,
    signup,
)
from paperfeed.web.actions import safe_next
from paperfeed.web.auth import (
    SESSION_COOKIE,
    check_csrf,
    client_ip,
    get_viewer,
    require_session,
    require_user,
)
from paperfeed.web.pages import PageNo, engine_of
from paperfeed.web.password import router as password_router
from paperfeed.web.render import render

router = APIRouter(include_in_schema=False)

Email = Annotated[str, Form(max_length=320)]
Password = Annotated[str, Form(max_length=2048)]
OptStr = Annotated[str | None, Form(max_length=2000)]
SIGNED_UP = ("If that email was new, your account is ready: log in below. If it already had "
             "an account, log in with its password.")
BAD_LOGIN = "Wrong email or password."
PASSWORD_RESET = "Your password is changed and every session was logged out: log in below."


@router.get("/signup", response_class=HTMLResponse)
def signup_form(request: Request) -> Response:
    """The sign-up form."""
    return render(request, "signup.html", {"nav": "signup"})


@router.post("/signup")
def signup_submit(request: Request, email: Email, password: Password,
                  display_name: OptStr = None, csrf: OptStr = None) -> Response:
    """Create an account; the answer is the same whether or not the email was taken."""
    check_csrf(request, get_viewer(request), csrf)
    secret = request.app.state.settings.secret_key
    try:
        signup(engine_of(request), email, password, display_name, client_ip(request), secret)
    except (InvalidEmail, WeakPassword) as e:
        return render(request, "signup.html", {"error": str(e), "email": email}, status=422)
    except RateLimited as e:
        resp = render(request, "signup.html", {"error": str(e).capitalize() + ".",
                                               "email": email}, status=429)
        resp.headers["Retry-After"] = str(e.retry_after)
        return resp
    return RedirectResponse("/login?notice=signed-up", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query(max_length=2000)] = None,
               notice: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """The login form."""
    msg = {"signed-up": SIGNED_UP, "reset": PASSWORD_RESET}.get(notice or "")
    return render(request, "login.html", {"next": safe_next(next), "notice": msg,
                                          "nav": "login"})


@router.post("/login")
def login_submit(request: Request, email: Email, password: Password, next: OptStr = None,
                 csrf: OptStr = None) -> Response:
    """Check the password (rate-limited) and start a session in an HttpOnly cookie."""
    check_csrf(request, get_viewer(request), csrf)
    settings = request.app.state.settings
    ctx = {"next": safe_next(next), "email": email}
    try:
        user = authenticate(engine_of(request), email, password, client_ip(request),
                            settings.secret_key)
    except RateLimited as e:
        limited = render(request, "login.html", {**ctx, "error": str(e).capitalize() + "."},
                         status=429)
        limited.headers["Retry-After"] = str(e.retry_after)
        return limited
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
    return render(request, "account.html", {"tokens": tokens, "nav": "account",
                                            "scopes": SCOPES, **extra}, status=status)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request,
                 notice: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """The account page: API tokens, password, sessions."""
    notes = {"password": "Your password is changed; your other sessions are logged out.",
             "sessions": "Every other session is logged out."}
    return _account(request, notice=notes.get(notice or ""))


@router.post("/account/tokens")
def token_create(request: Request, name: Annotated[str, Form(max_length=200)],
                 scope: Annotated[list[str] | None, Form(max_length=20)] = None,
                 days: Annotated[str | None, Form(max_length=10)] = None,
                 csrf: OptStr = None) -> Response:
    """Create an API token (scopes, optional expiry in days) and show it once."""
    user = require_session(request, get_viewer(request), csrf)
    try:
        n_days = int(days) if days and days.strip() else None
    except ValueError:
        return _account(request, status=422, error="expiry: a number of days, or empty")
    try:
        token = create_token(engine_of(request), user.id, name, scope or [], n_days)
    except (TooManyTokens, TokenError) as e:
        return _account(request, status=422, error=str(e))
    return _account(request, new_token=token)


@router.post("/account/tokens/revoke")
def token_revoke(request: Request, token_id: Annotated[str, Form(max_length=64)],
                 csrf: OptStr = None) -> Response:
    """Revoke one of the user's API tokens."""
    user = require_session(request, get_viewer(request), csrf)
    revoke_token(engine_of(request), user.id, token_id)
    return RedirectResponse("/account", status_code=303)


@router.post("/account/password")
def password_change(request: Request, current: Password, new: Password,
                    csrf: OptStr = None) -> Response:
    """Change the password (the current one is asked again); other sessions end."""
    viewer = get_viewer(request)
    user = require_session(request, viewer, csrf)
    try:
        ok = change_password(engine_of(request), user.id, current, new,
                             keep_session=token_hash(viewer.session_token or ""))
    except WeakPassword as e:
        return _account(request, status=422, password_error=str(e))
    if not ok:
        return _account(request, status=400, password_error="The current password is wrong.")
    return RedirectResponse("/account?notice=password", status_code=303)


@router.post("/account/sessions/end")
def sessions_end(request: Request, csrf: OptStr = None) -> Response:
    """Log out everywhere else (this browser stays signed in)."""
    viewer = get_viewer(request)
    user = require_session(request, viewer, csrf)
    end_all_sessions(engine_of(request), user.id, token_hash(viewer.session_token or ""))
    return RedirectResponse("/account?notice=sessions", status_code=303)


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


# the forgotten-password pages ride on this router (no separate wiring in app.py)
router.include_router(password_router)
