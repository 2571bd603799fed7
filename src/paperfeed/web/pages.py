"""HTML pages people read (GET only): daily, trending, search, paper, author, category, about."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BeforeValidator, WithJsonSchema
from sqlalchemy import Engine

from paperfeed.export import bibtex_entry
from paperfeed.ids import InvalidId, normalize_paper_id
from paperfeed.rank.cards import load_cards
from paperfeed.rank.daily import Span, daily_papers, day_categories
from paperfeed.rank.lists import author_papers, category_papers, top_categories
from paperfeed.rank.paper import paper_view
from paperfeed.rank.trending import FORMULA, WINDOWS, Window, trending_papers
from paperfeed.records import DATE_PATTERN, parse_date
from paperfeed.store.read import stats
from paperfeed.web import search_adapter
from paperfeed.web.auth import get_viewer
from paperfeed.web.charts import HEIGHT, WIDTH, month_bars
from paperfeed.web.pagecache import votes_only_in_holes
from paperfeed.web.render import app_cached, paper_url, render

router = APIRouter(include_in_schema=False)
PER_PAGE = 30
SEARCH_PER_PAGE = 10
CATEGORY_CACHE_S = 600.0

PageNo = Annotated[int, Query(ge=1, le=1000, description="1-based page number")]


def _date_or_none(value: object) -> object:
    if isinstance(value, str):  # YYYY-MM-DD only (no timestamps), in range; else a 422 naming it
        return parse_date(value) if value.strip() else None
    return value


# an empty date field of a submitted form means "no date"; the pattern documents the rest
OptDate = Annotated[dt.date | None, BeforeValidator(_date_or_none),
                    WithJsonSchema({"type": "string", "pattern": f"^$|{DATE_PATTERN}"}),
                    Query(description="ISO date, e.g. 2026-11-23 (years 1000-8999)")]


def engine_of(request: Request) -> Engine:
    """The app's database engine."""
    engine: Engine = request.app.state.engine
    return engine


def canonical_id(raw: str) -> str:
    """The stored id for a URL's id; 404 when it is not a paper id (no paper has it), with
    the message saying what an id looks like."""
    try:
        return normalize_paper_id(raw)
    except InvalidId as e:
        raise HTTPException(404, str(e)) from None


@router.get("/", response_class=HTMLResponse)
def home_page(request: Request, date: OptDate = None, span: Span = "day",
              page: PageNo = 1, code: bool = False) -> Response:
    """The daily page; For you instead for a signed-in reader who has given it signals."""
    viewer = get_viewer(request)
    if viewer.user is not None and not request.url.query:
        from paperfeed.rank.foryou_signals import has_signals

        with engine_of(request).connect() as conn:
            if has_signals(conn, viewer.user.id):
                return RedirectResponse("/for-you", status_code=303)
    return daily_page(request, date, span, page, None, False, code)


@router.get("/daily", response_class=HTMLResponse)
def daily_page(request: Request, date: OptDate = None, span: Span = "day",
               page: PageNo = 1, cat: Annotated[str | None, Query(max_length=40)] = None,
               all: bool = False, code: bool = False) -> Response:
    """The top 30 papers of a day (week, month), by For-you score for a signed-in reader with
    signals, else most voted first; category tabs; "show all N" pages through every paper;
    `code`: only papers with a code link."""
    viewer = get_viewer(request)
    engine = engine_of(request)
    full = all or page > 1
    with engine.connect() as conn:
        d = daily_papers(conn, date, span, viewer.user_id, PER_PAGE, (page - 1) * PER_PAGE,
                         has_code=code, category=cat)
        tabs = day_categories(conn, d.start, d.end)
    ranked_for_you = False
    if viewer.user is not None and not full:
        from paperfeed.rank.foryou_signals import for_you_order

        first = for_you_order(engine, viewer.user.id, d.start, d.end, cat, PER_PAGE)
        if first:
            ranked_for_you = True
            with engine.connect() as conn:
                d = daily_papers(conn, date, span, viewer.user_id, PER_PAGE, 0,
                                 has_code=code, category=cat, first_ids=first)
    return render(request, "daily.html", {"d": d, "page": page, "per_page": PER_PAGE,
                                          "nav": "daily", "tabs": tabs, "cat": cat,
                                          "full": full, "for_you": ranked_for_you,
                                          "code": code})


@router.get("/trending", response_class=HTMLResponse)
def trending_page(request: Request, window: Window = "week") -> Response:
    """Papers gathering votes now (time-decayed)."""
    viewer = get_viewer(request)
    with engine_of(request).connect() as conn:
        papers = trending_papers(conn, window, PER_PAGE, user_id=viewer.user_id)
    return render(request, "trending.html", {"papers": papers, "window": window,
                                             "windows": WINDOWS, "formula": FORMULA,
                                             "nav": "trending"})


