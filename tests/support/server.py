"""A real `paperfeed serve` process for tests: started on a free port, stopped after."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(argv: list[str], env: dict[str, str], log_path: Path) -> Iterator[str]:
    """Run `argv` (a serve command whose last argument is the port) until /about answers;
    yield the base URL. The server's output goes to `log_path`."""
    port = argv[-1]
    log = log_path.open("wb")
    proc = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/about", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"server exited: {log_path.read_text()}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def prepared_store(tmp: Path, secret: str, fill: Callable[[Engine], None]
                   ) -> tuple[Path, dict[str, str]]:
    """A SQLite database under `tmp` filled by `fill(engine)` with its indexes built beside it,
    and the environment a server over it needs: (database path, env)."""
    from paperfeed.index.refresh import refresh
    from paperfeed.store import open_store

    db = tmp / "paperfeed.sqlite"
    env = {**os.environ, "PAPERFEED_SECRET_KEY": secret, "PAPERFEED_INDEX_DIR": str(tmp / "index")}
    os.environ["PAPERFEED_INDEX_DIR"] = env["PAPERFEED_INDEX_DIR"]
    try:
        engine = open_store(str(db))
        fill(engine)
        refresh(engine, slow=False)
        engine.dispose()
    finally:
        del os.environ["PAPERFEED_INDEX_DIR"]
    return db, env
