"""Login sessions: a random cookie value; the database keeps only its SHA-256 and a CSRF token."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from paperfeed.accounts.users import User
from paperfeed.store.db import write_tx

LIFETIME = dt.timedelta(days=30)


@dataclass(frozen=True)
class Session:
    user: User
    csrf_token: str
    token_hash: str


def token_hash(token: str) -> str:
    """The stored form of a session or API token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(engine: Engine, user_id: int) -> str:
    """Start a session for the user; returns the cookie value (shown to no one else)."""
    token = secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    with write_tx(engine) as conn:
        conn.execute(text("DELETE FROM sessions WHERE expires_at < :now"),
                     {"now": now.isoformat(timespec="seconds")})
        conn.execute(text(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) "
            "VALUES (:h, :u, :c, :t, :x)"),
            {"h": token_hash(token), "u": user_id, "c": secrets.token_urlsafe(32),
             "t": now.isoformat(timespec="seconds"),
             "x": (now + LIFETIME).isoformat(timespec="seconds")})
    return token


def find_session(conn: Connection, token: str) -> Session | None:
    """The live session for a cookie value, or None (unknown or expired)."""
    h = token_hash(token)
    row = conn.execute(text(
        "SELECT u.id, u.email, u.display_name, s.csrf_token FROM sessions s "
        "JOIN users u ON u.id = s.user_id WHERE s.token_hash = :h AND s.expires_at > :now"),
        {"h": h, "now": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}).first()
    if row is None:
        return None
    return Session(User(row.id, row.email, row.display_name), row.csrf_token, h)


def end_session(engine: Engine, token: str) -> None:
    """Log out: forget the session."""
    with write_tx(engine) as conn:
        conn.execute(text("DELETE FROM sessions WHERE token_hash = :h"), {"h": token_hash(token)})


def end_all_sessions(engine: Engine, user_id: int, keep: str | None = None) -> int:
    """Log out everywhere: end every session of the user but `keep` (a token hash, or None)."""
    with write_tx(engine) as conn:
        res = conn.execute(text("DELETE FROM sessions WHERE user_id = :u AND token_hash <> :k"),
                           {"u": user_id, "k": keep or ""})
    return int(res.rowcount or 0)
