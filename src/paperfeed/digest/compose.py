"""What a subscriber gets now: papers new since their previous digest that match their
choices, plus trending ones, ranked; never a paper they were sent before.

"New since the previous digest": stored or changed after it was composed (`papers.seq` above
the subscription's `seq_mark`) and announced within the last few listings (4 days for daily
digests, 8 for weekly), so an old paper that merely gained a source or a version is not news.
Papers are keyed by their versionless arXiv id, and `digest_items` is unique on (subscription,
paper): a new version, or the same paper from Hugging Face, is the same row and never repeats.

Ranking: score = 3 per followed author + 2 (+ 1/rank) for the best matching topic
+ 1 for a followed category + (1 + min(trending score, 10) / 10) when trending
+ (2 + 1/rank) for For-you's ranking of a linked account's signals (rank/foryou_signals);
ties go to more votes, then the newer announcement. A linked account's muted authors and
keywords never appear.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

from paperfeed.digest.messages import links, paper_link, render
from paperfeed.digest.schedule import LOOKBACK, period_label, period_of
from paperfeed.digest.subscriptions import Subscription, iso
from paperfeed.ids import abs_url, is_arxiv_id
from paperfeed.index.lookups import author_key
from paperfeed.latex import to_unicode
from paperfeed.rank.cards import CARD_FROM, VOTES_EXPR
from paperfeed.rank.trending import trending_scores

TOPIC_DEPTH = 200  # search hits taken per topic
EXCERPT = 280


@dataclass
class Candidate:
    id: str
    seq: int
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    announced: str
    votes: int


@dataclass
class Pick:
    paper: Candidate
    score: float
    reasons: list[str]


@dataclass
class Pool:
    """Papers announced recently (read once per run), trending scores, topic search results."""

    engine: Engine
    now: dt.datetime
    max_seq: int = 0
    papers: dict[str, Candidate] = field(default_factory=dict)
    trending: dict[str, dict[str, float]] = field(default_factory=dict)
    topics: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    search: Callable[[str, str], list[str]] | None = None
    foryou: dict[tuple[int, str], Any] = field(default_factory=dict)

    @classmethod
    def load(cls, engine: Engine, now: dt.datetime) -> Pool:
        pool = cls(engine, now)
        since = (now.date() - dt.timedelta(days=max(LOOKBACK.values()) + 1)).isoformat()
        with engine.connect() as conn:
            pool.max_seq = int(conn.execute(text("SELECT COALESCE(MAX(seq), 0) FROM papers"))
                               .scalar_one())
            for r in conn.execute(text(
                    "SELECT p.id, p.seq, p.title, p.abstract, p.authors, p.categories, "
                    f"p.announced, {VOTES_EXPR} AS votes {CARD_FROM} "
                    "WHERE p.announced >= :since AND p.seq <= :mx"),
                    {"since": since, "mx": pool.max_seq}):
                pool.papers[r.id] = Candidate(
                    r.id, int(r.seq), r.title, r.abstract or "",
                    orjson.loads(r.authors) if r.authors else [],
                    orjson.loads(r.categories) if r.categories else [],
                    (r.announced or "")[:10], int(r.votes))
            for window in ("day", "week"):
                pool.trending[window] = trending_scores(conn, window, now)
        return pool

    def topic_hits(self, topic: str, since: str) -> list[str]:
        """Ids the hybrid search ranks for `topic` (announced since `since`), cached per run."""
        key = (topic, since)
        if key not in self.topics:
            if self.search is not None:
                self.topics[key] = self.search(topic, since)
            else:
                from paperfeed.search.hybrid import search

                res = search(self.engine, topic, k=TOPIC_DEPTH, since=since)
                self.topics[key] = [h.id for h in res.hits]
        return self.topics[key]


    def for_you(self, user_id: int, since: str) -> Any:
        """A linked account's For-you picks since `since` and its mutes, cached per run."""
        key = (user_id, since)
        if key not in self.foryou:
            from paperfeed.rank.foryou_signals import digest_picks

            self.foryou[key] = digest_picks(self.engine, user_id, since, TOPIC_DEPTH)
        return self.foryou[key]


