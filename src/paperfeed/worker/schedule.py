"""The worker's schedule and sources, parsed from two settings (grammar in docs/worker.md).

PAPERFEED_WORKER_SCHEDULE, e.g. `fetch=every 30m; index=every 10m; digest=daily 03:00 weekdays`:

    schedule := entry (";" entry)*          entry := JOB "=" when
    when     := "every" DURATION            e.g. every 30m, every 1h30m, every 1d
              | "daily" HH:MM [DAYS]        e.g. daily 03:00, daily 06:30 mon-fri
              | "off"                        the job does not run
    DAYS     := weekdays | weekends | DAY[-DAY][,DAY[-DAY]...]    (mon tue wed thu fri sat sun)

Times are UTC. Each run has a slot: for `every D` the slots are multiples of D counted from
1970-01-01 00:00 UTC (so `every 30m` runs at :00 and :30); for `daily` the slot is that time of
each chosen day. A worker runs the latest slot that has begun, once (missed earlier slots are
not replayed).

PAPERFEED_WORKER_SOURCES, e.g. `rss:cs.LG,cs.CL hf oai:cs`: what the fetch job reads.

    rss:CAT[,CAT...]   today's arXiv announcements of those categories (one request)
    hf                 today's Hugging Face Daily Papers (upvotes, comments, code links)
    oai[:SET]          an incremental OAI-PMH harvest of an arXiv set (e.g. cs, physics:hep-th)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from paperfeed.sources.registry import parse_item

SCHEDULE_ENV = "PAPERFEED_WORKER_SCHEDULE"
SOURCES_ENV = "PAPERFEED_WORKER_SOURCES"
JOBS = ("fetch", "index", "digest")
DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
EXAMPLE = "fetch=every 30m; index=every 10m; digest=daily 03:00 weekdays"
_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?$")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


class ConfigError(ValueError):
    """A worker setting does not parse; the message names the setting and shows an example."""


def _err(env: str, msg: str, example: str) -> ConfigError:
    return ConfigError(f"{env}: {msg} (example: {env}='{example}')")


@dataclass(frozen=True)
class Every:
    """Every `interval`, on multiples of it counted from the epoch (UTC)."""

    interval: dt.timedelta

    def slot_at(self, now: dt.datetime) -> dt.datetime:
        n = (now - EPOCH) // self.interval
        return EPOCH + n * self.interval

    def next_after(self, now: dt.datetime) -> dt.datetime:
        return self.slot_at(now) + self.interval

    def __str__(self) -> str:
        s = int(self.interval.total_seconds())
        d, s = divmod(s, 86400)
        h, s = divmod(s, 3600)
        return "every " + "".join(f"{v}{u}" for v, u in ((d, "d"), (h, "h"), (s // 60, "m"))
                                  if v)


@dataclass(frozen=True)
class Daily:
    """At `at` (UTC) on each of `days` (0 = Monday)."""

    at: dt.time
    days: frozenset[int] = frozenset(range(7))

    def _on(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.at, tzinfo=dt.UTC)

    def slot_at(self, now: dt.datetime) -> dt.datetime:
        for back in range(8):
            t = self._on(now.date() - dt.timedelta(days=back))
            if t <= now and t.weekday() in self.days:
                return t
        raise AssertionError("a daily schedule has at least one day")

    def next_after(self, now: dt.datetime) -> dt.datetime:
        for ahead in range(8):
            t = self._on(now.date() + dt.timedelta(days=ahead))
            if t > now and t.weekday() in self.days:
                return t
        raise AssertionError("a daily schedule has at least one day")

    def __str__(self) -> str:
        days = "" if len(self.days) == 7 else " " + ",".join(
            DAY_NAMES[d] for d in sorted(self.days))
        return f"daily {self.at:%H:%M}{days}"


When = Every | Daily


@dataclass(frozen=True)
class Entry:
    job: str
    when: When


def run_key(slot: dt.datetime) -> str:
    """A slot as stored in worker_jobs.run_key: 2026-11-23T17:30Z."""
    return slot.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")


def _duration(raw: str) -> dt.timedelta:
    m = _DURATION.match(raw)
    if not raw or not m or not any(m.groups()):
        raise ValueError(f"{raw!r} is not a duration like 30m, 2h, 1h30m or 1d")
    d, h, mins = (int(g or 0) for g in m.groups())
    interval = dt.timedelta(days=d, hours=h, minutes=mins)
    if interval < dt.timedelta(minutes=1):
        raise ValueError(f"{raw!r} is shorter than a minute")
    return interval


def _days(raw: str) -> frozenset[int]:
    if raw == "weekdays":
        return frozenset(range(5))
    if raw == "weekends":
        return frozenset({5, 6})
    days: set[int] = set()
    for part in raw.split(","):
        a, _, b = part.partition("-")
        if a not in DAY_NAMES or (b and b not in DAY_NAMES):
            raise ValueError(f"{raw!r} is not a list of days like weekdays, mon-fri or "
                             "mon,wed,fri")
        i, j = DAY_NAMES.index(a), DAY_NAMES.index(b or a)
        days.update(range(i, j + 1) if i <= j else [*range(i, 7), *range(0, j + 1)])
    return frozenset(days)


def _when(raw: str) -> When | None:
    words = raw.lower().split()
    if words == ["off"]:
        return None
    if len(words) == 2 and words[0] == "every":
        return Every(_duration(words[1]))
    if words and words[0] == "daily" and len(words) in (2, 3):
        m = _TIME.match(words[1])
        if not m:
            raise ValueError(f"{words[1]!r} is not a time of day like 03:00 (UTC)")
        at = dt.time(int(m.group(1)), int(m.group(2)))
        return Daily(at, _days(words[2])) if len(words) == 3 else Daily(at)
    raise ValueError(f"{raw.strip()!r} is not `every DURATION`, `daily HH:MM [DAYS]` or `off`")


def parse_schedule(raw: str, env: str = SCHEDULE_ENV) -> list[Entry]:
    """The schedule's entries in the order given (jobs set `off` left out)."""
    entries: list[Entry] = []
    seen: set[str] = set()
    for part in (p.strip() for p in raw.split(";")):
        if not part:
            continue
        job, eq, spec = (s.strip() for s in part.partition("="))
        if not eq:
            raise _err(env, f"{part!r} is not JOB=WHEN", EXAMPLE)
        if job not in JOBS:
            raise _err(env, f"unknown job {job!r}; jobs are {', '.join(JOBS)}", EXAMPLE)
        if job in seen:
            raise _err(env, f"job {job!r} is scheduled twice", EXAMPLE)
        seen.add(job)
        try:
            when = _when(spec)
        except ValueError as e:
            raise _err(env, f"{job}: {e}", EXAMPLE) from None
        if when is not None:
            entries.append(Entry(job, when))
    return entries


@dataclass(frozen=True)
class Source:
    kind: str  # rss | hf | oai
    arg: tuple[str, ...] = ()  # categories for rss, the set (or nothing) for oai

    def __str__(self) -> str:
        if self.kind == "rss":
            return "rss:" + ",".join(self.arg)
        return self.kind + (":" + self.arg[0] if self.arg else "")


SOURCES_EXAMPLE = "rss:cs.LG,cs.CL hf"


def parse_sources(raw: str, env: str = SOURCES_ENV) -> list[Source]:
    """What the fetch job reads, in the order given (the grammar: sources/registry.py)."""
    out: list[Source] = []
    for item in raw.replace(";", " ").split():
        try:
            spec, arg = parse_item(item)
        except ValueError as e:
            raise _err(env, str(e), SOURCES_EXAMPLE) from None
        out.append(Source(spec.name, arg))
    return out
