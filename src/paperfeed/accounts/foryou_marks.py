"""What a user tells For you: follow or mute authors, keywords, categories; papers seen; the
content..social setting; "reset my feed". Every write is an explicit POST (readers never write)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from sqlalchemy import Engine, bindparam, text

from paperfeed.ids import InvalidId, normalize_paper_id
from paperfeed.store.db import write_tx

Kind = Literal["author", "keyword", "category"]
Mode = Literal["follow", "mute"]
KINDS = ("author", "keyword", "category")
MAX_VALUE = 200
MAX_SEEN_BATCH = 200


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def interest_value(kind: str, value: str) -> str:
    """The stored form: authors and keywords lower-cased with spaces collapsed."""
    v = " ".join(value.split())[:MAX_VALUE]
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use author, keyword or category")
    if not v:
        raise ValueError(f"an empty {kind}")
    return v if kind == "category" else v.lower()


def set_interest(engine: Engine, user_id: int, kind: str, value: str,
                 mode: str | None) -> dict[str, Any]:
    """Follow or mute (mode) an author/keyword/category, or forget it (mode None)."""
    v = interest_value(kind, value)
    if mode not in (None, "follow", "mute"):
        raise ValueError(f"unknown mode {mode!r}: use follow or mute")
    with write_tx(engine) as conn:
        conn.execute(text("DELETE FROM user_interests WHERE user_id = :u AND kind = :k "
                          "AND value = :v"), {"u": user_id, "k": kind, "v": v})
        if mode:
            conn.execute(text("INSERT INTO user_interests (user_id, kind, value, mode, "
                              "created_at) VALUES (:u, :k, :v, :m, :t)"),
                         {"u": user_id, "k": kind, "v": v, "m": mode, "t": _now()})
    return {"kind": kind, "value": v, "mode": mode}


def mark_seen(engine: Engine, user_id: int, paper_ids: list[str]) -> int:
    """Record that these papers were shown (versionless ids); returns how many were new."""
    keys = []
    for p in paper_ids[:MAX_SEEN_BATCH]:
        try:
            keys.append(normalize_paper_id(p))
        except InvalidId:
            continue
    keys = list(dict.fromkeys(keys))
    if not keys:
        return 0
    now = _now()
    with write_tx(engine) as conn:
        res = conn.execute(text(
            "INSERT INTO seen_papers (user_id, paper_id, seen_at) VALUES (:u, :p, :t) "
            "ON CONFLICT (user_id, paper_id) DO NOTHING"),
            [{"u": user_id, "p": k, "t": now} for k in keys])
    return int(res.rowcount or 0) if res.rowcount and res.rowcount > 0 else 0


def set_social(engine: Engine, user_id: int, social: int) -> int:
    """0 = content only .. 100 = mostly trending."""
    social = max(0, min(100, int(social)))
    with write_tx(engine) as conn:
        conn.execute(text(
            "INSERT INTO foryou_settings (user_id, social, updated_at) VALUES (:u, :s, :t) "
            "ON CONFLICT (user_id) DO UPDATE SET social = excluded.social, "
            "updated_at = excluded.updated_at"), {"u": user_id, "s": social, "t": _now()})
    return social


def reset_feed(engine: Engine, user_id: int) -> None:
    """Start For you afresh: forget seen papers, "not interested" marks and follows/mutes;
    votes and saved papers from before now stop counting (they stay in the library)."""
    now = _now()
    with write_tx(engine) as conn:
        for table in ("seen_papers", "not_interested", "user_interests"):
            conn.execute(text(f"DELETE FROM {table} WHERE user_id = :u"), {"u": user_id})
        conn.execute(text(
            "INSERT INTO foryou_settings (user_id, social, reset_at, updated_at) "
            "VALUES (:u, 0, :t, :t) ON CONFLICT (user_id) DO UPDATE SET "
            "reset_at = excluded.reset_at, seeds = '[]', updated_at = excluded.updated_at"),
            {"u": user_id, "t": now})


def forget_seen(engine: Engine, user_id: int, paper_ids: list[str] | None = None) -> None:
    """Show papers again ("show me again"): these, or all of them."""
    with write_tx(engine) as conn:
        if paper_ids is None:
            conn.execute(text("DELETE FROM seen_papers WHERE user_id = :u"), {"u": user_id})
        else:
            conn.execute(text("DELETE FROM seen_papers WHERE user_id = :u AND paper_id IN :p"
                              ).bindparams(bindparam("p", expanding=True)),
                         {"u": user_id, "p": paper_ids})


MAX_SEEDS = 10
MAX_SEED_CHARS = 5000


def set_seed_texts(engine: Engine, user_id: int, texts: list[str]) -> list[str]:
    """Replace the user's pasted abstracts/drafts (each a positive for For you)."""
    import orjson

    clean = [" ".join(t.split())[:MAX_SEED_CHARS] for t in texts]
    clean = list(dict.fromkeys(t for t in clean if t))[:MAX_SEEDS]
    with write_tx(engine) as conn:
        conn.execute(text(
            "INSERT INTO foryou_settings (user_id, social, seeds, updated_at) "
            "VALUES (:u, 0, :s, :t) ON CONFLICT (user_id) DO UPDATE SET seeds = excluded.seeds, "
            "updated_at = excluded.updated_at"),
            {"u": user_id, "s": orjson.dumps(clean).decode(), "t": _now()})
    return clean
