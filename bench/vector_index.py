"""Vector index: build time, query latency, recall@10 against exact search, open time, memory.

Data sets: real MiniLM vectors of arXiv titles (`--real N`, embedded once and cached under
/tmp) and synthetic clustered unit vectors (`--synthetic N`, e.g. 100000 or 1000000). The index
is paperfeed's own `VectorIndex` (usearch HNSW, float16, cosine) with its settings; the 1M file
is kept in --workdir and reused on the next run unless --fresh.

    .venv/bin/python bench/vector_index.py [--real 10000] [--synthetic 100000 1000000]
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import orjson

from paperfeed.index import vectors as V
from paperfeed.store import open_store

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "arxiv-102k.jsonl.gz"
DIM = 384
K = 10


def real_vectors(n: int, q: int) -> tuple[list[str], np.ndarray, np.ndarray]:
    cache = Path(tempfile.gettempdir()) / f"paperfeed-bench-titles-{n + q}.npy"
    with gzip.open(DATA) as f:
        rows = [orjson.loads(line) for _, line in zip(range(n + q), f, strict=False)]
    if cache.is_file():
        x = np.load(cache)
    else:
        from paperfeed.index.minilm import OnnxEmbedder

        t = time.perf_counter()
        x = OnnxEmbedder().embed([r["title"] for r in rows])
        print(f"embedded {len(rows)} titles in {time.perf_counter() - t:.0f} s")
        np.save(cache, x)
    return [r["id"] for r in rows[:n]], x[:n], x[n:]


def synthetic_vectors(n: int, q: int, seed: int = 0) -> tuple[list[str], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((max(n // 1000, 10), DIM)).astype(np.float32)
    x = np.empty((n + q, DIM), dtype=np.float32)
    for s in range(0, n + q, 100_000):
        m = min(100_000, n + q - s)
        c = rng.integers(0, len(centers), m)
        x[s : s + m] = centers[c] + 1.2 * rng.standard_normal((m, DIM)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return [f"syn.{i}" for i in range(n)], x[:n], x[n:]


def exact_top(x: np.ndarray, qs: np.ndarray) -> np.ndarray:
    out = []
    for s in range(0, len(qs), 100):
        sims = qs[s : s + 100] @ x.T
        top = np.argpartition(-sims, K, axis=1)[:, :K]
        out.append(top)
    return np.vstack(out)


def build(ix: V.VectorIndex, ids: list[str], x: np.ndarray) -> float:
    t = time.perf_counter()
    ix.index = ix._new_index(x.shape[1])
    keys = V._keys(ids)
    for s in range(0, len(ids), 50_000):
        ix.index.add(keys[s : s + 50_000], x[s : s + 50_000], threads=os.cpu_count() or 1)
    ix._new_ids = dict(zip(keys.tolist(), ids, strict=True))
    ix._merge_ids()
    ix.watermark = 1
    return time.perf_counter() - t


OPEN = """
import sys, time
import numpy as np
t = time.perf_counter()
from paperfeed.index.vectors import VectorIndex
from paperfeed.store import connect
e = connect(sys.argv[1])
ix = VectorIndex.open(e, sys.argv[2])
dt = time.perf_counter() - t
q = np.load(sys.argv[3])
for v in q[:200]:
    ix.search(v, 10)
# VmHWM, not ru_maxrss: the latter keeps the forking parent's peak across exec on Linux
hwm = [ln for ln in open("/proc/self/status") if ln.startswith("VmHWM")][0]
rss = int(hwm.split()[1]) / 1024
print(f"{dt:.2f} {rss:.0f} {len(ix)}")
"""


def run(name: str, ids: list[str], x: np.ndarray, qs: np.ndarray, work: Path,
        fresh: bool) -> None:
    os.environ["PAPERFEED_INDEX_DIR"] = str(work / name)
    db = str(work / f"{name}.sqlite")
    engine = open_store(db)
    model = f"bench-{name}"
    ix = V.VectorIndex(engine, model)
    if not fresh and ix._load() and len(ix) == len(ids):
        print(f"{name}: reusing {ix.path}")
    else:
        secs = build(ix, ids, x)
        ix.save()
        print(f"{name}: built {len(ids)} vectors in {secs:.1f} s "
              f"({len(ids) / secs:.0f}/s), file {ix.path.stat().st_size / 1e6:.0f} MB")
    truth = exact_top(x, qs)
    pos = {pid: i for i, pid in enumerate(ids)}
    for ef in (64, V.EXPANSION_SEARCH, 192):
        ix.index.expansion_search = ef
        lat, rec = [], []
        for qi, qv in enumerate(qs):
            t = time.perf_counter()
            hits = ix.search(qv, K)
            lat.append((time.perf_counter() - t) * 1000)
            got = {pos[p] for p, _ in hits}
            rec.append(len(got & set(truth[qi].tolist())) / K)
        print(f"  efSearch {ef:3d}: p50 {np.percentile(lat, 50):.2f} ms, "
              f"p99 {np.percentile(lat, 99):.2f} ms, recall@10 {np.mean(rec):.3f}")
    ix.index.expansion_search = V.EXPANSION_SEARCH
    t = time.perf_counter()
    exact_top(x, qs[:20])
    print(f"  exact numpy scan: {(time.perf_counter() - t) / 20 * 1000:.1f} ms a query")
    qfile = work / f"{name}-q.npy"
    np.save(qfile, qs)
    out = subprocess.run([sys.executable, "-c", OPEN, db, model, str(qfile)], check=True,
                         capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src")}).stdout.split()
    print(f"  fresh process: open {out[0]} s (imports included), max RSS {out[1]} MB "
          f"after 200 queries, {out[2]} vectors")
    engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", type=int, default=10_000)
    ap.add_argument("--synthetic", type=int, nargs="*", default=[100_000])
    ap.add_argument("--queries", type=int, default=500)
    ap.add_argument("--workdir", type=Path,
                    default=Path(tempfile.gettempdir()) / "paperfeed-bench-vectors")
    ap.add_argument("--fresh", action="store_true")
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    print(f"usearch f16 cos, M={V.CONNECTIVITY}, efConstruction={V.EXPANSION_ADD}, "
          f"{os.cpu_count()} cores")
    if args.real:
        run(f"real{args.real}", *real_vectors(args.real, args.queries), args.workdir,
            args.fresh)
    for n in args.synthetic:
        run(f"syn{n}", *synthetic_vectors(n, args.queries), args.workdir, args.fresh)


if __name__ == "__main__":
    main()
