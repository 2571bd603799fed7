"""Code links at scale, on real arxiv-102k papers.

Extracts links from every abstract and comment (no database), then imports the first N papers
into a fresh SQLite file and times the first catch-up, a rebuild, and a month of the daily list
with and without the has-code filter (the unfiltered query is the baseline of the ratio).

    python bench/codelinks_scale.py [N] [WORKDIR]     (defaults: 20000, /tmp/paperfeed-codelinks)
    python bench/codelinks_scale.py --sample          the by-eye sample: 50 linked papers
                                                      (seed 17), each link in its sentence
"""

from __future__ import annotations

import gzip
import itertools
import random
import sys
import time
from pathlib import Path

import orjson
from sqlalchemy import text

from paperfeed.index import codelinks
from paperfeed.ingest.files import import_file
from paperfeed.rank.daily import daily_papers, latest_day
from paperfeed.store import open_store

DATA = Path(__file__).resolve().parents[2] / "shared/data/arxiv-102k.jsonl.gz"


def timed(label: str, fn, *args, **kw):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    out = fn(*args, **kw)
    took = time.perf_counter() - t
    print(f"{label}: {took:.2f} s")
    return out, took


def extraction() -> None:
    t = time.perf_counter()
    papers = linked = code = project = 0
    with gzip.open(DATA, "rt") as f:
        for line in f:
            d = orjson.loads(line)
            links = codelinks.extract_links(d.get("abstract"), d.get("comment"))
            papers += 1
            linked += bool(links)
            code += any(link.kind == "code" for link in links)
            project += any(link.kind == "project" for link in links)
    took = time.perf_counter() - t
    print(f"extract: {papers:,} papers in {took:.1f} s ({papers / took:,.0f}/s); with a link "
          f"{linked:,} ({linked / papers:.1%}), code {code:,}, project page {project:,}")


def sample(n: int = 50, seed: int = 17) -> None:
    linked = []
    with gzip.open(DATA, "rt") as f:
        for line in f:
            d = orjson.loads(line)
            links = codelinks.extract_links(d.get("abstract"), d.get("comment"))
            if links:
                linked.append((d, links))
    random.seed(seed)
    for d, links in random.sample(linked, n):
        text_ = " ".join(f"{d.get('abstract') or ''} || {d.get('comment') or ''}".split())
        for link in links:
            tail = link.url.split("/", 3)[-1] if link.url.count("/") > 2 else link.url
            at = max(text_.lower().find(tail.lower()), 0)
            print(f"{d['id']} {link.kind} {link.url}\n    ...{text_[max(0, at - 90):at + 40]}...")


def database(n: int, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / "db.sqlite").unlink(missing_ok=True)
    src = work / "papers.jsonl"
    with gzip.open(DATA, "rt") as f, src.open("w") as out:
        out.writelines(itertools.islice(f, n))
    engine = open_store(str(work / "db.sqlite"))
    timed(f"import {n:,}", import_file, engine, src, parallel=False)
    done, took = timed("catch_up (first build)", codelinks.catch_up, engine)
    print(f"  {done / took:,.0f} papers/s")
    timed("rebuild", codelinks.rebuild, engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT kind, COUNT(DISTINCT paper_id) FROM paper_code_links "
                                 "GROUP BY kind ORDER BY kind")).all()
        print("papers by kind:", dict(rows))
        day = latest_day(conn)
        ms = {}
        for has_code in (False, True):
            t = time.perf_counter()
            for _ in range(20):
                page = daily_papers(conn, day, "month", None, 30, 0, has_code=has_code)
            ms[has_code] = (time.perf_counter() - t) / 20 * 1000
            print(f"daily (month) has_code={has_code}: {page.total:,} papers, "
                  f"{ms[has_code]:.1f} ms")
        print(f"has-code filter / baseline: {ms[True] / ms[False]:.2f}x")


if __name__ == "__main__":
    if sys.argv[1:] == ["--sample"]:
        sample()
        sys.exit()
    extraction()
    database(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000,
             Path(sys.argv[2] if len(sys.argv) > 2 else "/tmp/paperfeed-codelinks"))
