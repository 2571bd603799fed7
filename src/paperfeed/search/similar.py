"""Papers similar to a given one: its stored vector's neighbours, else lexical more-like-this."""

from __future__ import annotations

from sqlalchemy import Engine

from paperfeed.search.hybrid import SearchResult, get_searcher


def similar(engine: Engine, paper_id: str, k: int = 10) -> SearchResult:
    """The `k` papers most like `paper_id` (KeyError if it is not stored)."""
    return get_searcher(engine).similar(paper_id, k)
