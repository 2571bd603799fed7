"""Open the database: SQLite by default (one file, WAL), PostgreSQL by URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url

ENV_URL = "PAPERFEED_DATABASE_URL"
# A fixed key for PostgreSQL advisory locks that serialise writers of papers (keeps `seq` ordered).
WRITE_LOCK_KEY = 7_001_001


class DatabaseError(RuntimeError):
    """The database cannot be opened or is not usable; the message says what to do."""


def default_sqlite_path() -> Path:
    """The default database file under the user's data directory."""
    return Path(platformdirs.user_data_dir("paperfeed")) / "paperfeed.sqlite"


def resolve_url(db: str | None = None) -> str:
    """`--db` (a path or URL), else $PAPERFEED_DATABASE_URL, else the default SQLite file."""
    raw = db or os.environ.get(ENV_URL) or str(default_sqlite_path())
    if "://" not in raw:
        path = Path(raw).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    if raw.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver we ship; plain postgresql:// URLs mean it.
        return "postgresql+psycopg://" + raw.split("://", 1)[1]
    return raw


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Autocommit at the driver; SQLAlchemy's begin event below issues BEGIN itself, so
    # write transactions can take the lock up front (BEGIN IMMEDIATE) instead of failing
    # with SQLITE_BUSY when a reader upgrades.
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA cache_size=-65536")
    cur.execute("PRAGMA temp_store=MEMORY")
    # Checkpoint every ~80 MB of WAL instead of 4 MB: bulk imports rewrite hot index pages
    # far less often; the size limit trims the WAL file back afterwards.
    cur.execute("PRAGMA wal_autocheckpoint=20000")
    cur.execute("PRAGMA journal_size_limit=67108864")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
    conn.exec_driver_sql(f"BEGIN {mode}")


def connect(db: str | None = None, **engine_kw: Any) -> Engine:
    """Create an engine for `db` (see resolve_url). Does not migrate."""
    url = resolve_url(db)
    try:
        parsed = make_url(url)
    except Exception as e:
        raise DatabaseError(f"not a database URL or path: {url!r} ({e})") from None
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, **engine_kw)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        engine_kw.setdefault("pool_pre_ping", True)
        return create_engine(url, **engine_kw)
    raise DatabaseError(
        f"unsupported database {parsed.get_backend_name()!r}: use SQLite or PostgreSQL")


def is_sqlite(engine: Engine | Connection) -> bool:
    return engine.dialect.name == "sqlite"


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction that holds the writers' lock from its start (one writer at a time)."""
    if is_sqlite(engine):
        with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
            yield conn
    else:
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
            yield conn


def describe(engine: Engine) -> str:
    """The database as a user would name it, password hidden."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)