def common_categories(request: Request) -> list[str]:
    return app_cached(request, "top_categories", CATEGORY_CACHE_S, top_categories)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    q: Annotated[str, Query(max_length=500)] = "",
    category: Annotated[str | None, Query(max_length=40)] = None,
    since: OptDate = None,
    until: OptDate = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    sort: search_adapter.SortName = "relevance",
    page: PageNo = 1,
    code: bool = False,
) -> Response:
    """Search with filters, highlighted snippets, pages and a per-month chart."""
    viewer = get_viewer(request)
    filters: dict[str, Any] = {"category": category or None,
                               "since": since.isoformat() if since else None,
                               "until": until.isoformat() if until else None,
                               "author": author or None}
    ctx: dict[str, Any] = {"q": q, "sort": sort, "page": page, "filters": filters,
                           "categories": common_categories(request), "nav": "search",
                           "params": {"q": q, "sort": sort if sort != "relevance" else None,
                                      "code": 1 if code else None, **filters}, "code": code}
    if q.strip() or any(filters.values()):
        engine = engine_of(request)
        res = search_adapter.search(engine, q, SEARCH_PER_PAGE, (page - 1) * SEARCH_PER_PAGE,
                                    sort=sort, has_code=code, **filters)
        if res.mode_used == "id" and res.id_match:  # an id, URL or DOI: go to the paper
            return RedirectResponse(paper_url(res.id_match), status_code=303)
        with engine.connect() as conn:
            cards = {c["id"]: c for c in load_cards(conn, [h.id for h in res.hits],
                                                    viewer.user_id)}
        ctx.update(result=res, hits=[(h, cards.get(h.id)) for h in res.hits],
                   bars=month_bars(search_adapter.months(engine, res.corrected or q, filters))
                   if q.strip() and res.total and res.mode_used != "id" else [],
                   chart_w=WIDTH, chart_h=HEIGHT, per_page=SEARCH_PER_PAGE,
                   exact_q=search_adapter.exact_query(q, res.corrected))
    return render(request, "search.html", ctx)


@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
def paper_page(request: Request, paper_id: Annotated[str, Path(max_length=300)]) -> Response:
    """One paper: abstract (with LaTeX), authors, links, votes, similar papers, BibTeX."""
    pid = canonical_id(paper_id)
    if pid != paper_id:
        return RedirectResponse(paper_url(pid), status_code=301)
    viewer = get_viewer(request)
    engine = engine_of(request)
    with engine.connect() as conn:
        paper = paper_view(conn, pid, viewer.user_id)
    if paper is None:
        raise HTTPException(404, f"no paper {pid!r} here yet")
    similar_ids = search_adapter.similar_ids(engine, pid, 6)
    with engine.connect() as conn:
        similar = load_cards(conn, similar_ids, viewer.user_id)
    votes_only_in_holes(request.state)
    return render(request, "paper.html", {"p": paper, "similar": similar,
                                          "bibtex": bibtex_entry(paper).strip(), "math": True})


@router.get("/authors/{name:path}", response_class=HTMLResponse)
def author_page(request: Request, name: Annotated[str, Path(min_length=1, max_length=200)],
                page: PageNo = 1) -> Response:
    """An author's papers, newest first."""
    viewer = get_viewer(request)
    with engine_of(request).connect() as conn:
        a = author_papers(conn, name, viewer.user_id, PER_PAGE, (page - 1) * PER_PAGE)
    if a["total"] == 0:
        raise HTTPException(404, f"no papers by {name!r} here")
    votes_only_in_holes(request.state)  # newest first: votes change only the counts
    return render(request, "list.html", {"title": a["name"], "kind": "author", "total": a["total"],
                                         "papers": a["papers"], "page": page,
                                         "per_page": PER_PAGE})


@router.get("/categories/{cat}", response_class=HTMLResponse)
def category_page(request: Request, cat: Annotated[str, Path(max_length=40)],
                  page: PageNo = 1) -> Response:
    """A category's papers, newest first."""
    viewer = get_viewer(request)
    with engine_of(request).connect() as conn:
        c = category_papers(conn, cat, viewer.user_id, PER_PAGE, (page - 1) * PER_PAGE)
    if c["total"] == 0:
        raise HTTPException(404, f"no papers in category {cat!r} here")
    votes_only_in_holes(request.state)  # newest first: votes change only the counts
    return render(request, "list.html", {"title": cat, "kind": "category", "total": c["total"],
                                         "papers": c["papers"], "page": page,
                                         "per_page": PER_PAGE})


@router.get("/about", response_class=HTMLResponse)
def about_page(request: Request) -> Response:
    """Where the data comes from and how ranking works."""
    cached = getattr(request.app.state, "stats", None)
    if cached is None or time.monotonic() - cached[0] > CATEGORY_CACHE_S:
        with engine_of(request).connect() as conn:  # a full scan: kept for ten minutes
            cached = request.app.state.stats = (time.monotonic(), stats(conn))
    s = cached[1]
    return render(request, "about.html", {"stats": s, "formula": FORMULA, "nav": "about"})
