"""Signed links for subscribers who have no account: HMAC over (subscription, purpose, nonce).

A token names its subscription and purpose; the MAC covers the subscription's current nonce,
which is kept in the database and never sent, so a new nonce revokes every link at once.
Confirmation links also carry the minute they were made (covered by the MAC) and expire after
CONFIRM_TTL; the others last until the nonce changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import time
from typing import Literal

Purpose = Literal["confirm", "manage", "unsubscribe", "feed"]
CODES: dict[str, str] = {"confirm": "c", "manage": "m", "unsubscribe": "u", "feed": "f"}
PURPOSES = {v: k for k, v in CODES.items()}
CONFIRM_TTL = dt.timedelta(days=7)
# <id>-<purpose letter>[<minute made, hex: confirm links>]-<128-bit MAC>
_TOKEN = re.compile(r"^(\d{1,12})-([cmuf])([0-9a-f]{1,10})?-([0-9a-f]{32})$")


def _mac(secret: str, sub_id: int, purpose: str, nonce: str, issued: int | None) -> str:
    msg = f"paperfeed-digest:{sub_id}:{purpose}:{nonce}"
    if issued is not None:
        msg += f":{issued}"
    return hmac.new(secret.encode(), msg.encode(), hashlib.sha256).hexdigest()[:32]


def _minute(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // 60)


def make_token(secret: str, sub_id: int, nonce: str, purpose: Purpose,
               now: float | None = None) -> str:
    """`<id>-<purpose letter>-<MAC>` (confirm: the minute made after the letter): safe in
    URLs and file names. `now` (a Unix time) is for tests; the wall clock otherwise."""
    issued = _minute(now) if purpose == "confirm" else None
    stamp = f"{issued:x}" if issued is not None else ""
    return f"{sub_id}-{CODES[purpose]}{stamp}-{_mac(secret, sub_id, purpose, nonce, issued)}"


def parse_token(token: str) -> tuple[int, str, str] | None:
    """(subscription id, purpose, mac) of a well-formed token, else None."""
    m = _TOKEN.match(token or "")
    if not m:
        return None
    return int(m.group(1)), PURPOSES[m.group(2)], m.group(4)


def token_expired(token: str, now: float | None = None) -> bool:
    """Whether a (well-formed) confirmation token is older than CONFIRM_TTL, or has no date."""
    m = _TOKEN.match(token or "")
    if not m or m.group(2) != "c":
        return False
    if m.group(3) is None:
        return True
    return _minute(now) - int(m.group(3), 16) > CONFIRM_TTL.total_seconds() // 60


def token_valid(secret: str, token: str, nonce: str, purposes: tuple[str, ...],
                now: float | None = None) -> bool:
    """Whether `token` was made with this secret and nonce for one of `purposes` (and, for a
    confirmation, is not expired)."""
    m = _TOKEN.match(token or "")
    if m is None:
        return False
    sub_id, purpose, mac = int(m.group(1)), PURPOSES[m.group(2)], m.group(4)
    issued = int(m.group(3), 16) if m.group(3) else None
    if purpose not in purposes or (purpose == "confirm") != (issued is not None):
        return False
    if not hmac.compare_digest(mac, _mac(secret, sub_id, purpose, nonce, issued)):
        return False
    return not token_expired(token, now)
