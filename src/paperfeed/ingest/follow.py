"""Derived indexes that follow a running import, in their own processes, instead of after it.

While `import_file` commits batches of papers, each follower process runs the SAME catch-up as
`index.refresh` (the registered `Derived.catch_up`, by `seq` from the database) in a loop, so
parsing, writing, lexical indexing and claims extraction share the cores. When the writer is
done, each follower catches up once more to the last `seq` and exits. Nothing here is a second
import path: `paperfeed import` runs `refresh()` afterwards as before, which then finds the
followed indexes up to date (or does what a failed follower left).

Followers die with the import (kill -9 included), like the parser process (files.py); they are
not daemonic processes because the claims follower forks its extractors (a daemonic process
may not have children): `follow_import` kills any still running when it leaves. An
in-memory SQLite database cannot be shared with another process: then nothing follows.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import os
import resource
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from paperfeed.children import die_with_parent
from paperfeed.index.protocol import Options
from paperfeed.index.registry import derived_indexes
from paperfeed.progress import Step
from paperfeed.store.db import WriteBusy
from paperfeed.store.index_state import papers_after, read_state

log = logging.getLogger(__name__)
# Each tuple is one process. Claims extraction is the most CPU work: it follows the writer from
# the start, its extraction split over one process a core (Options.workers). The lexical index
# (a tantivy commit and segment merges per catch-up) and the lookups (which drop and rebuild
# their secondary indexes per catch-up) cost less done once, at the end, in one pass over the
# new papers, beside the claims; the cheap code links follow from the start in that process.
GROUPS: tuple[tuple[str, ...], ...] = (("claims",), ("codelinks", "lexical", "lookups"))
AT_END = frozenset({"lexical", "lookups"})
FOLLOWER_NICE = 5  # followers take the cores the parser and the writer leave
PAUSE = 1.0  # seconds a follower waits for more papers after catching up


def _follow(engine: Engine, names: Sequence[str], done: Any, parent: int) -> None:
    """Follower process: catch `names` up until the import is done, then once more."""
    die_with_parent(parent)
    with contextlib.suppress(OSError):  # the writer comes first: every index waits on it
        os.nice(FOLLOWER_NICE)
    engine.dispose(close=False)  # the parent's pooled connections stay the parent's
    try:
        _catch_up_until_done(engine, names, done)
    except Exception as e:  # the refresh after the import does what is left, and reports
        sys.stderr.write(f"{'+'.join(names)} stopped following the import "
                         f"({type(e).__name__}: {e}); the update below finishes it\n")
        sys.exit(1)


def _catch_up_until_done(engine: Engine, names: Sequence[str], done: Any) -> None:
    opts = Options(workers=os.cpu_count() or 1)
    indexes = [d for d in derived_indexes() if d.name in names]
    while True:
        finished = done.is_set()  # read before catching up: the last round sees every paper
        for d in indexes:
            if not finished and (d.name in AT_END or _behind(engine, d.name) == 0):
                continue
            try:
                d.catch_up(engine, opts, None)
            except WriteBusy:  # the writer held the lock long: try again next round
                if finished:
                    raise
        if finished:
            r = resource.getrusage(resource.RUSAGE_SELF)
            log.info("follower %s: %.1f s CPU", "+".join(names), r.ru_utime + r.ru_stime)
            return
        done.wait(PAUSE)


def _behind(engine: Engine, name: str) -> int:
    st = read_state(engine, name)
    with engine.connect() as conn:
        return papers_after(conn, st.seq if st else 0)


@dataclass
class Followers:
    """The running follower processes of one import (see `follow_import`)."""

    engine: Engine
    names: list[str] = field(default_factory=list)
    _procs: list[Any] = field(default_factory=list)
    _done: Any = None

    def finish(self, step: Step | None = None) -> None:
        """Tell the followers the import is done and wait until each has caught up."""
        if self._done is None:
            return
        self._done.set()
        while any(p.is_alive() for p in self._procs):
            if step is not None:
                behind = {n: _behind(self.engine, n) for n in self.names}
                step.update(max(0, (step.total or 0) - max(behind.values(), default=0)),
                            note=", ".join(f"{n} {b:,}" for n, b in behind.items()) + " to go")
            for p in self._procs:
                p.join(0.5)

    def behind(self) -> int:
        """Papers the furthest-behind follower still has to do."""
        return max((_behind(self.engine, n) for n in self.names), default=0)

    def stop(self) -> None:
        for p in self._procs:
            p.kill()
            p.join()


def can_follow(engine: Engine) -> bool:
    """Whether another process can open this database (not an in-memory SQLite one)."""
    db = engine.url.database
    return hasattr(os, "fork") and not (engine.url.get_backend_name() == "sqlite"
                                        and db in (None, "", ":memory:"))


@contextlib.contextmanager
def follow_import(engine: Engine, enabled: bool = True) -> Iterator[Followers]:
    """Start the followers; on leaving, stop any still running (an import that failed)."""
    f = Followers(engine)
    known = {d.name for d in derived_indexes() if not d.slow}
    if enabled and can_follow(engine):
        ctx = mp.get_context("fork")
        f._done = ctx.Event()
        for group in GROUPS:
            names = [n for n in group if n in known]
            if not names:
                continue
            p = ctx.Process(target=_follow, args=(engine, names, f._done, os.getpid()),
                            daemon=False, name=f"paperfeed follow {'+'.join(names)}")
            p.start()
            f._procs.append(p)
            f.names += names
    try:
        yield f
    finally:
        f.stop()
