"""Claiming schedule slots in `worker_jobs`, so that several workers never run one twice.

A worker claims (job, run_key) by INSERTing its row: the primary key lets exactly one insert
win, on PostgreSQL across machines and on SQLite across processes. The holder heartbeats while
it runs and records the outcome. A `running` row whose heartbeat is older than the lease
belongs to a worker that died: another worker takes it over with a conditional UPDATE
(attempts + 1), which again only one can win. A job never runs twice at once: while a live
run of it holds an earlier slot (it overran), the next slot waits for it. Every later write
by a holder names the worker and the attempt it claimed, so a worker that was taken over
cannot overwrite its successor.

Times are UTC ISO strings of one fixed width (they compare as text); workers on several
machines should keep their clocks in sync (NTP), well within the lease.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, text

from paperfeed.store.db import is_sqlite


@dataclass(frozen=True)
class Claim:
    job: str
    run_key: str
    worker: str
    attempts: int  # 1 for a fresh slot, more when taken over from a dead worker

    @property
    def taken_over(self) -> bool:
        return self.attempts > 1


def stamp(t: dt.datetime) -> str:
    """2026-11-23T17:30:00.000000+00:00: fixed width, so text order is time order."""
    return t.astimezone(dt.UTC).isoformat(timespec="microseconds")


def parse_stamp(s: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(s)
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


@contextmanager
def _tx(engine: Engine) -> Iterator[Connection]:
    """A short transaction that takes SQLite's write lock up front (no upgrade deadlocks)."""
    if is_sqlite(engine):
        with engine.connect().execution_options(sqlite_begin="IMMEDIATE") as conn, \
                conn.begin():
            yield conn
    else:
        with engine.begin() as conn:
            yield conn


_MINE = "job = :j AND run_key = :k AND worker = :w AND attempts = :a AND status = 'running'"


def try_claim(engine: Engine, job: str, key: str, worker: str, now: dt.datetime,
              lease: dt.timedelta) -> Claim | None:
    """Claim the slot: a new row, or a running one whose holder stopped heartbeating."""
    params: dict[str, Any] = {"j": job, "k": key, "w": worker, "now": stamp(now),
                              "stale": stamp(now - lease)}
    with _tx(engine) as conn:
        if _busy(conn, params):
            return None
        # earlier slots of this job whose worker died are past: say so (the current one
        # is taken over below)
        conn.execute(text(
            "UPDATE worker_jobs SET status = 'failed', finished_at = :now, "
            "error = 'abandoned: its worker stopped heartbeating' WHERE job = :j "
            "AND run_key < :k AND status = 'running' AND heartbeat_at < :stale"), params)
        inserted = conn.execute(text(
            "INSERT INTO worker_jobs (job, run_key, worker, status, started_at, heartbeat_at, "
            "attempts) VALUES (:j, :k, :w, 'running', :now, :now, 1) "
            "ON CONFLICT (job, run_key) DO NOTHING"), params).rowcount
    if inserted == 1:
        return Claim(job, key, worker, 1)
    with _tx(engine) as conn:
        if _busy(conn, params):
            return None
        taken = conn.execute(text(
            "UPDATE worker_jobs SET worker = :w, status = 'running', started_at = :now, "
            "heartbeat_at = :now, finished_at = NULL, result = NULL, error = NULL, "
            "attempts = attempts + 1 "
            "WHERE job = :j AND run_key = :k AND status = 'running' AND heartbeat_at < :stale"),
            params).rowcount
        if taken != 1:
            return None
        attempts = conn.execute(text(
            "SELECT attempts FROM worker_jobs WHERE job = :j AND run_key = :k"),
            params).scalar_one()
    return Claim(job, key, worker, int(attempts))


_BUSY = ("SELECT job, run_key, worker, heartbeat_at FROM worker_jobs WHERE job = :j "
         "AND run_key <> :k AND status = 'running' AND heartbeat_at >= :stale")


def _busy(conn: Connection, params: dict[str, Any]) -> bool:
    """Whether the job still runs, alive, for an earlier slot (a job never runs twice at once)."""
    return conn.execute(text(_BUSY + " LIMIT 1"), params).first() is not None


def running_elsewhere(engine: Engine, job: str, key: str, now: dt.datetime,
                      lease: dt.timedelta) -> dict[str, Any] | None:
    """The live run of `job` for another slot that keeps this slot waiting, if any."""
    with engine.connect() as conn:
        row = conn.execute(text(_BUSY + " ORDER BY run_key DESC LIMIT 1"),
                           {"j": job, "k": key, "stale": stamp(now - lease)}).mappings().first()
    return dict(row) if row else None


def heartbeat(engine: Engine, claim: Claim, now: dt.datetime) -> bool:
    """Say the holder is alive; False when the slot is no longer ours (taken over)."""
    with _tx(engine) as conn:
        return conn.execute(text(f"UPDATE worker_jobs SET heartbeat_at = :now WHERE {_MINE}"),
                            _params(claim, now=stamp(now))).rowcount == 1


def finish(engine: Engine, claim: Claim, now: dt.datetime, ok: bool,
           result: dict[str, Any] | None, error: str | None) -> bool:
    """Record the outcome; False when the slot was taken over meanwhile (nothing written)."""
    with _tx(engine) as conn:
        return conn.execute(text(
            "UPDATE worker_jobs SET status = :s, finished_at = :now, heartbeat_at = :now, "
            f"result = :r, error = :e WHERE {_MINE}"),
            _params(claim, s="done" if ok else "failed", now=stamp(now),
                    r=orjson.dumps(result, default=str).decode() if result is not None
                    else None, e=error)).rowcount == 1


def _params(claim: Claim, **extra: Any) -> dict[str, Any]:
    return {"j": claim.job, "k": claim.run_key, "w": claim.worker, "a": claim.attempts,
            **extra}


def slot_row(engine: Engine, job: str, key: str) -> dict[str, Any] | None:
    """The slot's row as a dict (result decoded), or None when nobody claimed it."""
    with engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM worker_jobs WHERE job = :j AND run_key = :k"),
                           {"j": job, "k": key}).mappings().first()
    return _decoded(row) if row else None


def recent_runs(engine: Engine, limit: int = 20) -> list[dict[str, Any]]:
    """The latest slots claimed, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM worker_jobs ORDER BY started_at DESC, job "
                                 "LIMIT :n"), {"n": limit}).mappings().all()
    return [_decoded(r) for r in rows]


def _decoded(row: Any) -> dict[str, Any]:
    d = dict(row)
    d["result"] = orjson.loads(d["result"]) if d.get("result") else None
    return d
