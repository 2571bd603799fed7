"""Hostile files and failing stores (issue #14): one bad line costs one line, what was
committed stays, and the message names file, line and cause. Both backends."""

from __future__ import annotations

import errno
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, event, text
from support.paths import ROOT

import paperfeed.ingest.files as files
from paperfeed.ingest.files import ImportFailed, import_file
from paperfeed.records import LIMITS
from paperfeed.sources.jsonl import MAX_LINE_BYTES
from paperfeed.store import open_store
from paperfeed.store.read import count_papers, get_paper


def paper(n: int, **fields: object) -> dict[str, object]:
    return {"id": f"2601.{n:05d}", "title": f"Paper number {n}",
            "abstract": f"An abstract about topic {n}.", "authors": ["Ada Lovelace"],
            "categories": ["cs.CL"], "date": "2026-01-05", **fields}


def lines(*rows: dict[str, object] | bytes) -> bytes:
    return b"".join((r if isinstance(r, bytes) else orjson.dumps(r)) + b"\n" for r in rows)


def test_nul_bytes_are_stripped_and_cost_no_line(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "nul.jsonl"
    path.write_bytes(lines(
        paper(1),
        paper(2, title="Null\u0000 title", abstract="An\u0000 abstract\u0000.",
              authors=["Ada\u0000 Lovelace", "\u0000"], comment="5 pages\u0000",
              categories=["cs.CL\u0000"], journal_ref="J.\u0000 1", doi="10.1/\u0000x"),
        paper(3, id="x:a\u0000b"),
        paper(4),
    ))
    report = import_file(engine, path)
    assert report.written.inserted == 3 and report.skipped_bad == 1
    assert report.errors == [f"{path}:3: id: contains a NUL byte"]
    with engine.connect() as c:
        p = get_paper(c, "2601.00002")
        stored = c.execute(text("SELECT title, abstract, comment FROM papers")).all()
    assert p is not None
    assert (p["title"], p["abstract"], p["authors"], p["comment"], p["categories"]) == (
        "Null title", "An abstract.", ["Ada Lovelace"], "5 pages", ["cs.CL"])
    assert (p["journal_ref"], p["doi"]) == ("J. 1", "10.1/x")
    assert all("\x00" not in (v or "") for row in stored for v in row)


def test_oversized_fields_are_rejected_by_name_file_and_line(engine: Engine,
                                                             tmp_path: Path) -> None:
    huge_abstract = " ".join(["word"] * 200_000)  # 1 MB: under the line limit, over the field's
    path = tmp_path / "big.jsonl"
    path.write_bytes(lines(
        paper(1),
        paper(2, abstract=huge_abstract),
        paper(3, title="t" * (LIMITS["title"] + 1)),
        paper(4, authors=[f"Author {i}" for i in range(LIMITS["authors"] + 1)]),
        paper(5, authors=["a" * (LIMITS["author"] + 1)]),
        paper(6, comment="c" * (LIMITS["comment"] + 1)),
        paper(7, categories=[f"cs.X{i}" for i in range(LIMITS["categories"] + 1)]),
        paper(8, authors=[f"Author {i}" for i in range(3_300)]),  # a real collaboration
    ))
    report = import_file(engine, path)
    assert report.written.inserted == 2 and report.skipped_bad == 6
    e = report.errors
    assert e[0] == (f"{path}:2: abstract: {len(huge_abstract):,} characters, over the limit "
                    f"of {LIMITS['abstract']:,}")
    assert e[1].startswith(f"{path}:3: title: 2,001 characters")
    assert e[2].startswith(f"{path}:4: authors: 10,001 names, over the limit")
    assert e[3].startswith(f"{path}:5: authors: a name of 1,001 characters")
    assert e[4].startswith(f"{path}:6: comment:")
    assert e[5].startswith(f"{path}:7: categories: 101 names")
    with engine.connect() as c:
        assert {r[0] for r in c.execute(text("SELECT id FROM papers"))} == {
            "2601.00001", "2601.00008"}


def test_a_subject_class_list_in_categories_is_dropped_not_the_paper(engine: Engine,
                                                                     tmp_path: Path) -> None:
    # As in arxiv-102k (line 13954): MSC codes leaked into the categories, 143 characters.
    msc = ("68T09, 68T50, 68T05, 62R07, 68U15, 68T27, 68T20 68T09, 68T50, 68T05,\n  62R07, "
           "68U15, 68T27, 68T20 68T09, 68T50, 68T05, 62R07, 68U15, 68T27, 68T20")
    path = tmp_path / "msc.jsonl"
    path.write_bytes(lines(paper(1, categories=["cs.AI", "cs.CL", msc, "I.2; H.3"])))
    report = import_file(engine, path)
    assert report.written.inserted == 1 and report.skipped_bad == 0
    with engine.connect() as c:
        cats = c.execute(text("SELECT categories FROM papers")).scalar_one()
    assert json.loads(cats) == ["cs.AI", "cs.CL", "I.2; H.3"]


def test_a_50_mb_line_costs_that_line_only(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "fifty.jsonl"
    with open(path, "wb") as f:
        f.write(lines(paper(1)))
        f.write(b'{"id": "2601.00002", "title": "x", "abstract": "')
        chunk = b"spam " * 200_000
        for _ in range(50):
            f.write(chunk)
        f.write(b'"}\n')
        f.write(lines(paper(3)))
    size = path.stat().st_size
    assert size > 50_000_000 > MAX_LINE_BYTES
    report = import_file(engine, path)
    assert report.written.inserted == 2 and report.skipped_bad == 1
    assert report.errors[0].startswith(f"{path}:2: line of 50,000,")
    assert f"over the limit of {MAX_LINE_BYTES:,}" in report.errors[0]


def _truncated_gz(tmp_path: Path, n: int) -> Path:
    full = gzip.compress(lines(*(paper(i) for i in range(1, n + 1))))
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(full[: len(full) * 2 // 3])
    return path


def test_a_truncated_gz_keeps_what_was_readable(engine: Engine, tmp_path: Path) -> None:
    path = _truncated_gz(tmp_path, 3000)
    with pytest.raises(ImportFailed) as e:
        import_file(engine, path, batch_size=500)
    msg = str(e.value)
    assert msg.startswith(f"{path}:") and "the file ends early (truncated?)" in msg
    line = int(msg.split(":")[1])
    with engine.connect() as c:
        stored = count_papers(c)
    assert 1500 < stored < 3000 and stored == line - 1  # every line read before the cut
    assert f"lines up to {line - 1:,} are stored" in msg
    assert e.value.report.written.inserted == stored


def test_cli_names_the_truncated_file_and_line(tmp_path: Path) -> None:
    path = _truncated_gz(tmp_path, 300)
    env = {**os.environ, "PAPERFEED_DATABASE_URL": str(tmp_path / "db.sqlite"),
           "PAPERFEED_INDEX_DIR": str(tmp_path / "index")}
    r = subprocess.run([sys.executable, "-m", "paperfeed", "import", str(path)], env=env,
                       cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    err = " ".join(r.stderr.split())
    assert "cut.jsonl.gz:" in err and "cannot read further" in err and "Aborted" not in err
    assert "Traceback" not in r.stderr
    assert "new" in r.stdout  # the report of what was stored


def test_a_failing_write_keeps_the_committed_batches_and_resume_works(
        engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "p.jsonl"
    path.write_bytes(lines(*(paper(i) for i in range(1, 1001))))
    real, calls = files.write_records, []

    def full_disk(conn, records):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(conn, records)

    monkeypatch.setattr(files, "write_records", full_disk)
    with pytest.raises(ImportFailed) as e:
        import_file(engine, path, batch_size=200)
    assert str(e.value).startswith(f"{path}:401-600: cannot write to the database "
                                   "([Errno 28] No space left on device)")
    assert "lines up to 400 are stored" in str(e.value)
    with engine.connect() as c:
        assert count_papers(c) == 400
    monkeypatch.setattr(files, "write_records", real)
    again = import_file(engine, path, batch_size=200)
    assert again.resumed_at == 400 and again.written.inserted == 600
    with engine.connect() as c:
        assert count_papers(c) == 1000


def test_a_full_sqlite_database_gives_a_clear_error_and_resumes(tmp_path: Path) -> None:
    """A real SQLITE_FULL: the database may not grow past a page limit (as on a full disk)."""
    db = tmp_path / "full.sqlite"
    eng = open_store(str(db))
    with eng.connect() as c:
        pages = c.exec_driver_sql("PRAGMA page_count").scalar_one()
    eng.dispose()

    @event.listens_for(eng, "connect")
    def limit(dbapi_conn, _rec):  # type: ignore[no-untyped-def]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 60}")

    path = tmp_path / "p.jsonl"
    path.write_bytes(lines(*(paper(i, abstract="words " * 200) for i in range(1, 3001))))
    with pytest.raises(ImportFailed, match=r"cannot write to the database \(database or disk "
                                           r"is full\)") as e:
        import_file(eng, path, batch_size=50, parallel=False)
    with eng.connect() as c:
        kept = count_papers(c)
    assert kept > 0 and f"lines up to {kept:,} are stored" in str(e.value)
    eng.dispose()
    roomy = open_store(str(db))
    again = import_file(roomy, path, batch_size=50)
    assert again.resumed_at == kept
    with roomy.connect() as c:
        assert count_papers(c) == 3000
    roomy.dispose()


def test_dates_at_the_end_of_time_are_rejected_by_line(engine: Engine, tmp_path: Path) -> None:
    """A stored 9999-12-31 would make the daily page's next-day link overflow: not stored."""
    path = tmp_path / "far.jsonl"
    path.write_bytes(lines(paper(1), paper(2, date="9999-12-31"),
                           paper(3, submitted="0001-01-01T00:00:00Z"), paper(4)))
    report = import_file(engine, path)
    assert report.written.inserted == 2
    assert report.errors == [
        f"{path}:2: announced: 9999-12-31 is out of range (1000-01-01 to 8999-12-31)",
        f"{path}:3: submitted: 0001-01-01 is out of range (1000-01-01 to 8999-12-31)"]


def test_nul_bytes_from_a_network_source_are_stripped_too(engine: Engine) -> None:
    from paperfeed.ingest.records import store_records
    from paperfeed.records import HFInfo, PaperRecord

    rec = PaperRecord(id="2601.00009", title="T\u0000", abstract="A\u0000b", source="hf",
                      hf=HFInfo(upvotes=3, ai_summary="sum\u0000mary", ai_keywords=["k\u0000w"],
                                submitter="x\u0000"))
    report = store_records(engine, [rec])
    assert report.written.inserted == 1 and not report.bad
    with engine.connect() as c:
        row = c.execute(text("SELECT ai_summary, ai_keywords, submitter FROM hf_papers")).one()
    assert row[0] == "summary" and "\\u0000" not in row[1] and "kw" in row[1] and row[2] == "x"
