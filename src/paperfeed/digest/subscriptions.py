"""Subscriptions: what a subscriber chose, double opt-in, changes, pause and unsubscribe."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

from paperfeed import clock
from paperfeed.config import secret_key
from paperfeed.digest.tokens import parse_token, token_valid
from paperfeed.store.db import write_tx

FREQUENCIES = ("daily", "weekly")
MAX_TOPICS = 10
MAX_CATEGORIES = 30
MAX_AUTHORS = 30
MAX_PAPERS = 100
DEFAULT_MAX = 20
_CATEGORY = re.compile(r"^[a-z][a-z\-]*(\.[A-Za-z][A-Za-z\-]*)?$")
STATUSES = ("pending", "active", "paused", "unsubscribed")
# what we mail to: a plain address (no quotes, brackets or commas that could bend a header)
_MAILABLE = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)+$")


class InvalidEmail(ValueError):
    """Not an address we can mail to."""


def normalize_email(email: str) -> str:
    """Trimmed and lower-cased; InvalidEmail unless it is a plain address.

    (Not accounts.users' version: that module loads argon2, which every `digest send` would
    then pay for at start-up.)"""
    e = email.strip().lower()
    if len(e) > 254 or not _MAILABLE.match(e):
        raise InvalidEmail("enter an email address such as ada@example.org")
    return e


class ChoiceError(ValueError):
    """A subscription's choices are not valid; the message says which and why."""


iso = clock.iso
utcnow = clock.now


def _clean_list(values: list[str], limit: int, what: str, max_len: int) -> list[str]:
    out: list[str] = []
    for v in values:
        v = " ".join(v.split())
        if not v:
            continue
        if len(v) > max_len:
            raise ChoiceError(f"{what} {v[:40]!r}… is longer than {max_len} characters")
        if v.lower() not in (o.lower() for o in out):
            out.append(v)
    if len(out) > limit:
        raise ChoiceError(f"at most {limit} {what}s")
    return out


def split_lines(raw: str | None) -> list[str]:
    """Form text (one per line, or comma-separated) -> items."""
    return [p for line in (raw or "").splitlines() for p in line.split(",")]


@dataclass
class Choices:
    """What a subscriber wants: any of trending, topics, categories, authors."""

    trending: bool = False
    topics: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    frequency: str = "daily"
    max_papers: int = DEFAULT_MAX
    send_empty: bool = False

    def validated(self) -> Choices:
        topics = _clean_list(self.topics, MAX_TOPICS, "topic", 200)
        cats = _clean_list(self.categories, MAX_CATEGORIES, "category", 40)
        for c in cats:
            if not _CATEGORY.match(c):
                raise ChoiceError(f"{c!r} is not an arXiv category such as cs.CL or hep-th")
        authors = _clean_list(self.authors, MAX_AUTHORS, "author", 120)
        if self.frequency not in FREQUENCIES:
            raise ChoiceError("frequency must be daily or weekly")
        if not 1 <= int(self.max_papers) <= MAX_PAPERS:
            raise ChoiceError(f"papers per digest must be between 1 and {MAX_PAPERS}")
        if not (self.trending or topics or cats or authors):
            raise ChoiceError("choose trending papers, or at least one topic, category or author")
        return Choices(bool(self.trending), topics, cats, authors, self.frequency,
                       int(self.max_papers), bool(self.send_empty))

    def summary(self) -> str:
        """A one-line description for emails and pages."""
        parts = []
        if self.trending:
            parts.append("trending papers")
        if self.topics:
            parts.append("topics " + ", ".join(f"“{t}”" for t in self.topics))
        if self.categories:
            parts.append("categories " + ", ".join(self.categories))
        if self.authors:
            parts.append("authors " + ", ".join(self.authors))
        return f"{self.frequency}, up to {self.max_papers} papers: " + "; ".join(parts)


@dataclass
class Subscription:
    id: int
    email: str
    user_id: int | None
    status: str
    choices: Choices
    nonce: str
    seq_mark: int
    created_at: str
    confirmed_at: str | None

    @property
    def frequency(self) -> str:
        return self.choices.frequency


COLS = ("id, email, user_id, status, trending, topics, categories, authors, frequency, "
        "max_papers, send_empty, nonce, seq_mark, created_at, confirmed_at")


def from_row(r: Any) -> Subscription:
    ch = Choices(bool(r.trending), orjson.loads(r.topics), orjson.loads(r.categories),
                 orjson.loads(r.authors), r.frequency, int(r.max_papers), bool(r.send_empty))
    return Subscription(int(r.id), r.email, r.user_id, r.status, ch, r.nonce, int(r.seq_mark),
                        r.created_at, r.confirmed_at)


def get_subscription(conn: Connection, sub_id: int) -> Subscription | None:
    r = conn.execute(text(f"SELECT {COLS} FROM subscriptions WHERE id = :i"), {"i": sub_id}).first()
    return from_row(r) if r else None


def find_by_email(conn: Connection, email: str) -> Subscription | None:
    r = conn.execute(text(f"SELECT {COLS} FROM subscriptions WHERE email = :e"),
                     {"e": email.strip().lower()}).first()
    return from_row(r) if r else None


