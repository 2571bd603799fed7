"""Personal API tokens for scripts (`Authorization: Bearer <token>`); stored as SHA-256 only."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from sqlalchemy import Connection, Engine, text

from paperfeed.accounts.sessions import token_hash
from paperfeed.accounts.users import User
from paperfeed.store.db import write_tx

PREFIX = "pf_"
MAX_PER_USER = 20
TOUCH_EVERY = dt.timedelta(hours=1)  # last_used_at precision: one write an hour at most


class TooManyTokens(ValueError):
    """The account has MAX_PER_USER tokens already."""


def create_token(engine: Engine, user_id: int, name: str) -> str:
    """A new token for the user, returned once (only its hash is kept)."""
    label = " ".join(name.split())[:60] or "token"
    token = PREFIX + secrets.token_urlsafe(32)
    with write_tx(engine) as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM api_tokens WHERE user_id = :u"),
                         {"u": user_id}).scalar_one()
        if n >= MAX_PER_USER:
            raise TooManyTokens(f"an account may hold {MAX_PER_USER} tokens: revoke one first")
        conn.execute(text("INSERT INTO api_tokens (token_hash, user_id, name, created_at) "
                          "VALUES (:h, :u, :n, :t)"),
                     {"h": token_hash(token), "u": user_id, "n": label,
                      "t": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")})
    return token


def list_tokens(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """The user's tokens: id (a prefix of the hash, safe to show), name, created, last used."""
    rows = conn.execute(text(
        "SELECT token_hash, name, created_at, last_used_at FROM api_tokens WHERE user_id = :u "
        "ORDER BY created_at, token_hash"), {"u": user_id}).mappings()
    return [{"id": r["token_hash"][:16], "name": r["name"], "created_at": r["created_at"],
             "last_used_at": r["last_used_at"]} for r in rows]


def revoke_token(engine: Engine, user_id: int, token_id: str) -> bool:
    """Revoke the user's token whose id (hash prefix) is `token_id`; False if none."""
    if len(token_id) != 16 or not all(ch in "0123456789abcdef" for ch in token_id):
        return False
    with write_tx(engine) as conn:
        res = conn.execute(text("DELETE FROM api_tokens WHERE user_id = :u AND "
                                "substr(token_hash, 1, 16) = :p"), {"u": user_id, "p": token_id})
    return bool(res.rowcount)


def token_user(engine: Engine, token: str) -> User | None:
    """The user a bearer token belongs to, or None; notes when it was last used (hourly)."""
    if not token.startswith(PREFIX):
        return None
    h = token_hash(token)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT u.id, u.email, u.display_name, t.last_used_at FROM api_tokens t "
            "JOIN users u ON u.id = t.user_id WHERE t.token_hash = :h"), {"h": h}).first()
    if row is None:
        return None
    now = dt.datetime.now(dt.UTC)
    if row.last_used_at is None or dt.datetime.fromisoformat(row.last_used_at) < now - TOUCH_EVERY:
        with write_tx(engine) as conn:
            conn.execute(text("UPDATE api_tokens SET last_used_at = :t WHERE token_hash = :h"),
                         {"t": now.isoformat(timespec="seconds"), "h": h})
    return User(row.id, row.email, row.display_name)
