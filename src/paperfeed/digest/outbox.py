"""The outbox: every email is composed into a row first, then sent from it, exactly once.

States of a row:
  pending    composed, waiting to be sent (or to be retried at next_attempt_at)
  sending    claimed by a sender (lease_owner) until lease_until
  sent       the server accepted it (250 to the end of DATA)
  failed     given up: permanent (5xx) refusals or too many temporary failures
  review     delivery unknown: a sender died after the final "." of DATA (see docs/digests.md)
  empty      a digest period with nothing to send (kept so the period is not composed again)
  cancelled  the subscriber unsubscribed or paused before it went out

Claiming: on PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED` picks a row no other sender holds;
on SQLite the claim runs under BEGIN IMMEDIATE (one writer at a time). The claim, the "end of
DATA is next" mark and the result each commit before the next step starts.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import secrets
import smtplib
import socket
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, text

from paperfeed.config import int_setting, typed_setting
from paperfeed.digest import mail
from paperfeed.digest.messages import links, render
from paperfeed.digest.subscriptions import Subscription, iso, utcnow
from paperfeed.store.db import is_sqlite, write_tx

MAX_BACKOFF = dt.timedelta(hours=6)
CONFIRM_SLOT_MINUTES = 10  # at most one confirmation (or notice) per address per slot
STATES = ("pending", "sending", "sent", "failed", "review", "empty", "cancelled")


def _int_setting(env: str, _default: int = 0) -> int:
    return int_setting(env)  # parser and default: config.SETTINGS


def backoff(attempts: int) -> dt.timedelta:
    """Delay before retry number `attempts` (1-based): base * 2^(attempts-1), capped at 6 h."""
    base = _int_setting("PAPERFEED_DIGEST_RETRY_SECONDS", 300)
    return min(dt.timedelta(seconds=base * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def _lease_time(t: dt.datetime) -> str:
    """Lease times in milliseconds (compared as text, so always written this way)."""
    return t.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def worker_name() -> str:
    """host:pid:random: unique per sender, even for several in one process (web threads)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def enqueue(conn: Connection, sub: Subscription, kind: str, period: str, subject: str,
            text_body: str, html_body: str, now: dt.datetime, n_papers: int = 0,
            unsubscribe: str | None = None, status: str = "pending",
            cfg: mail.SmtpConfig | None = None) -> int | None:
    """Queue one email (in the caller's write transaction); None when (sub, period) exists."""
    exists = conn.execute(text("SELECT 1 FROM digest_outbox WHERE subscription_id = :s AND "
                               "period = :p"), {"s": sub.id, "p": period}).first()
    if exists:
        return None
    cfg = cfg or mail.smtp_config()
    msg_id = mail.new_message_id(cfg, kind)
    message = "" if status == "empty" else mail.build_message(
        cfg, sub.email, subject, text_body, html_body, msg_id, now, unsubscribe)
    oid = conn.execute(text(
        "INSERT INTO digest_outbox (subscription_id, kind, period, status, recipient, "
        "message_id, subject, message, n_papers, attempts, next_attempt_at, created_at) "
        "VALUES (:s, :k, :p, :st, :r, :m, :subj, :msg, :n, 0, :t, :t) RETURNING id"),
        {"s": sub.id, "k": kind, "p": period, "st": status, "r": sub.email, "m": msg_id,
         "subj": subject, "msg": message, "n": n_papers, "t": iso(now)}).scalar_one()
    return int(oid)


def _slot(now: dt.datetime) -> str:
    t = now.astimezone(dt.UTC)
    minute = t.minute // CONFIRM_SLOT_MINUTES * CONFIRM_SLOT_MINUTES
    return t.strftime("%Y-%m-%dT%H:") + f"{minute:02d}"


def enqueue_confirm(conn: Connection, sub: Subscription, now: dt.datetime,
                    secret: str | None = None) -> int | None:
    """The double opt-in email (at most one per address every 10 minutes)."""
    ln = links(sub, secret)
    subject = "Confirm your paperfeed digest subscription"
    txt, html = render("confirm", {"email": sub.email, "summary": sub.choices.summary(),
                                   "subject": subject, **ln})
    return enqueue(conn, sub, "confirm", f"confirm:{_slot(now)}", subject, txt, html, now)


