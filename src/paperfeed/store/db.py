"""Open the database: SQLite by default (one file, WAL), PostgreSQL by URL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from paperfeed.config import float_setting

ENV_URL = "PAPERFEED_DATABASE_URL"
# A fixed key for PostgreSQL advisory locks that serialise writers of papers (keeps `seq` ordered).
WRITE_LOCK_KEY = 7_001_001


class DatabaseError(RuntimeError):
    """The database cannot be opened or is not usable; the message says what to do."""


class WriteBusy(DatabaseError):
    """Another writer held the writers' lock longer than this writer may wait; try again."""

    def __init__(self, waited: float) -> None:
        super().__init__(f"the database is busy with another writer (waited {waited:g} s for "
                         "the write lock); try again in a moment")
        self.waited = waited


# How long a writer here may wait for the writers' lock (seconds); None: the configured
# PAPERFEED_WRITE_LOCK_WAIT. The web sets it per request (see `lock_wait`).
_LOCK_WAIT: ContextVar[float | None] = ContextVar("paperfeed_lock_wait", default=None)


@contextmanager
def lock_wait(seconds: float) -> Iterator[None]:
    """Writers started inside this block wait at most `seconds` for the lock (WriteBusy)."""
    token = _LOCK_WAIT.set(seconds)
    try:
        yield
    finally:
        _LOCK_WAIT.reset(token)


def current_lock_wait() -> float:
    wait = _LOCK_WAIT.get()
    return float_setting("PAPERFEED_WRITE_LOCK_WAIT") if wait is None else max(0.0, wait)


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
    opts = conn.get_execution_options()
    if (busy := opts.get("sqlite_busy_ms")) is not None:
        conn.exec_driver_sql(f"PRAGMA busy_timeout={int(busy)}")
    conn.exec_driver_sql(f"BEGIN {opts.get('sqlite_begin', 'DEFERRED')}")


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


def _lock_timed_out(e: OperationalError) -> bool:
    """SQLite's busy timeout ("database is locked") or PostgreSQL's lock_timeout (55P03)."""
    code = getattr(e.orig, "sqlstate", None)
    return code == "55P03" or "database is locked" in str(e.orig)


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """A write transaction that holds the writers' lock from its start (one writer at a time).

    No wait is unbounded: getting the lock takes at most `current_lock_wait()` seconds, else
    WriteBusy. On PostgreSQL a writer's session that sits idle inside its transaction longer
    than PAPERFEED_IDLE_TX_TIMEOUT is ended by the server, which frees the lock.
    """
    wait = current_lock_wait()
    if is_sqlite(engine):
        conn = engine.connect().execution_options(sqlite_begin="IMMEDIATE",
                                                  sqlite_busy_ms=int(wait * 1000))
        with conn:
            try:
                tx = conn.begin()
            except OperationalError as e:
                if _lock_timed_out(e):
                    raise WriteBusy(wait) from None
                raise
            with tx:
                yield conn
    else:
        idle = float_setting("PAPERFEED_IDLE_TX_TIMEOUT")
        with engine.begin() as conn:
            conn.execute(text("SELECT set_config('lock_timeout', :w, true), "
                              "set_config('idle_in_transaction_session_timeout', :i, true)"),
                         {"w": f"{max(1, int(wait * 1000))}ms", "i": f"{int(idle * 1000)}ms"})
            try:
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": WRITE_LOCK_KEY})
            except OperationalError as e:
                if _lock_timed_out(e):
                    raise WriteBusy(wait) from None
                raise
            yield conn


def describe(engine: Engine) -> str:
    """The database as a user would name it, password hidden."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return str(url.database)
    return url.render_as_string(hide_password=True)
