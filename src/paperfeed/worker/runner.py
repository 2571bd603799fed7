"""The worker loop: run each scheduled job's current slot once, sleep until the next slot.

Slots are claimed in `worker_jobs` (see slots.py), so any number of workers on any number of
machines can share one database: each slot runs once, and a slot whose worker died is taken
over after the lease. SIGTERM or SIGINT lets the running job finish, then the worker exits; a
second signal stops at once (the slot is then taken over after the lease).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import Any

from sqlalchemy import Engine

from paperfeed import clock
from paperfeed.worker import slots
from paperfeed.worker.jobs import JOB_FUNCTIONS, Job, JobContext, JobFailed
from paperfeed.worker.schedule import Entry, Source, run_key

log = logging.getLogger("paperfeed.worker")
Clock = Callable[[], dt.datetime]
MAX_NAP_S = 5.0  # the longest single sleep: a stop request is noticed within this


def default_worker_id() -> str:
    """host:pid, unique among the workers of a deployment."""
    return f"{socket.gethostname()}:{os.getpid()}"


utcnow = clock.now


@dataclass
class Outcome:
    job: str
    run_key: str
    status: str  # done | failed | skipped (someone else has or had it)
    summary: str = ""
    error: str | None = None
    seconds: float = 0.0
    attempts: int = 0


class Heartbeat:
    """Refreshes a claim's heartbeat from a thread while the job runs."""

    def __init__(self, engine: Engine, claim: slots.Claim, interval_s: float,
                 clock: Clock) -> None:
        self.engine, self.claim, self.interval_s, self.clock = engine, claim, interval_s, clock
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{claim.job}",
                                        daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                if not slots.heartbeat(self.engine, self.claim, self.clock()):
                    self.lost = True
                    log.warning("%s %s: another worker took this slot over (our heartbeat "
                                "was late); finishing, but the result is theirs to record",
                                self.claim.job, self.claim.run_key)
                    return
            except Exception as e:  # the database blinked: try again next beat
                log.warning("%s %s: heartbeat failed: %s", self.claim.job, self.claim.run_key, e)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


