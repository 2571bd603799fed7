"""The JSON API under /api (OpenAPI at /docs): the pages' reads, plus votes and the library."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from paperfeed.accounts.marks import PaperNotFound, library, set_saved, set_vote
from paperfeed.accounts.users import User
from paperfeed.export import bibtex_entry
from paperfeed.rank.cards import load_cards
from paperfeed.rank.daily import Span, daily_papers
from paperfeed.rank.lists import author_papers, category_papers
from paperfeed.rank.paper import paper_view
from paperfeed.rank.trending import FORMULA, Window, trending_papers
from paperfeed.web import search_adapter
from paperfeed.web.auth import Viewer, check_csrf, get_viewer, require_user
from paperfeed.web.hf_api import hf_paper
from paperfeed.web.pages import OptDate, canonical_id, engine_of
from paperfeed.web.render import highlight

router = APIRouter(prefix="/api", tags=["api"])

PaperId = Annotated[str, Path(max_length=300, description="arXiv id, e.g. 2503.12843 or "
                                                          "hep-th/9901001")]
Limit = Annotated[int, Query(ge=1, le=100, description="how many papers")]
Offset = Annotated[int, Query(ge=0, le=10_000, description="papers to skip")]
JSON = dict[str, Any]


class SaveBody(BaseModel):
    """What to store with a saved paper."""

    tags: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)


# Documents the bearer scheme on the routes that need an account (the OpenAPI `security`);
# get_viewer() reads the header itself, and a signed-in browser's session cookie works too.
bearer = HTTPBearer(auto_error=False, scheme_name="bearer",
                    description="A personal API token (`pf_...`) from your account page.")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def signed_in(request: Request, _token: Bearer) -> User:
    """The API caller's account (session cookie or bearer token), else 401."""
    return require_user(get_viewer(request), api=True)


def changing(request: Request, _token: Bearer) -> User:
    """signed_in() for a state change: cookie sessions must also send X-CSRF-Token."""
    viewer: Viewer = get_viewer(request)
    user = require_user(viewer, api=True)
    check_csrf(request, viewer, None)
    return user


def _viewer_id(request: Request) -> int | None:
    return get_viewer(request).user_id


@router.get("/papers/{paper_id:path}/similar", summary="Papers similar to one paper")
def api_similar(request: Request, paper_id: PaperId, k: Limit = 10) -> JSON:
    """Nearest papers by meaning (vectors), else by shared words."""
    pid = canonical_id(paper_id)
    _paper_or_404(request, pid)
    ids = search_adapter.similar_ids(engine_of(request), pid, k)
    with engine_of(request).connect() as conn:
        return {"paper_id": pid, "papers": load_cards(conn, ids, _viewer_id(request))}


def _paper_or_404(request: Request, pid: str) -> JSON:
    with engine_of(request).connect() as conn:
        paper = paper_view(conn, pid, _viewer_id(request))
    if paper is None:
        raise HTTPException(404, f"no paper {pid!r} here")
    return paper


@router.get("/papers/{paper_id:path}", summary="One paper")
def api_paper(request: Request, paper_id: PaperId) -> JSON:
    """A paper with its sources, Hugging Face data, votes and a BibTeX entry; also the flat
    Hugging Face paper object (`summary`, `publishedAt`, `upvotes`, `githubRepo`, ..., and
    `authors` as `[{"name", "hidden"}]`), so `HfApi.paper_info(id)` reads it."""
    paper = _paper_or_404(request, canonical_id(paper_id))
    return {**paper, "bibtex": bibtex_entry(paper), **hf_paper(paper)}


@router.get("/daily", summary="Papers of a day, week or month")
def api_daily(request: Request, date: OptDate = None, span: Span = "day",
              limit: Limit = 30, offset: Offset = 0, has_code: bool = False) -> JSON:
    """Papers announced in the period, most votes (local + Hugging Face) first; `has_code`
    keeps those with a code link."""
    with engine_of(request).connect() as conn:
        return daily_papers(conn, date, span, _viewer_id(request), limit, offset,
                            has_code=has_code).to_json()


@router.get("/trending", summary="Trending papers")
def api_trending(request: Request, window: Window = "week", limit: Limit = 30) -> JSON:
    """Papers by time-decayed votes; `formula` says how the score is computed."""
    with engine_of(request).connect() as conn:
        papers = trending_papers(conn, window, limit, user_id=_viewer_id(request))
    return {"window": window, "formula": FORMULA, "papers": papers}


