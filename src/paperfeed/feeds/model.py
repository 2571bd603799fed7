"""What a feed holds, independent of its format (RSS 2.0 or Atom 1.0)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Entry:
    """One paper in a feed. `id` is permanent and unique (the paper page's URL works)."""

    id: str
    title: str
    link: str
    summary: str
    published: datetime  # timezone-aware
    updated: datetime  # timezone-aware
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Feed:
    """A feed: `link` is the HTML page it mirrors, `self_url` the feed's own address."""

    id: str
    title: str
    link: str
    self_url: str
    subtitle: str
    updated: datetime  # timezone-aware
    entries: list[Entry] = field(default_factory=list)
