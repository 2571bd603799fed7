"""What a user does to a paper: vote, save to the library (with tags), mark not interested."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

from paperfeed.rank.cards import CARD_COLS, CARD_FROM, card_from_row, mark_viewer, vote_counts
from paperfeed.store.db import write_tx

MAX_TAGS = 20
MAX_TAG_LEN = 40


class PaperNotFound(KeyError):
    """No stored paper has this id."""


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _require_paper(conn: Connection, paper_id: str) -> None:
    if conn.execute(text("SELECT 1 FROM papers WHERE id = :id"), {"id": paper_id}).first() is None:
        raise PaperNotFound(paper_id)


def _set(engine: Engine, table: str, user_id: int, paper_id: str, on: bool,
         extra: dict[str, Any] | None = None) -> None:
    extra = extra or {}
    with write_tx(engine) as conn:
        _require_paper(conn, paper_id)
        params = {"u": user_id, "p": paper_id, "t": _now(), **extra}
        if not on:
            conn.execute(text(f"DELETE FROM {table} WHERE user_id = :u AND paper_id = :p"), params)
            return
        cols = "".join(f", {k}" for k in extra)
        vals = "".join(f", :{k}" for k in extra)
        update = ", ".join(f"{k} = excluded.{k}" for k in extra)
        conflict = f"DO UPDATE SET {update}" if extra else "DO NOTHING"
        conn.execute(text(
            f"INSERT INTO {table} (user_id, paper_id, created_at{cols}) VALUES (:u, :p, :t{vals}) "
            f"ON CONFLICT (user_id, paper_id) {conflict}"), params)


def set_vote(engine: Engine, user_id: int, paper_id: str, on: bool) -> dict[str, Any]:
    """Vote (on) or withdraw the vote (off); one vote per user and paper. Returns the counts."""
    _set(engine, "votes", user_id, paper_id, on)
    with engine.connect() as conn:
        return {"paper_id": paper_id, "voted": on, **vote_counts(conn, paper_id)}


def clean_tags(raw: list[str] | str | None) -> list[str]:
    """Tags from a list or a comma-separated string: trimmed, unique, at most MAX_TAGS."""
    items = raw.split(",") if isinstance(raw, str) else (raw or [])
    tags = [" ".join(t.split())[:MAX_TAG_LEN] for t in items]
    return list(dict.fromkeys(t for t in tags if t))[:MAX_TAGS]


def set_saved(engine: Engine, user_id: int, paper_id: str, on: bool,
              tags: list[str] | None = None) -> dict[str, Any]:
    """Save to the library with tags (saving again replaces the tags), or remove it."""
    clean = clean_tags(tags)
    _set(engine, "library", user_id, paper_id, on, {"tags": orjson.dumps(clean).decode()})
    return {"paper_id": paper_id, "saved": on, "tags": clean if on else []}


def set_not_interested(engine: Engine, user_id: int, paper_id: str, on: bool
                       ) -> dict[str, Any]:
    """Hide the paper from this user's daily and trending lists (or show it again)."""
    _set(engine, "not_interested", user_id, paper_id, on)
    return {"paper_id": paper_id, "not_interested": on}


def library(conn: Connection, user_id: int, tag: str | None = None, limit: int = 50,
            offset: int = 0) -> dict[str, Any]:
    """{"total", "tags", "papers"}: the user's saved papers, last saved first."""
    rows = conn.execute(text(
        f"SELECT {CARD_COLS}, l.created_at AS saved_at, l.tags AS saved_tags {CARD_FROM} "
        "JOIN library l ON l.paper_id = p.id AND l.user_id = :u "
        "ORDER BY l.created_at DESC, p.id"), {"u": user_id}).mappings().all()
    all_tags: dict[str, int] = {}
    kept = []
    for r in rows:
        tags = orjson.loads(r["saved_tags"]) if r["saved_tags"] else []
        for t in tags:
            all_tags[t] = all_tags.get(t, 0) + 1
        if tag is None or tag in tags:
            kept.append(r)
    cards = [card_from_row({k: v for k, v in r.items() if k not in ("saved_tags",)})
             for r in kept[offset:offset + limit]]
    return {"total": len(kept), "tags": dict(sorted(all_tags.items())),
            "papers": mark_viewer(conn, cards, user_id)}
