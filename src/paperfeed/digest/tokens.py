"""Signed links for subscribers who have no account: HMAC over (subscription, purpose, nonce).

A token names its subscription and purpose; the MAC covers the subscription's current nonce,
which is kept in the database and never sent, so a new nonce revokes every link at once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Literal

Purpose = Literal["confirm", "manage", "unsubscribe", "feed"]
CODES: dict[str, str] = {"confirm": "c", "manage": "m", "unsubscribe": "u", "feed": "f"}
PURPOSES = {v: k for k, v in CODES.items()}
_TOKEN = re.compile(r"^(\d{1,12})-([cmuf])-([0-9a-f]{32})$")


def _mac(secret: str, sub_id: int, purpose: str, nonce: str) -> str:
    msg = f"paperfeed-digest:{sub_id}:{purpose}:{nonce}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()[:32]


def make_token(secret: str, sub_id: int, nonce: str, purpose: Purpose) -> str:
    """`<id>-<purpose letter>-<128-bit MAC>`: safe in URLs and file names."""
    return f"{sub_id}-{CODES[purpose]}-{_mac(secret, sub_id, purpose, nonce)}"


def parse_token(token: str) -> tuple[int, str, str] | None:
    """(subscription id, purpose, mac) of a well-formed token, else None."""
    m = _TOKEN.match(token or "")
    if not m:
        return None
    return int(m.group(1)), PURPOSES[m.group(2)], m.group(3)


def token_valid(secret: str, token: str, nonce: str, purposes: tuple[str, ...]) -> bool:
    """Whether `token` was made with this secret and nonce for one of `purposes`."""
    parsed = parse_token(token)
    if parsed is None:
        return False
    sub_id, purpose, mac = parsed
    return purpose in purposes and hmac.compare_digest(mac, _mac(secret, sub_id, purpose, nonce))