def already_sent(conn: Connection, sub_id: int) -> set[str]:
    return set(conn.execute(text("SELECT paper_id FROM digest_items WHERE subscription_id = :s"),
                            {"s": sub_id}).scalars())


def hidden(conn: Connection, user_id: int | None) -> set[str]:
    """Papers a linked account marked "not interested"."""
    if user_id is None:
        return set()
    return set(conn.execute(text("SELECT paper_id FROM not_interested WHERE user_id = :u"),
                            {"u": user_id}).scalars())


def select(pool: Pool, sub: Subscription, listing: dt.date, exclude: set[str]
           ) -> list[Pick]:
    """The ranked papers for `sub`'s digest of `listing`, at most max_papers."""
    ch = sub.choices
    since = (listing - dt.timedelta(days=LOOKBACK[ch.frequency])).isoformat()
    fresh = {pid: p for pid, p in pool.papers.items()
             if p.seq > sub.seq_mark and p.announced >= since and pid not in exclude}
    fy = pool.for_you(sub.user_id, since) if sub.user_id is not None else None
    if fy is not None:
        fresh = {pid: p for pid, p in fresh.items() if not fy.muted(p.title, p.abstract,
                                                                     p.authors)}
    scores: dict[str, float] = {}
    reasons: dict[str, list[str]] = {}

    def add(pid: str, points: float, why: str) -> None:
        scores[pid] = scores.get(pid, 0.0) + points
        reasons.setdefault(pid, []).append(why)

    follow = {author_key(a): a for a in ch.authors}
    cats = {c.lower(): c for c in ch.categories}
    for pid, p in fresh.items():
        for name in p.authors:
            if author_key(name) in follow:
                add(pid, 3.0, f"author {name}")
                break
        matched = [cats[c.lower()] for c in p.categories if c.lower() in cats]
        if matched:
            add(pid, 1.0, f"category {matched[0]}")
    for topic in ch.topics:
        for rank, pid in enumerate(pool.topic_hits(topic, since), 1):
            if pid in fresh and not any(r.startswith("topic") for r in reasons.get(pid, [])):
                add(pid, 2.0 + 1.0 / rank, f"topic “{topic}”")
    if fy is not None:
        for rank, pid in enumerate(fy.ids, 1):
            if pid in fresh:
                add(pid, 2.0 + 1.0 / rank, "for you")
    if ch.trending:
        window = "day" if ch.frequency == "daily" else "week"
        trend = sorted(((s, pid) for pid, s in pool.trending[window].items()
                        if pid not in exclude and s > 0), reverse=True)[: ch.max_papers]
        for s, pid in trend:
            if pid in pool.papers and (fy is None or not fy.muted(
                    pool.papers[pid].title, pool.papers[pid].abstract, pool.papers[pid].authors)):
                add(pid, 1.0 + min(s, 10.0) / 10.0, "trending")
    picks = []
    for pid, sc in scores.items():
        paper = pool.papers.get(pid)
        if paper is not None:
            picks.append(Pick(paper, sc, reasons[pid]))
    picks.sort(key=lambda k: k.paper.id)
    picks.sort(key=lambda k: (k.score, k.paper.votes, k.paper.announced), reverse=True)
    return picks[: ch.max_papers]