def enqueue_notice(conn: Connection, sub: Subscription, now: dt.datetime,
                   secret: str | None = None) -> int | None:
    """"You are already subscribed" (to the owner only: the web page says the same either way)."""
    ln = links(sub, secret)
    subject = "Your paperfeed digest subscription"
    txt, html = render("notice", {"email": sub.email, "summary": sub.choices.summary(),
                                  "subject": subject, **ln})
    return enqueue(conn, sub, "notice", f"notice:{_slot(now)}", subject, txt, html, now,
                   unsubscribe=ln["unsubscribe_url"])


# sending ---------------------------------------------------------------------------------

@dataclass
class Claimed:
    id: int
    kind: str
    recipient: str
    message: str
    attempts: int


@dataclass
class SendReport:
    sent: int = 0
    retry: int = 0
    failed: int = 0
    review: int = 0
    cancelled: int = 0
    lost_lease: int = 0
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"sent": self.sent, "retry": self.retry, "failed": self.failed,
                "review": self.review, "cancelled": self.cancelled,
                "lost_lease": self.lost_lease, "errors": self.errors}


@dataclass
class Sender:
    engine: Engine
    now: dt.datetime  # the schedule's clock (retries are due by it)
    owner: str = field(default_factory=worker_name)
    lease: dt.timedelta = field(default_factory=lambda: dt.timedelta(
        seconds=_int_setting("PAPERFEED_DIGEST_LEASE_SECONDS", 600)))
    uncertain: str = field(default_factory=lambda: typed_setting(
        "PAPERFEED_DIGEST_ON_UNCERTAIN"))
    report: SendReport = field(default_factory=SendReport)

    def _tx(self) -> Any:
        # SQLite: BEGIN IMMEDIATE; PostgreSQL: a plain transaction (rows are locked one by
        # one with FOR UPDATE SKIP LOCKED, so senders never wait on imports or each other)
        return write_tx(self.engine) if is_sqlite(self.engine) else self.engine.begin()

    def claim(self, only_id: int | None = None) -> Claimed | None:
        """Take the next due email: pending and due, or a 'sending' row whose lease expired."""
        real = _lease_time(utcnow())  # leases run on the wall clock, whatever `now` says
        lock = "" if is_sqlite(self.engine) else " FOR UPDATE OF o SKIP LOCKED"
        only = " AND o.id = :only" if only_id is not None else ""
        while True:
            with self._tx() as conn:
                row = conn.execute(text(
                    "SELECT o.id, o.kind, o.status, o.recipient, o.message, o.attempts, "
                    "o.data_sent_at, s.status AS sub_status FROM digest_outbox o "
                    "JOIN subscriptions s ON s.id = o.subscription_id WHERE "
                    "((o.status = 'pending' AND o.next_attempt_at <= :now) OR "
                    f"(o.status = 'sending' AND o.lease_until < :real)){only} "
                    f"ORDER BY o.next_attempt_at, o.id LIMIT 1{lock}"),
                    {"now": iso(self.now), "real": real, "only": only_id}).first()
                if row is None:
                    return None
                if (row.kind == "digest" and row.sub_status != "active") or \
                        (row.kind == "confirm" and row.sub_status != "pending"):
                    conn.execute(text("UPDATE digest_outbox SET status = 'cancelled', "
                                      "lease_owner = NULL WHERE id = :i"), {"i": row.id})
                    self.report.cancelled += 1
                    continue
                if row.status == "sending" and row.data_sent_at is not None and \
                        self.uncertain != "resend":
                    conn.execute(text(
                        "UPDATE digest_outbox SET status = 'review', last_error = :e "
                        "WHERE id = :i"),
                        {"i": row.id, "e": "sender stopped after the end of DATA went out, "
                         "before the reply was recorded: the server may have it (not resent)"})
                    self.report.review += 1
                    continue
                conn.execute(text(
                    "UPDATE digest_outbox SET status = 'sending', lease_owner = :o, "
                    "lease_until = :l, attempts = attempts + 1, data_sent_at = NULL "
                    "WHERE id = :i"),
                    {"o": self.owner, "l": _lease_time(utcnow() + self.lease), "i": row.id})
                return Claimed(row.id, row.kind, row.recipient, row.message, row.attempts + 1)

    def _mark_data_sent(self, oid: int) -> bool:
        with self._tx() as conn:
            res = conn.execute(text(
                "UPDATE digest_outbox SET data_sent_at = :t WHERE id = :i AND "
                "lease_owner = :o AND status = 'sending'"),
                {"t": iso(utcnow()), "i": oid, "o": self.owner})
        return bool(res.rowcount)

    def _finish(self, oid: int, **values: Any) -> None:
        sets = ", ".join(f"{k} = :{k}" for k in values)
        with self._tx() as conn:
            conn.execute(text(f"UPDATE digest_outbox SET {sets}, lease_owner = NULL "
                              "WHERE id = :id AND lease_owner = :owner"),
                         {**values, "id": oid, "owner": self.owner})

    def _failed(self, job: Claimed, e: BaseException) -> None:
        code = mail.error_code(e)
        err = mail.describe_error(e)
        permanent = code is not None and 500 <= code < 600
        limit = _int_setting("PAPERFEED_DIGEST_MAX_PERMANENT" if permanent else
                             "PAPERFEED_DIGEST_MAX_ATTEMPTS", 2 if permanent else 8)
        if job.attempts >= limit:
            self._finish(job.id, status="failed", last_error=err)
            self.report.failed += 1
        else:
            nxt = self.now + backoff(job.attempts)
            self._finish(job.id, status="pending", last_error=err, next_attempt_at=iso(nxt))
            self.report.retry += 1
        self.report.errors.append(f"#{job.id} {job.recipient}: {err}")

    def send_all(self, only_id: int | None = None, limit: int | None = None) -> SendReport:
        """Send every due email (or just `only_id`), one claim at a time."""
        try:
            cfg = mail.smtp_config()
        except mail.SmtpConfigError as e:
            self.report.errors.append(str(e))
            return self.report
        smtp = mail.Connection(cfg)
        done = 0
        try:
            while limit is None or done < limit:
                job = self.claim(only_id)
                if job is None:
                    break
                done += 1
                try:
                    smtp.send(job.recipient, job.message,
                              functools.partial(self._mark_data_sent, job.id))
                except mail.LeaseLost:
                    self.report.lost_lease += 1
                except mail.Uncertain as e:
                    status = "pending" if self.uncertain == "resend" else "review"
                    self._finish(job.id, status=status, last_error=str(e),
                                 next_attempt_at=iso(self.now + backoff(job.attempts)))
                    self.report.review += status == "review"
                    self.report.errors.append(f"#{job.id} {job.recipient}: {e}")
                except (smtplib.SMTPException, OSError) as e:
                    smtp.abort()
                    self._failed(job, e)
                else:
                    self._finish(job.id, status="sent", sent_at=iso(utcnow()), last_error=None)
                    self.report.sent += 1
                if only_id is not None:
                    break
        finally:
            smtp.close()
        return self.report


