"""Personal API tokens for scripts (`Authorization: Bearer <token>`); stored as SHA-256 only.

A token has scopes (read: the reading API and /api/me; vote: votes; library: the library) and
an optional expiry. Tokens work on the API only: they cannot manage the account or make more
tokens (that needs a signed-in session and its CSRF token, see web/auth.py).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text

from paperfeed.accounts.sessions import token_hash
from paperfeed.accounts.users import User
from paperfeed.store.db import write_tx

PREFIX = "pf_"
MAX_PER_USER = 20
TOUCH_EVERY = dt.timedelta(hours=1)  # last_used_at precision: one write an hour at most
SCOPES = ("read", "vote", "library")
MAX_DAYS = 3650


class TokenError(ValueError):
    """Bad scopes or expiry for a new token; the message says what to choose."""


@dataclass(frozen=True)
class TokenGrant:
    """Who a valid token acts for, and what it may do."""

    user: User
    scopes: frozenset[str]


def clean_scopes(raw: list[str] | str | None) -> list[str]:
    """Known scopes in a fixed order; TokenError for an unknown one or none at all."""
    items = raw.replace(",", " ").split() if isinstance(raw, str) else list(raw or [])
    unknown = sorted(set(items) - set(SCOPES))
    if unknown:
        raise TokenError(f"unknown scope {unknown[0]!r}: choose from {', '.join(SCOPES)}")
    chosen = [s for s in SCOPES if s in items]
    if not chosen:
        raise TokenError(f"choose at least one scope ({', '.join(SCOPES)})")
    return chosen


class TooManyTokens(ValueError):
    """The account has MAX_PER_USER tokens already."""


def create_token(engine: Engine, user_id: int, name: str,
                 scopes: list[str] | tuple[str, ...] | str | None = SCOPES,
                 days: int | None = None) -> str:
    """A new token for the user, returned once (only its hash is kept); it expires after
    `days` days (None: never)."""
    label = " ".join(name.split())[:60] or "token"
    chosen = clean_scopes(list(scopes) if isinstance(scopes, tuple) else scopes)
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise TokenError(f"a token lasts 1 to {MAX_DAYS} days (or leave it empty: no expiry)")
    token = PREFIX + secrets.token_urlsafe(32)
    now = dt.datetime.now(dt.UTC)
    expires = (now + dt.timedelta(days=days)).isoformat(timespec="seconds") if days else None
    with write_tx(engine) as conn:
        n = conn.execute(text("SELECT COUNT(*) FROM api_tokens WHERE user_id = :u"),
                         {"u": user_id}).scalar_one()
        if n >= MAX_PER_USER:
            raise TooManyTokens(f"an account may hold {MAX_PER_USER} tokens: revoke one first")
        conn.execute(text("INSERT INTO api_tokens (token_hash, user_id, name, created_at, "
                          "scopes, expires_at) VALUES (:h, :u, :n, :t, :s, :x)"),
                     {"h": token_hash(token), "u": user_id, "n": label,
                      "t": now.isoformat(timespec="seconds"), "s": " ".join(chosen),
                      "x": expires})
    return token


def list_tokens(conn: Connection, user_id: int) -> list[dict[str, Any]]:
    """The user's tokens: id (a prefix of the hash, safe to show), name, scopes, created,
    last used, expires (and whether it has)."""
    rows = conn.execute(text(
        "SELECT token_hash, name, created_at, last_used_at, scopes, expires_at FROM api_tokens "
        "WHERE user_id = :u ORDER BY created_at, token_hash"), {"u": user_id}).mappings()
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return [{"id": r["token_hash"][:16], "name": r["name"], "created_at": r["created_at"],
             "last_used_at": r["last_used_at"], "scopes": r["scopes"].split(),
             "expires_at": r["expires_at"],
             "expired": r["expires_at"] is not None and r["expires_at"] <= now} for r in rows]


def revoke_token(engine: Engine, user_id: int, token_id: str) -> bool:
    """Revoke the user's token whose id (hash prefix) is `token_id`; False if none."""
    if len(token_id) != 16 or not all(ch in "0123456789abcdef" for ch in token_id):
        return False
    with write_tx(engine) as conn:
        res = conn.execute(text("DELETE FROM api_tokens WHERE user_id = :u AND "
                                "substr(token_hash, 1, 16) = :p"), {"u": user_id, "p": token_id})
    return bool(res.rowcount)


def token_grant(engine: Engine, token: str, touch: bool = True) -> TokenGrant | None:
    """The user and scopes of a live bearer token, or None (unknown, revoked or expired);
    with `touch`, notes when it was last used (hourly). Reads pass touch=False: a GET never
    writes, so "last used" is the token's last vote or library change."""
    if not token.startswith(PREFIX):
        return None
    h = token_hash(token)
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT u.id, u.email, u.display_name, t.last_used_at, t.scopes, t.expires_at "
            "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = :h"),
            {"h": h}).first()
    now = dt.datetime.now(dt.UTC)
    if row is None or (row.expires_at is not None and
                       dt.datetime.fromisoformat(row.expires_at) <= now):
        return None
    if touch and (row.last_used_at is None
                  or dt.datetime.fromisoformat(row.last_used_at) < now - TOUCH_EVERY):
        with write_tx(engine) as conn:
            conn.execute(text("UPDATE api_tokens SET last_used_at = :t WHERE token_hash = :h"),
                         {"t": now.isoformat(timespec="seconds"), "h": h})
    return TokenGrant(User(row.id, row.email, row.display_name), frozenset(row.scopes.split()))
