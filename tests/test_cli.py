"""The command line as a user drives it: real processes, real database files."""

from __future__ import annotations

import os
import subprocess
import sys

import orjson
import pytest
from support.paths import FIXTURES, ROOT

SAMPLE = FIXTURES / "arxiv-sample-305.jsonl.gz"


def pf(*args: str, db: str | None = None, **kw: object) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "120"}
    env.pop("PAPERFEED_DATABASE_URL", None)
    if db:
        env["PAPERFEED_DATABASE_URL"] = db
    return subprocess.run([sys.executable, "-m", "paperfeed", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, **kw)  # type: ignore[call-overload]


def test_import_then_stats_json_counts_papers(db_url: str) -> None:
    r = pf("import", str(SAMPLE), db=db_url)
    assert r.returncode == 0, r.stderr
    assert "305 new" in r.stdout
    stats = orjson.loads(pf("stats", "--json", db=db_url).stdout)
    assert stats["papers"] == 305 and stats["sources"] == {"jsonl": 305}


def test_db_option_beats_environment(tmp_path: pytest.TempPathFactory) -> None:
    a, b = str(tmp_path / "a.sqlite"), str(tmp_path / "b.sqlite")  # type: ignore[operator]
    pf("--db", a, "import", str(FIXTURES / "snapshot-sample.jsonl"), db=b)
    assert orjson.loads(pf("--db", a, "stats", "--json").stdout)["papers"] == 3
    assert orjson.loads(pf("stats", "--json", db=b).stdout)["papers"] == 0


def test_show_json_and_text(tmp_path: pytest.TempPathFactory) -> None:
    db = str(tmp_path / "s.sqlite")  # type: ignore[operator]
    pf("import", str(FIXTURES / "snapshot-sample.jsonl"), db=db)
    paper = orjson.loads(pf("show", "0704.0002v2", "--json", db=db).stdout)
    assert paper["authors"] == ["Ileana Streinu", "Louis Theran"]
    assert paper["categories"] == ["math.CO", "cs.CG"]
    text = pf("show", "arXiv:0704.0002", db=db).stdout
    assert "Sparsity-certifying Graph Decompositions" in text and "https://arxiv.org/abs/0704.0002" in text


def test_show_unknown_and_invalid_ids_explain(tmp_path: pytest.TempPathFactory) -> None:
    db = str(tmp_path / "s.sqlite")  # type: ignore[operator]
    missing = pf("show", "2501.99999", db=db)
    assert missing.returncode == 2 and "no paper '2501.99999'" in missing.stderr
    bad = pf("show", "not an id", db=db)
    assert bad.returncode == 1 and "not an arXiv id" in bad.stderr
    assert "Traceback" not in missing.stderr + bad.stderr


def test_export_jsonl_round_trips(tmp_path: pytest.TempPathFactory) -> None:
    src, dst = str(tmp_path / "src.sqlite"), str(tmp_path / "dst.sqlite")  # type: ignore[operator]
    pf("import", str(SAMPLE), db=src)
    out = tmp_path / "export.jsonl"  # type: ignore[operator]
    out.write_text(pf("export", db=src).stdout)
    assert pf("import", str(out), db=dst).returncode == 0
    a = orjson.loads(pf("show", "2509.15335", "--json", db=src).stdout)
    b = orjson.loads(pf("show", "2509.15335", "--json", db=dst).stdout)
    for key in ("title", "abstract", "authors", "categories", "announced", "comment"):
        assert a[key] == b[key], key


def test_export_bibtex(tmp_path: pytest.TempPathFactory) -> None:
    db = str(tmp_path / "b.sqlite")  # type: ignore[operator]
    pf("import", str(FIXTURES / "snapshot-sample.jsonl"), db=db)
    bib = pf("export", "--format", "bibtex", db=db).stdout
    assert bib.count("@misc{") == 3
    assert "@misc{balazs2007calculation," in bib
    assert "eprint = {0704.0001}" in bib and "archivePrefix = {arXiv}" in bib
    assert "doi = {10.1103/PhysRevD.76.013009}" in bib


def test_bad_inputs_get_one_clear_line(tmp_path: pytest.TempPathFactory) -> None:
    db = str(tmp_path / "x.sqlite")  # type: ignore[operator]
    r = pf("import", "no-such-file.jsonl", db=db)
    assert r.returncode == 1 and "no such file: no-such-file.jsonl" in r.stderr
    r = pf("stats", db="postgresql://nobody@127.0.0.1:1/none")
    assert r.returncode == 1 and "cannot open the database" in r.stderr
    assert "Traceback" not in r.stderr


def test_bad_lines_are_reported_and_strict_fails(tmp_path: pytest.TempPathFactory) -> None:
    db = str(tmp_path / "x.sqlite")  # type: ignore[operator]
    f = tmp_path / "bad.jsonl"  # type: ignore[operator]
    f.write_text('{"id": "2501.00001", "title": "t", "abstract": "a"}\n{"id": "2501.00002"}\n')
    r = pf("import", str(f), db=db)
    assert r.returncode == 0 and "1 new" in r.stdout and "1 bad lines skipped" in r.stdout
    assert f"{f}:2: title: missing or empty" in r.stderr
    r = pf("import", "--strict", str(f), db=str(tmp_path / "y.sqlite"))  # type: ignore[operator]
    assert r.returncode == 1 and "--strict" in r.stderr


def test_demo_loads_the_bundled_corpus(tmp_path: pytest.TempPathFactory) -> None:
    db = str(tmp_path / "demo.sqlite")  # type: ignore[operator]
    r = pf("demo", db=db)
    assert r.returncode == 0, r.stderr
    n = orjson.loads(pf("stats", "--json", db=db).stdout)["papers"]
    assert 2000 <= n <= 6000
    assert pf("demo", db=db).returncode == 0
    assert orjson.loads(pf("stats", "--json", db=db).stdout)["papers"] == n
