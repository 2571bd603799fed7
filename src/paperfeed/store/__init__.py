"""The store: the database is the source of truth; everything else is derived from it."""

from sqlalchemy import Engine

from paperfeed.store.db import DatabaseError, connect, describe, is_sqlite, resolve_url, write_tx
from paperfeed.store.migrate import ensure_schema, upgrade


def open_store(db: str | None = None) -> Engine:
    """Open (and migrate when needed) the database named by `db` (see resolve_url)."""
    engine = connect(db)
    ensure_schema(engine)
    return engine


__all__ = [
    "DatabaseError", "connect", "describe", "ensure_schema", "is_sqlite", "open_store",
    "resolve_url", "upgrade", "write_tx",
]