def _excerpt(s: str) -> str:
    s = " ".join(to_unicode(s).split())
    if len(s) <= EXCERPT:
        return s
    cut = s.rfind(" ", 0, EXCERPT)
    return s[: cut if cut > EXCERPT // 2 else EXCERPT].rstrip(" ,;:") + "…"


def paper_ctx(p: Pick) -> dict[str, Any]:
    a = p.paper.authors
    line = ", ".join(a[:4]) + (f" and {len(a) - 4} more" if len(a) > 4 else "")
    return {"id": p.paper.id, "title": " ".join(to_unicode(p.paper.title).split()),
            "authors_line": line,
            "categories": p.paper.categories[:3], "announced": p.paper.announced,
            "excerpt": _excerpt(p.paper.abstract), "why": "Because: " + "; ".join(p.reasons),
            "url": paper_link(p.paper.id),
            "abs": abs_url(p.paper.id) if is_arxiv_id(p.paper.id) else None}


def render_digest(sub: Subscription, period: str, picks: list[Pick],
                  secret: str | None = None) -> tuple[str, str, str, dict[str, str]]:
    """(subject, text, html, links) of a digest."""
    label = period_label(period)
    n = len(picks)
    subject = f"paperfeed {sub.frequency} digest, {label}: " + (
        f"{n} new paper{'s' if n != 1 else ''}" if n else "no new papers")
    ln = links(sub, secret)
    ctx = {"subject": subject, "heading": f"Your {sub.frequency} papers: {label}",
           "summary": sub.choices.summary(), "papers": [paper_ctx(p) for p in picks],
           "email": sub.email, "frequency": sub.frequency, **ln}
    txt, html = render("digest", ctx)
    return subject, txt, html, ln


@dataclass
class Planned:
    """A digest worked out for one subscription (composed, or only shown by --dry-run)."""

    subscription_id: int
    email: str
    period: str
    picks: list[Pick]

    def to_json(self) -> dict[str, Any]:
        return {"subscription": self.subscription_id, "email": self.email,
                "period": self.period, "papers": [p.paper.id for p in self.picks]}


def prefetch(pool: Pool, sub: Subscription) -> None:
    """Run `sub`'s topic searches now, outside any write transaction (results are cached)."""
    _period, listing = period_of(sub.frequency, pool.now)
    since = (listing - dt.timedelta(days=LOOKBACK[sub.frequency])).isoformat()
    for topic in sub.choices.topics:
        pool.topic_hits(topic, since)
    if sub.user_id is not None:
        pool.for_you(sub.user_id, since)


def plan(conn: Connection, pool: Pool, sub: Subscription) -> Planned:
    """What `sub` would get for the period due now (nothing is written)."""
    period, listing = period_of(sub.frequency, pool.now)
    exclude = already_sent(conn, sub.id) | hidden(conn, sub.user_id)
    return Planned(sub.id, sub.email, period, select(pool, sub, listing, exclude))


def compose_into_outbox(conn: Connection, pool: Pool, sub: Subscription,
                        secret: str | None = None) -> tuple[str, int | None, int]:
    """Compose `sub`'s due digest into the outbox in the caller's write transaction.

    Returns (period, outbox id or None when the period was composed before, papers). An
    empty digest is recorded as state `empty` (not sent) unless the subscriber asked for it.
    """
    from paperfeed.digest.outbox import enqueue

    pl = plan(conn, pool, sub)
    done = conn.execute(text("SELECT 1 FROM digest_outbox WHERE subscription_id = :s AND "
                             "period = :p"), {"s": sub.id, "p": pl.period}).first()
    if done:
        return pl.period, None, 0
    subject, txt, html, ln = render_digest(sub, pl.period, pl.picks, secret)
    empty = not pl.picks and not sub.choices.send_empty
    oid = enqueue(conn, sub, "digest", pl.period, subject, txt, html, pool.now,
                  n_papers=len(pl.picks), unsubscribe=ln["unsubscribe_url"],
                  status="empty" if empty else "pending")
    assert oid is not None
    for pos, p in enumerate(pl.picks):
        conn.execute(text("INSERT INTO digest_items (subscription_id, paper_id, digest_id, "
                          "position, reason) VALUES (:s, :p, :d, :n, :r)"),
                     {"s": sub.id, "p": p.paper.id, "d": oid, "n": pos,
                      "r": "; ".join(p.reasons)})
    conn.execute(text("UPDATE subscriptions SET seq_mark = :m, updated_at = :t WHERE id = :i "
                      "AND seq_mark < :m"), {"m": pool.max_seq, "t": iso(pool.now), "i": sub.id})
    return pl.period, oid, len(pl.picks)
