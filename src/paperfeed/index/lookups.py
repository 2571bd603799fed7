"""Author and category lookup tables, derived from papers and caught up by `seq`.

They are kept out of the import transaction on purpose: a bulk import writes papers only, and
the lookups follow in large ordered batches (far cheaper than row-at-a-time index upkeep).
"""

from __future__ import annotations

from collections.abc import Callable

import orjson
from sqlalchemy import Connection, Engine, text

from paperfeed.index.protocol import Derived
from paperfeed.store.db import write_tx
from paperfeed.store.index_state import get_state, papers_after, set_state

NAME = "lookups"  # its index_state row
BATCH = 100_000


def author_key(name: str) -> str:
    """The key an author page is found by: case- and space-insensitive."""
    return " ".join(name.lower().split())


def catch_up_lookups(engine: Engine, batch: int = BATCH,
                     progress: Callable[[int], None] | None = None) -> int:
    """Bring paper_authors / paper_categories up to the newest paper change; return papers done."""
    done = 0
    with engine.connect() as conn:
        fresh = not _mark(conn)
    if fresh:
        # A first build inserts everything: build the secondary indexes once at the end,
        # sorted, instead of maintaining them row by row.
        with write_tx(engine) as conn:
            for name, _ in _INDEXES:
                conn.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
    try:
        done = _catch_up(engine, batch, progress)
    finally:
        with write_tx(engine) as conn:
            for name, ddl in _INDEXES:
                conn.exec_driver_sql(f"CREATE INDEX IF NOT EXISTS {name} ON {ddl}")
    return done


def _mark(conn: Connection) -> int:
    st = get_state(conn, NAME)
    return st.seq if st else 0


def pending_lookups(engine: Engine) -> int:
    """Papers changed since the lookups were last caught up."""
    with engine.connect() as conn:
        return papers_after(conn, _mark(conn))


def rebuild_lookups(engine: Engine, progress: Callable[[int], None] | None = None) -> int:
    """Empty the lookup tables and fill them again from every paper."""
    with write_tx(engine) as conn:
        conn.execute(text("DELETE FROM paper_authors"))
        conn.execute(text("DELETE FROM paper_categories"))
        set_state(conn, NAME, 0)
    return catch_up_lookups(engine, progress=progress)


_INDEXES = (
    ("ix_paper_authors_name_key", "paper_authors (name_key, announced, paper_id)"),
    ("ix_paper_categories_category", "paper_categories (category, announced, paper_id)"),
)


def _catch_up(engine: Engine, batch: int, progress: Callable[[int], None] | None) -> int:
    done = 0
    while True:
        with write_tx(engine) as conn:
            mark = _mark(conn)
            rows = conn.execute(
                text("SELECT id, seq, authors, categories, announced FROM papers WHERE seq > :m "
                     "ORDER BY seq LIMIT :n"), {"m": mark, "n": batch},
            ).all()
            if not rows:
                return done
            ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            if mark:  # a changed paper drops its old rows first; a fresh build has none
                ids = [(r.id,) for r in rows]
                conn.exec_driver_sql(f"DELETE FROM paper_authors WHERE paper_id = {ph}", ids)
                conn.exec_driver_sql(f"DELETE FROM paper_categories WHERE paper_id = {ph}", ids)
            authors = sorted(
                (r.id, n, author_key(a), r.announced)
                for r in rows if r.authors for n, a in enumerate(orjson.loads(r.authors))
            )
            cats = sorted(
                (r.id, c, n, r.announced)
                for r in rows if r.categories
                for n, c in enumerate(dict.fromkeys(orjson.loads(r.categories)))
            )
            if authors:
                conn.exec_driver_sql(
                    f"INSERT INTO paper_authors (paper_id, position, name_key, announced) "
                    f"VALUES ({ph}, {ph}, {ph}, {ph})", authors)
            if cats:
                conn.exec_driver_sql(
                    f"INSERT INTO paper_categories (paper_id, category, position, announced) "
                    f"VALUES ({ph}, {ph}, {ph}, {ph})", cats)
            set_state(conn, NAME, rows[-1].seq)
        done += len(rows)
        if progress:
            progress(done)


DERIVED = Derived(
    "lookups", "author and category lookups", "indexed",
    pending=lambda engine, _opts: pending_lookups(engine),
    catch_up=lambda engine, _opts, tick: catch_up_lookups(engine, progress=tick),
    rebuild=lambda engine, _opts, tick: rebuild_lookups(engine, progress=tick),
)
