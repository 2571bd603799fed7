"""Search latency at 1M papers: lexical, dense and hybrid p50/p99, memory, open time.

The corpus is arxiv-102k replicated to 1M with new ids (replica r of paper i keeps i's title
and takes the abstract and authors of another paper, so documents differ); it is imported with
`import_file` into SQLite and indexed with `catch_up_lexical`, exactly as `paperfeed import`
does. Dense vectors are synthetic (clustered, 384-dim, unit length), stored float16 in
`paper_vectors` like real ones and served by paperfeed's own usearch index (built from the
database, persisted, reopened by the measuring process): latency and memory, not quality.
`--db PATH` measures an existing database with its real vectors instead (e.g. arxiv-102k after
`paperfeed index update`). Queries are the 80 dev queries plus 200
2-4 word title fragments; each is timed through `Searcher.search` (k=10, snippets and rows
from the database included). The query embedder is paperfeed's "minilm" when installed (its
time is included in dense/hybrid); otherwise the hash embedder, and the bench says so.

Measurement runs in a fresh child process pinned to 2 threads, which reports its own peak
RSS and open time. The built corpus is kept in bench/out/latency-1m/ for re-runs.

    .venv/bin/python bench/search_latency.py [--papers 1000000] [--rebuild] [--db PATH]
"""

from __future__ import annotations

import argparse
import gzip
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out" / "latency-1m"
DIM = 384


def build(n: int, rebuild: bool) -> None:
    """The 1M-paper database, its lexical index and a synthetic HNSW index, once."""
    os.environ["PAPERFEED_INDEX_DIR"] = str(OUT / "index")
    from paperfeed.index.lexical import catch_up_lexical, lexical_status
    from paperfeed.ingest.files import import_file
    from paperfeed.store import open_store

    if rebuild and OUT.exists():
        import shutil

        shutil.rmtree(OUT)
    OUT.mkdir(parents=True, exist_ok=True)
    db = OUT / "papers.sqlite"
    done = OUT / "built.json"
    if done.exists() and orjson.loads(done.read_bytes()).get("papers") == n:
        return
    src = OUT / "papers.jsonl"
    t0 = time.perf_counter()
    replicate(n, src)
    engine = open_store(str(db))
    t1 = time.perf_counter()
    import_file(engine, src)
    t_import = time.perf_counter() - t1
    src.unlink()
    t1 = time.perf_counter()
    catch_up_lexical(engine)
    t_lex = time.perf_counter() - t1
    st = lexical_status(engine)
    # synthetic vectors (2,000 clusters, unit length) stored in paper_vectors as `index update`
    # stores real ones (float16, the query model's id), then the real usearch index is built
    # from the database exactly as a fresh web process would build it.
    model_id = query_embedder()[0].model_id
    t1 = time.perf_counter()
    insert_synthetic_vectors(engine, model_id)
    t_vec = time.perf_counter() - t1
    from paperfeed.index.vectors import VectorIndex

    t1 = time.perf_counter()
    VectorIndex.open(engine, model_id)
    t_hnsw = time.perf_counter() - t1
    info = {"papers": n, "write_jsonl_s": round(t1 - t0, 1), "import_s": round(t_import, 1),
            "lexical_build_s": round(t_lex, 1), "lexical_bytes": st["bytes"],
            "vectors_insert_s": round(t_vec, 1), "hnsw_build_s": round(t_hnsw, 1),
            "db_bytes": db.stat().st_size}
    done.write_bytes(orjson.dumps(info))


def replicate(n: int, dest: Path) -> None:
    """arxiv-102k replicated to `n` papers as JSONL: replica r of paper i keeps i's title and
    dates and takes the abstract and authors of another paper, under a new id."""
    with gzip.open(DATA / "arxiv-102k.jsonl.gz", "rb") as f:
        base = [orjson.loads(line) for line in f]
    with open(dest, "wb") as out:
        for i in range(n):
            r, j = divmod(i, len(base))
            p = dict(base[j])
            if r:
                other = base[(j * 7919 + r * 104729) % len(base)]
                p = {**p, "id": f"r{r}:{p['id']}", "abstract": other["abstract"],
                     "authors": other["authors"]}
            out.write(orjson.dumps(p) + b"\n")


