"""Password reset links: signed, expiring, single use, and kept nowhere.

A token is `<user id>-<expiry minute, hex>-<MAC>`: HMAC-SHA256 under the secret key over the
user id, the expiry and the account's current password hash. Nothing is stored: the link stops
working when it expires (RESET_TTL) or once the password changes (its hash is in the MAC), so
using it once, or changing the password another way, spends it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re

from sqlalchemy import Connection, text

RESET_TTL = dt.timedelta(hours=1)
_TOKEN = re.compile(r"^(\d{1,12})-([0-9a-f]{1,10})-([0-9a-f]{40})$")


def _mac(secret: str, user_id: int, expires: int, password_hash: str) -> str:
    msg = f"paperfeed-reset:{user_id}:{expires}:{password_hash}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:40]


def _minute(t: dt.datetime) -> int:
    return int(t.timestamp() // 60)


def make_reset_token(secret: str, user_id: int, password_hash: str,
                     now: dt.datetime | None = None) -> str:
    """A reset token for the user, valid for RESET_TTL from `now`."""
    expires = _minute((now or dt.datetime.now(dt.UTC)) + RESET_TTL)
    return f"{user_id}-{expires:x}-{_mac(secret, user_id, expires, password_hash)}"


class ResetLinkError(ValueError):
    """The link is malformed, expired or already used; the message says which."""


def check_reset_token(conn: Connection, secret: str, token: str,
                      now: dt.datetime | None = None) -> int:
    """The user id a live reset token is for; ResetLinkError otherwise."""
    m = _TOKEN.match(token or "")
    if m is None:
        raise ResetLinkError("this reset link is not valid: use the newest email from us")
    user_id, expires = int(m.group(1)), int(m.group(2), 16)
    stored = conn.execute(text("SELECT password_hash FROM users WHERE id = :id"),
                          {"id": user_id}).scalar()
    if stored is None or not hmac.compare_digest(m.group(3), _mac(secret, user_id, expires,
                                                                   stored)):
        raise ResetLinkError("this reset link is not valid or was already used: ask for a "
                             "new one")
    if _minute(now or dt.datetime.now(dt.UTC)) >= expires:
        raise ResetLinkError("this reset link has expired (links last "
                             f"{int(RESET_TTL.total_seconds() // 60)} minutes): ask for a new one")
    return user_id


def reset_token_for(conn: Connection, secret: str, email: str,
                    now: dt.datetime | None = None) -> tuple[int, str, str] | None:
    """(user id, stored email, token) for the account with this email, or None."""
    row = conn.execute(text("SELECT id, email, password_hash FROM users WHERE email = :e"),
                       {"e": email.strip().lower()}).first()
    if row is None:
        return None
    return int(row.id), str(row.email), make_reset_token(secret, row.id, row.password_hash, now)
