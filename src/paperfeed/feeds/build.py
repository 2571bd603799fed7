"""Paper cards (as rank/ and search/ return them) -> a `Feed` with absolute links.

Dates: an entry is `published` when arXiv announced it (else first submitted) and `updated`
when its record here last changed. The feed's `updated` is the latest change among its entries,
counting Hugging Face upvote fetches and local votes, which reorder ranked feeds: so it moves
whenever the feed's content can have changed, and stays put otherwise (it is the HTTP
Last-Modified of the feed).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, text

from paperfeed import clock
from paperfeed.feeds.model import Entry, Feed
from paperfeed.latex import to_unicode

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def paper_path(paper_id: str) -> str:
    """/papers/<id> (the web app's paper page; old-style ids keep their slash)."""
    return "/papers/" + quote(paper_id, safe="/:")


parse_when = clock.parse_instant  # an ISO date or datetime as aware UTC (None if not one)


@dataclass(frozen=True)
class PaperDates:
    published: dt.datetime
    updated: dt.datetime
    changed: dt.datetime  # the latest of updated, upvotes fetched, last local vote


def paper_dates(conn: Connection, ids: list[str]) -> dict[str, PaperDates]:
    """Feed dates of stored papers (ids not stored are left out)."""
    if not ids:
        return {}
    params = {f"i{n}": pid for n, pid in enumerate(ids)}
    marks = ", ".join(f":{k}" for k in params)
    rows = conn.execute(text(
        "SELECT p.id, p.announced, p.submitted, p.created_at, p.modified_at, h.fetched_at, "
        "(SELECT MAX(v.created_at) FROM votes v WHERE v.paper_id = p.id) AS voted_at "
        f"FROM papers p LEFT JOIN hf_papers h ON h.paper_id = p.id WHERE p.id IN ({marks})"),
        params).all()
    out = {}
    for r in rows:
        published = (parse_when(r.announced) or parse_when(r.submitted)
                     or parse_when(r.created_at) or EPOCH)
        updated = max(parse_when(r.modified_at) or published, published)
        changed = max([updated, *filter(None, (parse_when(r.fetched_at),
                                                 parse_when(r.voted_at)))])
        out[r.id] = PaperDates(published, updated, changed)
    return out


def entry_from_card(card: dict[str, Any], base_url: str, dates: PaperDates | None) -> Entry:
    """One paper card as a feed entry; its id and link are the paper page's absolute URL."""
    url = base_url.rstrip("/") + paper_path(card["id"])
    when = dates or PaperDates(EPOCH, EPOCH, EPOCH)
    return Entry(id=url, title=" ".join(to_unicode(card.get("title") or card["id"]).split()),
                 link=url, summary=to_unicode(card.get("abstract") or "").strip(),
                 published=when.published,
                 updated=when.updated, authors=list(card.get("authors") or []),
                 categories=list(card.get("categories") or []))


def feed_from_cards(conn: Connection, cards: list[dict[str, Any]], *, base_url: str,
                    self_url: str, link: str, title: str, subtitle: str,
                    empty_updated: dt.datetime | None = None) -> Feed:
    """A feed of `cards` in their order; `updated` is the latest change among them.

    An empty feed is `empty_updated` old (e.g. the start of the day it shows), else 1970.
    """
    dates = paper_dates(conn, [c["id"] for c in cards])
    entries = [entry_from_card(c, base_url, dates.get(c["id"])) for c in cards]
    changed = [dates[c["id"]].changed for c in cards if c["id"] in dates]
    updated = max(changed) if changed else (empty_updated or EPOCH)
    return Feed(id=self_url, title=title, link=link, self_url=self_url, subtitle=subtitle,
                updated=updated, entries=entries)
