"""When digests are due: daily after each arXiv announcement, weekly on Mondays.

arXiv announces new papers at 20:00 US Eastern, Sunday to Thursday; each announcement is the
listing of the next day (Monday to Friday), which is the date papers carry as `announced`.
A daily digest's period is that listing date, due `PAPERFEED_DIGEST_DELAY_MINUTES` after the
announcement (time for the importer to fetch it); a weekly digest's period is the ISO week,
due after Monday's listing (Sunday 20:00 Eastern). Only the latest period is ever due: a worker
that was down for three days sends one digest, not three.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from paperfeed.config import float_setting

EASTERN = ZoneInfo("America/New_York")
ANNOUNCE_AT = dt.time(20, 0)
ANNOUNCE_DAYS = {6, 0, 1, 2, 3}  # Sunday..Thursday (Monday is 0)
LOOKBACK = {"daily": 4, "weekly": 8}  # days of listings a digest may draw from


def delay() -> dt.timedelta:
    return dt.timedelta(minutes=float_setting("PAPERFEED_DIGEST_DELAY_MINUTES"))


def latest_listing(now: dt.datetime, wait: dt.timedelta | None = None,
                   weekly: bool = False) -> dt.date:
    """The listing date of the latest announcement at least `wait` before `now`.

    Weekly: the latest Monday listing (announced Sunday evening).
    """
    local = (now - (delay() if wait is None else wait)).astimezone(EASTERN)
    day = local.date()
    for back in range(15):
        d = day - dt.timedelta(days=back)
        if d.weekday() not in ANNOUNCE_DAYS or (weekly and d.weekday() != 6):
            continue
        if dt.datetime.combine(d, ANNOUNCE_AT, EASTERN) <= local:
            return d + dt.timedelta(days=1)
    raise AssertionError("unreachable: an announcement happens every week")


def period_of(frequency: str, now: dt.datetime, wait: dt.timedelta | None = None
              ) -> tuple[str, dt.date]:
    """(period key, listing date) of the digest due now: ("daily:2026-11-23", date) or
    ("weekly:2026-W48", the Monday)."""
    if frequency == "weekly":
        monday = latest_listing(now, wait, weekly=True)
        year, week, _ = monday.isocalendar()
        return f"weekly:{year}-W{week:02d}", monday
    day = latest_listing(now, wait)
    return f"daily:{day.isoformat()}", day


def period_label(period: str) -> str:
    """daily:2026-11-23 -> Monday, 23 November 2026; weekly:2026-W48 -> week 48 of 2026."""
    kind, _, value = period.partition(":")
    if kind == "daily":
        d = dt.date.fromisoformat(value)
        return f"{d:%A}, {d.day} {d:%B %Y}"
    if kind == "weekly":
        year, _, week = value.partition("-W")
        return f"week {int(week)} of {year}"
    return value
