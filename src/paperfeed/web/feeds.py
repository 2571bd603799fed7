"""RSS 2.0 and Atom 1.0 feeds of the web app's lists: /feeds/<list>.atom and /feeds/<list>.rss.

Each feed mirrors a page (same ranking functions, same order) for an anonymous reader, with
absolute links ($PAPERFEED_BASE_URL, else the request's own address). Responses carry an ETag
(a hash of the document) and Last-Modified (the latest change among the feed's papers) and
answer conditional GETs with 304, so polling readers cost little.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from email.utils import format_datetime, parsedate_to_datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response
from sqlalchemy import Connection

from paperfeed.feeds.build import feed_from_cards
from paperfeed.feeds.model import Feed
from paperfeed.feeds.render import render_atom, render_rss
from paperfeed.rank.cards import load_cards
from paperfeed.rank.daily import Span, daily_papers
from paperfeed.rank.lists import author_papers, category_papers, code_papers
from paperfeed.rank.trending import Window, trending_papers
from paperfeed.web import search_adapter
from paperfeed.web.output import link_base, shared_cache
from paperfeed.web.pages import OptDate, engine_of
from paperfeed.web.render import author_url, category_url, query_url

router = APIRouter(include_in_schema=False)

FORMATS: dict[str, tuple[str, Callable[[Feed], bytes]]] = {
    "atom": ("application/atom+xml; charset=utf-8", render_atom),
    "rss": ("application/rss+xml; charset=utf-8", render_rss),
}
DEFAULT_ENTRIES = 50
MAX_AGE_S = 600  # readers may reuse a feed for ten minutes (the worker indexes as often)

Entries = Annotated[int, Query(ge=1, le=200, description="how many papers (default 50)")]


def _format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise HTTPException(404, f"feeds come as .atom or .rss, not .{fmt}")
    return fmt


def _split(rest: str) -> tuple[str, str]:
    """'cs.LG.atom' -> ('cs.LG', 'atom'); names may hold dots, the format is after the last."""
    name, dot, fmt = rest.rpartition(".")
    if not dot or not name:
        raise HTTPException(404, "a feed address ends in .atom or .rss")
    return name, _format(fmt)


def base_url(request: Request) -> str:
    """The public address: $PAPERFEED_BASE_URL, else the one the request came to."""
    return link_base(request)


def _self_url(request: Request) -> str:
    raw = request.scope.get("raw_path")  # as sent: %20 and %2F stay escaped
    path = raw.decode("latin-1") if raw else quote(request.url.path)
    query = request.url.query
    return base_url(request) + path + (f"?{query}" if query else "")


def _not_modified(request: Request, etag: str, updated: dt.datetime) -> bool:
    """RFC 9110: If-None-Match decides when present; else If-Modified-Since."""
    inm = request.headers.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or etag in tags
    ims = request.headers.get("if-modified-since")
    if ims:
        try:
            since = parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=dt.UTC)
        return updated.replace(microsecond=0) <= since
    return False


def respond(request: Request, feed: Feed, fmt: str) -> Response:
    """The feed document, or 304 when the reader's copy is current."""
    content_type, render = FORMATS[fmt]
    body = render(feed)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    headers = {"ETag": etag,
               "Last-Modified": format_datetime(feed.updated.astimezone(dt.UTC), usegmt=True),
               "Cache-Control": shared_cache(request, f"public, max-age={MAX_AGE_S}")}
    if _not_modified(request, etag, feed.updated):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=content_type, headers=headers)


def _build(request: Request, conn: Connection, cards: list[dict[str, Any]], *, page: str,
           title: str, subtitle: str, empty_updated: dt.datetime | None = None) -> Feed:
    base = base_url(request)
    return feed_from_cards(conn, cards, base_url=base, self_url=_self_url(request),
                           link=base + page, title=title, subtitle=subtitle,
                           empty_updated=empty_updated)


@router.get("/feeds/daily.{fmt}")
def daily_feed(request: Request, fmt: str, date: OptDate = None, span: Span = "day",
               n: Entries = DEFAULT_ENTRIES) -> Response:
    """The daily page's papers (the latest announcement day by default), most voted first."""
    fmt = _format(fmt)
    with engine_of(request).connect() as conn:
        d = daily_papers(conn, date, span, None, n, 0)
        when = d.start if d.start == d.end else f"{d.start} to {d.end}"
        feed = _build(request, conn, d.papers,
                      page=query_url("/", {}, date=date.isoformat() if date else None,
                                     span=None if span == "day" else span),
                      title="paperfeed: daily papers" + (f" ({when})" if date else ""),
                      subtitle=f"Papers announced {when}, most voted first.",
                      empty_updated=dt.datetime.fromisoformat(d.start).replace(tzinfo=dt.UTC))
    return respond(request, feed, fmt)


