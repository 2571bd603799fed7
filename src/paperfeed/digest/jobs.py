"""`run_digests`: compose the digests that are due into the outbox, then send what is due.

The worker (`paperfeed worker`) and `paperfeed digest send` both call it; running it twice, or
in two processes at once, composes each (subscription, period) once and sends each email once.
"""

from __future__ import annotations

import datetime as dt
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from paperfeed.config import secret_key
from paperfeed.digest.compose import (
    Planned,
    Pool,
    compose_into_outbox,
    plan,
    prefetch,
    render_digest,
)
from paperfeed.digest.outbox import Sender
from paperfeed.digest.subscriptions import COLS, Subscription, find_by_email, from_row, utcnow
from paperfeed.store.db import write_tx


def _catch_up(engine: Engine) -> None:
    """Bring the derived indexes up to the papers just imported (topics search them); the
    embeddings are the index job's."""
    from paperfeed.index.refresh import refresh

    refresh(engine, slow=False)


def active_subscriptions(engine: Engine) -> list[Subscription]:
    with engine.connect() as conn:
        return [from_row(r) for r in conn.execute(text(
            f"SELECT {COLS} FROM subscriptions WHERE status = 'active' ORDER BY id"))]


def run_digests(engine: Engine, *, now: datetime | None = None, dry_run: bool = False
                ) -> dict[str, Any]:
    """Compose due digests into the outbox and send every due email; a summary as JSON.

    `now` (timezone-aware; default: the current time) decides which periods are due and which
    retries are ready. `dry_run` writes nothing and sends nothing: it reports what would be
    composed (`planned`) and which outbox emails are due (`due`).
    """
    now = now or utcnow()
    if now.tzinfo is None:
        raise ValueError("run_digests: `now` must be timezone-aware")
    subs = active_subscriptions(engine)
    secret = secret_key() if subs else ""  # signs the links in the digests composed below
    if any(s.choices.topics for s in subs):
        _catch_up(engine)  # topics are searched: the index must hold the latest papers
    pool = Pool.load(engine, now) if subs else Pool(engine, now)
    summary: dict[str, Any] = {"now": now.isoformat(timespec="seconds"),
                               "subscriptions": len(subs), "composed": 0, "empty": 0,
                               "already": 0, "dry_run": dry_run}
    if dry_run:
        planned: list[Planned] = []
        with engine.connect() as conn:
            for sub in subs:
                pl = plan(conn, pool, sub)
                exists = conn.execute(text(
                    "SELECT 1 FROM digest_outbox WHERE subscription_id = :s AND period = :p"),
                    {"s": sub.id, "p": pl.period}).first()
                if exists:
                    summary["already"] += 1
                elif pl.picks or sub.choices.send_empty:
                    planned.append(pl)
                else:
                    summary["empty"] += 1
            due = [dict(r) for r in conn.execute(text(
                "SELECT id, kind, period, recipient, attempts FROM digest_outbox WHERE "
                "status = 'pending' AND next_attempt_at <= :t ORDER BY id"),
                {"t": now.astimezone(dt.UTC).isoformat(timespec="seconds")}).mappings()]
        summary["planned"] = [p.to_json() for p in planned]
        summary["due"] = due
        return summary
    for sub in subs:
        prefetch(pool, sub)  # searches run before the write lock is taken
        with write_tx(engine) as conn:  # one subscriber a transaction: a crash loses nothing
            fresh = conn.execute(text(f"SELECT {COLS} FROM subscriptions WHERE id = :i AND "
                                      "status = 'active'"), {"i": sub.id}).first()
            if fresh is None:
                continue
            _period, oid, n = compose_into_outbox(conn, pool, from_row(fresh), secret)
        if oid is None:
            summary["already"] += 1
        elif n == 0 and not sub.choices.send_empty:
            summary["empty"] += 1
        else:
            summary["composed"] += 1
    summary.update(Sender(engine, now).send_all().to_json())
    return summary


def preview(engine: Engine, email: str, now: datetime | None = None) -> str | None:
    """The text of the digest `email` would get now (nothing is recorded), or None."""
    now = now or utcnow()
    with engine.connect() as conn:
        sub = find_by_email(conn, email)
    if sub is None:
        return None
    _catch_up(engine)
    pool = Pool.load(engine, now)
    with engine.connect() as conn:
        pl = plan(conn, pool, sub)
    subject, txt, _html, _ln = render_digest(sub, pl.period, pl.picks)
    head = f"To: {sub.email}\nSubject: {subject}\nStatus: {sub.status}\n"
    return head + "\n" + txt

