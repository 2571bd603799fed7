"""Each subscriber's digest as a private feed (Atom or RSS at /feeds/digest/<token>.atom).

The feed lists what the subscriber's digests held (newest first), so a reader shows the same
papers as the inbox, and a digest held for review after a crash is still there to read.
"""

from __future__ import annotations

import datetime as dt

import orjson
from sqlalchemy import Connection, text

from paperfeed import clock
from paperfeed.digest.compose import _excerpt
from paperfeed.digest.messages import base_url, links, paper_link
from paperfeed.digest.subscriptions import Subscription
from paperfeed.feeds.model import Entry, Feed

FEED_ENTRIES = 100


def _when(iso: str | None, fallback: dt.datetime) -> dt.datetime:
    return clock.parse_instant(iso) or fallback


def digest_feed(conn: Connection, sub: Subscription, kind: str, secret: str | None = None
                ) -> Feed:
    """The feed of `sub`'s digests; `kind` is "atom" or "rss" (its self link)."""
    ln = links(sub, secret)
    rows = conn.execute(text(
        "SELECT p.id, p.title, p.abstract, p.authors, p.categories, p.announced, "
        "o.created_at FROM digest_items i JOIN digest_outbox o ON o.id = i.digest_id "
        "JOIN papers p ON p.id = i.paper_id WHERE i.subscription_id = :s AND "
        "o.status <> 'cancelled' ORDER BY o.created_at DESC, i.position LIMIT :n"),
        {"s": sub.id, "n": FEED_ENTRIES}).all()
    epoch = _when(sub.confirmed_at or sub.created_at, clock.now())
    entries = []
    for r in rows:
        sent = _when(r.created_at, epoch)
        url = paper_link(r.id)
        entries.append(Entry(id=url, title=" ".join(r.title.split()), link=url,
                             summary=_excerpt(r.abstract or ""),
                             published=_when(r.announced, sent), updated=sent,
                             authors=orjson.loads(r.authors) if r.authors else [],
                             categories=orjson.loads(r.categories) if r.categories else []))
    updated = max((e.updated for e in entries), default=epoch)
    self_url = ln["feed_url"] if kind == "atom" else ln["feed_rss_url"]
    return Feed(id=self_url.rsplit(".", 1)[0], title=f"paperfeed {sub.frequency} digest",
                link=base_url() + "/", self_url=self_url,
                subtitle="Papers from your paperfeed digest: " + sub.choices.summary(),
                updated=updated, entries=entries)
