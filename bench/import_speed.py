"""Bulk import speed: `paperfeed import` of arxiv-102k into SQLite (and PostgreSQL if given).

Prints papers/s for the import, the derived lookups, and a re-import, next to two baselines run
in the same process: the raw parse floor (gzip + orjson) and the raw SQLite floor (one
executemany of the same rows into one table, no merging, no provenance).

    .venv/bin/python bench/import_speed.py [--file ../shared/data/arxiv-102k.jsonl.gz]
                                           [--postgres postgresql://postgres@127.0.0.1/test]
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import sqlite3
import tempfile
import time
from pathlib import Path

import orjson

from paperfeed.index.lookups import catch_up_lookups
from paperfeed.ingest.files import import_file
from paperfeed.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "arxiv-102k.jsonl.gz"


def timed(fn):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def raw_parse(path: Path) -> list[dict]:  # type: ignore[type-arg]
    return [orjson.loads(line) for line in gzip.open(path)]


def raw_sqlite(rows: list[dict], db: Path) -> None:  # type: ignore[type-arg]
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE p (id TEXT PRIMARY KEY, title TEXT, abstract TEXT, authors TEXT, "
                "categories TEXT, date TEXT, comment TEXT)")
    data = [(r["id"], r["title"], r["abstract"], orjson.dumps(r["authors"]).decode(),
             orjson.dumps(r["categories"]).decode(), r["date"], r["comment"]) for r in rows]
    for i in range(0, len(data), 10_000):
        con.execute("BEGIN")
        con.executemany("INSERT INTO p VALUES (?,?,?,?,?,?,?)", data[i : i + 10_000])
        con.execute("COMMIT")
    con.close()


def run(db: str, path: Path, n: int) -> dict[str, float]:
    engine = open_store(db)
    rep, t_import = timed(lambda: import_file(engine, path))
    _, t_lookups = timed(lambda: catch_up_lookups(engine))
    rep2, t_again = timed(lambda: import_file(engine, path))
    assert rep.written.inserted == n and rep2.written.unchanged == n, (rep, rep2)
    engine.dispose()
    return {"import": n / t_import, "lookups": n / t_lookups, "import+lookups":
            n / (t_import + t_lookups), "reimport": n / t_again}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--postgres", help="also measure against this PostgreSQL database URL")
    args = ap.parse_args()
    if not args.file.exists():
        raise SystemExit(f"{args.file} not found (the shared data sets sit beside the repo)")
    print(f"# import speed, {time.strftime('%Y-%m-%d')}, {platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, file {args.file.name}")
    rows, t_parse = timed(lambda: raw_parse(args.file))
    n = len(rows)
    with tempfile.TemporaryDirectory() as tmp:
        _, t_raw = timed(lambda: raw_sqlite(rows, Path(tmp) / "raw.sqlite"))
        rows.clear()
        res = run(str(Path(tmp) / "bench.sqlite"), args.file, n)
        size = (Path(tmp) / "bench.sqlite").stat().st_size
    print(f"papers: {n:,}")
    print(f"baseline raw parse (gzip+orjson):      {n / t_parse:>9,.0f} papers/s")
    print(f"baseline raw SQLite insert, 1 table:    {n / t_raw:>9,.0f} papers/s")
    for k, v in res.items():
        print(f"paperfeed SQLite {k:<22} {v:>9,.0f} papers/s")
    print(f"ratio import / raw SQLite floor: {res['import'] / (n / t_raw):.2f}")
    print(f"database size: {size / 1e6:,.0f} MB")
    if args.postgres:
        from sqlalchemy import create_engine, text

        admin = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("DROP SCHEMA IF EXISTS bench_import CASCADE"))
            c.execute(text("CREATE SCHEMA bench_import"))
        sep = "&" if "?" in args.postgres else "?"
        pg = run(f"{args.postgres}{sep}options=-csearch_path%3Dbench_import", args.file, n)
        for k, v in pg.items():
            print(f"paperfeed PostgreSQL {k:<18} {v:>9,.0f} papers/s")
        with admin.connect() as c:
            c.execute(text("DROP SCHEMA bench_import CASCADE"))


if __name__ == "__main__":
    main()
