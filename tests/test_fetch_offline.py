"""Fetching without a network (issue #14): a clear message within the timeout, never silence."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.paths import ROOT


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(srv.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    yield srv.getsockname()[1]
    stop.set()
    t.join(2)
    for s in held:
        s.close()
    srv.close()


@pytest.fixture
def closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = int(s.getsockname()[1])
    s.close()  # nothing listens here now: connections are refused
    return port


def fetch_hf(tmp_path: Path, port: int, retries: int) -> tuple[subprocess.CompletedProcess[str],
                                                                  float]:
    env = {**os.environ, "PAPERFEED_DATABASE_URL": str(tmp_path / "db.sqlite"),
           "PAPERFEED_INDEX_DIR": str(tmp_path / "index"),
           "PAPERFEED_HF_URL": f"http://127.0.0.1:{port}", "PAPERFEED_HF_MIN_INTERVAL": "0",
           "PAPERFEED_HTTP_TIMEOUT": "1", "PAPERFEED_HTTP_RETRIES": str(retries)}
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "paperfeed", "fetch", "hf", "--date", "2026-01-05"],
                       env=env, cwd=ROOT, capture_output=True, text=True, timeout=90)
    return r, time.monotonic() - t0


def test_a_silent_server_times_out_with_a_clear_message(tmp_path: Path,
                                                        silent_server: int) -> None:
    r, took = fetch_hf(tmp_path, silent_server, retries=1)
    err = " ".join(r.stderr.split())
    assert r.returncode == 1, r.stderr
    assert f"127.0.0.1:{silent_server}" in err
    assert "timed out: no answer within 1 s" in err
    assert "retry 1 of 1 in 5 s" in err  # said while it waits, not only at the end
    assert "giving up after 2 attempts" in err and "Traceback" not in r.stderr
    assert took < 60


def test_a_closed_port_fails_at_once_with_a_clear_message(tmp_path: Path,
                                                          closed_port: int) -> None:
    r, took = fetch_hf(tmp_path, closed_port, retries=0)
    err = " ".join(r.stderr.split())
    assert r.returncode == 1, r.stderr
    assert "cannot connect" in err and "is the network up?" in err
    assert "Traceback" not in r.stderr
    assert took < 45
