"""Faults and hostile input (issue #14, "Availability and data"): nothing hangs, nothing is lost.

Locks: every wait for the writers' lock is bounded; kill -9 of an import frees it at once.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from conftest import pg_schema_url
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from support.paths import ROOT
from support.procs import alive, children

from paperfeed.accounts.marks import set_vote
from paperfeed.accounts.users import signup
from paperfeed.ingest.files import import_file
from paperfeed.store import open_store
from paperfeed.store.db import WriteBusy, lock_wait, write_tx
from paperfeed.store.read import count_papers
from paperfeed.web.app import create_app
from paperfeed.web.settings import WebSettings

SECRET = "k" * 48


def paper(n: int, **fields: object) -> dict[str, object]:
    return {"id": f"2601.{n:05d}", "title": f"Paper number {n}",
            "abstract": f"An abstract about topic {n % 7} and attention.",
            "authors": ["Ada Lovelace"], "categories": ["cs.CL"], "date": "2026-01-05",
            **fields}


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(r) + b"\n" for r in rows))
    return path


class HeldLock:
    """Hold the writers' lock in another thread until released (as a stuck writer would)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.held, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with write_tx(self.engine):
            self.held.set()
            self.release.wait(30)

    def __enter__(self) -> HeldLock:
        self.thread.start()
        assert self.held.wait(10), "could not take the lock"
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(10)


def test_a_writer_waits_for_the_lock_only_as_long_as_it_may(engine: Engine) -> None:
    with HeldLock(engine), lock_wait(0.5):
        t0 = time.monotonic()
        with pytest.raises(WriteBusy, match="busy with another writer"), write_tx(engine):
            pass
        waited = time.monotonic() - t0
    assert 0.3 < waited < 5
    with lock_wait(0.5), write_tx(engine) as conn:  # free again: no wait at all
        conn.execute(text("SELECT 1"))


@pytest.fixture
def web(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("PAPERFEED_WEB_WRITE_WAIT", "0.5")
    import_file(engine, write_jsonl(tmp_path / "p.jsonl", [paper(n) for n in range(1, 4)]),
                parallel=False)
    with TestClient(create_app(engine, WebSettings(SECRET))) as c:
        yield c


def _signed_in(c: TestClient) -> str:
    import re

    def csrf(html: str) -> str:
        m = re.search(r'name="csrf" value="([^"]*)"', html)
        assert m
        return m.group(1)

    form = {"email": "ada@example.org", "password": "correct horse battery"}
    assert c.post("/signup", data={**form, "csrf": csrf(c.get("/signup").text)},
                  follow_redirects=False).status_code == 303
    assert c.post("/login", data={**form, "csrf": csrf(c.get("/login").text)},
                  follow_redirects=False).status_code == 303
    return csrf(c.get("/account").text)


def test_a_vote_that_cannot_get_the_lock_answers_503_with_retry_after(
        web: TestClient, engine: Engine) -> None:
    token = _signed_in(web)
    with HeldLock(engine):
        t0 = time.monotonic()
        r = web.post("/api/votes/2601.00001", headers={"X-CSRF-Token": token})
        assert r.status_code == 503 and r.headers["Retry-After"].isdigit()
        assert "busy" in r.json()["error"]
        page = web.post("/actions/vote", data={"paper_id": "2601.00002", "csrf": token})
        assert page.status_code == 503 and "Retry-After" in page.headers
        assert "busy with another writer" in page.text
        assert time.monotonic() - t0 < 8
    r = web.post("/api/votes/2601.00001", headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.json()["local_votes"] == 1


@pytest.fixture
def pg_engine() -> Iterator[Engine]:
    for url in pg_schema_url():
        eng = open_store(url)
        yield eng
        eng.dispose()


def test_postgres_ends_a_writer_idle_in_its_transaction(
        pg_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_IDLE_TX_TIMEOUT", "1")
    ctx = write_tx(pg_engine)
    ctx.__enter__()  # a writer that took the lock, then went quiet (a hung client)
    try:
        with lock_wait(10):
            t0 = time.monotonic()
            with write_tx(pg_engine) as conn:
                conn.execute(text("SELECT 1"))
            assert time.monotonic() - t0 < 8
    finally:
        with contextlib.suppress(Exception):  # its session was ended by the server
            ctx.__exit__(None, None, None)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_an_import_frees_the_lock_at_once(db_url: str, tmp_path: Path) -> None:
    """Only the import process is killed (not its group): its parser child must die too."""
    rows = [paper(n) for n in range(1, 20_001)]
    path = write_jsonl(tmp_path / "big.jsonl", rows)
    env = {**os.environ, "PAPERFEED_DATABASE_URL": db_url,
           "PAPERFEED_INDEX_DIR": str(tmp_path / "index")}
    cmd = [sys.executable, "-m", "paperfeed", "import", "--batch-size", "500", str(path)]
    eng = open_store(db_url)
    signup(eng, "ada@example.org", "correct horse battery")
    with eng.connect() as c:
        uid = c.execute(text("SELECT id FROM users")).scalar_one()
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    kids: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            kids = kids or children(proc.pid)
            with eng.connect() as c:
                if count_papers(c) > 0 and kids:
                    break
            time.sleep(0.02)
        assert proc.poll() is None, "the import finished before it could be killed"
        assert kids, "the import has no parser child"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        t0 = time.monotonic()
        while any(alive(k) for k in kids) and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        assert not any(alive(k) for k in kids), "the parser child outlived the import"
        with lock_wait(5):
            t0 = time.monotonic()
            assert set_vote(eng, uid, "2601.00001", True)["local_votes"] == 1
            assert time.monotonic() - t0 < 5
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert "resumed after line" in done.stdout
        with eng.connect() as c:
            assert count_papers(c) == len(rows)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for k in kids:  # a child that outlived the import (the bug): do not leave it behind
            if alive(k):
                os.kill(k, signal.SIGKILL)
        eng.dispose()


def test_an_import_behind_a_stuck_writer_gives_up_with_a_clear_message(
        db_url: str, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "p.jsonl", [paper(n) for n in range(1, 11)])
    env = {**os.environ, "PAPERFEED_DATABASE_URL": db_url, "PAPERFEED_WRITE_LOCK_WAIT": "1",
           "PAPERFEED_INDEX_DIR": str(tmp_path / "index")}
    eng = open_store(db_url)
    try:
        with HeldLock(eng):
            t0 = time.monotonic()
            r = subprocess.run([sys.executable, "-m", "paperfeed", "import", str(path)],
                               env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
            took = time.monotonic() - t0
        said = " ".join(r.stderr.split())
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        assert "cannot write to the database (the database is busy with another writer" in said
        assert "run the same command again" in said
        assert took < 60
    finally:
        eng.dispose()
