"""Derived indexes follow a running import in their own processes (ingest/follow.py)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, create_engine, text
from support.paths import ROOT
from support.procs import alive, children
from test_import import _big_file

from paperfeed.index.protocol import Options
from paperfeed.index.refresh import refresh
from paperfeed.index.registry import derived_indexes
from paperfeed.ingest.files import import_file
from paperfeed.ingest.follow import can_follow, follow_import
from paperfeed.store import open_store
from paperfeed.store.read import count_papers

DERIVED_ROWS = {
    "paper_claims": "SELECT paper_id, position, kind, value, unit, text FROM paper_claims",
    "paper_code_links": "SELECT paper_id, position, kind, url FROM paper_code_links",
    "paper_authors": "SELECT paper_id, position, name_key FROM paper_authors",
    "paper_categories": "SELECT paper_id, category, position FROM paper_categories",
}


def _rows(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as c:
        return {t: sorted(tuple(r) for r in c.execute(text(q))) for t, q in DERIVED_ROWS.items()}


def test_followed_import_gives_what_a_serial_refresh_gives(engine: Engine,
                                                           tmp_path: Path) -> None:
    path = _big_file(tmp_path, copies=6)  # 1,830 papers, many batches
    with follow_import(engine) as followers:
        assert followers.names, "nothing followed the import"
        import_file(engine, path, batch_size=100)
        followers.finish()
    opts = Options()
    for d in derived_indexes():
        if not d.slow:
            assert d.pending(engine, opts) == 0, f"{d.name} did not catch up"
    ref = open_store(str(tmp_path / "serial.sqlite"))
    import_file(ref, path, batch_size=100, parallel=False)
    refresh(ref, slow=False)
    assert _rows(engine) == _rows(ref)
    assert _rows(engine)["paper_claims"], "the sample should have claims"
    ref.dispose()


def test_a_second_import_changes_no_derived_row(engine: Engine, tmp_path: Path) -> None:
    path = _big_file(tmp_path, copies=2)
    for _ in range(2):
        with follow_import(engine) as followers:
            import_file(engine, path)
            followers.finish()
        if _ == 0:
            first = _rows(engine)
    with engine.connect() as c:
        assert count_papers(c) == path.read_bytes().count(b"\n")
    assert _rows(engine) == first


def test_an_in_memory_database_is_not_followed() -> None:
    assert not can_follow(create_engine("sqlite://"))
    with follow_import(create_engine("sqlite://")) as f:
        assert f.names == []
        f.finish()  # nothing to wait for


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_import_ends_its_followers_and_parser(
        db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.jsonl"
    with open(path, "wb") as f:
        for n in range(30_000):
            f.write(orjson.dumps({"id": f"2601.{n:05d}", "title": f"Paper {n}",
                                  "abstract": f"We improve accuracy by {n % 90} %.",
                                  "authors": ["Ada Lovelace"], "categories": ["cs.LG"],
                                  "date": "2026-01-05"}) + b"\n")
    env = {**os.environ, "PAPERFEED_DATABASE_URL": db_url,
           "PAPERFEED_INDEX_DIR": str(tmp_path / "index")}
    cmd = [sys.executable, "-m", "paperfeed", "import", "--batch-size", "500", str(path)]
    proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    kids: set[int] = set()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None and len(kids) < 3:
            kids |= children(proc.pid)  # two followers and the parser
            time.sleep(0.02)
        assert proc.poll() is None, "the import finished before it could be killed"
        assert len(kids) >= 3, f"expected followers and a parser, saw {len(kids)} children"
        os.kill(proc.pid, signal.SIGKILL)  # the import only, not its process group
        proc.wait()
        t0 = time.monotonic()
        while any(alive(k) for k in kids) and time.monotonic() - t0 < 5:
            time.sleep(0.05)
        assert not any(alive(k) for k in kids), "a child outlived the import"
        done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        monkeypatch.setenv("PAPERFEED_INDEX_DIR", env["PAPERFEED_INDEX_DIR"])
        eng = open_store(db_url)
        opts = Options()
        try:
            with eng.connect() as c:
                assert count_papers(c) == 30_000
            behind = {d.name: d.pending(eng, opts) for d in derived_indexes() if not d.slow}
            assert set(behind.values()) == {0}, behind
        finally:
            eng.dispose()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        for k in kids:
            if alive(k):
                os.kill(k, signal.SIGKILL)


def test_a_failing_follower_leaves_its_index_to_the_refresh(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import paperfeed.index.claims as claims_index

    real = claims_index.catch_up_claims

    def broken(*_a: object, **_k: object) -> int:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(claims_index, "catch_up_claims", broken)  # forked followers see it
    path = _big_file(tmp_path, copies=1)
    with follow_import(engine) as followers:
        import_file(engine, path)
        followers.finish()
    opts = Options()
    assert claims_index.DERIVED.pending(engine, opts) == 305
    monkeypatch.setattr(claims_index, "catch_up_claims", real)
    report = refresh(engine, slow=False)
    assert report.done("claims") == 305 and claims_index.DERIVED.pending(engine, opts) == 0
