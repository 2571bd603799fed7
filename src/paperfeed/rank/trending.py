"""Trending papers: votes that fade with age, over a day, a week or a month.

score(paper) = sum over its local votes cast within the window of 0.5 ** (age_hours / H)
             + its Hugging Face upvotes * 0.5 ** (hours since it was announced / H),
the upvotes counting only when the paper was announced within the window (we do not know when
each upvote was cast, so they all count at the announcement, 00:00 UTC of that day).
H, the half-life, is 6 hours for the day, 2 days for the week and 7 days for the month.
Ties go to the more recently announced paper.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Connection, text

from paperfeed import clock
from paperfeed.rank.cards import hidden_clause, load_cards

Window = Literal["day", "week", "month"]


@dataclass(frozen=True)
class WindowSpec:
    length: dt.timedelta
    half_life_hours: float


WINDOWS: dict[str, WindowSpec] = {
    "day": WindowSpec(dt.timedelta(days=1), 6.0),
    "week": WindowSpec(dt.timedelta(days=7), 48.0),
    "month": WindowSpec(dt.timedelta(days=30), 168.0),
}
FORMULA = ("score = Σ over votes in the window of 0.5^(age in hours / H) + Hugging Face "
           "upvotes * 0.5^(hours since announcement / H); H = 6 h (day), 48 h (week), "
           "168 h (month)")


def _when(iso: str) -> dt.datetime:
    return clock.require_instant(iso, "announced")


def decay(age: dt.timedelta, half_life_hours: float) -> float:
    """The weight of a vote `age` old: 1 when fresh, 0.5 after one half-life (never above 1)."""
    hours = max(age.total_seconds() / 3600.0, 0.0)
    return float(0.5 ** (hours / half_life_hours))


def trending_scores(conn: Connection, window: Window = "week", now: dt.datetime | None = None,
                    user_id: int | None = None) -> dict[str, float]:
    """paper id -> trending score for every paper with a vote or upvote in the window."""
    spec = WINDOWS[window]
    now = now or clock.now()
    since = now - spec.length
    params = {"since": since.isoformat(timespec="seconds"), "day": since.date().isoformat(),
              "viewer": user_id}
    hide = hidden_clause(user_id)
    scores: dict[str, float] = {}
    for pid, at in conn.execute(text(
        f"SELECT v.paper_id, v.created_at FROM votes v JOIN papers p ON p.id = v.paper_id "
        f"WHERE v.created_at >= :since{hide}"), params):
        scores[pid] = scores.get(pid, 0.0) + decay(now - _when(at), spec.half_life_hours)
    for pid, ups, announced in conn.execute(text(
        f"SELECT p.id, h.upvotes, p.announced FROM hf_papers h JOIN papers p "
        f"ON p.id = h.paper_id WHERE h.upvotes > 0 AND p.announced >= :day{hide}"),
            params):
        at = _when(announced[:10])
        if at < since:  # announced that day, but before the window opened
            continue
        age = now - at
        scores[pid] = scores.get(pid, 0.0) + ups * decay(age, spec.half_life_hours)
    return scores


def trending_papers(conn: Connection, window: Window = "week", limit: int = 30,
                    now: dt.datetime | None = None, user_id: int | None = None
                    ) -> list[dict[str, Any]]:
    """The top `limit` cards by trending score, each with its `score` (rounded)."""
    scores = trending_scores(conn, window, now, user_id)
    top = sorted(scores.items(), key=lambda kv: -kv[1])[: max(limit * 2, limit + 10)]
    cards = load_cards(conn, [pid for pid, _ in top], user_id)
    for c in cards:
        c["score"] = round(scores[c["id"]], 4)
    cards.sort(key=lambda c: (c["score"], c["announced"] or "", c["id"]), reverse=True)
    return cards[:limit]