def insert_synthetic_vectors(engine: Any, model_id: str, chunk: int = 50_000) -> None:
    from sqlalchemy import text

    from paperfeed.store.db import write_tx

    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, seq FROM papers ORDER BY seq")).all()
    rng = np.random.default_rng(7)
    centers = rng.standard_normal((2000, DIM)).astype(np.float32)
    for s in range(0, len(rows), chunk):
        part = rows[s:s + chunk]
        x = centers[rng.integers(0, 2000, len(part))] + 0.6 * rng.standard_normal(
            (len(part), DIM)).astype(np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        x16 = x.astype("<f2")
        with write_tx(engine) as conn:
            conn.exec_driver_sql(
                "INSERT INTO paper_vectors (paper_id, model_id, dim, vec, text_hash, seq, "
                "embedded_at) VALUES (?, ?, ?, ?, 'synthetic', ?, '2026-11-23')",
                [(r.id, model_id, DIM, x16[i].tobytes(), r.seq) for i, r in enumerate(part)])


def query_embedder() -> tuple[Any, str]:
    """paperfeed's "minilm" when it loads, else the hash embedder (and the bench says so)."""
    from paperfeed.index.embed import HashEmbedder, get_embedder

    try:
        import paperfeed.index.minilm  # noqa: F401

        return get_embedder("minilm"), "minilm"
    except (ImportError, ValueError, OSError, RuntimeError):
        return HashEmbedder(DIM), "hash (minilm not installed: embedding excluded)"


def queries(n_fragments: int = 200) -> list[str]:
    qs = []
    for name in ("known_items_dev.jsonl", "topics_dev.jsonl"):
        with open(DATA / name, "rb") as f:
            qs += [orjson.loads(line)["query"] for line in f]
    rng = random.Random(3)
    with gzip.open(DATA / "arxiv-102k.jsonl.gz", "rb") as f:
        titles = [orjson.loads(line)["title"] for _, line in zip(range(20_000), f, strict=False)]
    for _ in range(n_fragments):
        words = rng.choice(titles).split()
        w = rng.randint(2, 4)
        s = rng.randint(0, max(0, len(words) - w))
        qs.append(" ".join(words[s:s + w]))
    return qs


def peak_rss_mb() -> float:
    """This process's peak resident set (VmHWM). Not ru_maxrss: Linux carries the parent's
    peak across fork+exec into the child's ru_maxrss, which would count the build's memory."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(db: Path, index: Path) -> None:
    """Runs in the child: open everything, time each mode, print one JSON line."""
    os.environ["PAPERFEED_INDEX_DIR"] = str(index)
    t0 = time.perf_counter()
    from paperfeed.search.hybrid import Searcher
    from paperfeed.store.db import connect

    embedder, which = query_embedder()
    engine = connect(str(db))
    embedder.embed(["warm up"], kind="query")
    t_model = time.perf_counter() - t0
    searcher = Searcher(engine, embedder=embedder, catch_up=False)
    searcher.search("warm up query", k=10, mode="lexical")
    rss_no_vectors = peak_rss_mb()
    t_lex = time.perf_counter() - t0 - t_model
    if not searcher.semantic_ready():  # loads the persisted usearch index
        raise SystemExit(f"no vectors: {searcher._semantic_note}")
    t_open = time.perf_counter() - t0
    n_vectors = len(searcher._vectors)
    qs = queries()
    out: dict[str, Any] = {"open_s": round(t_open, 2), "model_s": round(t_model, 2),
                           "lexical_open_s": round(t_lex, 2), "embedder": which,
                           "vectors": n_vectors,
                           "queries": len(qs), "rss_without_vectors_mb": round(rss_no_vectors)}
    t = time.perf_counter()
    for q in qs:
        searcher.lexical.search(q, 10, count=False)  # type: ignore[union-attr]
    out["tantivy_only_ms_mean"] = round((time.perf_counter() - t) * 1000 / len(qs), 2)
    for mode in ("lexical", "semantic", "hybrid"):
        for q in qs[:20]:
            searcher.search(q, k=10, mode=mode)  # warm caches
        times = []
        for q in qs:
            searcher._qcache.clear()  # time the query's embedding every time
            t = time.perf_counter()
            searcher.search(q, k=10, mode=mode)
            times.append((time.perf_counter() - t) * 1000)
        out[mode] = {"p50_ms": round(float(np.percentile(times, 50)), 2),
                     "p99_ms": round(float(np.percentile(times, 99)), 2)}
    t = time.perf_counter()
    for q in qs[:100]:
        embedder.embed([q], kind="query")
    out["embed_query_ms"] = round((time.perf_counter() - t) * 10, 2)
    out["peak_rss_mb"] = round(peak_rss_mb())
    print(orjson.dumps(out).decode())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--rebuild", action="store_true", help="Build the corpus again.")
    ap.add_argument("--db", type=Path, help="Measure this SQLite database (its own vectors).")
    ap.add_argument("--child", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        measure(*args.child)
        return
    if not DATA.is_dir():
        sys.exit(f"{DATA} is missing: the shared data sets sit beside the repository")
    if args.db:
        db, index = args.db, Path(os.environ.get("PAPERFEED_INDEX_DIR") or f"{args.db}.index")
        print(f"corpus: {db} (real vectors)")
    else:
        t0 = time.perf_counter()
        build(args.papers, args.rebuild)
        db, index = OUT / "papers.sqlite", OUT / "index"
        info = orjson.loads((OUT / "built.json").read_bytes())
        print(f"corpus: {info['papers']:,} papers (built/reused in "
              f"{time.perf_counter() - t0:.0f} s)")
        print(f"  import {info['import_s']} s, lexical index {info['lexical_build_s']} s "
              f"({info['lexical_bytes'] / 1e6:,.0f} MB), synthetic vectors into the database "
              f"{info['vectors_insert_s']} s, usearch HNSW build {info['hnsw_build_s']} s, "
              f"database {info['db_bytes'] / 1e6:,.0f} MB")
    env = {**os.environ, "OMP_NUM_THREADS": "2", "MKL_NUM_THREADS": "2",
           "OPENBLAS_NUM_THREADS": "2"}
    r = subprocess.run([sys.executable, __file__, "--child", str(db), str(index)], env=env,
                       capture_output=True, text=True, check=False)
    if r.returncode != 0:
        sys.exit(f"measurement failed:\n{r.stderr[-3000:]}")
    res = orjson.loads(r.stdout.strip().splitlines()[-1])
    print(f"query embedder: {res['embedder']} ({res['embed_query_ms']} ms per query)")
    print(f"open: {res['open_s']} s in all (model {res['model_s']} s, lexical index + database "
          f"{res['lexical_open_s']} s, the rest the usearch index of {res['vectors']:,} vectors)")
    print(f"peak RSS {res['peak_rss_mb']:,} MB; before loading the vector index "
          f"{res['rss_without_vectors_mb']:,} MB")
    print(f"{res['queries']} queries, k=10, rows + snippets included; tantivy alone (no rows, "
          f"no snippets) {res['tantivy_only_ms_mean']} ms mean")
    print(f"  {'':10}{'p50 ms':>10}{'p99 ms':>10}")
    for mode, name in (("lexical", "BM25"), ("semantic", "dense"), ("hybrid", "hybrid")):
        print(f"  {name:10}{res[mode]['p50_ms']:>10}{res[mode]['p99_ms']:>10}")


if __name__ == "__main__":
    main()
