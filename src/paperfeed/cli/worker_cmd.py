"""`paperfeed worker`: keep a database fresh on a schedule (fetch, index, digest)."""

from __future__ import annotations

import datetime as dt
import logging
import sys
import time

import typer
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from paperfeed import clock
from paperfeed.cli.common import console, echo_json, err, fail, state
from paperfeed.config import setting
from paperfeed.worker.schedule import (
    EXAMPLE,
    JOBS,
    SCHEDULE_ENV,
    SOURCES_ENV,
    ConfigError,
    Entry,
    Source,
    parse_schedule,
    parse_sources,
    run_key,
)

LEASE_ENV = "PAPERFEED_WORKER_LEASE"


def _config(jobs: list[str] | None) -> tuple[list[Entry], list[Source], dt.timedelta]:
    """The schedule (restricted to `jobs`), the sources and the lease, or a clear error."""
    try:
        schedule = parse_schedule(setting(SCHEDULE_ENV) or "")
        sources = parse_sources(setting(SOURCES_ENV) or "")
    except ConfigError as e:
        fail(str(e))
        raise
    raw = setting(LEASE_ENV) or ""
    try:
        lease = float(raw)
        if lease < 5:
            raise ValueError
    except ValueError:
        fail(f"{LEASE_ENV}={raw!r} is not a number of seconds (at least 5), e.g. 300")
        raise
    if jobs:
        unknown = [j for j in jobs if j not in JOBS]
        if unknown:
            fail(f"unknown job {unknown[0]!r}; jobs are {', '.join(JOBS)}")
        scheduled = {e.job for e in schedule}
        off = [j for j in jobs if j not in scheduled]
        if off:
            fail(f"job {off[0]!r} is not in {SCHEDULE_ENV} "
                 f"({setting(SCHEDULE_ENV)!r}): schedule it to run it")
        schedule = [e for e in schedule if e.job in jobs]
    return schedule, sources, dt.timedelta(seconds=lease)


def _open_engine() -> Engine:
    """Open (and migrate) the database; workers started together on a new database take
    turns creating the schema (store/migrate.py holds a lock while migrating)."""
    from paperfeed.store import DatabaseError, describe, open_store

    try:
        engine = open_store(state.db)
    except (DatabaseError, SQLAlchemyError) as e:
        fail(f"cannot open the database {state.db or '(default)'}: {e}\n"
             "Check --db or PAPERFEED_DATABASE_URL.")
        raise
    err.print(f"[dim]database: {describe(engine)}[/dim]")
    state._engine = engine
    return engine


def _logging(worker_id: str, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    fmt = logging.Formatter(f"%(asctime)s {worker_id} %(levelname)s %(message)s",
                            datefmt="%Y-%m-%dT%H:%M:%SZ")
    fmt.converter = time.gmtime
    handler.setFormatter(fmt)
    log = logging.getLogger("paperfeed.worker")
    log.handlers[:] = [handler]
    log.setLevel(logging.DEBUG if verbose else logging.INFO)
    log.propagate = False


def _status(schedule: list[Entry], sources: list[Source], as_json: bool) -> None:
    from paperfeed.worker import slots

    engine = state.engine()
    now = clock.now()
    jobs = []
    for e in schedule:
        key = run_key(e.when.slot_at(now))
        row = slots.slot_row(engine, e.job, key)
        jobs.append({"job": e.job, "when": str(e.when), "slot": key,
                     "slot_status": row["status"] if row else "due",
                     "next": run_key(e.when.next_after(now))})
    recent = slots.recent_runs(engine, 20)
    if as_json:
        echo_json({"jobs": jobs, "sources": [str(s) for s in sources], "recent": recent})
        return
    console.print(f"sources: {' '.join(str(s) for s in sources) or '(none)'}", highlight=False)
    for j in jobs:
        console.print(f"[bold]{j['job']}[/bold] {j['when']}: slot {j['slot']} "
                      f"{j['slot_status']}, next {j['next']}", highlight=False)
    for r in recent:
        summary = (r["result"] or {}).get("summary", "") if isinstance(r["result"], dict) else ""
        console.print(f"  {r['job']} {r['run_key']} {r['status']} by {r['worker']} "
                      f"(attempt {r['attempts']}) {summary} {r['error'] or ''}".rstrip(),
                      highlight=False, markup=False)


def worker_command(
    once: bool = typer.Option(False, "--once", help="Run each job's current slot (unless it "
                              "already ran) and exit; exit status 1 if a job failed."),
    job: list[str] = typer.Option(None, "--job", metavar="NAME",
                                  help="Only this job (repeatable): fetch, index or digest."),
    worker_id: str | None = typer.Option(None, "--worker-id", metavar="ID",
                                         help="This worker's name in worker_jobs "
                                         "(default host:pid); unique per worker."),
    status: bool = typer.Option(False, "--status", help="Show the schedule, each job's current "
                                "slot and the recent runs, then exit."),
    as_json: bool = typer.Option(False, "--json", help="With --status: print JSON."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log more."),
) -> None:
    """Keep the database fresh: fetch sources, update indexes, send digests, on a schedule.

    The schedule is PAPERFEED_WORKER_SCHEDULE, jobs separated by `;`, times in UTC:

    [bold]fetch=every 30m; index=every 10m; digest=daily 03:00 weekdays[/bold]

    Each job is `every DURATION` (30m, 2h, 1h30m, 1d: slots counted from 00:00 UTC), `daily
    HH:MM [DAYS]` (DAYS: weekdays, weekends, mon-fri or mon,wed,fri) or `off`. Jobs: fetch
    (reads PAPERFEED_WORKER_SOURCES, e.g. [bold]rss:cs.LG,cs.CL hf oai:cs[/bold], then updates
    the lexical index), index (lookups, lexical, claims, vectors: as `paperfeed index update`),
    digest (email digests that are due).

    Run as many workers as you like on one database (PostgreSQL across machines): each slot
    runs once; a slot whose worker stopped heartbeating for PAPERFEED_WORKER_LEASE seconds is
    taken over. SIGTERM or Ctrl-C finishes the running job, then exits. See docs/worker.md.
    """
    from paperfeed.worker.runner import Worker, default_worker_id, stop_on_signals

    schedule, sources, lease = _config(job)
    if status:
        _status(schedule, sources, as_json)
        return
    wid = worker_id or default_worker_id()
    _logging(wid, verbose)
    if not schedule:
        fail(f"nothing to run: every job is off in {SCHEDULE_ENV} (e.g. '{EXAMPLE}')")
    worker = Worker(_open_engine(), schedule, sources=sources, worker_id=wid, lease=lease)
    with stop_on_signals(worker):
        if once:
            outcomes = worker.run_due()
            if any(o.status == "failed" for o in outcomes):
                raise typer.Exit(1)
            return
        worker.run_forever()
