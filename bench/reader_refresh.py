"""What a web reader pays to stay fresh: search latency with the index_state look on every
query vs throttled (the default, every 0.5 s), and how soon a reader sees a writer's papers.

Builds a SQLite store of N papers from ../shared/data/arxiv-102k.jsonl.gz (default 5,000; the
305-paper test sample when the file is missing), indexes it with the hash embedder (no model
load), then times `Searcher.search` (hybrid) both ways and measures the delay between a
writer's `refresh()` finishing and the reader finding a new paper by meaning.

    .venv/bin/python bench/reader_refresh.py [--n 5000] [--queries 300]
"""

from __future__ import annotations

import argparse
import gzip
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parents[1]
BIG = ROOT.parent / "shared" / "data" / "arxiv-102k.jsonl.gz"
SAMPLE = ROOT / "tests" / "fixtures" / "arxiv-sample-305.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--queries", type=int, default=300)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pf-refresh-"))
    os.environ["PAPERFEED_INDEX_DIR"] = str(tmp / "index")
    os.environ["PAPERFEED_EMBED_MODEL"] = "hash"
    sys.path.insert(0, str(ROOT / "src"))
    from paperfeed.index.refresh import refresh
    from paperfeed.ingest.files import import_file
    from paperfeed.search.hybrid import Searcher
    from paperfeed.store import open_store

    src = SAMPLE
    if BIG.is_file():
        src = tmp / "papers.jsonl"
        with gzip.open(BIG, "rb") as f, src.open("wb") as out:
            for i, line in enumerate(f):
                if i >= args.n:
                    break
                out.write(line)
    engine = open_store(str(tmp / "bench.sqlite"))
    import_file(engine, src, parallel=False)
    refresh(engine)
    s = Searcher(engine, catch_up=False)
    words = ["graph", "neural", "quantum", "galaxy", "language", "model", "optimal", "spin"]
    queries = [f"{words[i % 8]} {words[(i * 3 + 1) % 8]}" for i in range(args.queries)]
    s.search(queries[0])  # load the semantic side once

    def timed(force: bool = False) -> float:
        out = []
        for q in queries:
            t0 = time.perf_counter()
            if force:
                s.refresh(force=True)  # reload both indexes on every query
            s.search(q, k=10)
            out.append((time.perf_counter() - t0) * 1000)
        return statistics.median(out)

    p50t = timed()
    watches = [s.lexical._watch, s._vectors._watch]  # type: ignore[union-attr]
    for w in watches:
        w.every = 0.0  # look at the rows on every query (nothing changes: no reload)
    p50l = timed()
    for w in watches:
        w.every = 0.5
    p50e = timed(force=True)
    new = tmp / "new.jsonl"
    new.write_bytes(orjson.dumps({"id": "2612.04242", "title": "Quokka wombat echidna networks",
                                  "abstract": "Quokka wombat echidna herds.", "authors": ["K P"],
                                  "categories": ["q-bio.PE"], "date": "2026-12-01"}) + b"\n")
    import_file(engine, new, parallel=False)
    refresh(engine)
    done = time.perf_counter()
    while True:
        res = s.search("quokka wombat echidna", k=1, mode="semantic")
        if res.hits and res.hits[0].id == "2612.04242":
            break
        time.sleep(0.01)
    seen = time.perf_counter() - done
    with engine.connect() as c:
        from sqlalchemy import text

        n = c.execute(text("SELECT COUNT(*) FROM papers")).scalar_one()
    print(f"papers: {n:,}; queries: {len(queries)} (hybrid, hash embedder)")
    print(f"search p50 throttled refresh (default): {p50t:.2f} ms")
    print(f"search p50 looking at index_state on every query: {p50l:.2f} ms "
          f"(ratio {p50l / p50t:.2f})")
    print(f"search p50 reloading both indexes on every query: {p50e:.2f} ms "
          f"(ratio {p50e / p50t:.2f})")
    print(f"a writer's new paper found by meaning after: {seen * 1000:.0f} ms")


if __name__ == "__main__":
    main()
