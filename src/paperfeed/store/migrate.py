"""Bring a database's schema up to date (Alembic), keeping its data."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).with_name("migrations")
# PostgreSQL advisory lock held while migrating: processes opening a new database at once
# (several workers, web processes) take turns; the later ones find it current and do nothing.
MIGRATE_LOCK_KEY = 0x70665F6D6967  # "pf_mig"


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    """The newest schema revision this code knows."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None for an empty one)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to `revision`, each in its own transaction."""
    cfg = _config()
    # SQLite: BEGIN IMMEDIATE takes the write lock before the version is read, so a second
    # process waits and then finds the schema current (PostgreSQL: the advisory lock).
    with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, conn.begin():
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": MIGRATE_LOCK_KEY})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def ensure_schema(engine: Engine) -> None:
    """Upgrade when behind; cheap when current (one query)."""
    if current_revision(engine) != head_revision():
        upgrade(engine)
