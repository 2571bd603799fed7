"""Importing JSON-lines files: formats, bad input, idempotence, and kill -9 mid-import."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, create_engine, text
from support.paths import FIXTURES, ROOT

from paperfeed.ingest.files import StrictError, import_file
from paperfeed.store.read import count_papers, get_paper

SAMPLE = FIXTURES / "arxiv-sample-305.jsonl.gz"
SNAPSHOT = FIXTURES / "snapshot-sample.jsonl"


def sample_rows() -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(line) for line in gzip.open(SAMPLE)]


def test_normalised_gz_file_imports_every_record(engine: Engine) -> None:
    report = import_file(engine, SAMPLE)
    rows = sample_rows()
    assert report.written.inserted == len(rows) and report.skipped_bad == 0
    with engine.connect() as c:
        assert count_papers(c) == len(rows)
        p = get_paper(c, rows[0]["id"])
    assert p is not None
    assert (p["title"], p["authors"], p["categories"], p["announced"]) == (
        rows[0]["title"], rows[0]["authors"], rows[0]["categories"], rows[0]["date"])


def test_papers_without_authors_are_kept(engine: Engine) -> None:
    import_file(engine, SAMPLE)
    no_authors = [r["id"] for r in sample_rows() if not r["authors"]]
    assert no_authors
    with engine.connect() as c:
        p = get_paper(c, no_authors[0])
    assert p is not None and p["authors"] is None


def test_reimport_changes_nothing(engine: Engine) -> None:
    import_file(engine, SAMPLE)
    with engine.connect() as c:
        before = c.execute(text("SELECT id, seq, modified_at FROM papers ORDER BY id")).all()
    again = import_file(engine, SAMPLE)
    assert again.written.inserted == 0 and again.written.updated == 0
    assert again.written.unchanged == len(before)
    with engine.connect() as c:
        assert c.execute(text("SELECT id, seq, modified_at FROM papers ORDER BY id")).all() == before


def test_snapshot_format_is_detected_and_mapped(engine: Engine) -> None:
    report = import_file(engine, SNAPSHOT)
    assert report.written.inserted == 3
    with engine.connect() as c:
        p = get_paper(c, "0704.0001")
        old = get_paper(c, "hep-th/9901001")
    assert p is not None and old is not None
    assert p["authors"] == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert p["title"] == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    assert p["abstract"].startswith("A fully differential calculation in perturbative")
    assert (p["version"], p["submitted"], p["updated"]) == (2, "2007-04-02", "2007-07-24")
    assert p["doi"] == "10.1103/PhysRevD.76.013009" and p["journal_ref"] == "Phys.Rev.D76:013009,2007"
    assert p["versions"] == [{"version": 1, "date": "2007-04-02"}, {"version": 2, "date": "2007-07-24"}]
    assert old["links"]["abs"] == "https://arxiv.org/abs/hep-th/9901001"


def test_newer_version_in_a_later_file_updates(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, SAMPLE)
    first = sample_rows()[0]
    newer = tmp_path / "newer.jsonl"
    newer.write_bytes(orjson.dumps({**first, "id": first["id"] + "v9", "title": "Revised"}) + b"\n")
    report = import_file(engine, newer)
    assert report.written.updated == 1
    with engine.connect() as c:
        p = get_paper(c, first["id"])
        assert count_papers(c) == len(sample_rows())
    assert p is not None and (p["title"], p["version"]) == ("Revised", 9)


BAD_LINES = [
    b'{"id": "2501.00001", "title": "Good", "abstract": "Fine."}',
    b'{"id": "2501.00002", "title": "No abstract"}',
    b"this is not json",
    b'{"id": 2501.00003, "title": "Numeric id", "abstract": "x"}',
    b'{"id": "2501.00004", "title": "Bad date", "abstract": "x", "date": "31/12/2025"}',
    b'{"id": "2501.00005", "title": "Authors wrong", "abstract": "x", "authors": "A, B"}',
    b"",
    b'{"id": "2501.00006", "title": "Also good", "abstract": "Fine too."}',
]


def test_bad_records_are_skipped_and_named_by_file_and_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(BAD_LINES) + b"\n")
    report = import_file(engine, path)
    assert report.written.inserted == 2 and report.skipped_bad == 5
    assert report.errors[0] == f"{path}:2: abstract: missing or empty"
    assert report.errors[1].startswith(f"{path}:3: not valid JSON")
    assert "is a number; quote it" in report.errors[2]
    assert "31/12/2025" in report.errors[3] and report.errors[3].startswith(f"{path}:5:")
    assert "authors: expected a list" in report.errors[4]


def test_strict_writes_nothing_of_the_bad_batch(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(BAD_LINES) + b"\n")
    with pytest.raises(StrictError, match=r"mixed.jsonl:2: abstract"):
        import_file(engine, path, strict=True)
    with engine.connect() as c:
        assert count_papers(c) == 0


def test_serial_and_parallel_parsing_agree(engine: Engine, tmp_path: Path) -> None:
    import_file(engine, SAMPLE, parallel=False, batch_size=50)
    with engine.connect() as c:
        serial = c.execute(text("SELECT id, title, authors, announced FROM papers ORDER BY id")).all()
    other = create_engine(f"sqlite:///{tmp_path / 'p.sqlite'}")
    from paperfeed.store import open_store

    eng2 = open_store(str(tmp_path / "p.sqlite"))
    import_file(eng2, SAMPLE, parallel=True, batch_size=50)
    with eng2.connect() as c:
        parallel = c.execute(text("SELECT id, title, authors, announced FROM papers ORDER BY id")).all()
    other.dispose()
    assert serial == parallel


def _big_file(tmp_path: Path, copies: int) -> Path:
    """The sample, replicated under new ids: enough batches to kill an import between them."""
    rows = sample_rows()
    path = tmp_path / "big.jsonl"
    with open(path, "wb") as f:
        for k in range(copies):
            for n, r in enumerate(rows):
                f.write(orjson.dumps({**r, "id": f"{2000 + k:04d}.{n:05d}"}) + b"\n")
    return path


def test_kill_mid_import_resumes_and_stores_each_record_once(db_url: str, tmp_path: Path) -> None:
    path = _big_file(tmp_path, copies=40)  # 12,200 records
    total = path.read_bytes().count(b"\n")
    env = {**os.environ, "PAPERFEED_DATABASE_URL": db_url}
    cmd = [sys.executable, "-m", "paperfeed", "import", "--batch-size", "200", str(path)]
    from paperfeed.store import open_store

    eng = open_store(db_url)
    kills = 0
    for delay in (0.0, 0.3, 0.6):
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
        # Wait until some batches are committed but not all, then kill -9 the whole group.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            with eng.connect() as c:
                n = count_papers(c)
            if n > 0 and n >= delay * total / 2:
                break
            time.sleep(0.02)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 1, "the import finished before it could be killed; make the file bigger"
    with eng.connect() as c:
        partial = count_papers(c)
    assert partial < total
    done = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "resumed after line" in done.stdout
    with eng.connect() as c:
        assert count_papers(c) == total
        dup = c.execute(text("SELECT COUNT(DISTINCT id) FROM papers")).scalar_one()
        sources = c.execute(text("SELECT COUNT(*) FROM paper_sources")).scalar_one()
        seqs = c.execute(text("SELECT COUNT(DISTINCT seq) FROM papers")).scalar_one()
        half = c.execute(text("SELECT COUNT(*) FROM papers WHERE title = '' OR abstract = ''"))
        assert half.scalar_one() == 0
    assert dup == total and sources == total and seqs == total
    eng.dispose()
