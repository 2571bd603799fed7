"""Claims extracted from abstracts: a derived table, caught up by `seq` like the other indexes.

Each paper's claims are replaced whenever the paper changes (a new version re-extracts), and
everything is re-extracted when the extractor's rules change (EXTRACTOR_VERSION).
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Engine, text

from paperfeed.children import die_with_parent
from paperfeed.claims import EXTRACTOR_VERSION, extract_claims
from paperfeed.index.protocol import Derived
from paperfeed.store.db import write_tx
from paperfeed.store.index_state import IndexState, get_state, papers_after, set_state

NAME = "claims"  # its index_state row; version = the extractor's
BATCH = 5_000
MIN_PARALLEL = 2 * BATCH  # fewer papers to do: forking the extractors costs more than it saves
COLS = ("paper_id", "position", "paper_version", "extractor_version", "kind", "value", "low",
        "high", "unit", "what", "text", "start", "end", "direction", "norm_value", "norm_unit",
        "subkind", "baseline", "condition", "announced")


def pending_claims(engine: Engine) -> int:
    """Papers whose claims are not extracted yet (by this extractor version)."""
    with engine.connect() as conn:
        return papers_after(conn, _mark(get_state(conn, NAME)))


def _mark(state: IndexState | None) -> int:
    if state is None or state.version != str(EXTRACTOR_VERSION):
        return 0  # new rules: extract everything again
    return state.seq


def rebuild_claims(engine: Engine, progress: Callable[[int], None] | None = None) -> int:
    """Extract every paper's claims again (each paper's rows are replaced as it goes)."""
    with write_tx(engine) as conn:
        set_state(conn, NAME, 0, "")
    return catch_up_claims(engine, progress=progress)


Paper = tuple[str, int | None, str, str | None]  # id, version, abstract, announced


def _rows_claims(rows: Sequence[Paper]) -> list[tuple[Any, ...]]:
    """The paper_claims rows (COLS) of papers given as (id, version, abstract, announced)."""
    out = []
    for pid, version, abstract, announced in rows:
        for n, c in enumerate(extract_claims(abstract)):
            out.append((pid, n, version, EXTRACTOR_VERSION, c.kind, float(c.value), c.low,
                        c.high, c.unit, c.what, c.text, c.start, c.end, c.direction,
                        c.norm_value, c.norm_unit, c.subkind, c.baseline, c.condition,
                        announced))
    return out


def _extract(rows: Sequence[Any], pool: Any, workers: int) -> list[tuple[Any, ...]]:
    """Claims rows of a batch, split over the pool's processes when there is one."""
    plain = [(r.id, r.version, r.abstract, r.announced) for r in rows]
    if pool is None:
        return _rows_claims(plain)
    step = -(-len(plain) // (workers * 4))  # a few chunks a process: none waits on the last
    chunks = [plain[i:i + step] for i in range(0, len(plain), step)]
    return [row for part in pool.map(_rows_claims, chunks) for row in part]


def _pool_init(parent: int) -> None:
    die_with_parent(parent)


@contextlib.contextmanager
def _maybe_pool(workers: int, pending: int) -> Iterator[Any]:
    """A pool of `workers` forked extractors when the work is worth it, else None."""
    if workers <= 1 or pending < MIN_PARALLEL or not hasattr(os, "fork"):
        yield None
        return
    ctx = mp.get_context("fork")
    with ctx.Pool(workers, initializer=_pool_init, initargs=(os.getpid(),)) as pool:
        yield pool


def catch_up_claims(engine: Engine, batch: int = BATCH,
                    progress: Callable[[int], None] | None = None, workers: int = 1) -> int:
    """Extract claims of every paper changed since the last run; return papers processed.

    Each batch is read and extracted without the writers' lock and written in a short
    transaction (a concurrent import keeps writing meanwhile); a batch another process
    stored first is read again from its watermark. With `workers` > 1 and enough papers to
    do, extraction runs in that many forked processes (the rules are pure functions of the
    abstract), the reading and writing here.
    """
    with _maybe_pool(workers, pending_claims(engine)) as pool:
        return _catch_up(engine, batch, progress, pool, workers)


def _catch_up(engine: Engine, batch: int, progress: Callable[[int], None] | None, pool: Any,
              workers: int) -> int:
    done = 0
    while True:
        with engine.connect() as conn:
            mark = _mark(get_state(conn, NAME))
            rows = conn.execute(
                text("SELECT id, seq, version, abstract, announced FROM papers WHERE seq > :m "
                     "ORDER BY seq LIMIT :n"), {"m": mark, "n": batch}).all()
        if not rows:
            if mark == 0:  # nothing stored at all, but record the extractor version
                with write_tx(engine) as conn:
                    if _mark(get_state(conn, NAME)) == 0:
                        set_state(conn, NAME, 0, str(EXTRACTOR_VERSION))
            return done
        out = _extract(rows, pool, workers)
        with write_tx(engine) as conn:
            if _mark(get_state(conn, NAME)) != mark:
                continue  # another process stored claims meanwhile: read on from there
            ph = "?" if conn.dialect.paramstyle == "qmark" else "%s"
            conn.exec_driver_sql(f"DELETE FROM paper_claims WHERE paper_id = {ph}",
                                 [(r.id,) for r in rows])
            if out:
                cols = ", ".join(f'"{c}"' for c in COLS)
                conn.exec_driver_sql(
                    f"INSERT INTO paper_claims ({cols}) VALUES ({', '.join([ph] * len(COLS))})",
                    out)
            set_state(conn, NAME, rows[-1].seq, str(EXTRACTOR_VERSION))
        done += len(rows)
        if progress:
            progress(done)


DERIVED = Derived(
    "claims", "claims", "read for claims",
    pending=lambda engine, _opts: pending_claims(engine),
    catch_up=lambda engine, opts, tick: catch_up_claims(engine, progress=tick,
                                                        workers=opts.workers),
    rebuild=lambda engine, _opts, tick: rebuild_claims(engine, progress=tick),
)
