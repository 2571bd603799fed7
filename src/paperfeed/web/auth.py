"""Who is asking, and may they: sessions, API tokens and CSRF checks, all decided here."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from paperfeed.accounts.sessions import find_session
from paperfeed.accounts.tokens import token_user
from paperfeed.accounts.users import User
from paperfeed.web.settings import WebSettings

SESSION_COOKIE = "pf_session"
ANON_COOKIE = "pf_csrf"  # anonymous forms (log in, sign up): double-submit, keyed by the secret
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(Exception):
    """An HTML page or form needs a signed-in user: the app redirects to the login page."""

    def __init__(self, next_path: str | None = None) -> None:
        super().__init__(next_path)
        self.next_path = next_path


@dataclass
class Viewer:
    user: User | None
    via: str  # "session", "token" or "anonymous"
    csrf: str  # the token this viewer's forms carry
    session_token: str | None = None
    new_anon_cookie: str | None = None  # set on the response when the visitor had none

    @property
    def user_id(self) -> int | None:
        """The signed-in user's id, or None."""
        return self.user.id if self.user else None


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _settings(request: Request) -> WebSettings:
    settings: WebSettings = request.app.state.settings
    return settings


def anon_csrf(secret: str, cookie: str) -> str:
    """The form token that matches an anonymous visitor's cookie."""
    return hmac.new(secret.encode(), f"csrf:{cookie}".encode(), hashlib.sha256).hexdigest()


def _resolve(request: Request) -> Viewer:
    auth = request.headers.get("authorization")
    if auth:
        scheme, _, token = auth.partition(" ")
        user = token_user(_engine(request), token.strip()) if scheme.lower() == "bearer" else None
        if user is None:
            raise HTTPException(401, "invalid or revoked API token (send `Authorization: "
                                     "Bearer <token>`; create one on your account page)")
        return Viewer(user, "token", "")
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with _engine(request).connect() as conn:
            session = find_session(conn, cookie)
        if session is not None:
            return Viewer(session.user, "session", session.csrf_token, cookie)
    anon = request.cookies.get(ANON_COOKIE)
    fresh = None
    if not anon or len(anon) > 100:
        anon = fresh = secrets.token_urlsafe(24)
    return Viewer(None, "anonymous", anon_csrf(_settings(request).secret_key, anon),
                  new_anon_cookie=fresh)


def get_viewer(request: Request) -> Viewer:
    """The viewer of this request (resolved once per request)."""
    viewer = getattr(request.state, "viewer", None)
    if viewer is None:
        viewer = request.state.viewer = _resolve(request)
    return viewer


def check_csrf(request: Request, viewer: Viewer, submitted: str | None) -> None:
    """Reject a state-changing request whose CSRF token is missing or wrong (403).

    Bearer-token requests carry no cookies, so they cannot be forged cross-site: no token needed.
    """
    if viewer.via == "token":
        return
    sent = submitted or request.headers.get(CSRF_HEADER) or ""
    if viewer.new_anon_cookie is not None or not hmac.compare_digest(sent, viewer.csrf):
        raise HTTPException(403, "the form's security token is missing or out of date: "
                                 "reload the page and try again")


def require_user(viewer: Viewer, api: bool) -> User:
    """The signed-in user, else 401 (API) or a redirect to the login page (HTML)."""
    if viewer.user is None:
        if api:
            raise HTTPException(401, "sign in or send an API token to do this",
                                headers={"WWW-Authenticate": "Bearer"})
        raise LoginRequired()
    return viewer.user
