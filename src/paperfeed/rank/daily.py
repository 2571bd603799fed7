"""Daily papers: those announced on a day (or its week or month), ranked by votes then recency."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import Connection, text

from paperfeed import clock
from paperfeed.index.codelinks import HAS_CODE_SQL
from paperfeed.rank.cards import VOTES_EXPR, hidden_clause, load_cards

Span = Literal["day", "week", "month"]
Order = Literal["votes", "newest"]
ORDERS = {"votes": f"{VOTES_EXPR} DESC, p.announced DESC, p.id DESC",
          "newest": "p.announced DESC, p.submitted DESC, p.id DESC"}


@dataclass
class DailyPage:
    day: str  # the day asked for (or the latest with papers)
    span: Span
    start: str  # first and last day of the period (ISO)
    end: str
    prev: str | None  # a day in the period before / after that has papers
    next: str | None
    total: int
    papers: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The page as the API returns it."""
        return {k: getattr(self, k) for k in
                ("day", "span", "start", "end", "prev", "next", "total", "papers")}


period = clock.period  # first and last day of a day, its ISO week or its month


def latest_day(conn: Connection) -> dt.date | None:
    """The latest announcement day with papers (None for an empty database)."""
    raw = conn.execute(text("SELECT MAX(announced) FROM papers")).scalar()
    return dt.date.fromisoformat(raw[:10]) if raw else None


def _neighbours(conn: Connection, start: str, end: str) -> tuple[str | None, str | None]:
    prev = conn.execute(text("SELECT MAX(announced) FROM papers WHERE announced < :s"),
                        {"s": start}).scalar()
    nxt = conn.execute(text("SELECT MIN(announced) FROM papers WHERE announced > :e"),
                       {"e": end + "\uffff"}).scalar()
    return (prev[:10] if prev else None), (nxt[:10] if nxt else None)


def daily_papers(conn: Connection, day: dt.date | None = None, span: Span = "day",
                 user_id: int | None = None, limit: int = 30, offset: int = 0,
                 order: Order = "votes", has_code: bool = False,
                 submitter: str | None = None, category: str | None = None,
                 first_ids: list[str] | None = None) -> DailyPage:
    """Papers announced in the period around `day` (default: the latest day with papers),
    optionally only those with a code link, submitted to Hugging Face by `submitter`, or of
    one `category`; `first_ids` (e.g. For-you's order) go before the rest."""
    day = day or latest_day(conn) or clock.now().date()
    first, last = period(day, span)
    start, end = first.isoformat(), last.isoformat()
    # announced is an ISO date (maybe with a time): compare on the date prefix's range
    params: dict[str, Any] = {"s": start, "e": end + "\uffff", "viewer": user_id,
                              "limit": limit, "offset": offset}
    where = "p.announced >= :s AND p.announced <= :e" + hidden_clause(user_id)
    if has_code:
        where += " AND " + HAS_CODE_SQL
    if submitter:
        where += (" AND p.id IN (SELECT paper_id FROM hf_papers WHERE submitter = :submitter)")
        params["submitter"] = submitter
    if category:
        where += " AND p.id IN (SELECT paper_id FROM paper_categories WHERE category = :cat)"
        params["cat"] = category
    total = conn.execute(text(f"SELECT COUNT(*) FROM papers p WHERE {where}"), params).scalar()
    # rank by ids first (narrow rows), then load the page's cards: 5x faster on busy days
    ids = list(conn.execute(text(
        f"SELECT p.id FROM papers p LEFT JOIN hf_papers h ON h.paper_id = p.id WHERE {where} "
        f"ORDER BY {ORDERS[order]} LIMIT :limit OFFSET :offset"
    ), params).scalars())
    if first_ids:
        ids = list(dict.fromkeys([*first_ids, *ids]))[:limit]
    cards = load_cards(conn, ids, user_id)
    prev, nxt = _neighbours(conn, start, end)
    return DailyPage(day.isoformat(), span, start, end, prev, nxt, int(total or 0), cards)


def day_categories(conn: Connection, start: str, end: str, n: int = 8) -> list[tuple[str, int]]:
    """The period's `n` largest categories (cross-lists included), for the daily tabs."""
    return [(r[0], int(r[1])) for r in conn.execute(text(
        "SELECT c.category, COUNT(*) AS n FROM papers p JOIN paper_categories c "
        "ON c.paper_id = p.id WHERE p.announced >= :s AND p.announced <= :e "
        "GROUP BY c.category ORDER BY n DESC, c.category LIMIT :n"),
        {"s": start, "e": end + "\uffff", "n": n})]
