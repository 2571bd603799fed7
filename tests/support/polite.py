"""A fast PoliteClient for tests, and the check that requests arrived spaced out."""

from __future__ import annotations

import itertools

from paperfeed.sources.http import PoliteClient
from support.fixture_server import Request

INTERVAL = 0.05
SLACK = 0.02  # arrival times jitter by a few ms under load; bunched requests miss by far more


def client(**kw: object) -> PoliteClient:
    """A client as arXiv's but with a short interval and quick backoff."""
    kw.setdefault("max_retries", 2)
    kw.setdefault("backoff", 0.01)
    return PoliteClient(INTERVAL, **kw)  # type: ignore[arg-type]


def assert_spaced(requests: list[Request]) -> None:
    """Arrivals INTERVAL apart: exactly on average, each gap within scheduling jitter."""
    at = [r.at for r in requests]
    gaps = [b - a for a, b in itertools.pairwise(at)]
    assert at[-1] - at[0] >= (len(at) - 1) * INTERVAL - SLACK, gaps
    # Requests sent without waiting come ms apart. One arrival recorded late under load (CI
    # saw 83 ms then 18 ms) shortens the next gap but not the two together.
    assert min(gaps) >= INTERVAL / 4, gaps
    assert all(a + b >= 2 * INTERVAL - SLACK for a, b in itertools.pairwise(gaps)), gaps
