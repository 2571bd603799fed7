"""Email digests on the web: subscribe (double opt-in), confirm, manage, unsubscribe, and each
subscriber's private digest feed. Links carry signed tokens (paperfeed.digest.tokens), so none
of these pages needs an account; a signed-in subscriber's subscription is linked to the account.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.digest import subscriptions as subs
from paperfeed.digest.feed import digest_feed
from paperfeed.digest.mail import SmtpConfigError
from paperfeed.digest.messages import links
from paperfeed.digest.subscriptions import (
    ChoiceError,
    Choices,
    InvalidEmail,
    Subscription,
    split_lines,
)
from paperfeed.digest.tokens import CONFIRM_TTL, make_token, token_expired
from paperfeed.web.auth import check_csrf, get_viewer
from paperfeed.web.mail_sender import sender_of
from paperfeed.web.pages import engine_of
from paperfeed.web.render import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger(__name__)

Token = Annotated[str, Query(max_length=100)]
OptStr = Annotated[str | None, Form(max_length=4000)]
SENT = ("We are sending a message to this address now (or sent one in the last few minutes). "
        "Open its link to confirm: nothing else is sent before you do. If the address already "
        "has a subscription, the message links to its settings instead.")
NO_MAIL = ("Nothing was saved or sent: this server cannot send email right now (its mail "
           "settings are wrong; the administrator has been told in the log). Please try again "
           "later.")
EXPIRED = (f"This confirmation link has expired (they last {CONFIRM_TTL.days} days). "
           "Subscribe again to get a new one.")
BAD_LINK = ("This link is not valid: it may be mistyped, or the subscription's links were "
            "reset. Use the newest email from us, or subscribe again.")


def _secret(request: Request) -> str:
    secret: str = request.app.state.settings.secret_key
    return secret


def _choices(trending: str | None, topics: str | None, categories: str | None,
             authors: str | None, frequency: str | None, max_papers: str | None,
             send_empty: str | None) -> Choices:
    try:
        mx = int(max_papers or subs.DEFAULT_MAX)
    except ValueError:
        raise ChoiceError("papers per digest must be a number") from None
    return Choices(trending=bool(trending), topics=split_lines(topics),
                   categories=(categories or "").replace(",", " ").split(),
                   authors=split_lines(authors), frequency=frequency or "daily",
                   max_papers=mx, send_empty=bool(send_empty))


def _form_ctx(ch: Choices) -> dict[str, object]:
    return {"trending": ch.trending, "topics": "\n".join(ch.topics),
            "categories": " ".join(ch.categories), "authors": "\n".join(ch.authors),
            "frequency": ch.frequency, "max_papers": ch.max_papers,
            "send_empty": ch.send_empty, "max_allowed": subs.MAX_PAPERS}


def _by_token(request: Request, token: str, *purposes: str) -> Subscription:
    with engine_of(request).connect() as conn:
        sub = subs.by_token(conn, token, *purposes, secret=_secret(request))
    if sub is None:
        raise HTTPException(404, BAD_LINK)
    return sub


@router.get("/subscribe", response_class=HTMLResponse)
def subscribe_form(request: Request) -> Response:
    """The subscription form."""
    viewer = get_viewer(request)
    ctx = _form_ctx(Choices(trending=True))
    return render(request, "subscribe.html", {**ctx, "nav": "subscribe",
                                              "email": viewer.user.email if viewer.user else ""})


@router.post("/subscribe")
def subscribe_submit(request: Request, email: Annotated[str, Form(max_length=320)],
                     trending: OptStr = None, topics: OptStr = None, categories: OptStr = None,
                     authors: OptStr = None, frequency: OptStr = None, max_papers: OptStr = None,
                     send_empty: OptStr = None, csrf: OptStr = None) -> Response:
    """Ask for a subscription; the answer is the same whether or not the address is known."""
    viewer = get_viewer(request)
    check_csrf(request, viewer, csrf)
    engine = engine_of(request)
    try:
        ch = _choices(trending, topics, categories, authors, frequency, max_papers, send_empty)
        res = subs.subscribe(engine, email, ch, viewer.user_id, secret=_secret(request))
    except SmtpConfigError as e:
        log.error("cannot queue a confirmation email: %s", e)
        return render(request, "subscribe_sent.html", {
            "notice": NO_MAIL, "error": True, "title": "Email is not set up here",
            "nav": "subscribe"}, status=503)
    except (ChoiceError, InvalidEmail) as e:
        ctx = {"trending": bool(trending), "topics": topics or "", "categories": categories or "",
               "authors": authors or "", "frequency": frequency or "daily",
               "max_papers": max_papers or subs.DEFAULT_MAX, "send_empty": bool(send_empty),
               "max_allowed": subs.MAX_PAPERS}
        return render(request, "subscribe.html", {**ctx, "email": email, "error": str(e),
                                                  "nav": "subscribe"}, status=422)
    if res.outbox_id is not None:
        # Queued, not sent here: the app's mail thread sends it; a failure is logged and the
        # row stays in the outbox for the worker (or `paperfeed digest send`) to retry.
        sender_of(request.app).notify(res.outbox_id)
    return render(request, "subscribe_sent.html", {"notice": SENT, "nav": "subscribe"})


def _confirm_token(request: Request, token: str) -> Subscription:
    if token_expired(token):
        raise HTTPException(410, EXPIRED)
    return _by_token(request, token, "confirm")


@router.get("/subscribe/confirm", response_class=HTMLResponse)
def subscribe_confirm_page(request: Request, token: Token) -> Response:
    """The confirmation link's page: a button that confirms (link scanners only GET)."""
    sub = _confirm_token(request, token)
    return render(request, "subscribe_confirm.html", {
        "sub": sub, "token": token, "summary": sub.choices.summary(), "nav": "subscribe"})


