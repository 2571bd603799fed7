"""A Hugging Face Papers-compatible read API, so `HfApi(endpoint=...)` works against paperfeed.

Routes and shapes follow huggingface.co: `GET /api/daily_papers`, `/api/papers/search`,
`/api/papers/{id}` (built in web/api.py from `hf_paper()`) and `/papers/{id}.md`. A paper's day
is the day paperfeed's daily page lists it (its announcement); `upvotes` are local votes plus
the upvotes imported from Hugging Face. Every item is made by `hf_paper()` from paperfeed's
card read model (rank/cards.py) plus the stored Hugging Face fields.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import Connection, text

from paperfeed.rank.cards import load_cards
from paperfeed.rank.daily import Order, Span, daily_papers
from paperfeed.rank.paper import paper_view
from paperfeed.store.merge import loads
from paperfeed.web import search_adapter
from paperfeed.web.pages import OptDate, canonical_id, engine_of

router = APIRouter(tags=["huggingface-compatible"])
JSON = dict[str, Any]
HFLimit = Annotated[int, Query(ge=1, le=100, description="how many papers (at most 100)")]


def hf_date(iso: str | None) -> str | None:
    """An ISO date or timestamp as Hugging Face writes it: 2026-11-30T00:00:00.000Z."""
    if not iso:
        return None
    if len(iso) == 10:
        return f"{iso}T00:00:00.000Z"
    when = dt.datetime.fromisoformat(iso.replace("Z", "+00:00"))
    if when.tzinfo is not None:
        when = when.astimezone(dt.UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def hf_paper(p: JSON) -> JSON:
    """The flat Hugging Face paper object of a card or paper view (`p["hf"]`: the stored
    Hugging Face row, when there is one). The one place paperfeed's fields map to HF's."""
    hf = p.get("hf") or {}
    links = p.get("links") or {}
    keywords = hf.get("ai_keywords")
    return {
        "id": p["id"],
        "authors": [{"name": a, "hidden": False} for a in p.get("authors") or []],
        "publishedAt": hf_date(p.get("submitted") or p.get("announced")),
        "title": p["title"],
        "summary": p.get("abstract") or "",
        "upvotes": int(p.get("votes") or 0),
        "discussionId": None,
        "ai_summary": hf.get("ai_summary"),
        "ai_keywords": loads(keywords) if isinstance(keywords, str) else keywords,
        "githubRepo": links.get("code"),
        "projectPage": links.get("project"),
        "numComments": int(hf.get("num_comments") or 0),
        "categories": p.get("categories") or [],
        "announcedAt": hf_date(p.get("announced")),
        "localVotes": int(p.get("local_votes") or 0),
        "hfUpvotes": int(p.get("hf_upvotes") or 0),
        "url": f"/papers/{p['id']}",
    }


def hf_item(p: JSON) -> JSON:
    """A Daily Papers list item: {"paper": {...}, "title", "summary", "publishedAt", ...}."""
    paper = hf_paper(p)
    submitter = (p.get("hf") or {}).get("submitter")
    return {
        "paper": paper,
        "title": paper["title"],
        "summary": paper["summary"],
        "publishedAt": hf_date(p.get("announced")),  # the day paperfeed lists it
        "numComments": paper["numComments"],
        "submittedBy": {"name": submitter, "user": submitter, "fullname": submitter,
                        "type": "user"} if submitter else None,
        "thumbnail": None,
        "mediaUrls": [],
        # the client reads these from the item itself, newer HF responses have them there too
        **{k: paper[k] for k in ("ai_summary", "ai_keywords", "githubRepo", "projectPage")},
    }


_EXTRA_COLS = ("paper_id, upvotes, num_comments, submitter, ai_summary, ai_keywords, "
               "github_repo, project_page")


def with_hf(conn: Connection, cards: list[JSON]) -> list[JSON]:
    """Cards plus their submission date and stored Hugging Face row (one query each)."""
    if not cards:
        return cards
    params = {f"i{n}": c["id"] for n, c in enumerate(cards)}
    marks = ", ".join(f":{k}" for k in params)
    submitted: dict[str, str | None] = dict(conn.execute(text(
        f"SELECT id, submitted FROM papers WHERE id IN ({marks})"), params).all())
    hf = {r["paper_id"]: dict(r) for r in conn.execute(text(
        f"SELECT {_EXTRA_COLS} FROM hf_papers WHERE paper_id IN ({marks})"), params).mappings()}
    for c in cards:
        c["submitted"] = submitted.get(c["id"])
        c["hf"] = hf.get(c["id"]) or {}
    return cards


WEEK_PATTERN = r"^[1-8][0-9]{3}-W(0[1-9]|[1-4][0-9]|5[0-3])$"
MONTH_PATTERN = r"^[1-8][0-9]{3}-(0[1-9]|1[0-2])$"


def _week(week: str) -> dt.date:
    if not re.match(WEEK_PATTERN, week):
        raise ValueError
    y, w = week.split("-W")  # W53 of a 52-week year is the next year's W01 (never an error)
    return dt.date.fromisocalendar(int(y), 1, 1) + dt.timedelta(weeks=int(w) - 1)


def _month(month: str) -> dt.date:
    if not re.match(MONTH_PATTERN, month):
        raise ValueError
    return dt.date(int(month[:4]), int(month[5:]), 1)


def _period(date: dt.date | None, week: str | None, month: str | None
            ) -> tuple[dt.date | None, Span]:
    """The day and span the HF parameters ask for: date before week before month (as one
    `if/elif`), each given one checked first (422 naming a malformed one)."""
    periods: list[tuple[dt.date | None, Span]] = [(date, "day")]
    spans: tuple[tuple[str | None, Callable[[str], dt.date], Span, str], ...] = (
        (week, _week, "week", "week (YYYY-Www)"), (month, _month, "month", "month (YYYY-MM)"))
    for raw, parse, span, what in spans:
        try:
            periods.append((parse(raw) if raw is not None else None, span))
        except ValueError:
            raise HTTPException(422, f"invalid {what}: {raw!r}") from None
    return next(((d, span) for d, span in periods if d is not None), (None, "day"))


@router.get("/api/daily_papers", summary="Daily papers (Hugging Face-compatible)")
def api_daily_papers(
    request: Request,
    date: OptDate = None,
    week: Annotated[str | None, Query(max_length=8, description="ISO week, YYYY-Www",
                                      json_schema_extra={"pattern": WEEK_PATTERN})] = None,
    month: Annotated[str | None, Query(max_length=7, description="YYYY-MM",
                                       json_schema_extra={"pattern": MONTH_PATTERN})] = None,
    sort: Literal["publishedAt", "trending"] = "publishedAt",
    p: Annotated[int, Query(ge=0, le=10_000, description="page, from 0")] = 0,
    limit: HFLimit = 50,
    submitter: Annotated[str | None, Query(max_length=100)] = None,
    has_code: bool = False,
) -> list[JSON]:
    """The papers paperfeed lists on a day, ISO week or month (default: the latest day), as
    Hugging Face's `/api/daily_papers` returns them (given more than one, date wins, then
    week). `sort=trending` ranks by votes, `publishedAt` newest first; `has_code=true` keeps
    papers with a code link."""
    day, span = _period(date, week, month)
    order: Order = "votes" if sort == "trending" else "newest"
    with engine_of(request).connect() as conn:
        page = daily_papers(conn, day, span, None, limit, p * limit, order=order,
                            has_code=has_code, submitter=submitter)
        return [hf_item(c) for c in with_hf(conn, page.papers)]


@router.get("/api/papers/search", summary="Search papers (Hugging Face-compatible)")
def api_papers_search(
    request: Request,
    q: Annotated[str, Query(max_length=500, description="words, \"phrases\", names")] = "",
    limit: HFLimit = 50,
    has_code: bool = False,
) -> list[JSON]:
    """paperfeed's hybrid search, items shaped as Hugging Face's `/api/papers/search`
    (no query: the latest day's papers)."""
    engine = engine_of(request)
    if not q.strip():
        with engine.connect() as conn:
            cards = daily_papers(conn, None, "day", None, limit, has_code=has_code).papers
            return [hf_item(c) for c in with_hf(conn, cards)]
    ids = search_adapter.search_ids(engine, q, limit, has_code=has_code)
    with engine.connect() as conn:
        return [hf_item(c) for c in with_hf(conn, load_cards(conn, ids))]


def paper_markdown(p: JSON) -> str:
    """A paper as Markdown, the way huggingface.co/papers/{id}.md serves it."""
    hf = hf_paper(p)
    lines = [f"# {p['title']}", ""]
    if p.get("authors"):
        lines += [f"**Authors:** {', '.join(p['authors'])}", ""]
    lines += [f"**arXiv:** [{p['id']}](https://arxiv.org/abs/{p['id']})"]
    if hf["publishedAt"]:
        lines += [f"**Published:** {hf['publishedAt'][:10]}"]
    if p.get("categories"):
        lines += [f"**Categories:** {', '.join(p['categories'])}"]
    lines += [f"**Upvotes:** {hf['upvotes']}"]
    if hf["githubRepo"]:
        lines += [f"**Code:** {hf['githubRepo']}"]
    if hf["projectPage"]:
        lines += [f"**Project page:** {hf['projectPage']}"]
    lines += ["", "## Abstract", "", (p.get("abstract") or "").strip(), ""]
    if hf["ai_summary"]:
        lines += ["## AI summary", "", hf["ai_summary"], ""]
    return "\n".join(lines)


class MarkdownResponse(PlainTextResponse):
    media_type = "text/markdown"


@router.get("/papers/{paper_id:path}.md", response_class=MarkdownResponse,
            summary="A paper as Markdown (Hugging Face-compatible)")
def paper_md(request: Request, paper_id: Annotated[str, Path(max_length=300)]
             ) -> MarkdownResponse:
    """What `HfApi.read_paper(id)` reads: title, authors, links and the abstract."""
    pid = canonical_id(paper_id)
    with engine_of(request).connect() as conn:
        paper = paper_view(conn, pid)
    if paper is None:
        raise HTTPException(404, f"no paper {pid!r} here")
    return MarkdownResponse(paper_markdown(paper))