class Worker:
    """Runs `schedule` against `engine` as `worker_id`."""

    def __init__(self, engine: Engine, schedule: list[Entry], *, sources: list[Source],
                 worker_id: str | None = None, lease: dt.timedelta = dt.timedelta(minutes=5),
                 jobs: dict[str, Job] | None = None, clock: Clock = utcnow) -> None:
        self.engine, self.schedule, self.sources = engine, schedule, sources
        self.worker_id = worker_id or default_worker_id()
        self.lease = lease
        self.heartbeat_s = max(lease.total_seconds() / 5, 0.5)
        self.jobs = jobs or JOB_FUNCTIONS
        self.clock = clock
        self.stop = threading.Event()
        self._settled: set[tuple[str, str]] = set()  # slots done or failed (by anyone)
        self._recheck: dict[tuple[str, str], dt.datetime] = {}  # held elsewhere: look again

    # one pass --------------------------------------------------------------------------------

    def run_due(self) -> list[Outcome]:
        """Run every job whose current slot has not run yet (claimed first); one pass."""
        outcomes = []
        now = self.clock()
        current = {(e.job, run_key(e.when.slot_at(now))) for e in self.schedule}
        self._settled &= current  # older slots are past: forget them
        self._recheck = {k: t for k, t in self._recheck.items() if k in current}
        for entry in self.schedule:
            if self.stop.is_set():
                break
            now = self.clock()
            key = run_key(entry.when.slot_at(now))
            if (entry.job, key) in self._settled:
                continue
            outcome = self.run_slot(entry.job, key)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def run_slot(self, job: str, key: str) -> Outcome | None:
        """Claim and run one slot; None when another worker holds it and is alive."""
        claim = slots.try_claim(self.engine, job, key, self.worker_id, self.clock(), self.lease)
        if claim is None:
            row = slots.slot_row(self.engine, job, key)
            if row is not None and row["status"] != "running":
                self._settled.add((job, key))
                self._recheck.pop((job, key), None)
                why = f"already {row['status']} by {row['worker']}"
                log.info("%s %s skipped: %s", job, key, why)
                return Outcome(job, key, "skipped", why)
            if row is not None:
                self._recheck[(job, key)] = slots.parse_stamp(row["heartbeat_at"]) + self.lease
                log.info("%s %s skipped: running on %s (heartbeat %s)", job, key,
                         row["worker"], row["heartbeat_at"][:19])
                return None
            # the job still runs for an earlier slot: look again at its next heartbeat
            now = self.clock()
            other = slots.running_elsewhere(self.engine, job, key, now, self.lease)
            wait = dt.timedelta(seconds=self.heartbeat_s if other else 1)
            self._recheck[(job, key)] = now + wait
            if other:
                log.info("%s %s waits: %s still runs slot %s", job, key, other["worker"],
                         other["run_key"])
            return None
        self._recheck.pop((job, key), None)
        outcome = self._run(claim)
        self._settled.add((job, key))
        return outcome

    def _run(self, claim: slots.Claim) -> Outcome:
        ctx = JobContext(self.engine, self.clock(), self.sources)
        t0 = time.perf_counter()
        result: dict[str, Any] | None = None
        error: str | None = None
        with Heartbeat(self.engine, claim, self.heartbeat_s, self.clock) as hb:
            try:
                result = self.jobs[claim.job](ctx)
            except JobFailed as e:
                result, error = e.result, str(e)
            except Exception as e:
                log.debug("%s failed", claim.job, exc_info=True)
                error = f"{type(e).__name__}: {e}"
            except BaseException:  # a second Ctrl-C / SIGTERM: record it, then stop
                slots.finish(self.engine, claim, self.clock(), False, None, "interrupted")
                raise
        seconds = time.perf_counter() - t0
        ok = error is None
        recorded = slots.finish(self.engine, claim, self.clock(), ok, result, error)
        summary = str((result or {}).get("summary", ""))
        over = " (taken over from a stopped worker)" if claim.taken_over else ""
        line = (f"{claim.job} {claim.run_key} {'done' if ok else 'FAILED'} in {seconds:.1f}s"
                f"{over}: {summary}" + (f" — error: {error}" if error else ""))
        (log.info if ok else log.error)(line)
        if not recorded or hb.lost:
            log.warning("%s %s: the slot was taken over meanwhile; our outcome was not "
                        "recorded", claim.job, claim.run_key)
        return Outcome(claim.job, claim.run_key, "done" if ok else "failed", summary, error,
                       seconds, claim.attempts)

    # the loop --------------------------------------------------------------------------------

    def next_wake(self) -> dt.datetime:
        """When something may be due: the next slot of any job, or a held slot going stale."""
        now = self.clock()
        times = []
        for e in self.schedule:
            slot = (e.job, run_key(e.when.slot_at(now)))
            # a slot that began while another job ran is due now
            pending = slot not in self._settled and slot not in self._recheck
            times.append(now if pending else e.when.next_after(now))
        times += [t + dt.timedelta(seconds=1) for t in self._recheck.values()]
        return min(times) if times else now + dt.timedelta(hours=1)

    def sleep_until(self, when: dt.datetime) -> None:
        while not self.stop.is_set():
            left = (when - self.clock()).total_seconds()
            if left <= 0:
                return
            self.stop.wait(min(left, MAX_NAP_S))

    def run_forever(self) -> None:
        """Run due jobs, sleep until the next slot, until `stop` is set."""
        jobs = ", ".join(f"{e.job}={e.when}" for e in self.schedule)
        log.info("worker started: %s", jobs or "nothing scheduled")
        while not self.stop.is_set():
            self.run_due()
            if self.stop.is_set():
                break
            wake = self.next_wake()
            log.debug("sleeping until %s", wake.isoformat(timespec="seconds"))
            self.sleep_until(wake)
        log.info("worker stopped")


@contextmanager
def stop_on_signals(worker: Worker) -> Iterator[None]:
    """SIGTERM/SIGINT: finish the current job, then stop; a second signal stops at once."""
    previous = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT)}

    def first(signum: int, frame: FrameType | None) -> None:
        log.info("got %s: stopping after the current job (again to stop now)",
                 signal.Signals(signum).name)
        worker.stop.set()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_interrupt)

    for s in previous:
        signal.signal(s, first)
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt
