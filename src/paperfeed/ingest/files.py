"""Import JSON-lines files: batched, idempotent, resumable after a crash at any moment.

Each batch is one transaction that also records how far into the file it got; a killed import
leaves the last batch rolled back and the checkpoint at the batch before, so running the same
command again continues there. Records are merged by id, so replaying lines is harmless too.

Parsing runs in a child process while this one writes, so both cores work on a bulk import.
The child dies with this process (even on kill -9): it holds copies of this process's database
connections, and an orphan would keep a dead import's transaction, and the writers' lock, open.

A file that cannot be read to its end (a truncated .gz) or a store that cannot be written (a
full disk) stops the import with ImportFailed naming file, line and cause; every batch before
it stays committed, and running the same command again resumes after the last one.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from paperfeed.children import die_with_parent
from paperfeed.records import PaperRecord
from paperfeed.sources.jsonl import InputError, JsonlFile
from paperfeed.store.checkpoints import delete_checkpoint, get_checkpoint, set_checkpoint
from paperfeed.store.db import WriteBusy, write_tx
from paperfeed.store.write import WriteResult, write_records

BATCH = 10_000
MAX_ERRORS_KEPT = 50
Progress = Callable[[int, int], None]  # (bytes read from the file on disk, records stored)
AfterBatch = Callable[[Connection, list[PaperRecord]], None]  # runs inside the batch's tx


class StrictError(ValueError):
    """--strict met a bad record: nothing of its batch was written."""


class ImportFailed(RuntimeError):
    """The file could not be read on, or the store not written: what was committed stays."""

    def __init__(self, message: str, report: ImportReport) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class ImportReport:
    path: str
    lines: int = 0
    skipped_bad: int = 0
    resumed_at: int = 0
    written: WriteResult = field(default_factory=WriteResult)
    errors: list[str] = field(default_factory=list)  # "file:line: reason", first few

    def note_error(self, msg: str) -> None:
        self.skipped_bad += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(msg)


@dataclass
class _Batch:
    last_line: int
    bytes_read: int
    lines: int
    records: list[PaperRecord]
    errors: list[str]
    fatal: str | None = None  # the file cannot be read past this batch: why


def checkpoint_key(path: Path) -> str:
    """Identifies this exact file: a changed file starts over."""
    st = path.stat()
    return f"import:{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def _batches(path: Path, skip: int, batch_size: int) -> Iterator[_Batch]:
    """Parse the file into batches of valid records plus the errors met on the way."""
    src = JsonlFile(path)
    b = _Batch(skip, 0, 0, [], [])
    try:
        for line in src.lines(skip=skip):
            b.lines += 1
            b.last_line = line.number
            if line.record is None:
                b.errors.append(f"{path}:{line.number}: {line.error}")
            else:
                b.records.append(line.record)
            if len(b.records) >= batch_size:
                b.bytes_read = src.bytes_read
                yield b
                b = _Batch(b.last_line, 0, 0, [], [])
    except InputError as e:
        b.fatal = str(e)
    b.bytes_read = src.bytes_read if b.fatal else src.size
    yield b


def _produce(path: Path, skip: int, batch_size: int, out: mp.Queue, parent: int) -> None:
    """Child process: parse and hand batches over; stop if the parent dies (e.g. kill -9)."""
    die_with_parent(parent)
    try:
        for b in _batches(path, skip, batch_size):
            while True:
                try:
                    out.put(b, timeout=1.0)
                    break
                except queue.Full:
                    if os.getppid() != parent:
                        return
    except Exception as e:  # reported by the parent, which has the console
        out.put(e)
    out.put(None)


def _parallel_batches(path: Path, skip: int, batch_size: int) -> Iterator[_Batch]:
    ctx = mp.get_context("fork") if hasattr(os, "fork") else mp.get_context()
    q: mp.Queue = ctx.Queue(maxsize=3)
    child = ctx.Process(target=_produce, args=(path, skip, batch_size, q, os.getpid()),
                        daemon=True)
    child.start()
    try:
        while (item := q.get()) is not None:
            if isinstance(item, Exception):
                raise item
            yield item
    finally:
        child.kill()
        child.join()


def import_file(
    engine: Engine,
    path: Path,
    *,
    strict: bool = False,
    batch_size: int = BATCH,
    progress: Progress | None = None,
    after_batch: AfterBatch | None = None,
    parallel: bool = True,
) -> ImportReport:
    """Import one file into the store; see the module docstring for the guarantees."""
    key = checkpoint_key(path)
    with engine.connect() as conn:
        done = (get_checkpoint(conn, key) or {}).get("line", 0)
    report = ImportReport(str(path), resumed_at=done)
    batches = _parallel_batches if parallel else _batches
    stored = 0
    for b in batches(path, done, batch_size):
        report.lines += b.lines
        if b.errors and strict:
            raise StrictError(f"{b.errors[0]} (--strict: nothing of this batch was written)")
        for e in b.errors:
            report.note_error(e)
        try:
            with write_tx(engine) as conn:
                report.written.add(write_records(conn, b.records))
                if after_batch is not None:
                    after_batch(conn, b.records)
                set_checkpoint(conn, key, {"line": b.last_line})
        except (OperationalError, WriteBusy, OSError) as e:
            raise ImportFailed(_write_failure(path, done, b.last_line, e), report) from e
        stored += len(b.records)
        if progress:
            progress(b.bytes_read, stored)
        done = b.last_line
        if b.fatal:
            kept = f"lines up to {done:,} are stored" if done else "nothing is stored"
            raise ImportFailed(f"{b.fatal}; {kept} (import a complete copy to go on)", report)
    with write_tx(engine) as conn:
        delete_checkpoint(conn, key)
    return report


def _write_failure(path: Path, done: int, last: int, e: Exception) -> str:
    cause = (str(getattr(e, "orig", None) or e).strip().splitlines() or [type(e).__name__])[0]
    kept = f"lines up to {done:,} are stored" if done else "nothing of it is stored"
    return (f"{path}:{done + 1:,}-{last:,}: cannot write to the database ({cause}); {kept}; "
            "run the same command again to resume there (first free disk space if it is full)")
