"""Time the reads of the Claims page/API on a stored corpus, against the earlier query shapes.

    .venv/bin/python bench/claims_page.py --db PATH_OR_URL [--repeat 5]

The database must hold papers with their claims caught up (e.g. `paperfeed --db X import
../shared/data/arxiv-102k.jsonl.gz`). Each filter's count and page keys are timed as
`find_claims` reads them now
(the paper's date kept on each claim, an index on (announced, paper_id, position), value sorts
grouped per kind and normalised unit) and with the earlier shape in the same run: the date read
from the paper's row through a join (the baseline). Best of --repeat runs, one process.

    .venv/bin/python bench/claims_page.py --db PATH --http [--standin-from DB] [--times 10]
                                          [--baseline-src DIR [--baseline-db PATH]] [--seconds 6]

--http: the /claims page over HTTP, every request a fresh rendering (a unique query parameter
defeats the page cache, as bench/pages_1m.py does): `paperfeed serve --workers 2`, one client
(`wrk -t1 -c1`) per filter set, p50/p99 and the server's CPU-ms per request; with
--baseline-src (the `src` of an earlier commit, e.g. `git archive COMMIT src | tar -x -C DIR`)
the same against that code, in the same run (on --baseline-db, a copy of --db from before
a migration, when given). --standin-from: first build --db as a claims-heavy
stand-in of a 1M-paper corpus in a minute, from a finished `paperfeed import` database: its
papers, categories and claims copied --times times under new ids, with the same dates (so a day
holds --times as many papers, as in bench/pages_1m.py), every index watermark at the new seq.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from paperfeed.rank.claims import ClaimQuery, page_keys, sql
from paperfeed.store import open_store

CASES: list[tuple[str, ClaimQuery, str]] = [
    ("category + since (cs.CL, 2025-01-01)",
     ClaimQuery(category="cs.CL", since=dt.date(2025, 1, 1)), "date_desc"),
    ("since only (2026-01-01)", ClaimQuery(since=dt.date(2026, 1, 1)), "date_desc"),
    ("kind=speedup, best value first", ClaimQuery(kind="speedup"), "value_desc"),
    ("no filter, newest first", ClaimQuery(), "date_desc"),
]


def new_shape(conn: Connection, q: ClaimQuery, sort: str) -> int:
    """The reads of find_claims() now, short of reading the page's rows: count, page keys."""
    where, params = q.where()
    total = int(conn.execute(sql(f"SELECT COUNT(*) FROM paper_claims c WHERE {where}",
                                 params)).scalar_one())
    page_keys(conn, q, sort, 50, 0)
    return total


def old_shape(conn: Connection, q: ClaimQuery, sort: str) -> int:
    """The earlier reads: count and page keys with the date from `papers` (a join)."""
    where, params = q.where()
    where = where.replace("c.announced", "p.announced")
    join = "JOIN papers p ON p.id = c.paper_id "
    total = int(conn.execute(sql(f"SELECT COUNT(*) FROM paper_claims c {join}WHERE {where}",
                                 params)).scalar_one())
    order = ('c."value" DESC' if sort.startswith("value")
             else 'p.announced DESC, c.paper_id DESC, c."position"')
    conn.execute(sql(f'SELECT c.paper_id, c."position" FROM paper_claims c {join}WHERE {where} '
                     f"ORDER BY {order} LIMIT 50", params)).all()
    return total


def best(fn: Any, repeat: int) -> tuple[float, Any]:
    out = None
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


PAGES = [("default (newest first)", "/claims"),
         ("kind=speedup, by value", "/claims?kind=speedup&sort=value_desc"),
         ("category=cs.CL", "/claims?category=cs.CL"),
         ("since=2025-06-01", "/claims?since=2025-06-01"),
         ("cs.CL by value", "/claims?category=cs.CL&sort=value_desc"),
         ("speedup in cs.LG", "/claims?kind=speedup&category=cs.LG"),
         ("all three of pages_1m", "/claims|/claims?kind=speedup&sort=value_desc|"
                                   "/claims?category=cs.CL")]
COPIES = {  # table: its columns, the paper id column first
    "papers": "id, seq, title, abstract, authors, categories, primary_category, submitted, "
              "updated, announced, version, versions, comment, journal_ref, doi, license, links, "
              "priority, created_at, modified_at",
    "paper_categories": "paper_id, category, position, announced",
    "paper_claims": 'paper_id, position, paper_version, extractor_version, kind, value, low, '
                    'high, unit, what, text, start, "end", direction, norm_value, norm_unit, '
                    'subkind, baseline, condition, announced'}


