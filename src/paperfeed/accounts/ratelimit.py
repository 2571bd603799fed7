"""Throttles on the login_attempts table: failed logins per (account, address), sign-ups per
address, reset emails per address.

Logins back off instead of locking out: each (email, client address) pair has FREE_FAILURES
free attempts in WINDOW; after that the next try waits BASE_DELAY, doubling with every further
failure up to MAX_DELAY. A pair is its own key, so a stranger's failures (on this account from
another address, or on other accounts from this address) never slow its owner down.

`reserve` checks the key and records the attempt in one write transaction (write_tx holds the
writers' lock on both backends), before any password work: 40 concurrent attempts get exactly
FREE_FAILURES password checks. A successful login releases its reservation and the pair's
failures (`clear`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import Connection, Engine, text

from paperfeed.store.db import write_tx

FREE_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
BASE_DELAY = dt.timedelta(seconds=30)
MAX_DELAY = dt.timedelta(minutes=15)
SIGNUPS_PER_HOUR = 10  # per client address
RESETS_PER_HOUR = 5  # reset emails per client address (and per account)


class Throttled(RuntimeError):
    """Too many attempts on this key: `retry_after` seconds until the next one is allowed."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _keyed(secret: str, kind: str, *parts: str) -> str:
    """A key that names what it counts without storing emails or addresses in clear."""
    mac = hmac.new(secret.encode(), "\x00".join((kind, *parts)).encode(), hashlib.sha256)
    return f"{kind}:{mac.hexdigest()[:32]}"


def login_key(email: str, ip: str | None, secret: str) -> str:
    """The key of one (account, client address) pair."""
    return _keyed(secret, "login", email.strip().lower(), ip or "-")


def address_key(kind: str, ip: str | None, secret: str) -> str:
    """A per-address key for `kind` ("signup", "reset")."""
    return _keyed(secret, kind, ip or "-")


def login_delay(failures: int) -> dt.timedelta:
    """How long after the last failure the next login may be tried, given `failures` so far."""
    if failures < FREE_FAILURES:
        return dt.timedelta(0)
    return min(BASE_DELAY * 2 ** min(failures - FREE_FAILURES, 20), MAX_DELAY)


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _reserve(conn: Connection, key: str, now: dt.datetime, window: dt.timedelta,
             wait: dt.timedelta | None, limit: int | None) -> int:
    """Check `key` and record an attempt (in the caller's write transaction); Throttled."""
    since = _iso(now - window)
    conn.execute(text("DELETE FROM login_attempts WHERE key = :k AND at < :since"),
                 {"k": key, "since": since})
    times = conn.execute(text("SELECT at FROM login_attempts WHERE key = :k ORDER BY at"),
                         {"k": key}).scalars().all()
    if limit is not None and len(times) >= limit:
        first = dt.datetime.fromisoformat(times[0])
        raise Throttled("too many attempts", max(1, int((first + window - now).total_seconds())))
    if wait is not None and times:
        until = dt.datetime.fromisoformat(times[-1]) + wait
        if now < until:
            raise Throttled("too many attempts",
                            max(1, int((until - now).total_seconds() + 0.999)))
    return int(conn.execute(text("INSERT INTO login_attempts (key, at) VALUES (:k, :at) "
                                 "RETURNING id"), {"k": key, "at": _iso(now)}).scalar_one())


def reserve_login(engine: Engine, key: str, now: dt.datetime) -> int:
    """Take one login attempt for the pair (counted as a failure until `clear`); Throttled."""
    with write_tx(engine) as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM login_attempts WHERE key = :k AND at >= :s"),
                         {"k": key, "s": _iso(now - WINDOW)}).scalar_one()
        return _reserve(conn, key, now, WINDOW, login_delay(int(n)), None)


def reserve_hourly(conn: Connection, key: str, per_hour: int, now: dt.datetime) -> None:
    """Count one sign-up (or reset email) against `key`; Throttled past `per_hour`."""
    _reserve(conn, key, now, dt.timedelta(hours=1), None, per_hour)


def clear(conn: Connection, key: str) -> None:
    """A successful login forgives the pair's failures (and frees its reservation)."""
    conn.execute(text("DELETE FROM login_attempts WHERE key = :k"), {"k": key})


def prune(conn: Connection, now: dt.datetime) -> None:
    """Drop attempts older than any window (called now and then by writers)."""
    conn.execute(text("DELETE FROM login_attempts WHERE at < :s"),
                 {"s": _iso(now - max(WINDOW, dt.timedelta(hours=1)))})
