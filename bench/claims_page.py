"""Time the reads of the Claims page/API on a stored corpus, against the earlier query shapes.

    .venv/bin/python bench/claims_page.py --db PATH_OR_URL [--repeat 5]

The database must hold papers with their claims caught up (e.g. `paperfeed --db X import
../shared/data/arxiv-102k.jsonl.gz`). Each filter's count and page keys are timed as
`find_claims` reads them now
(the paper's date kept on each claim, an index on (announced, paper_id, position), value sorts
grouped per kind and normalised unit) and with the earlier shape in the same run: the date read
from the paper's row through a join (the baseline). Best of --repeat runs, one process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db", required=True)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
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
