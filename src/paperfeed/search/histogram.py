"""Papers per month for a query, for the web app's chart."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine

from paperfeed.search.hybrid import get_searcher


def counts_by_month(engine: Engine, query: str, filters: dict[str, Any] | None = None
                    ) -> list[tuple[str, int]]:
    """[(YYYY-MM, papers)] oldest first, counting papers that contain every word of `query`.

    `filters` may hold category, since, until and author (as for search()).
    """
    f = filters or {}
    return get_searcher(engine).months(query, category=f.get("category"), since=f.get("since"),
                                       until=f.get("until"), author=f.get("author"))
