"""Search, similar papers and the per-month chart through paperfeed.search when it is installed;
otherwise a plain SQL LIKE fallback so the pages keep working."""

from __future__ import annotations

import html
import inspect
import re
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Engine, text

from paperfeed.rank.cards import load_cards

try:  # the search package is optional at this layer (it may be absent or being rebuilt)
    from paperfeed.search import histogram as _histogram
    from paperfeed.search import hybrid as _hybrid
    from paperfeed.search import similar as _similar
except ImportError:  # pragma: no cover - exercised through _like_search in the tests
    _hybrid = _histogram = _similar = None  # type: ignore[assignment]

# whether search() can count every match (a newer keyword of paperfeed.search)
_COUNTS = _hybrid is not None and "count" in inspect.signature(_hybrid.search).parameters

MAX_LIKE_WORDS = 8
SortName = Literal["relevance", "date"]
ModeName = Literal["hybrid", "lexical", "semantic"]


@dataclass
class LikeHit:
    id: str
    title: str
    score: float
    snippet: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    announced: str | None = None


@dataclass
class LikeResult:
    hits: list[Any]
    total: int | None
    mode_used: str
    note: str | None = None


def _filters_sql(category: str | None, since: str | None, until: str | None,
                 author: str | None, params: dict[str, Any]) -> str:
    sql = ""
    if category:
        sql += " AND p.id IN (SELECT paper_id FROM paper_categories WHERE category = :cat)"
        params["cat"] = category
    if since:
        sql += " AND p.announced >= :since"
        params["since"] = since
    if until:
        sql += " AND p.announced <= :until"
        params["until"] = until + "\uffff"
    if author:
        sql += " AND p.id IN (SELECT paper_id FROM paper_authors WHERE name_key = :author)"
        params["author"] = " ".join(author.lower().split())
    return sql


def _like_snippet(abstract: str, words: list[str], width: int = 240) -> str:
    low = abstract.lower()
    at = min((i for w in words if (i := low.find(w)) >= 0), default=0)
    start = max(0, at - width // 5)
    piece = html.escape(abstract[start:start + width])
    for w in words:
        piece = re.sub(f"({re.escape(html.escape(w))})", r"<mark>\1</mark>", piece,
                       flags=re.IGNORECASE)
    return ("…" if start else "") + piece + ("…" if start + width < len(abstract) else "")


def _like_search(engine: Engine, query: str, k: int, offset: int, category: str | None,
                 since: str | None, until: str | None, author: str | None, sort: str
                 ) -> LikeResult:
    """Papers whose title or abstract contains every word (case-insensitive), newest first."""
    words = [w.lower() for w in query.split()][:MAX_LIKE_WORDS]
    params: dict[str, Any] = {"k": k, "off": offset}
    where = "1 = 1" + _filters_sql(category, since, until, author, params)
    for n, w in enumerate(words):
        params[f"w{n}"] = "%" + w.replace("\\", "").replace("%", "").replace("_", "") + "%"
        where += f" AND (LOWER(p.title) LIKE :w{n} OR LOWER(p.abstract) LIKE :w{n})"
    with engine.connect() as conn:
        total = conn.execute(text(f"SELECT COUNT(*) FROM papers p WHERE {where}"),
                             params).scalar_one()
        rows = conn.execute(text(
            f"SELECT p.id, p.title, p.abstract, p.authors, p.categories, p.announced "
            f"FROM papers p WHERE {where} ORDER BY p.announced DESC, p.id DESC "
            "LIMIT :k OFFSET :off"), params).mappings().all()
    cards = {c["id"]: c for c in _cards(engine, [r["id"] for r in rows])}
    hits = [LikeHit(r["id"], r["title"], 0.0, _like_snippet(r["abstract"] or "", words),
                    cards[r["id"]]["authors"] or [], cards[r["id"]]["categories"] or [],
                    r["announced"]) for r in rows if r["id"] in cards]
    return LikeResult(hits, int(total), "like", "simple word match (search index unavailable)")


def _cards(engine: Engine, ids: list[str]) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return load_cards(conn, ids)


def search(engine: Engine, query: str, k: int = 10, offset: int = 0,
           category: str | None = None, since: str | None = None, until: str | None = None,
           author: str | None = None, sort: str = "relevance", mode: str = "hybrid",
           count: bool = True) -> Any:
    """A SearchResult (hits, total, mode_used, note) from paperfeed.search, else LIKE.

    `count` asks for the number of matches (for pages) where the search module can give it.
    """
    if _hybrid is None:
        return _like_search(engine, query, k, offset, category, since, until, author, sort)
    extra: dict[str, Any] = {"count": True} if count and _COUNTS else {}
    return _hybrid.search(engine, query, k=k, offset=offset, category=category, since=since,
                          until=until, author=author, sort=sort,  # type: ignore[arg-type]
                          mode=mode, **extra)  # type: ignore[arg-type]


def months(engine: Engine, query: str, filters: dict[str, Any]) -> list[tuple[str, int]]:
    """[(YYYY-MM, papers)] matching the query, oldest first (for the chart)."""
    if _histogram is not None:
        return _histogram.counts_by_month(engine, query, filters)
    params: dict[str, Any] = {}
    where = "1 = 1" + _filters_sql(filters.get("category"), filters.get("since"),
                                   filters.get("until"), filters.get("author"), params)
    for n, w in enumerate(query.lower().split()[:MAX_LIKE_WORDS]):
        params[f"w{n}"] = f"%{w}%"
        where += f" AND (LOWER(p.title) LIKE :w{n} OR LOWER(p.abstract) LIKE :w{n})"
    with engine.connect() as conn:
        rows = conn.execute(text(
            f"SELECT SUBSTR(p.announced, 1, 7) AS m, COUNT(*) FROM papers p WHERE {where} "
            "AND p.announced IS NOT NULL GROUP BY SUBSTR(p.announced, 1, 7) ORDER BY m"),
            params).all()
    return [(m, int(n)) for m, n in rows]


SIMILAR_TTL_S = 600.0
SIMILAR_CACHE_MAX = 4096
_similar_cache: dict[tuple[int, str, int], tuple[float, list[str]]] = {}


def similar_ids(engine: Engine, paper_id: str, k: int = 6) -> list[str]:
    """similar_ids_uncached(), remembered for SIMILAR_TTL_S (paper pages are read often)."""
    key = (id(engine), paper_id, k)
    hit = _similar_cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < SIMILAR_TTL_S:
        return hit[1]
    ids = similar_ids_uncached(engine, paper_id, k)
    if len(_similar_cache) >= SIMILAR_CACHE_MAX:
        _similar_cache.clear()
    _similar_cache[key] = (now, ids)
    return ids


def similar_ids_uncached(engine: Engine, paper_id: str, k: int = 6) -> list[str]:
    """Ids of papers like this one: paperfeed.search's, else the newest of its category."""
    if _similar is not None:
        try:
            return [h.id for h in _similar.similar(engine, paper_id, k).hits]
        except KeyError:
            return []
    with engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT p.id FROM papers p JOIN papers me ON me.id = :id "
            "WHERE p.primary_category = me.primary_category AND p.id <> me.id "
            "ORDER BY p.announced DESC, p.id DESC LIMIT :k"), {"id": paper_id, "k": k}).scalars())