def send_due(engine: Engine, now: dt.datetime | None = None, only_id: int | None = None
             ) -> SendReport:
    """Send what is due in the outbox now (retries included)."""
    return Sender(engine, now or utcnow()).send_all(only_id)


def outbox_status(engine: Engine, now: dt.datetime | None = None, limit: int = 50
                  ) -> dict[str, Any]:
    """Counts by kind and state; failures, retries waiting and rows held for review."""
    with engine.connect() as conn:
        counts: dict[str, dict[str, int]] = {}
        for kind, status, n in conn.execute(text(
                "SELECT kind, status, COUNT(*) FROM digest_outbox GROUP BY kind, status")):
            counts.setdefault(kind, {})[status] = int(n)
        problems = [dict(r) for r in conn.execute(text(
            "SELECT id, kind, period, recipient, status, attempts, last_error, next_attempt_at, "
            "lease_until, created_at FROM digest_outbox WHERE status IN ('failed', 'review') OR "
            "(status IN ('pending', 'sending') AND last_error IS NOT NULL) OR "
            "(status = 'sending') ORDER BY id DESC LIMIT :n"), {"n": limit}).mappings()]
        subs = {s: int(n) for s, n in conn.execute(text(
            "SELECT status, COUNT(*) FROM subscriptions GROUP BY status"))}
    return {"outbox": counts, "problems": problems, "subscriptions": subs,
            "now": iso(now or utcnow())}
