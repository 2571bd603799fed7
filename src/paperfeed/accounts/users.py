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
    """Too many failed logins for this email or address: wait and try again."""


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


def signup(engine: Engine, email: str, password: str, display_name: str | None = None) -> bool:
    """Create the account; False (said to nobody) when the email is taken: the caller answers
    the same either way, so signing up cannot be used to find out who has an account."""
    e = normalize_email(email)
    check_strength(password)
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
                {"e": e, "h": hashed, "n": name, "t": _now().isoformat(timespec="seconds")})
    except IntegrityError:  # a concurrent signup of the same email
        return False
    return True


def authenticate(engine: Engine, email: str, password: str, ip: str | None, secret: str
                 ) -> User | None:
    """The user for these credentials, or None (unknown email and wrong password alike).

    Raises RateLimited after ratelimit.MAX_FAILURES failures in ratelimit.WINDOW for the email
    or the client address; the check runs before any password work.
    """
    now = _now()
    try:
        e = normalize_email(email)
    except InvalidEmail:
        e = email.strip().lower()[:254]
    keys = ratelimit.attempt_keys(e, ip, secret)
    with engine.connect() as conn:
        if ratelimit.is_limited(conn, keys, now):
            raise RateLimited("too many failed logins: wait 15 minutes and try again")
        row = conn.execute(text("SELECT id, email, display_name, password_hash FROM users "
                                "WHERE email = :e"), {"e": e}).first()
    ok = verify_password(row.password_hash if row else None, password)
    with write_tx(engine) as conn:
        if not ok or row is None:
            ratelimit.record_failure(conn, keys, now)
            return None
        ratelimit.clear_failures(conn, keys[0])
        if needs_rehash(row.password_hash):
            conn.execute(text("UPDATE users SET password_hash = :h WHERE id = :id"),
                         {"h": hash_password(password), "id": row.id})
    return User(row.id, row.email, row.display_name)


def get_user(conn: Connection, user_id: int) -> User | None:
    """The user with this id, or None."""
    row: Any = conn.execute(text("SELECT id, email, display_name FROM users WHERE id = :id"),
                            {"id": user_id}).first()
    return User(row.id, row.email, row.display_name) if row else None
