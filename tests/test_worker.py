"""`paperfeed worker`: schedule grammar, slots claimed once across processes, takeover, signals."""

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
from support.fixture_server import FixtureServer, Reply
from support.paths import FIXTURES, ROOT
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.index.lexical import lexical_status, search_lexical
from paperfeed.index.status import vector_status
from paperfeed.sources.arxiv_rss import parse_announcements
from paperfeed.sources.hf_daily import parse_daily_papers
from paperfeed.store import open_store
from paperfeed.worker import slots
from paperfeed.worker.runner import Worker
from paperfeed.worker.schedule import (
    ConfigError,
    Daily,
    Every,
    Source,
    parse_schedule,
    parse_sources,
    run_key,
)

RSS_BODY = (FIXTURES / "arxiv-rss" / "atom-cs.AI-2025-08-20.xml").read_bytes()
HF_BODY = (FIXTURES / "hf" / "daily_papers_2024-10-25.json").read_bytes()
RSS_IDS = {r.id for r in parse_announcements(RSS_BODY)[0]}
HF_IDS = {r.id for r in parse_daily_papers(HF_BODY)[0]}
# Slots that do not change during a test run (unless it straddles midnight UTC).
SCHEDULE = "fetch=daily 00:00; index=daily 00:00"
HASH_MODEL = "hash-bow-64"


def route(path: str, q: dict[str, str]) -> Reply:
    if path == "/atom/cs.AI":
        return Reply(200, RSS_BODY, {"Content-Type": "application/atom+xml"})
    if path == "/api/daily_papers":
        return Reply(200, HF_BODY, {"Content-Type": "application/json"})
    return Reply(404, b"no recording")


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    with FixtureServer(route) as srv:
        yield srv