@router.get("/feeds/trending.{fmt}")
def trending_feed(request: Request, fmt: str, window: Window = "week",
                  n: Entries = DEFAULT_ENTRIES) -> Response:
    """The trending page's papers for a window (day, week, month)."""
    fmt = _format(fmt)
    with engine_of(request).connect() as conn:
        papers = trending_papers(conn, window, n)
        feed = _build(request, conn, papers,
                      page=query_url("/trending", {}, window=None if window == "week" else window),
                      title=f"paperfeed: trending papers (this {window})",
                      subtitle="Papers gathering votes now; votes fade with age.")
    return respond(request, feed, fmt)


@router.get("/feeds/search.{fmt}")
def search_feed(
    request: Request,
    fmt: str,
    q: Annotated[str, Query(max_length=500)] = "",
    category: Annotated[str | None, Query(max_length=40)] = None,
    since: OptDate = None,
    until: OptDate = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    sort: search_adapter.SortName = "date",
    n: Entries = DEFAULT_ENTRIES,
) -> Response:
    """A saved search: newest matches first by default (sort=relevance for best first)."""
    fmt = _format(fmt)
    if not q.strip():
        raise HTTPException(422, "invalid query parameter 'q': a search feed needs words to "
                                 "search for")
    filters: dict[str, Any] = {"category": category or None,
                               "since": since.isoformat() if since else None,
                               "until": until.isoformat() if until else None,
                               "author": author or None}
    engine = engine_of(request)
    res = search_adapter.search(engine, q, n, 0, sort=sort, count=False, **filters)
    if res.reason == "stopwords":
        raise HTTPException(422, f"invalid query parameter 'q': {res.note}")
    with engine.connect() as conn:
        cards = load_cards(conn, [h.id for h in res.hits])
        feed = _build(request, conn, cards,
                      page=query_url("/search", {}, q=q, sort=sort, **filters),
                      title=f"paperfeed: search {q.strip()!r}"
                            + (f" in {category}" if category else ""),
                      subtitle=("Newest papers" if sort == "date" else "Best matches")
                               + f" for {q.strip()!r}.")
    return respond(request, feed, fmt)


@router.get("/feeds/category/{rest:path}")
def category_feed(request: Request, rest: Annotated[str, Path(max_length=50)],
                  n: Entries = DEFAULT_ENTRIES) -> Response:
    """A category's newest papers (/feeds/category/cs.LG.atom)."""
    cat, fmt = _split(rest)
    with engine_of(request).connect() as conn:
        c = category_papers(conn, cat, None, n, 0)
        if c["total"] == 0:
            raise HTTPException(404, f"no papers in category {cat!r} here")
        feed = _build(request, conn, c["papers"], page=category_url(cat),
                      title=f"paperfeed: {cat}", subtitle=f"Newest papers in {cat}.")
    return respond(request, feed, fmt)


@router.get("/feeds/author/{rest:path}")
def author_feed(request: Request, rest: Annotated[str, Path(max_length=210)],
                n: Entries = DEFAULT_ENTRIES) -> Response:
    """An author's newest papers (/feeds/author/Ada%20Lovelace.atom)."""
    name, fmt = _split(rest)
    with engine_of(request).connect() as conn:
        a = author_papers(conn, name, None, n, 0)
        if a["total"] == 0:
            raise HTTPException(404, f"no papers by {name!r} here")
        feed = _build(request, conn, a["papers"], page=author_url(a["name"]),
                      title=f"paperfeed: {a['name']}", subtitle=f"Newest papers by {a['name']}.")
    return respond(request, feed, fmt)


@router.get("/feeds/code.{fmt}")
def code_feed(request: Request, fmt: str, n: Entries = DEFAULT_ENTRIES) -> Response:
    """The newest papers that link their code (issue #17)."""
    fmt = _format(fmt)
    with engine_of(request).connect() as conn:
        papers = code_papers(conn, None, n, 0)["papers"]
        feed = _build(request, conn, papers, page="/?code=1",
                      title="paperfeed: papers with code",
                      subtitle="The newest papers that link a code repository.")
    return respond(request, feed, fmt)
