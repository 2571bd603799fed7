"""Time, written once: the current instant, ISO text both ways, inclusive date ranges.

Everything stored is UTC ISO 8601 text with second precision ("2026-11-23T22:00:00+00:00");
a bare date stands for 00:00 UTC. Date ranges people type (`--since`/`--until`, a week, a month)
include both ends; SQL compares the end with the day after it (`day_after`), so timestamps
within the last day count.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

Span = Literal["day", "week", "month"]


def now() -> dt.datetime:
    """The current instant, timezone-aware UTC (the one clock of every module)."""
    return dt.datetime.now(dt.UTC)


def iso(t: dt.datetime) -> str:
    """`t` as stored: UTC, to the second."""
    return t.astimezone(dt.UTC).isoformat(timespec="seconds")


def now_iso() -> str:
    return iso(now())


def parse_instant(raw: str | None) -> dt.datetime | None:
    """An ISO date or datetime ("Z" allowed) as aware UTC; None when empty or malformed."""
    if not raw:
        return None
    try:
        t = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)


def require_instant(raw: str, what: str = "time") -> dt.datetime:
    """parse_instant, or a ValueError naming `what` and the expected form."""
    t = parse_instant(raw)
    if t is None:
        raise ValueError(f"{what} {raw!r} is not an ISO date and time "
                         "(e.g. 2026-11-23T22:00:00Z)")
    return t


def day_after(day: dt.date) -> dt.date:
    """The exclusive end of an inclusive range ending on `day`."""
    return day + dt.timedelta(days=1)


def period(day: dt.date, span: Span) -> tuple[dt.date, dt.date]:
    """The first and last day (inclusive) of `day` itself, its ISO week (Monday first) or its
    month."""
    if span == "week":
        start = day - dt.timedelta(days=day.weekday())
        return start, start + dt.timedelta(days=6)
    if span == "month":
        start = day.replace(day=1)
        nxt = (start + dt.timedelta(days=32)).replace(day=1)
        return start, nxt - dt.timedelta(days=1)
    return day, day
