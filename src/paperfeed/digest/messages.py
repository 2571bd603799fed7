"""Email bodies from Jinja templates (digest/templates): text and HTML for every message.

HTML mail is written for mail clients, not browsers: tables for layout, inline styles, no
external CSS, scripts or images. Every message links to its subscription's manage page and the
one-click unsubscribe address.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape

from paperfeed.config import secret_key, setting
from paperfeed.digest.subscriptions import Subscription
from paperfeed.digest.tokens import make_token

TEMPLATES = Path(__file__).with_name("templates")
DEFAULT_BASE_URL = "http://localhost:8000"

ENV = Environment(loader=FileSystemLoader(TEMPLATES),
                  autoescape=select_autoescape(enabled_extensions=("html",),
                                               default_for_string=False),
                  trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def base_url() -> str:
    """PAPERFEED_BASE_URL without its trailing slash (emails need absolute links)."""
    return (setting("PAPERFEED_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")


def paper_link(paper_id: str) -> str:
    return f"{base_url()}/papers/{quote(paper_id, safe='/:')}"


def links(sub: Subscription, secret: str | None = None) -> dict[str, str]:
    """Signed absolute links for a subscriber: confirm, manage, unsubscribe, feed."""
    key = secret or secret_key()
    b = base_url()

    def tok(purpose: Any) -> str:
        return make_token(key, sub.id, sub.nonce, purpose)

    return {"confirm_url": f"{b}/subscribe/confirm?token={tok('confirm')}",
            "manage_url": f"{b}/subscription?token={tok('manage')}",
            "unsubscribe_url": f"{b}/unsubscribe?token={tok('unsubscribe')}",
            "feed_url": f"{b}/feeds/digest/{tok('feed')}.atom",
            "feed_rss_url": f"{b}/feeds/digest/{tok('feed')}.rss"}


def render(name: str, ctx: dict[str, Any]) -> tuple[str, str]:
    """(text, HTML) of the message `name` (name.txt and name.html)."""
    full = {"base_url": base_url(), **ctx}
    return (ENV.get_template(f"{name}.txt").render(**full),
            ENV.get_template(f"{name}.html").render(**full))
