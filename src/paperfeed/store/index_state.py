"""Where every derived index keeps its watermark: one `index_state` row per index.

`seq` is the highest `papers.seq` the index holds; `version` is the format or rules it was built
with (a change means a rebuild); `build` names one build of an index kept in files (a fresh id
on every rebuild, also written beside the files), so a process whose files are not the ones the
row describes (another machine's cache, a deleted folder) rebuilds rather than trusting the row.
Writers update the row after the index itself (a crash leaves the row behind: the catch-up
replays, which every index tolerates). Readers compare rows to notice a writer's work.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from paperfeed.store.write import utcnow


@dataclass(frozen=True)
class IndexState:
    name: str
    seq: int
    version: str = ""
    build: str = ""
    updated_at: str = ""


def get_state(conn: Connection, name: str) -> IndexState | None:
    """The row of index `name`, or None before its first build."""
    r = conn.execute(text("SELECT name, seq, version, build, updated_at FROM index_state "
                          "WHERE name = :n"), {"n": name}).first()
    return None if r is None else IndexState(r.name, int(r.seq), r.version or "", r.build or "",
                                             r.updated_at or "")


def read_state(engine: Engine, name: str) -> IndexState | None:
    with engine.connect() as conn:
        return get_state(conn, name)


def all_states(engine: Engine) -> dict[str, IndexState]:
    """Every index's row by name (one query: what a reader polls)."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT name, seq, version, build, updated_at FROM index_state")).all()
    return {r.name: IndexState(r.name, int(r.seq), r.version or "", r.build or "",
                               r.updated_at or "") for r in rows}


def set_state(conn: Connection, name: str, seq: int, version: str = "", build: str = "") -> None:
    """Record index `name` at `seq` (inside the caller's write transaction)."""
    conn.execute(text(
        "INSERT INTO index_state (name, seq, version, build, updated_at) "
        "VALUES (:n, :s, :v, :b, :t) ON CONFLICT (name) DO UPDATE SET seq = excluded.seq, "
        "version = excluded.version, build = excluded.build, updated_at = excluded.updated_at"),
        {"n": name, "s": int(seq), "v": version, "b": build, "t": utcnow()})


def delete_state(conn: Connection, name: str) -> None:
    conn.execute(text("DELETE FROM index_state WHERE name = :n"), {"n": name})


def max_paper_seq(conn: Connection) -> int:
    """The newest change of any paper: where a caught-up index stands."""
    return int(conn.execute(text("SELECT MAX(seq) FROM papers")).scalar() or 0)


def papers_after(conn: Connection, seq: int) -> int:
    """Papers changed after `seq`: what an index at `seq` still has to do."""
    return int(conn.execute(text("SELECT COUNT(*) FROM papers WHERE seq > :m"),
                            {"m": seq}).scalar_one())
