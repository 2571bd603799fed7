"""The web layer's door to paperfeed.search: search, similar papers (cached), and the chart."""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Literal

from sqlalchemy import Engine

from paperfeed.index.codelinks import with_code
from paperfeed.search import histogram, hybrid
from paperfeed.search import similar as similar_mod
from paperfeed.search.spelling import as_typed

SortName = Literal["relevance", "date"]
ModeName = Literal["hybrid", "lexical", "semantic"]


def search(engine: Engine, query: str, k: int = 10, offset: int = 0,
           category: str | None = None, since: str | None = None, until: str | None = None,
           author: str | None = None, sort: str = "relevance", mode: str = "hybrid",
           count: bool = True, has_code: bool = False) -> hybrid.SearchResult:
    """A SearchResult (hits, total, mode_used, note); `count` asks for the number of matches;
    `has_code` keeps papers with a code link (among the best CODE_DEPTH matches)."""
    if has_code:
        return _with_code(engine, query, k, offset, dict(
            category=category, since=since, until=until, author=author, sort=sort, mode=mode))
    return hybrid.search(engine, query, k=k, offset=offset, category=category, since=since,
                         until=until, author=author, sort=sort,  # type: ignore[arg-type]
                         mode=mode, count=count)  # type: ignore[arg-type]


def missing_indexes(engine: Engine) -> str | None:
    """What a web process starting now cannot serve yet (logged at startup), or None."""
    from paperfeed.store.index_state import all_states

    states = all_states(engine)
    if "lexical" not in states:
        return ("no search index yet: search shows nothing until `paperfeed import` (or "
                "`paperfeed index update`) has run; this server picks the index up by itself")
    if not any(n.startswith("vectors:") for n in states):
        return ("no vector index yet: search is by words only until `paperfeed index update` "
                "has run; this server picks it up by itself")
    return None


CODE_DEPTH = 300


def _with_code(engine: Engine, query: str, k: int, offset: int, filters: dict[str, Any]
               ) -> hybrid.SearchResult:
    res = hybrid.search(engine, query, CODE_DEPTH, 0, count=False, **filters)
    keep = with_code(engine, [h.id for h in res.hits])
    hits = [h for h in res.hits if h.id in keep]
    total = len(hits) if len(res.hits) < CODE_DEPTH else None
    return dataclasses.replace(res, hits=hits[offset:offset + k], total=total)


def search_ids(engine: Engine, query: str, k: int, has_code: bool = False) -> list[str]:
    """The ids of the best `k` papers for `query` (hybrid search)."""
    return [h.id for h in search(engine, query, k, count=False, has_code=has_code).hits]


def exact_query(query: str, corrected: str | None) -> str:
    """The query with its corrected words quoted (a link to search them as typed)."""
    return as_typed(query, corrected)


def months(engine: Engine, query: str, filters: dict[str, Any]) -> list[tuple[str, int]]:
    """[(YYYY-MM, papers)] matching the query, oldest first (for the chart)."""
    return histogram.counts_by_month(engine, query, filters)


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
    """Ids of papers like this one (empty for a paper the indexes do not know)."""
    try:
        return [h.id for h in similar_mod.similar(engine, paper_id, k).hits]
    except KeyError:
        return []