def standin(src: str, dest: Path, times: int) -> None:
    """`dest`: `src` with its papers, categories and claims copied `times` times in all."""
    if dest.exists():
        return
    shutil.copyfile(src, dest)
    db = sqlite3.connect(dest)
    db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA cache_size=-400000;")
    step = int(db.execute("SELECT MAX(seq) FROM papers").fetchone()[0]) + 1
    for table, cols in COPIES.items():
        first, rest = cols.split(", ", 1)
        for r in range(1, times):
            rest_r = rest.replace("seq,", f"seq + {r * step},", 1) if table == "papers" else rest
            db.execute(f"INSERT INTO {table} ({cols}) SELECT 'r{r}:' || {first}, {rest_r} "
                       f"FROM {table} WHERE {first} NOT LIKE 'r%:%'")
    db.execute("UPDATE index_state SET seq = (SELECT MAX(seq) FROM papers)")
    db.commit()
    db.execute("PRAGMA journal_mode=WAL")
    db.close()


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) of a process and its live children."""
    total = 0.0
    for d in [Path(f"/proc/{pid}"), *(p for p in Path("/proc").iterdir() if p.name.isdigit())]:
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if d.name == str(pid) or fields[1] == str(pid):
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def http(db: str, src: Path, seconds: int) -> dict[str, dict[str, float]]:
    from pages_1m import UNIQUE_LUA
    from serve_load import free_port, lua_list, paperfeed, wait_up, wrk

    env = {**os.environ, "PYTHONPATH": str(src),
           "PAPERFEED_SECRET_KEY": secrets.token_urlsafe(48)}
    port = free_port()
    server = paperfeed("--db", db, "serve", "--port", str(port), "--workers", "2", env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    out = {}
    try:
        wait_up(base + "/about", server, timeout=300)
        for name, paths in PAGES:
            # warm both workers (two connections): each keeps its own per-version results
            wrk(base, 3, 2, UNIQUE_LUA % lua_list(paths.split("|")))
            cpu0 = _cpu_s(server.pid)
            r = wrk(base, seconds, 1, UNIQUE_LUA % lua_list(paths.split("|")))
            r["cpu_ms"] = (_cpu_s(server.pid) - cpu0) * 1e3 / max(r["rps"] * seconds, 1)
            out[name] = r
    finally:
        server.terminate()
        server.wait()
    return out


def main_http(args: argparse.Namespace) -> int:
    if args.standin_from:
        standin(args.standin_from, Path(args.db), args.times)
    trees = {"now": (Path(__file__).resolve().parents[1] / "src", args.db)}
    if args.baseline_src:  # its own copy of the database when the schema moved on since
        trees = {"before": (Path(args.baseline_src), args.baseline_db or args.db), **trees}
    results = {label: http(db, src, args.seconds) for label, (src, db) in trees.items()}
    with sqlite3.connect(f"file:{args.db}?mode=ro", uri=True) as db:
        n_papers, n_claims = (db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                              for t in ("papers", "paper_claims"))
    print(f"\n{n_papers:,} papers, {n_claims:,} claims, serve --workers 2, one client, every "
          f"request a fresh rendering; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'page':<24}" + "".join(f" {label + ' p50':>11} {'p99':>7} {'cpu-ms':>7}"
                                    for label in results))
    for name, _ in PAGES:
        print(f"{name:<24}" + "".join(
            f" {r[name]['p50']:>11.1f} {r[name]['p99']:>7.1f} {r[name]['cpu_ms']:>7.1f}"
            for r in results.values()))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--http", action="store_true")
    ap.add_argument("--standin-from")
    ap.add_argument("--times", type=int, default=10)
    ap.add_argument("--baseline-src")
    ap.add_argument("--baseline-db")
    ap.add_argument("--seconds", type=int, default=6)
    args = ap.parse_args()
    if args.http:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        return main_http(args)
    engine = open_store(args.db)
    with engine.connect() as conn:
        n = int(conn.execute(sql("SELECT COUNT(*) FROM paper_claims", {})).scalar_one())
        print(f"{n:,} claims ({engine.dialect.name})")
        print(f"{'filter':<40} {'claims':>7} {'now ms':>8} {'before ms':>10} {'ratio':>6}")
        for name, q, sort in CASES:
            t_new, total = best(lambda q=q, sort=sort: new_shape(conn, q, sort), args.repeat)
            t_old, total_old = best(lambda q=q, sort=sort: old_shape(conn, q, sort),
                                    args.repeat)
            assert total == total_old, (name, total, total_old)
            print(f"{name:<40} {total:>7,} {t_new * 1e3:>8.1f} {t_old * 1e3:>10.1f} "
                  f"{t_old / t_new:>5.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
