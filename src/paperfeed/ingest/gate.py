"""A request gate shared through the database: one arXiv request every N seconds per deployment.

Every process (web, worker, CLI, on any machine of a PostgreSQL deployment) that talks to arXiv
asks this gate first; the last request time lives in the database, updated under the writers'
lock, so the interval holds across all of them.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Engine

from paperfeed.store.checkpoints import get_checkpoint, set_checkpoint
from paperfeed.store.db import write_tx


class DatabaseGate:
    """Blocks until `min_interval` seconds have passed since any process's last request."""

    def __init__(self, engine: Engine, name: str, min_interval: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.engine, self.key, self.min_interval = engine, f"gate:{name}", min_interval
        self._sleep = sleep

    def wait(self) -> None:
        while True:
            with write_tx(self.engine) as conn:
                last = float(get_checkpoint(conn, self.key) or 0.0)
                now = time.time()
                delay = last + self.min_interval - now
                if delay <= 0:
                    set_checkpoint(conn, self.key, now)
                    return
            self._sleep(delay)
