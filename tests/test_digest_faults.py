"""Exactly once under faults, with real processes: `paperfeed digest send` killed with SIGKILL
mid-run and run again, and two senders at once, on SQLite and PostgreSQL, against a real SMTP
server on loopback that counts what it accepted."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from support.smtp import Recorder, smtp_server
from test_digest import BASE, DAY1, SECRET, active, load
from typer.testing import CliRunner

from paperfeed.cli import app as cli_app
from paperfeed.digest.jobs import run_digests
from paperfeed.digest.outbox import outbox_status
from paperfeed.digest.subscriptions import Choices

NOW = "2026-01-05T23:00:00Z"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path
           ) -> Iterator[tuple[Recorder, dict[str, str]]]:
    """The SMTP server and the environment a `paperfeed` process needs to use it."""
    with smtp_server() as (rec, port):
        env = {"PAPERFEED_SMTP_HOST": "127.0.0.1", "PAPERFEED_SMTP_PORT": str(port),
               "PAPERFEED_SMTP_SECURITY": "none",
               "PAPERFEED_SMTP_FROM": "paperfeed <digest@papers.example.org>",
               "PAPERFEED_BASE_URL": BASE, "PAPERFEED_SECRET_KEY": SECRET,
               "PAPERFEED_INDEX_DIR": str(tmp_path / "index"), "PAPERFEED_EMBED_MODEL": "hash"}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        yield rec, {**os.environ, **env}


def subscribers(engine: Engine, tmp_path: Path, n: int) -> list[str]:
    load(engine, tmp_path, DAY1, "day1")
    emails = [f"reader{i:02d}@example.org" for i in range(n)]
    for e in emails:
        active(engine, e, Choices(categories=["cs.CL"]))
    return emails


def send_cmd(db_url: str) -> list[str]:
    return [sys.executable, "-m", "paperfeed", "--db", db_url, "digest", "send", "--now", NOW]


def test_kill_9_after_the_end_of_data_then_run_again(
        engine: Engine, db_url: str, tmp_path: Path, server: tuple[Recorder, dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    kill_mid_run(engine, db_url, tmp_path, server, monkeypatch, "data")


def test_kill_9_before_data_then_run_again(
        engine: Engine, db_url: str, tmp_path: Path, server: tuple[Recorder, dict[str, str]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    kill_mid_run(engine, db_url, tmp_path, server, monkeypatch, "rcpt")


def kill_mid_run(engine: Engine, db_url: str, tmp_path: Path,
                 server: tuple[Recorder, dict[str, str]], monkeypatch: pytest.MonkeyPatch,
                 kill_in: str) -> None:
    """SIGKILL lands while the 5th email is in flight: before DATA ("rcpt": the server cannot
    have it, so the rerun sends it) or after the final "." ("data": the server took it but the
    250 never reached us, so the rerun holds it for review instead of sending it again)."""
    rec, env = server
    emails = subscribers(engine, tmp_path, 10)
    monkeypatch.setenv("PAPERFEED_DIGEST_LEASE_SECONDS", "1")
    env = {**env, "PAPERFEED_DIGEST_LEASE_SECONDS": "1"}
    rec.delay, rec.hold_at, rec.hold_in, rec.hold_s = 0.02, 5, kill_in, 2.0
    proc = subprocess.Popen(send_cmd(db_url), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)
    try:
        assert rec.held.wait(60), "the sender never reached the 5th email"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    got = len(rec.messages)
    assert got == (4 if kill_in == "rcpt" else 5)
    with engine.connect() as conn:
        sending = conn.execute(text("SELECT COUNT(*) FROM digest_outbox WHERE status = "
                                    "'sending'")).scalar()
    assert sending == 1  # the one in flight, its lease still held by the dead process

    rec.hold_at = None
    time.sleep(1.1)  # the dead sender's lease runs out
    again = run_digests(engine, now=dt.datetime.fromisoformat(NOW))  # `digest send` again
    assert again["composed"] == 0 and again["already"] == 10
    counts = rec.counts()
    assert {e: counts[e] for e in emails} == {e: 1 for e in emails}  # each exactly once
    st = outbox_status(engine)["outbox"]["digest"]
    if kill_in == "rcpt":
        assert st == {"sent": 10}
    else:
        assert st == {"sent": 9, "review": 1}
        status = CliRunner().invoke(cli_app, ["--db", db_url, "digest", "status"])
        assert "1 review" in status.output and "may have it" in status.output
    # and another run has nothing left to do
    assert run_digests(engine, now=dt.datetime.fromisoformat(NOW))["sent"] == 0
    assert sum(rec.counts().values()) == 10


def test_two_senders_at_once_send_each_digest_once(
        engine: Engine, db_url: str, tmp_path: Path,
        server: tuple[Recorder, dict[str, str]]) -> None:
    rec, env = server
    emails = subscribers(engine, tmp_path, 16)
    rec.delay = 0.02
    procs = [subprocess.Popen(send_cmd(db_url), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    counts = rec.counts()
    assert {e: counts[e] for e in emails} == {e: 1 for e in emails}
    assert outbox_status(engine)["outbox"]["digest"] == {"sent": 16}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM digest_items")).scalar() == 16