@router.get("/search", summary="Search papers")
def api_search(
    request: Request,
    q: Annotated[str, Query(max_length=500, description="words, \"phrases\", author names")],
    k: Limit = 10, offset: Offset = 0,
    category: Annotated[str | None, Query(max_length=40)] = None,
    since: OptDate = None, until: OptDate = None,
    author: Annotated[str | None, Query(max_length=200)] = None,
    sort: search_adapter.SortName = "relevance", mode: search_adapter.ModeName = "hybrid",
    has_code: bool = False,
) -> JSON:
    """Hybrid (words + meaning) search. An arXiv id, URL or DOI returns that paper first.

    `total` counts the papers that match the words; each hit's `match` says why it is there
    (`id`, `author`, `words`, or `meaning` only). `snippet` is HTML with the query words in
    <mark> (text-mode LaTeX resolved, math left as `$...$` for KaTeX); `snippet_text` is the
    same window of the abstract as stored and `spans` the [start, end) of the words in it.
    `corrected` is the query searched instead of a misspelt one; `without_filters` how many
    match when no filter applies; `has_code` keeps papers with a code link.
    """
    res = search_adapter.search(engine_of(request), q, k, offset, category,
                                since.isoformat() if since else None,
                                until.isoformat() if until else None, author, sort, mode,
                                has_code=has_code)
    hits = [{**{k_: getattr(h, k_) for k_ in ("id", "title", "score", "authors",
                                              "categories", "announced", "match")},
             "snippet": str(highlight(h.snippet, h.spans)), "snippet_text": h.snippet,
             "spans": [list(sp) for sp in h.spans]} for h in res.hits]
    return {"query": q, "total": res.total, "mode_used": res.mode_used, "note": res.note,
            "corrected": res.corrected, "id_match": res.id_match, "author": res.author,
            "without_filters": res.without_filters, "reason": res.reason,
            "offset": offset, "hits": hits}


@router.get("/authors/{name:path}", summary="An author's papers")
def api_author(request: Request, name: Annotated[str, Path(min_length=1, max_length=200)],
               limit: Limit = 30, offset: Offset = 0) -> JSON:
    """Newest first."""
    with engine_of(request).connect() as conn:
        return author_papers(conn, name, _viewer_id(request), limit, offset)


@router.get("/categories/{cat}", summary="A category's papers")
def api_category(request: Request, cat: Annotated[str, Path(max_length=40)],
                 limit: Limit = 30, offset: Offset = 0) -> JSON:
    """Newest first."""
    with engine_of(request).connect() as conn:
        return category_papers(conn, cat, _viewer_id(request), limit, offset)


def _mark(fn: Any, *args: Any) -> JSON:
    try:
        result: JSON = fn(*args)
    except PaperNotFound as e:
        raise HTTPException(404, f"no paper {e.args[0]!r} here") from None
    return result


@router.post("/votes/{paper_id:path}", summary="Vote for a paper")
def api_vote(request: Request, paper_id: PaperId,
             user: Annotated[User, Depends(changing)]) -> JSON:
    """One vote per user and paper: voting again changes nothing. Returns the new counts."""
    return _mark(set_vote, engine_of(request), user.id, canonical_id(paper_id), True)


@router.delete("/votes/{paper_id:path}", summary="Take a vote back")
def api_unvote(request: Request, paper_id: PaperId,
               user: Annotated[User, Depends(changing)]) -> JSON:
    """Withdraw your vote (no error when there was none)."""
    return _mark(set_vote, engine_of(request), user.id, canonical_id(paper_id), False)


@router.get("/library", summary="Your saved papers")
def api_library(request: Request, user: Annotated[User, Depends(signed_in)],
                tag: Annotated[str | None, Query(max_length=40)] = None,
                limit: Limit = 50, offset: Offset = 0) -> JSON:
    """Last saved first, optionally only those with `tag`; `tags` counts every tag."""
    with engine_of(request).connect() as conn:
        return library(conn, user.id, tag, limit, offset)


@router.post("/library/{paper_id:path}", summary="Save a paper to your library")
def api_save(request: Request, paper_id: PaperId, user: Annotated[User, Depends(changing)],
             body: SaveBody | None = None) -> JSON:
    """Save (or re-tag) a paper."""
    tags = body.tags if body else []
    return _mark(set_saved, engine_of(request), user.id, canonical_id(paper_id), True, tags)


@router.delete("/library/{paper_id:path}", summary="Remove a paper from your library")
def api_unsave(request: Request, paper_id: PaperId,
               user: Annotated[User, Depends(changing)]) -> JSON:
    """Remove it (no error when it was not saved)."""
    return _mark(set_saved, engine_of(request), user.id, canonical_id(paper_id), False)


@router.get("/me", summary="Who you are signed in as")
def api_me(user: Annotated[User, Depends(signed_in)]) -> JSON:
    """The account behind the session or token."""
    return {"id": user.id, "email": user.email, "display_name": user.display_name}
