"""Sign up and log in, without telling anyone which emails have accounts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import IntegrityError

from paperfeed.accounts import ratelimit
from paperfeed.accounts.passwords import (
    check_strength,
    hash_password,
    needs_rehash,
    verify_password,
)
from paperfeed.store.db import write_tx

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


class InvalidEmail(ValueError):
    """Not an email address."""


class RateLimited(RuntimeError):
    """Too many attempts from this address (or on this account from it): wait and try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _wait_words(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"


@dataclass(frozen=True)
class User:
    id: int
    email: str
    display_name: str | None


def normalize_email(email: str) -> str:
    """The stored form (trimmed, lower-cased); InvalidEmail when it is not an address."""
    e = email.strip().lower()
    if len(e) > 254 or not _EMAIL.match(e):
        raise InvalidEmail("enter an email address such as ada@example.org")
    return e


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def signup(engine: Engine, email: str, password: str, display_name: str | None = None,
           ip: str | None = None, secret: str | None = None) -> bool:
    """Create the account; False (said to nobody) when the email is taken: the caller answers
    the same either way, so signing up cannot be used to find out who has an account.

    With `secret`, sign-ups are throttled per client address (ratelimit.SIGNUPS_PER_HOUR).
    """
    e = normalize_email(email)
    check_strength(password)
    now = _now()
    if secret is not None:
        try:
            with write_tx(engine) as conn:
                ratelimit.reserve_hourly(conn, ratelimit.address_key("signup", ip, secret),
                                         ratelimit.SIGNUPS_PER_HOUR, now)
        except ratelimit.Throttled as t:
            raise RateLimited("too many sign-ups from your address: try again in "
                              f"{_wait_words(t.retry_after)}", t.retry_after) from None
    hashed = hash_password(password)  # before looking: the same work whether taken or not
    name = (display_name or "").strip()[:80] or None
    try:
        with write_tx(engine) as conn:
            taken = conn.execute(text("SELECT 1 FROM users WHERE email = :e"), {"e": e}).first()
            if taken:
                return False
            conn.execute(text(
                "INSERT INTO users (email, password_hash, display_name, created_at) "
                "VALUES (:e, :h, :n, :t)"),
                {"e": e, "h": hashed, "n": name, "t": now.isoformat(timespec="seconds")})
    except IntegrityError:  # a concurrent signup of the same email
        return False
    return True


def authenticate(engine: Engine, email: str, password: str, ip: str | None, secret: str
                 ) -> User | None:
    """The user for these credentials, or None (unknown email and wrong password alike).

    Throttled per (email, client address) with backoff (see accounts.ratelimit): raises
    RateLimited before any password work when the pair must wait. The check and the record
    of the attempt are one transaction.
    """
    now = _now()
    try:
        e = normalize_email(email)
    except InvalidEmail:
        e = email.strip().lower()[:254]
    key = ratelimit.login_key(e, ip, secret)
    try:
        attempt = ratelimit.reserve_login(engine, key, now)
    except ratelimit.Throttled as t:
        raise RateLimited("too many failed logins for this email from your address: wait "
                          f"{_wait_words(t.retry_after)} and try again", t.retry_after) from None
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, email, display_name, password_hash FROM users "
                                "WHERE email = :e"), {"e": e}).first()
    ok = verify_password(row.password_hash if row else None, password)
    if not ok or row is None:
        return None  # the reserved attempt stays: it is the record of this failure
    with write_tx(engine) as conn:
        ratelimit.clear(conn, key)
        if attempt % 50 == 0:
            ratelimit.prune(conn, now)
        if needs_rehash(row.password_hash):
            conn.execute(text("UPDATE users SET password_hash = :h WHERE id = :id"),
                         {"h": hash_password(password), "id": row.id})
    return User(row.id, row.email, row.display_name)


def change_password(engine: Engine, user_id: int, current: str, new: str,
                    keep_session: str | None = None) -> bool:
    """Set a new password if `current` is right (False if not); every other session ends."""
    check_strength(new)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT password_hash FROM users WHERE id = :id"),
                              {"id": user_id}).scalar()
    if not verify_password(stored, current):
        return False
    set_password(engine, user_id, new, keep_session)
    return True


def set_password(engine: Engine, user_id: int, new: str, keep_session: str | None = None
                 ) -> None:
    """Store a new password hash and end the user's sessions (but `keep_session`, a hash)."""
    check_strength(new)
    hashed = hash_password(new)
    with write_tx(engine) as conn:
        conn.execute(text("UPDATE users SET password_hash = :h WHERE id = :id"),
                     {"h": hashed, "id": user_id})
        conn.execute(text("DELETE FROM sessions WHERE user_id = :u AND token_hash <> :k"),
                     {"u": user_id, "k": keep_session or ""})


def find_user_by_email(conn: Connection, email: str) -> User | None:
    """The user with this email (any case), or None."""
    row: Any = conn.execute(text("SELECT id, email, display_name FROM users WHERE email = :e"),
                            {"e": email.strip().lower()}).first()
    return User(row.id, row.email, row.display_name) if row else None


def get_user(conn: Connection, user_id: int) -> User | None:
    """The user with this id, or None."""
    row: Any = conn.execute(text("SELECT id, email, display_name FROM users WHERE id = :id"),
                            {"id": user_id}).first()
    return User(row.id, row.email, row.display_name) if row else None
