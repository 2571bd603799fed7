"""Login rate limiting on the login_attempts table: failures per email and per client address."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import Connection, text

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)


def attempt_keys(email: str, ip: str | None, secret: str) -> list[str]:
    """The keys a login counts against; addresses are stored keyed-hashed, not in clear."""
    keys = ["email:" + email.strip().lower()]
    if ip:
        keys.append("ip:" + hashlib.sha256(f"{secret}:{ip}".encode()).hexdigest()[:32])
    return keys


def _since(now: dt.datetime) -> str:
    return (now - WINDOW).isoformat(timespec="seconds")


def is_limited(conn: Connection, keys: list[str], now: dt.datetime) -> bool:
    """True when any key has MAX_FAILURES failures within WINDOW."""
    for key in keys:
        n = conn.execute(
            text("SELECT COUNT(*) FROM login_attempts WHERE key = :k AND at >= :since"),
            {"k": key, "since": _since(now)},
        ).scalar_one()
        if n >= MAX_FAILURES:
            return True
    return False


def record_failure(conn: Connection, keys: list[str], now: dt.datetime) -> None:
    """Count one failed login against each key, and drop attempts older than the window."""
    at = now.isoformat(timespec="seconds")
    for key in keys:
        conn.execute(text("INSERT INTO login_attempts (key, at) VALUES (:k, :at)"),
                     {"k": key, "at": at})
    conn.execute(text("DELETE FROM login_attempts WHERE at < :since"), {"since": _since(now)})


def clear_failures(conn: Connection, email_key: str) -> None:
    """A successful login forgives that email's failures (the address's stay)."""
    conn.execute(text("DELETE FROM login_attempts WHERE key = :k"), {"k": email_key})