def by_token(conn: Connection, token: str, *purposes: str, secret: str | None = None
             ) -> Subscription | None:
    """The subscription a signed link names, if the link is valid for one of `purposes`."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    sub = get_subscription(conn, parsed[0])
    if sub is None or not token_valid(secret or secret_key(), token, sub.nonce, purposes):
        return None
    return sub


def _choice_params(ch: Choices) -> dict[str, Any]:
    return {"tr": int(ch.trending), "to": orjson.dumps(ch.topics).decode(),
            "ca": orjson.dumps(ch.categories).decode(), "au": orjson.dumps(ch.authors).decode(),
            "fr": ch.frequency, "mx": ch.max_papers, "se": int(ch.send_empty)}


@dataclass
class SubscribeResult:
    subscription_id: int
    outbox_id: int | None  # the confirmation (or "already subscribed" notice) queued, if any
    action: str  # created | updated | resubscribed | already


def subscribe(engine: Engine, email: str, choices: Choices, user_id: int | None = None,
              now: dt.datetime | None = None, secret: str | None = None) -> SubscribeResult:
    """Ask for a subscription: nothing is sent but a confirmation until its link is opened.

    An address already subscribed keeps its choices (whoever typed it may not own it); it gets
    a note with its manage link instead. The caller answers the same either way.
    """
    from paperfeed.digest.outbox import enqueue_confirm, enqueue_notice

    addr = normalize_email(email)
    ch = choices.validated()
    now = now or utcnow()
    t = iso(now)
    with write_tx(engine) as conn:
        sub = find_by_email(conn, addr)
        p = {**_choice_params(ch), "e": addr, "u": user_id, "t": t}
        if sub is None:
            sid = conn.execute(text(
                "INSERT INTO subscriptions (email, user_id, status, trending, topics, categories, "
                "authors, frequency, max_papers, send_empty, nonce, seq_mark, created_at, "
                "updated_at) VALUES (:e, :u, 'pending', :tr, :to, :ca, :au, :fr, :mx, :se, :n, "
                "0, :t, :t) RETURNING id"), {**p, "n": secrets.token_hex(16)}).scalar_one()
            action = "created"
        elif sub.status in ("pending", "unsubscribed"):
            sid = sub.id
            nonce = sub.nonce if sub.status == "pending" else secrets.token_hex(16)
            conn.execute(text(
                "UPDATE subscriptions SET status = 'pending', trending = :tr, topics = :to, "
                "categories = :ca, authors = :au, frequency = :fr, max_papers = :mx, "
                "send_empty = :se, user_id = COALESCE(:u, user_id), nonce = :n, seq_mark = 0, "
                "updated_at = :t WHERE id = :i"), {**p, "n": nonce, "i": sid})
            action = "updated" if sub.status == "pending" else "resubscribed"
        else:
            sid = sub.id
            action = "already"
        sub2 = get_subscription(conn, sid)
        assert sub2 is not None
        if action == "already":
            oid = enqueue_notice(conn, sub2, now, secret)
        else:
            oid = enqueue_confirm(conn, sub2, now, secret)
    return SubscribeResult(sid, oid, action)


def confirm(engine: Engine, token: str, now: dt.datetime | None = None,
            secret: str | None = None) -> Subscription | None:
    """Open a confirmation link: pending -> active (idempotent). None for a bad link."""
    with write_tx(engine) as conn:
        sub = by_token(conn, token, "confirm", secret=secret)
        if sub is None:
            return None
        if sub.status == "pending":
            conn.execute(text("UPDATE subscriptions SET status = 'active', confirmed_at = :t, "
                              "updated_at = :t WHERE id = :i"),
                         {"t": iso(now or utcnow()), "i": sub.id})
        return get_subscription(conn, sub.id)


def update_choices(engine: Engine, sub_id: int, choices: Choices,
                   now: dt.datetime | None = None) -> None:
    ch = choices.validated()
    with write_tx(engine) as conn:
        conn.execute(text(
            "UPDATE subscriptions SET trending = :tr, topics = :to, categories = :ca, "
            "authors = :au, frequency = :fr, max_papers = :mx, send_empty = :se, "
            "updated_at = :t WHERE id = :i"),
            {**_choice_params(ch), "t": iso(now or utcnow()), "i": sub_id})


def set_status(engine: Engine, sub_id: int, status: str, now: dt.datetime | None = None
               ) -> bool:
    """Pause, resume (active) or unsubscribe a confirmed subscription; False if it is pending."""
    assert status in ("active", "paused", "unsubscribed")
    with write_tx(engine) as conn:
        frm = ("active", "paused", "unsubscribed") if status == "unsubscribed" else \
            ("active", "paused")
        res = conn.execute(text(
            "UPDATE subscriptions SET status = :s, updated_at = :t WHERE id = :i AND status IN "
            f"({', '.join(repr(f) for f in frm)})"),
            {"s": status, "t": iso(now or utcnow()), "i": sub_id})
        if status == "unsubscribed":  # queued digests of this subscriber are not sent
            conn.execute(text("UPDATE digest_outbox SET status = 'cancelled' WHERE "
                              "subscription_id = :i AND kind = 'digest' AND status = 'pending'"),
                         {"i": sub_id})
    return bool(res.rowcount)


def unsubscribe(engine: Engine, sub_id: int, now: dt.datetime | None = None) -> None:
    """Unsubscribe (also a pending request: nothing more is ever sent)."""
    with write_tx(engine) as conn:
        conn.execute(text("UPDATE subscriptions SET status = 'unsubscribed', updated_at = :t "
                          "WHERE id = :i"), {"t": iso(now or utcnow()), "i": sub_id})
        conn.execute(text("UPDATE digest_outbox SET status = 'cancelled' WHERE "
                          "subscription_id = :i AND status = 'pending'"), {"i": sub_id})


def reset_links(engine: Engine, sub_id: int) -> None:
    """A new nonce: every link sent so far (manage, unsubscribe, feed) stops working."""
    with write_tx(engine) as conn:
        conn.execute(text("UPDATE subscriptions SET nonce = :n WHERE id = :i"),
                     {"n": secrets.token_hex(16), "i": sub_id})