@router.post("/subscribe/confirm", response_class=HTMLResponse)
def subscribe_confirm(request: Request, token: Annotated[str, Form(max_length=100)]
                      ) -> Response:
    """Confirm: the subscription starts. The signed token is the authority (no CSRF cookie)."""
    _confirm_token(request, token)
    sub = subs.confirm(engine_of(request), token, secret=_secret(request))
    if sub is None:
        raise HTTPException(404, BAD_LINK)
    manage = make_token(_secret(request), sub.id, sub.nonce, "manage")
    return render(request, "subscribe_confirmed.html", {
        "sub": sub, "summary": sub.choices.summary(), "manage_token": manage,
        "nav": "subscribe"})


def _manage_page(request: Request, sub: Subscription, status: int = 200, **extra: object
                 ) -> Response:
    secret = _secret(request)
    token = make_token(secret, sub.id, sub.nonce, "manage")
    ln = links(sub, secret)
    ctx = {**_form_ctx(sub.choices), **extra}
    return render(request, "manage.html", {
        "sub": sub, "token": token, "summary": sub.choices.summary(),
        "feed_atom": f"/feeds/digest/{make_token(secret, sub.id, sub.nonce, 'feed')}.atom",
        "feed_rss": f"/feeds/digest/{make_token(secret, sub.id, sub.nonce, 'feed')}.rss",
        "unsubscribe_url": ln["unsubscribe_url"], "nav": "subscribe", **ctx}, status=status)


@router.get("/subscription", response_class=HTMLResponse)
def manage_page(request: Request, token: Token,
                notice: Annotated[str | None, Query(max_length=40)] = None) -> Response:
    """Manage a subscription from an email's link: choices, pause, unsubscribe."""
    sub = _by_token(request, token, "manage")
    notes = {"saved": "Your choices are saved.", "paused": "Digests are paused.",
             "resumed": "Digests are on again.", "reset": "New links made: the old ones no "
             "longer work. Bookmark this page's new address.",
             "unsubscribed": "You are unsubscribed: nothing more will be sent."}
    return _manage_page(request, sub, notice=notes.get(notice or ""))