def worker_env(db_url: str, srv: FixtureServer, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    env.update(PAPERFEED_DATABASE_URL=db_url, PAPERFEED_ARXIV_RSS_URL=srv.url,
               PAPERFEED_HF_URL=srv.url, PAPERFEED_ARXIV_MIN_INTERVAL="0.05",
               PAPERFEED_HF_MIN_INTERVAL="0.05", PAPERFEED_EMBED_MODEL="hash",
               PAPERFEED_INDEX_DIR=str(tmp_path / "index"), PAPERFEED_WORKER_SCHEDULE=SCHEDULE,
               PAPERFEED_WORKER_SOURCES="rss:cs.AI hf", PAPERFEED_SECRET_KEY="s" * 48,
               COLUMNS="200")
    env.update(extra)
    return env


def jobs_rows(engine: Engine) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM worker_jobs")).mappings().all()
    return {(r["job"], r["run_key"]): dict(r) for r in rows}


def current_key(when: str = "daily 00:00") -> str:
    entry = parse_schedule(f"fetch={when}")[0]
    return run_key(entry.when.slot_at(dt.datetime.now(dt.UTC)))


# --- the grammar ---------------------------------------------------------------------------


def test_schedule_grammar_and_slots() -> None:
    entries = parse_schedule("fetch=every 30m; index=every 1h30m;digest=daily 03:00 weekdays")
    assert [(e.job, str(e.when)) for e in entries] == [
        ("fetch", "every 30m"), ("index", "every 1h30m"),
        ("digest", "daily 03:00 mon,tue,wed,thu,fri")]
    t = dt.datetime(2026, 11, 23, 17, 44, 10, tzinfo=dt.UTC)  # a Monday
    every = entries[0].when
    assert run_key(every.slot_at(t)) == "2026-11-23T17:30Z"
    assert run_key(every.next_after(t)) == "2026-11-23T18:00Z"
    daily = entries[2].when
    assert run_key(daily.slot_at(t)) == "2026-11-23T03:00Z"
    assert run_key(daily.next_after(t)) == "2026-11-24T03:00Z"
    saturday = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    assert run_key(daily.slot_at(saturday)) == "2026-11-27T03:00Z"  # Friday's
    assert run_key(daily.next_after(saturday)) == "2026-11-30T03:00Z"  # Monday's
    assert Daily(dt.time(0, 0), frozenset({5, 6, 0})) == parse_schedule(
        "digest=daily 00:00 sat-mon")[0].when
    assert Every(dt.timedelta(days=1)) == parse_schedule("index=every 1d")[0].when
    assert parse_schedule("fetch=off; index=every 10m")[0].job == "index"
    assert parse_sources("rss:cs.LG,cs.CL hf oai:physics:hep-th oai") == [
        Source("rss", ("cs.LG", "cs.CL")), Source("hf"), Source("oai", ("physics:hep-th",)),
        Source("oai")]


@pytest.mark.parametrize(("raw", "message"), [
    ("fetch=every 30x", "'30x' is not a duration"),
    ("fetch=every 20s", "not a duration"),
    ("fetch=hourly", "is not `every DURATION`"),
    ("fetch=daily 25:00", "'25:00' is not a time of day"),
    ("digest=daily 03:00 someday", "is not a list of days"),
    ("fetch every 30m", "is not JOB=WHEN"),
    ("fetsh=every 30m", "unknown job 'fetsh'; jobs are fetch, index, digest"),
    ("fetch=every 1h; fetch=every 2h", "scheduled twice"),
])
def test_bad_schedules_name_the_setting(raw: str, message: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_schedule(raw)
    assert str(e.value).startswith("PAPERFEED_WORKER_SCHEDULE: ") and message in str(e.value)
    assert "example: PAPERFEED_WORKER_SCHEDULE='fetch=every 30m;" in str(e.value)


def test_bad_configuration_is_one_clear_line_from_the_command(tmp_path: Path) -> None:
    runner = CliRunner()
    db = str(tmp_path / "w.sqlite")
    cases = [({"PAPERFEED_WORKER_SCHEDULE": "fetch=every half an hour"},
              "PAPERFEED_WORKER_SCHEDULE: fetch: 'every half an hour' is not"),
             ({"PAPERFEED_WORKER_SOURCES": "rss:cs.LG arxiv"},
              "PAPERFEED_WORKER_SOURCES: 'arxiv' is not rss:CATEGORIES, hf or oai[:SET]"),
             ({"PAPERFEED_WORKER_SOURCES": "rss:cs.LG;rm"}, "PAPERFEED_WORKER_SOURCES: 'rm'"),
             ({"PAPERFEED_WORKER_LEASE": "soon"}, "PAPERFEED_WORKER_LEASE='soon' is not"),
             ({}, "unknown job 'fetchh'")]
    for env, message in cases:
        args = ["--db", db, "worker", "--once"] + (["--job", "fetchh"] if not env else [])
        r = runner.invoke(app, args, env={"PAPERFEED_WORKER_SCHEDULE": SCHEDULE, **env})
        assert r.exit_code == 1, (env, r.output)
        assert message in " ".join(r.output.split()), (env, r.output)
        assert "Traceback" not in r.output
    help_text = runner.invoke(app, ["worker", "--help"], env={"COLUMNS": "200"}).output
    assert "fetch=every 30m; index=every 10m; digest=daily 03:00 weekdays" in help_text


# --- end to end ----------------------------------------------------------------------------


def test_once_fetches_indexes_and_never_runs_a_slot_twice(
        db_url: str, server: FixtureServer, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = worker_env(db_url, server, tmp_path)
    for k, v in env.items():
        if k.startswith("PAPERFEED_"):
            monkeypatch.setenv(k, v)
    runner = CliRunner()
    first = runner.invoke(app, ["worker", "--once", "--worker-id", "w1"])
    assert first.exit_code == 0, first.output
    assert [r.path for r in server.requests] == ["/atom/cs.AI", "/api/daily_papers"]
    engine = open_store(db_url)
    try:
        with engine.connect() as conn:
            ids = set(conn.execute(text("SELECT id FROM papers")).scalars())
        assert ids == RSS_IDS | HF_IDS
        # lexically searchable at once, and every derived index caught up
        rss = parse_announcements(RSS_BODY)[0][0]
        hits = search_lexical(engine, f'"{rss.title}"', k=3).hits
        assert hits and hits[0].id == rss.id
        lex = lexical_status(engine)
        assert lex["behind"] == 0 and lex["documents"] == len(ids)
        vec = vector_status(engine, HASH_MODEL)
        assert (vec["embedded"], vec["missing"], vec["stale"]) == (len(ids), 0, 0)
        status = runner.invoke(app, ["index", "status", "--json"])
        assert '"behind":0' in status.stdout and f'"{HASH_MODEL}":{{"papers":{len(ids)},' \
            '"missing":0' in status.stdout
        rows = jobs_rows(engine)
        key = current_key()
        assert set(rows) == {("fetch", key), ("index", key)}
        for row in rows.values():
            assert (row["status"], row["worker"], row["attempts"], row["error"]) == (
                "done", "w1", 1, None)
            assert row["finished_at"] >= row["started_at"]
        assert '"rss:cs.AI":{"records":7,"inserted":7' in rows[("fetch", key)]["result"]
        for job in ("fetch", "index"):  # one log line per job run, with what it did
            assert sum(f"{job} {key} done in " in line for line in first.output.splitlines()) == 1
        assert "rss:cs.AI: 7 records, 7 new" in first.output
        assert f"vectors +{len(ids)} ({HASH_MODEL}" in first.output

        again = runner.invoke(app, ["worker", "--once", "--worker-id", "w2"])
        assert again.exit_code == 0, again.output
        assert len(server.requests) == 2  # nothing fetched again
        assert jobs_rows(engine) == rows  # nothing ran again
        assert f"fetch {key} skipped: already done by w1" in again.output
        shown = runner.invoke(app, ["worker", "--status"])
        assert shown.exit_code == 0 and f"slot {key} done" in shown.output
    finally:
        engine.dispose()


def test_two_worker_processes_run_each_slot_exactly_once(
        db_url: str, server: FixtureServer, tmp_path: Path) -> None:
    env = worker_env(db_url, server, tmp_path)
    # a new database: the two also race to create the schema
    procs = [subprocess.Popen([sys.executable, "-m", "paperfeed", "worker", "--once",
                               "--worker-id", name], env=env, cwd=ROOT, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for name in ("a", "b")]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    logs = "\n".join(err for _, err in outs)
    key = current_key()
    for job in ("fetch", "index"):
        assert sum(f" {job} {key} done in " in line for line in logs.splitlines()) == 1, logs
    # each source was asked once, by whichever worker held the fetch slot
    assert sorted(r.path for r in server.requests) == ["/api/daily_papers", "/atom/cs.AI"]
    engine = open_store(db_url)
    try:
        rows = jobs_rows(engine)
        assert set(rows) == {("fetch", key), ("index", key)}
        assert all(r["status"] == "done" and r["attempts"] == 1 for r in rows.values())
        with engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM papers")).scalar_one() == len(
                RSS_IDS | HF_IDS)
    finally:
        engine.dispose()


def test_a_stale_slot_is_taken_over_and_a_live_one_is_left_alone(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "hash")
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    now = dt.datetime.now(dt.UTC)
    key = current_key()
    lease = dt.timedelta(minutes=5)
    # a worker that died while indexing, and one that is alive and fetching
    dead = slots.try_claim(engine, "index", key, "dead:1", now - dt.timedelta(hours=1), lease)
    alive = slots.try_claim(engine, "fetch", key, "alive:2", now, lease)
    assert dead is not None and alive is not None
    assert slots.try_claim(engine, "fetch", key, "other:3", now, lease) is None

    worker = Worker(engine, parse_schedule(SCHEDULE), sources=[], worker_id="w:9", lease=lease)
    outcomes = worker.run_due()
    assert [(o.job, o.status, o.attempts) for o in outcomes] == [("index", "done", 2)]
    rows = jobs_rows(engine)
    assert (rows[("index", key)]["worker"], rows[("index", key)]["status"],
            rows[("index", key)]["attempts"]) == ("w:9", "done", 2)
    assert (rows[("fetch", key)]["worker"], rows[("fetch", key)]["status"]) == (
        "alive:2", "running")
    # the worker will look at the live slot again once its heartbeat could have gone stale
    assert worker.next_wake() <= slots.parse_stamp(rows[("fetch", key)]["heartbeat_at"]) \
        + lease + dt.timedelta(seconds=1)
    # the dead worker comes back: its writes name its claim, so they change nothing
    assert not slots.heartbeat(engine, dead, now)
    assert not slots.finish(engine, dead, now, False, None, "late")
    assert jobs_rows(engine)[("index", key)]["status"] == "done"
    # the live holder finishes normally; a second pass runs nothing
    assert slots.finish(engine, alive, now, True, {"summary": "ok"}, None)
    assert [o.status for o in worker.run_due()] == ["skipped"]
    assert worker.run_due() == []


def test_sigterm_lets_the_running_job_finish(tmp_path: Path) -> None:
    started = []

    def slow(path: str, q: dict[str, str]) -> Reply:
        started.append(time.monotonic())
        time.sleep(0.8)
        return route(path, q)

    db = str(tmp_path / "w.sqlite")
    with FixtureServer(slow) as srv:
        env = worker_env(db, srv, tmp_path, PAPERFEED_WORKER_SOURCES="rss:cs.AI",
                         PAPERFEED_WORKER_SCHEDULE="fetch=every 1d")
        p = subprocess.Popen([sys.executable, "-m", "paperfeed", "worker", "--worker-id", "t"],
                             env=env, cwd=ROOT, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not started and time.monotonic() < deadline and p.poll() is None:
            time.sleep(0.05)
        assert started, p.communicate()[1]
        p.send_signal(signal.SIGTERM)  # mid-request
        _, err = p.communicate(timeout=60)
    assert p.returncode == 0, err
    assert "got SIGTERM: stopping after the current job" in err
    assert "fetch " in err and " done in " in err and " t INFO worker stopped" in err
    engine = open_store(db)
    try:
        row = jobs_rows(engine)[("fetch", current_key("every 1d"))]
        assert row["status"] == "done" and row["attempts"] == 1
    finally:
        engine.dispose()


def test_digest_job_runs_or_says_it_is_unavailable(tmp_path: Path, server: FixtureServer
                                                   ) -> None:
    db = str(tmp_path / "w.sqlite")
    env = worker_env(db, server, tmp_path, PAPERFEED_WORKER_SCHEDULE="digest=daily 00:00")
    r = CliRunner().invoke(app, ["worker", "--once", "--job", "digest"], env=env)
    assert r.exit_code == 0, r.output
    assert f"digest {current_key()} done in " in r.output
    engine = open_store(db)
    try:
        assert jobs_rows(engine)[("digest", current_key())]["status"] == "done"
    finally:
        engine.dispose()


def test_the_worker_wakes_for_the_next_slot_and_catches_one_begun_during_a_run(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "hash")
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    now = [dt.datetime(2026, 11, 23, 17, 9, 59, tzinfo=dt.UTC)]
    worker = Worker(engine, parse_schedule("index=every 10m"), sources=[], worker_id="c",
                    clock=lambda: now[0])
    assert [(o.run_key, o.status) for o in worker.run_due()] == [("2026-11-23T17:00Z", "done")]
    assert worker.next_wake() == dt.datetime(2026, 11, 23, 17, 10, tzinfo=dt.UTC)
    now[0] = dt.datetime(2026, 11, 23, 17, 10, 30, tzinfo=dt.UTC)  # the 17:10 slot has begun
    assert worker.next_wake() == now[0]
    assert [(o.run_key, o.status) for o in worker.run_due()] == [("2026-11-23T17:10Z", "done")]
    assert worker.next_wake() == dt.datetime(2026, 11, 23, 17, 20, tzinfo=dt.UTC)
    assert set(jobs_rows(engine)) == {("index", "2026-11-23T17:00Z"),
                                      ("index", "2026-11-23T17:10Z")}


def test_oai_harvest_source_and_a_failing_source_fails_the_run_not_the_others(
        tmp_path: Path) -> None:
    oai = FIXTURES / "oai-pmh"
    page1 = (oai / "arXivRaw" / "ListRecordsResponse.xml").read_bytes()  # 6 records + a token
    page2 = (oai / "arXiv" / "arxiv-physics-hep-ex.xml").read_bytes()  # 3 records, the end

    def oai_route(path: str, q: dict[str, str]) -> Reply:
        if path == "/oai":
            return Reply(200, page2 if "resumptionToken" in q else page1,
                         {"Content-Type": "text/xml"})
        return Reply(404, b"no such feed")

    db = str(tmp_path / "w.sqlite")
    with FixtureServer(oai_route) as srv:
        env = worker_env(db, srv, tmp_path, PAPERFEED_WORKER_SOURCES="rss:cs.LG oai:cs",
                         PAPERFEED_ARXIV_OAI_URL=srv.url + "/oai",
                         PAPERFEED_WORKER_SCHEDULE="fetch=daily 00:00")
        r = CliRunner().invoke(app, ["worker", "--once"], env=env)
        harvest = [req.query for req in srv.requests if req.path == "/oai"]
    assert r.exit_code == 1, r.output  # cron hears about it
    assert harvest[0]["set"] == "cs" and harvest[1]["resumptionToken"]
    engine = open_store(db)
    try:
        row = jobs_rows(engine)[("fetch", current_key())]
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT COUNT(*) FROM papers")).scalar_one()
    finally:
        engine.dispose()
    assert row["status"] == "failed" and row["error"].startswith("rss:cs.LG: ")
    assert "HTTP 404" in row["error"]
    assert stored == 9 and '"oai:cs":{"records":9,"inserted":9' in row["result"]
    assert "rss:cs.LG: FAILED; oai:cs: 9 records, 9 new" in r.output


def test_a_job_never_runs_twice_at_once_and_abandoned_runs_are_closed(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERFEED_EMBED_MODEL", "hash")
    monkeypatch.setenv("PAPERFEED_INDEX_DIR", str(tmp_path / "index"))
    now = dt.datetime.now(dt.UTC)
    lease = dt.timedelta(minutes=5)
    key = current_key()
    # a run that overran its slot and is still alive, and an older one whose worker died
    overran = slots.try_claim(engine, "index", "2026-01-02T00:00Z", "slow:1", now, lease)
    dead = slots.try_claim(engine, "index", "2026-01-01T00:00Z", "dead:2",
                           now - dt.timedelta(hours=2), lease)
    assert overran is not None and dead is None  # the live run keeps even that one waiting
    worker = Worker(engine, parse_schedule("index=daily 00:00"), sources=[], worker_id="w",
                    lease=lease)
    assert worker.run_due() == []  # the current slot waits for the live run
    assert ("index", key) not in jobs_rows(engine)
    assert worker.next_wake() <= dt.datetime.now(dt.UTC) + dt.timedelta(
        seconds=worker.heartbeat_s + 1)
    with engine.connect() as conn:  # the dead worker's run, from before the live one
        conn.execute(text("INSERT INTO worker_jobs (job, run_key, worker, status, started_at, "
                          "heartbeat_at) VALUES ('index', '2026-01-01T00:00Z', 'dead:2', "
                          "'running', :t, :t)"),
                     {"t": slots.stamp(now - dt.timedelta(hours=2))})
        conn.commit()
    assert slots.finish(engine, overran, dt.datetime.now(dt.UTC), True, {"summary": "x"}, None)
    assert [(o.run_key, o.status) for o in worker.run_due()] == [(key, "done")]
    rows = jobs_rows(engine)
    assert rows[("index", "2026-01-01T00:00Z")]["status"] == "failed"
    assert rows[("index", "2026-01-01T00:00Z")]["error"].startswith("abandoned")
    assert rows[("index", key)]["status"] == "done"
