"""Forgotten passwords: ask for a reset link by email, then choose a new password with it.

The answer is the same whether or not the email has an account. The email is composed here
but sent by the app's mail thread (web/mail_sender.py), never inside the request; its link is
built from the configured base URL, never from the Host header (a stranger could otherwise
have a real user mailed a link to their own site). Choosing a new password ends every session.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.accounts import ratelimit
from paperfeed.accounts.passwords import WeakPassword
from paperfeed.accounts.reset import RESET_TTL, ResetLinkError, check_reset_token, reset_token_for
from paperfeed.accounts.users import InvalidEmail, normalize_email, set_password
from paperfeed.digest import mail
from paperfeed.digest.messages import base_url
from paperfeed.digest.messages import render as render_mail
from paperfeed.store.db import write_tx
from paperfeed.web.auth import check_csrf, client_ip, get_viewer
from paperfeed.web.mail_sender import sender_of
from paperfeed.web.pages import engine_of
from paperfeed.web.render import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("paperfeed.web.mail")

OptStr = Annotated[str | None, Form(max_length=2000)]
Token = Annotated[str, Query(max_length=100)]
SENT = ("If an account has this address, we are sending it a link to choose a new password "
        f"(it works once, for {int(RESET_TTL.total_seconds() // 60)} minutes).")
NO_MAIL = ("This server cannot send email right now (its mail settings are wrong; the "
           "administrator has been told in the log), so no link was sent.")
RESETS_PER_ACCOUNT_HOUR = 3


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.secret_key
    return secret


@router.get("/password/forgot", response_class=HTMLResponse)
def forgot_form(request: Request) -> Response:
    """Ask for a reset link."""
    return render(request, "password_forgot.html", {"nav": "login"})


@router.post("/password/forgot")
def forgot_submit(request: Request, email: Annotated[str, Form(max_length=320)],
                  csrf: OptStr = None) -> Response:
    """Queue a reset email for the account with this address (if there is one)."""
    check_csrf(request, get_viewer(request), csrf)
    ctx = {"email": email, "nav": "login"}
    try:
        addr = normalize_email(email)
        cfg = mail.smtp_config()
    except InvalidEmail as e:
        return render(request, "password_forgot.html", {**ctx, "error": str(e)}, status=422)
    except mail.SmtpConfigError as e:
        log.error("cannot send a password reset email: %s", e)
        return render(request, "password_forgot.html", {**ctx, "error": NO_MAIL}, status=503)
    now = dt.datetime.now(dt.UTC)
    secret = _secret(request)
    try:
        with write_tx(engine_of(request)) as conn:
            ratelimit.reserve_hourly(conn, ratelimit.address_key("reset", client_ip(request),
                                                                 secret),
                                     ratelimit.RESETS_PER_HOUR, now)
            ratelimit.reserve_hourly(conn, ratelimit.address_key("reset-account", addr, secret),
                                     RESETS_PER_ACCOUNT_HOUR, now)
    except ratelimit.Throttled as t:
        resp = render(request, "password_forgot.html", {
            **ctx, "error": f"Too many reset requests: try again in "
                            f"{(t.retry_after + 59) // 60} minutes."}, status=429)
        resp.headers["Retry-After"] = str(t.retry_after)
        return resp
    with engine_of(request).connect() as conn:
        found = reset_token_for(conn, secret, addr, now)
    if found is not None:
        _, to, token = found
        base = (request.app.state.settings.base_url or base_url()).rstrip("/")
        url = f"{base}/password/reset?token={token}"
        subject = "Reset your paperfeed password"
        txt, html = render_mail("reset", {"email": to, "reset_url": url, "subject": subject,
                                          "minutes": int(RESET_TTL.total_seconds() // 60)})
        message = mail.build_message(cfg, to, subject, txt, html,
                                     mail.new_message_id(cfg, "reset"), now)
        sender_of(request.app).send_later(f"password reset email to {to}",
                                          functools.partial(mail.send_one, cfg, to, message))
    return render(request, "password_forgot.html", {**ctx, "notice": SENT})


def _check(request: Request, token: str) -> int:
    with engine_of(request).connect() as conn:
        return check_reset_token(conn, _secret(request), token)


@router.get("/password/reset", response_class=HTMLResponse)
def reset_form(request: Request, token: Token) -> Response:
    """The reset link's page: choose a new password."""
    try:
        _check(request, token)
    except ResetLinkError as e:
        return render(request, "password_reset.html", {"error": str(e).capitalize() + "."},
                      status=400)
    return render(request, "password_reset.html", {"token": token, "nav": "login"})


@router.post("/password/reset")
def reset_submit(request: Request, token: Annotated[str, Form(max_length=100)],
                 password: Annotated[str, Form(max_length=2048)],
                 csrf: OptStr = None) -> Response:
    """Set the new password (the link is then spent) and end every session."""
    check_csrf(request, get_viewer(request), csrf)
    try:
        user_id = _check(request, token)
        set_password(engine_of(request), user_id, password)
    except ResetLinkError as e:
        return render(request, "password_reset.html", {"error": str(e).capitalize() + "."},
                      status=400)
    except WeakPassword as e:
        return render(request, "password_reset.html", {"token": token, "error": str(e)},
                      status=422)
    return RedirectResponse("/login?notice=reset", status_code=303)
