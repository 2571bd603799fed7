"""The one clock: now, ISO text both ways, inclusive periods."""

from __future__ import annotations

import datetime as dt

import pytest

from paperfeed import clock


def test_now_and_iso_are_utc_to_the_second() -> None:
    t = clock.now()
    assert t.tzinfo is not None and t.utcoffset() == dt.timedelta(0)
    assert clock.iso(dt.datetime(2026, 11, 23, 23, 30, 5, 999, tzinfo=dt.timezone(
        dt.timedelta(hours=1)))) == "2026-11-23T22:30:05+00:00"
    assert clock.parse_instant(clock.now_iso()) is not None


def test_parsing_accepts_dates_z_and_offsets_and_rejects_the_rest() -> None:
    utc = dt.UTC
    assert clock.parse_instant("2026-11-23") == dt.datetime(2026, 11, 23, tzinfo=utc)
    assert clock.parse_instant("2026-11-23T22:00:00Z") == dt.datetime(2026, 11, 23, 22,
                                                                       tzinfo=utc)
    assert clock.parse_instant("2026-11-24T00:00:00+02:00") == dt.datetime(2026, 11, 23, 22,
                                                                            tzinfo=utc)
    assert clock.parse_instant("yesterday") is None and clock.parse_instant(None) is None
    with pytest.raises(ValueError, match="--now 'soon' is not an ISO date and time"):
        clock.require_instant("soon", "--now")


def test_periods_include_both_ends() -> None:
    d = dt.date(2026, 2, 11)  # a Wednesday
    assert clock.period(d, "day") == (d, d)
    assert clock.period(d, "week") == (dt.date(2026, 2, 9), dt.date(2026, 2, 15))
    assert clock.period(d, "month") == (dt.date(2026, 2, 1), dt.date(2026, 2, 28))
    assert clock.period(dt.date(2026, 12, 31), "month")[1] == dt.date(2026, 12, 31)
    assert clock.day_after(dt.date(2026, 2, 28)) == dt.date(2026, 3, 1)
