"""What every derived index offers the one refresh sequence (`paperfeed.index.refresh`).

A derived index is data computed from `papers` and caught up by `papers.seq`: its watermark is
its row in `index_state` (store/index_state.py). It offers three operations:

- `pending(engine, opts)`: how much a catch-up would do (0: up to date; None: unknown, e.g.
  never built), cheap;
- `catch_up(engine, opts, tick)`: do it, calling `tick(done)` as it goes; return how many;
- `rebuild(engine, opts, tick)`: the same from nothing.

Long-lived readers of file indexes (LexicalIndex, VectorIndex with readonly=True) have a
fourth, `refresh()`: a throttled look at the row, reloading when a writer moved it.
To add an index: define `DERIVED = Derived(...)` in its module and add one line to
`index/registry.py`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

Tick = Callable[[int], None]


@dataclass
class Options:
    """What a refresh was asked for, shared by its steps."""

    model: str | None = None  # embedding model name (default: PAPERFEED_EMBED_MODEL)
    cache: dict[str, Any] = field(default_factory=dict)  # e.g. the loaded embedder
    workers: int = 1  # processes a CPU-bound catch-up may use (claims extraction)

    def embedder(self) -> Any:
        """The embedding model, loaded once per refresh."""
        if "embedder" not in self.cache:
            from paperfeed.index.embed import default_model, get_embedder, load_builtin_embedders

            load_builtin_embedders()
            self.cache["embedder"] = get_embedder(self.model or default_model())
        return self.cache["embedder"]


@dataclass(frozen=True)
class Derived:
    name: str  # short key: `refresh(..., only=["lexical"])`, result keys, log lines
    label: str  # as shown to people: "lexical index"
    verb: str  # what catching up does to a paper: "indexed", "extracted", "embedded"
    pending: Callable[[Engine, Options], int | None]
    catch_up: Callable[[Engine, Options, Tick | None], int]
    rebuild: Callable[[Engine, Options, Tick | None], int]
    slow: bool = False  # needs a model (embedding): `refresh(..., slow=False)` skips it
    unit: str = "papers"  # what `done` counts


REFRESH_EVERY = 0.5  # seconds between a reader's looks at its index_state row


class Watch:
    """A reader's throttled look at what writers did: `changed()` is True when `stamp()` (e.g.
    its index_state row) differs from the last one seen, asking at most every `every` s."""

    def __init__(self, stamp: Callable[[], object], every: float = REFRESH_EVERY) -> None:
        self.stamp, self.every = stamp, every
        self.seen = stamp()
        self.checked = time.monotonic()

    def changed(self, force: bool = False) -> bool:
        now = time.monotonic()
        if not force and now - self.checked < self.every:
            return False
        self.checked = now
        stamp = self.stamp()
        if stamp == self.seen and not force:
            return False
        self.seen = stamp
        return True
