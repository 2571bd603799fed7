"""Newest papers by one author or in one category (author and category pages)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text

from paperfeed.index.codelinks import HAS_CODE_SQL
from paperfeed.index.lookups import author_key
from paperfeed.rank.cards import CARD_COLS, CARD_FROM, card_from_row, mark_viewer


def _page(conn: Connection, where: str, params: dict[str, Any], user_id: int | None,
          limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    total = conn.execute(text(f"SELECT COUNT(*) FROM papers p WHERE {where}"), params).scalar()
    rows = conn.execute(text(
        f"SELECT {CARD_COLS} {CARD_FROM} WHERE {where} "
        "ORDER BY p.announced DESC, p.id DESC LIMIT :limit OFFSET :offset"
    ), {**params, "limit": limit, "offset": offset}).mappings()
    return int(total or 0), mark_viewer(conn, [card_from_row(r) for r in rows], user_id)


def newest_ids_sql(table: str, key_sql: str) -> str:
    """One page of (paper_id, announced) of a lookup key, newest first."""
    return (f"SELECT DISTINCT k.paper_id, k.announced FROM {table} k WHERE {key_sql} "
            "ORDER BY k.announced DESC, k.paper_id DESC LIMIT :limit OFFSET :offset")


def _keyed_page(conn: Connection, table: str, key_sql: str, params: dict[str, Any],
                user_id: int | None, limit: int, offset: int) -> tuple[int, list[dict[str, Any]]]:
    """Newest first from a lookup table's (key, announced, paper_id) index: one index range
    read in order, whatever the size of the author's or category's list."""
    total = conn.execute(text(f"SELECT COUNT(DISTINCT k.paper_id) FROM {table} k WHERE {key_sql}"),
                         params).scalar()
    rows = conn.execute(text(
        f"SELECT {CARD_COLS} FROM ({newest_ids_sql(table, key_sql)}) s "
        "JOIN papers p ON p.id = s.paper_id LEFT JOIN hf_papers h ON h.paper_id = p.id "
        "ORDER BY s.announced DESC, s.paper_id DESC"
    ), {**params, "limit": limit, "offset": offset}).mappings()
    return int(total or 0), mark_viewer(conn, [card_from_row(r) for r in rows], user_id)


def author_papers(conn: Connection, name: str, user_id: int | None = None, limit: int = 30,
                  offset: int = 0) -> dict[str, Any]:
    """{"name", "total", "papers"}: the author's papers, newest first (name as first printed)."""
    key = author_key(name)
    total, cards = _keyed_page(conn, "paper_authors", "k.name_key = :k", {"k": key}, user_id,
                               limit, offset)
    shown = next((a for c in cards for a in c["authors"] or [] if author_key(a) == key), name)
    return {"name": shown, "key": key, "total": total, "papers": cards}


def category_papers(conn: Connection, category: str, user_id: int | None = None,
                    limit: int = 30, offset: int = 0) -> dict[str, Any]:
    """{"category", "total", "papers"}: the category's papers (any position), newest first."""
    total, cards = _keyed_page(conn, "paper_categories", "k.category = :c", {"c": category},
                               user_id, limit, offset)
    return {"category": category, "total": total, "papers": cards}


def top_categories(conn: Connection, limit: int = 40) -> list[str]:
    """The most common primary categories (for filter suggestions)."""
    return list(conn.execute(text(
        "SELECT primary_category FROM papers WHERE primary_category IS NOT NULL "
        "GROUP BY primary_category ORDER BY COUNT(*) DESC, primary_category LIMIT :n"),
        {"n": limit}).scalars())


def code_papers(conn: Connection, user_id: int | None = None, limit: int = 30,
                offset: int = 0) -> dict[str, Any]:
    """{"total", "papers"}: papers with a code link, newest first (issue #17)."""
    total, cards = _page(conn, HAS_CODE_SQL, {}, user_id, limit, offset)
    return {"total": total, "papers": cards}
