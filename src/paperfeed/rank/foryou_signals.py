"""A signed-in user's For-you feed: profiles from their signals, ranked by the engine, mixed
with trending as they asked, cards that were already shown left out.

Signals: votes (weight 1), saved papers (1.5; each library tag is also its own interest),
"not interested" (negatives), followed authors/keywords/categories, muted authors/keywords
(never shown). Only signals after the user's "reset my feed" count.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

from paperfeed.rank.cards import load_cards
from paperfeed.rank.foryou import Profile, Recommendation, recommend
from paperfeed.rank.trending import trending_scores

W_VOTE, W_SAVED = 1.0, 1.5
MAX_TAGS = 5  # tag interests ranked separately (the most used ones)
CACHE_TTL_S = 60.0


@dataclass
class Signals:
    profile: Profile
    tags: dict[str, Profile] = field(default_factory=dict)
    social: int = 0
    seen: set[str] = field(default_factory=set)
    categories: list[str] = field(default_factory=list)
    muted_categories: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.profile.empty


def load_signals(conn: Connection, user_id: int) -> Signals:
    """Everything For you knows of a user (reads only)."""
    p: dict[str, Any] = {"u": user_id}
    row = conn.execute(text("SELECT social, reset_at, seeds FROM foryou_settings "
                            "WHERE user_id = :u"), p).first()
    social, reset = (int(row.social), row.reset_at or "") if row else (0, "")
    p["r"] = reset
    prof = Profile(texts=orjson.loads(row.seeds) if row and row.seeds else [])
    tags: dict[str, Profile] = {}
    # after a reset only what came later counts (to the second: what was saved in the
    # second of the reset counts as before it)
    for r in conn.execute(text("SELECT paper_id FROM votes WHERE user_id = :u AND "
                               "created_at > :r"), p):
        prof.positives[r.paper_id] = W_VOTE
    for r in conn.execute(text("SELECT paper_id, tags FROM library WHERE user_id = :u AND "
                               "created_at > :r"), p):
        prof.positives[r.paper_id] = prof.positives.get(r.paper_id, 0.0) + W_SAVED
        for t in orjson.loads(r.tags) if r.tags else []:
            tags.setdefault(t, Profile(label=t)).positives[r.paper_id] = W_SAVED
    prof.negatives = set(conn.execute(text(
        "SELECT paper_id FROM not_interested WHERE user_id = :u"), p).scalars())
    cats: list[str] = []
    muted_cats: list[str] = []
    for r in conn.execute(text("SELECT kind, value, mode FROM user_interests WHERE "
                               "user_id = :u ORDER BY created_at"), p):
        if r.mode == "follow":
            {"author": prof.authors, "keyword": prof.keywords, "category": cats}[r.kind].append(
                r.value)
        elif r.kind == "author":
            prof.muted_authors.add(r.value)
        elif r.kind == "keyword":
            prof.muted_words.add(r.value)
        else:
            muted_cats.append(r.value)
    seen = set(conn.execute(text("SELECT paper_id FROM seen_papers WHERE user_id = :u"),
                            p).scalars())
    prof.exclude = set(prof.positives) | prof.negatives
    kept = sorted(tags.values(), key=lambda t: -len(t.positives))[:MAX_TAGS]
    for t in kept:
        t.negatives, t.exclude = prof.negatives, prof.exclude
        t.muted_authors, t.muted_words = prof.muted_authors, prof.muted_words
    return Signals(prof, {t.label: t for t in kept if len(kept) > 1}, social, seen, cats,
                   muted_cats)


_cache: dict[tuple[int, int, str], tuple[float, list[Recommendation]]] = {}


def _ranked(engine: Engine, sig: Signals, user_id: int, since: str | None
            ) -> list[Recommendation]:
    key = (id(engine), user_id, orjson.dumps([sorted(sig.profile.positives),
                                              sorted(sig.profile.negatives),
                                              sig.profile.authors, sig.profile.keywords,
                                              sorted(sig.profile.muted_words),
                                              sorted(sig.profile.muted_authors),
                                              sig.categories, sig.profile.texts,
                                              since]).decode())
    hit = _cache.get(key)
    if hit is not None and time.monotonic() - hit[0] < CACHE_TTL_S:
        return hit[1]
    main = recommend(engine, sig.profile, k=300, since=since)
    best = {r.id: r for r in main}
    for label, prof in sig.tags.items():
        for r in recommend(engine, prof, k=60, since=since):
            r.why = f"for your tag “{label}”: {r.why}"
            if r.id not in best or best[r.id].score < r.score:
                best[r.id] = r
    out = sorted(best.values(), key=lambda r: -r.score)
    if len(_cache) > 512:
        _cache.clear()
    _cache[(key[0], key[1], key[2])] = (time.monotonic(), out)
    return out


def for_you(engine: Engine, user_id: int, limit: int = 20, offset: int = 0,
            since: str | None = None, include_seen: bool = False,
            social: int | None = None) -> dict[str, Any]:
    """{"papers": cards with `why` and `score`, "total", "social", "empty"} for one user."""
    with engine.connect() as conn:
        sig = load_signals(conn, user_id)
    mix = sig.social if social is None else max(0, min(100, social))
    if sig.empty:
        return {"papers": [], "total": 0, "social": mix, "empty": True}
    ranked = _ranked(engine, sig, user_id, since)
    if not include_seen:
        ranked = [r for r in ranked if r.id not in sig.seen]
    if sig.categories or sig.muted_categories:
        ranked = _by_category(engine, ranked, sig)
    if mix:
        ranked = _mix_trending(engine, ranked, sig, mix, include_seen)
    page = ranked[offset:offset + limit]
    with engine.connect() as conn:
        cards = load_cards(conn, [r.id for r in page], user_id)
    by = {r.id: r for r in page}
    for c in cards:
        c["why"], c["score"] = by[c["id"]].why, round(by[c["id"]].score, 4)
        c["why_like"] = by[c["id"]].like
    return {"papers": cards, "total": len(ranked), "social": mix, "empty": False}


def _by_category(engine: Engine, ranked: list[Recommendation], sig: Signals
                 ) -> list[Recommendation]:
    """Followed categories lift their papers; muted categories drop them."""
    from paperfeed.rank.foryou_data import load_texts

    with engine.connect() as conn:
        cats = {i: p.categories for i, p in load_texts(conn, [r.id for r in ranked]).items()}
    out = []
    for r in ranked:
        c = cats.get(r.id, [])
        if any(x in sig.muted_categories for x in c):
            continue
        if any(x in sig.categories for x in c):
            r.score += 0.5
            r.why += "; in a category you follow"
        out.append(r)
    return sorted(out, key=lambda r: -r.score)


def _mix_trending(engine: Engine, ranked: list[Recommendation], sig: Signals, mix: int,
                  include_seen: bool) -> list[Recommendation]:
    """Every (100 / mix)-th slot from trending (content-only at 0, mostly trending at 100)."""
    from paperfeed.rank.foryou import is_muted
    from paperfeed.rank.foryou_data import load_texts

    with engine.connect() as conn:
        scores = trending_scores(conn, "week")
        top = [pid for pid, _ in sorted(scores.items(), key=lambda kv: -kv[1])[:200]]
        texts = load_texts(conn, top)
    skip = sig.profile.exclude | (set() if include_seen else sig.seen)
    trend = [Recommendation(i, texts[i].title, 0.0, "trending this week")
             for i in top if i in texts and i not in skip and not is_muted(texts[i], sig.profile)]
    out: list[Recommendation] = []
    used: set[str] = set()
    ti = ci = 0
    acc = 0.0
    while ti < len(trend) or ci < len(ranked):
        acc += mix / 100.0
        src_trend = (acc >= 1.0 and ti < len(trend)) or ci >= len(ranked)
        if src_trend:
            acc -= 1.0 if acc >= 1.0 else 0.0
            r = trend[ti]
            ti += 1
        else:
            r = ranked[ci]
            ci += 1
        if r.id not in used:
            used.add(r.id)
            out.append(r)
    return out


def interests(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """[{kind, value, mode}] of one user, oldest first."""
    return [dict(r._mapping) for r in conn.execute(text(
        "SELECT kind, value, mode FROM user_interests WHERE user_id = :u "
        "ORDER BY created_at, kind, value"), {"u": user_id})]


def has_signals(conn: Connection, user_id: int) -> bool:
    """Whether For you has anything to go on for this user (cheap: indexed lookups)."""
    return not load_signals(conn, user_id).empty


def for_you_order(engine: Engine, user_id: int, start: str, end: str,
                  category: str | None = None, k: int = 30) -> list[str]:
    """For-you's best `k` ids among the papers announced start..end (empty without signals);
    the daily page shows them first. Seen papers are not left out here: it is the day's list."""
    with engine.connect() as conn:
        sig = load_signals(conn, user_id)
    if sig.empty:
        return []
    prof = sig.profile
    prof.exclude = set(prof.negatives)
    return [r.id for r in recommend(engine, prof, k=k, since=start, until=end,
                                    category=category)]


@dataclass
class DigestPicks:
    """For-you's order for a digest, and the reader's mutes (which never appear)."""

    ids: list[str]
    profile: Profile

    def muted(self, title: str, abstract: str, authors: list[str]) -> bool:
        from paperfeed.rank.foryou import is_muted
        from paperfeed.rank.foryou_data import PaperText

        return is_muted(PaperText("", title, abstract, authors, [], None), self.profile)


def digest_picks(engine: Engine, user_id: int, since: str, k: int) -> DigestPicks:
    """For-you's best `k` papers announced since `since` for a digest or personal feed."""
    with engine.connect() as conn:
        sig = load_signals(conn, user_id)
    ids = [] if sig.empty else [r.id for r in recommend(engine, sig.profile, k=k, since=since)]
    return DigestPicks(ids, sig.profile)