@router.post("/subscription")
def manage_submit(request: Request, token: Annotated[str, Form(max_length=100)],
                  action: Annotated[str, Form(max_length=20)], trending: OptStr = None,
                  topics: OptStr = None, categories: OptStr = None, authors: OptStr = None,
                  frequency: OptStr = None, max_papers: OptStr = None,
                  send_empty: OptStr = None, csrf: OptStr = None) -> Response:
    """Save choices, pause, resume, unsubscribe or reset the links."""
    check_csrf(request, get_viewer(request), csrf)
    engine = engine_of(request)
    sub = _by_token(request, token, "manage")
    if action == "save":
        try:
            ch = _choices(trending, topics, categories, authors, frequency, max_papers,
                          send_empty)
            subs.update_choices(engine, sub.id, ch)
        except ChoiceError as e:
            return _manage_page(request, sub, status=422, error=str(e))
        notice = "saved"
    elif action in ("pause", "resume"):
        subs.set_status(engine, sub.id, "paused" if action == "pause" else "active")
        notice = "paused" if action == "pause" else "resumed"
    elif action == "unsubscribe":
        subs.unsubscribe(engine, sub.id)
        notice = "unsubscribed"
    elif action == "reset":
        subs.reset_links(engine, sub.id)
        with engine.connect() as conn:
            fresh = subs.get_subscription(conn, sub.id)
        assert fresh is not None
        token = make_token(_secret(request), fresh.id, fresh.nonce, "manage")
        notice = "reset"
    else:
        raise HTTPException(422, f"unknown action {action!r}")
    return RedirectResponse(f"/subscription?token={token}&notice={notice}", status_code=303)


@router.get("/unsubscribe", response_class=HTMLResponse)
def unsubscribe_page(request: Request, token: Token) -> Response:
    """Asks before unsubscribing (link scanners follow GET links; a click posts)."""
    sub = _by_token(request, token, "unsubscribe", "manage")
    return render(request, "unsubscribe.html", {"sub": sub, "token": token, "nav": "subscribe"})


@router.post("/unsubscribe")
def unsubscribe_submit(request: Request, token: Annotated[str | None, Query(max_length=100)] = None,
                       form_token: Annotated[str | None, Form(alias="token", max_length=100)] = None
                       ) -> Response:
    """Unsubscribe: the page's button, or a mail client's RFC 8058 one-click POST
    (`List-Unsubscribe=One-Click`). The signed token is the authority, so no CSRF cookie."""
    tok = token or form_token or ""
    sub = _by_token(request, tok, "unsubscribe", "manage")
    subs.unsubscribe(engine_of(request), sub.id)
    return render(request, "unsubscribe_done.html", {"sub": sub, "nav": "subscribe"})


@router.get("/feeds/digest/{token}.{fmt}")
def digest_feed_page(request: Request, token: str, fmt: str) -> Response:
    """A subscriber's digests as Atom or RSS, at a private address."""
    from paperfeed.feeds.render import render_atom, render_rss

    if fmt not in ("atom", "rss"):
        raise HTTPException(404, "digest feeds come as .atom or .rss")
    sub = _by_token(request, token, "feed")
    if sub.status in ("pending", "unsubscribed"):
        raise HTTPException(404, "this subscription has no feed (not confirmed, or ended)")
    with engine_of(request).connect() as conn:
        feed = digest_feed(conn, sub, fmt, _secret(request))
    body = render_atom(feed) if fmt == "atom" else render_rss(feed)
    media = "application/atom+xml" if fmt == "atom" else "application/rss+xml"
    return Response(body, media_type=f"{media}; charset=utf-8",
                    headers={"Cache-Control": "private, max-age=600",
                             "X-Robots-Tag": "noindex"})
