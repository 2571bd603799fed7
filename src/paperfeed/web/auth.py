"""Who is asking, and may they: sessions, API tokens and CSRF checks, all decided here."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from sqlalchemy import Engine

from paperfeed.accounts.sessions import find_session
from paperfeed.accounts.tokens import token_grant
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
    scopes: frozenset[str] = field(default_factory=frozenset)  # a token's; sessions: all

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


def client_ip(request: Request) -> str | None:
    """The client's address: the peer, or, when the peer is a configured proxy
    (PAPERFEED_TRUSTED_PROXIES), the right-most X-Forwarded-For entry that is not one."""
    peer = request.client.host if request.client else None
    nets = [ipaddress.ip_network(n) for n in _settings(request).trusted_proxies]

    def trusted(addr: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((addr or "").strip())
        except ValueError:
            return False
        return any(ip in n for n in nets)

    if not nets or not trusted(peer):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",")]
    for hop in reversed([h for h in hops if h]):
        if not trusted(hop):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage in the header: count it against the proxy
    return peer


def token_scope(request: Request) -> str:
    """The scope an API request needs: vote (votes), library (the library), else read."""
    path = request.url.path
    if path.startswith("/api/votes"):
        return "vote"
    if path == "/api/library" or path.startswith("/api/library/"):
        return "library"
    return "read"


def _is_api(request: Request) -> bool:
    return request.url.path == "/api" or request.url.path.startswith("/api/")


def _resolve(request: Request) -> Viewer:
    auth = request.headers.get("authorization")
    if auth and _is_api(request):  # tokens work on the API only: never on account pages
        scheme, _, token = auth.partition(" ")
        reading = request.method in ("GET", "HEAD")  # readers never write, not even "last used"
        grant = token_grant(_engine(request), token.strip(), touch=not reading) \
            if scheme.lower() == "bearer" else None
        if grant is None:
            raise HTTPException(401, "invalid, expired or revoked API token (send "
                                     "`Authorization: Bearer <token>`; create one on your "
                                     "account page)")
        need = token_scope(request)
        if need not in grant.scopes:
            raise HTTPException(403, f"this API token lacks the {need!r} scope (it has: "
                                     f"{', '.join(sorted(grant.scopes))}); make one with it "
                                     "on your account page")
        return Viewer(grant.user, "token", "", scopes=grant.scopes)
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        with _engine(request).connect() as conn:
            session = find_session(conn, cookie)
        if session is not None:
            return Viewer(session.user, "session", session.csrf_token, cookie,
                          scopes=frozenset(("read", "vote", "library")))
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


def require_session(request: Request, viewer: Viewer, submitted: str | None) -> User:
    """Account management: a signed-in session (never an API token) and its CSRF token."""
    if viewer.via == "token":
        raise HTTPException(403, "API tokens cannot manage the account: sign in")
    check_csrf(request, viewer, submitted)
    return require_user(viewer, api=False)


def require_user(viewer: Viewer, api: bool) -> User:
    """The signed-in user, else 401 (API) or a redirect to the login page (HTML)."""
    if viewer.user is None:
        if api:
            raise HTTPException(401, "sign in or send an API token to do this",
                                headers={"WWW-Authenticate": "Bearer"})
        raise LoginRequired()
    return viewer.user
