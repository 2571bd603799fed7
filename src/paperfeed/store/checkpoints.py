"""Small durable key -> JSON values: import positions, harvest watermarks, index positions.

A checkpoint is written in the same transaction as the work it records, so after a crash the
two never disagree.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import Connection, text

from paperfeed.store.write import utcnow


def get_checkpoint(conn: Connection, key: str) -> Any:
    """The stored value for `key`, or None."""
    raw = conn.execute(text("SELECT value FROM checkpoints WHERE key = :k"), {"k": key}).scalar()
    return None if raw is None else orjson.loads(raw)


def set_checkpoint(conn: Connection, key: str, value: Any) -> None:
    """Store `value` for `key` (inside the caller's transaction)."""
    conn.execute(
        text(
            "INSERT INTO checkpoints (key, value, updated_at) VALUES (:k, :v, :t) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "updated_at = excluded.updated_at"
        ),
        {"k": key, "v": orjson.dumps(value).decode(), "t": utcnow()},
    )


def delete_checkpoint(conn: Connection, key: str) -> None:
    conn.execute(text("DELETE FROM checkpoints WHERE key = :k"), {"k": key})
