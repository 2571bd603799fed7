"""For-you per-user retrain time at full size, per stage, old code against new in one run.

Users: USERS random papers of the database as positives (1, 3 or 10 each, seeded), 100
results, `recommend(..., timings=)`. Each --src is a source tree (e.g. an export of an older
commit, `git archive HEAD src | tar -x -C /tmp/old`) run in its own process, one after the
other (`--rounds N`: N times, alternating, then the median and the best of each); the top
ids are compared with the first source's (the same results?).

    nice -n 10 .venv/bin/python bench/foryou_speed.py --db COPY/paperfeed.db \
        --src /tmp/old/src --src src --rounds 3

`--standin-vectors` (arxiv-102k has no real vectors here: embedding it takes ~90 minutes on
these CPUs) first gives every paper of --db a stand-in vector, once (`StandIn`: 384 wide like
MiniLM, a fixed signed hashing of the paper's lexical terms weighted by sublinear TF x IDF, so
vector neighbours are papers of similar words), and builds its vector index; the children then
run with it as the embedding model. Copy the database first: the vectors are written into it.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

SIZES = (1, 3, 10, 1, 3, 10)
STANDIN = "standin-384"
STAGES = ("candidates", "load", "analysis", "fit", "why")


class StandIn:
    """Stand-in vectors for timing: per paper the signed hashing of its lexical terms (the
    lexical index's analysis), weighted (1 + log tf) x idf, into 384 dimensions."""

    model_id, dim = STANDIN, 384

    def __init__(self, idf: dict[str, float] | None = None) -> None:
        self.idf = idf or {}
        self.slot: dict[str, tuple[int, float]] = {}

    def embed(self, texts: list[str], kind: str = "passage") -> Any:
        import hashlib
        from collections import Counter

        import numpy as np

        from paperfeed.index.lexical import EN

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for stem, n in Counter(EN.analyze(t)).items():
                at = self.slot.get(stem)
                if at is None:
                    h = int.from_bytes(hashlib.blake2b(stem.encode(), digest_size=8).digest(),
                                       "little")
                    at = self.slot[stem] = (h % self.dim, 1.0 if (h >> 32) & 1 else -1.0)
                out[i, at[0]] += at[1] * (1.0 + math.log(n)) * self.idf.get(stem, 1.0)
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-9)


def _register() -> None:
    from paperfeed.index.embed import register_embedder

    register_embedder(STANDIN, StandIn)


def standin_vectors(db: str) -> None:
    """Give every paper of `db` a StandIn vector (unless it has them) and build the index."""
    from collections import Counter

    from sqlalchemy import text

    from paperfeed.index.lexical import EN
    from paperfeed.index.vectors import VectorIndex, count_missing, embed_missing, embed_text
    from paperfeed.store import open_store

    engine = open_store(db)
    if not count_missing(engine, STANDIN):
        return
    t0 = time.perf_counter()
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT title, abstract FROM papers")).all()
    df: Counter[str] = Counter()
    for r in rows:
        df.update(set(EN.analyze(embed_text(r.title, r.abstract))))
    idf = {s: math.log((len(rows) + 1) / (n + 1)) + 1.0 for s, n in df.items()}
    n = embed_missing(engine, StandIn(idf), batch=2000)
    size = len(VectorIndex.open(engine, STANDIN))
    print(f"stand-in vectors: {n:,} embedded, index of {size:,} in "
          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr)


def _child(db: str, repeat: int) -> None:
    from sqlalchemy import text

    from paperfeed.rank.foryou import Profile, recommend
    from paperfeed.store import open_store

    engine = open_store(db)
    with engine.connect() as conn:
        ids = [r[0] for r in conn.execute(text("SELECT id FROM papers ORDER BY id"))]
    rng = random.Random(11)
    users = [rng.sample(ids, n) for n in SIZES]
    recommend(engine, Profile({ids[5]: 1.0}), 100)  # warm-up: open the indexes
    out = []
    for rep in range(repeat):
        for u in users:
            t: dict[str, float] = {}
            c0 = time.process_time()
            t0 = time.perf_counter()
            top = [r.id for r in recommend(engine, Profile(dict.fromkeys(u, 1.0)), 100,
                                           timings=t)]
            out.append({"rep": rep, "n": len(u), "wall": time.perf_counter() - t0,
                        "cpu": time.process_time() - c0, "stages": t, "top": top})
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"runs": out, "rss_mb": rss, "load": os.getloadavg()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", required=True)
    ap.add_argument("--src", action="append", required=True, help="a source tree (repeatable)")
    ap.add_argument("--repeat", type=int, default=2, help="passes over the users")
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of every source, alternating (a median over a shared machine)")
    ap.add_argument("--standin-vectors", action="store_true",
                    help="give --db stand-in vectors first (written into it) and use them")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.standin_vectors:
        os.environ["PAPERFEED_EMBED_MODEL"] = STANDIN
    if a.child:
        if os.environ.get("PAPERFEED_EMBED_MODEL") == STANDIN:
            _register()
        _child(a.db, a.repeat)
        return
    if a.standin_vectors:
        _register()
        standin_vectors(a.db)
    base: list[list[str]] | None = None
    summary: dict[str, list[tuple[float, float, float, float]]] = {}
    for rnd in range(a.rounds):  # sources alternate: a shared machine's load hits each alike
        for src in a.src:
            env = {**os.environ, "PYTHONPATH": str(Path(src).resolve())}
            res = subprocess.run([sys.executable, __file__, "--child", "--db", a.db, "--src",
                                  src, "--repeat", str(a.repeat)], env=env, check=True,
                                 capture_output=True, text=True)
            d = json.loads(res.stdout.strip().splitlines()[-1])
            runs = d["runs"]
            print(f"\nround {rnd + 1}, {src}: load {d['load'][0]:.2f}, "
                  f"peak RSS {d['rss_mb']:.0f} MB")
            print("| pass | n | total | cpu | " + " | ".join(STAGES) + " |")
            for rep in sorted({r["rep"] for r in runs}):
                for n in sorted({r["n"] for r in runs}):
                    rs = [r for r in runs if r["rep"] == rep and r["n"] == n]
                    st = [sum(r["stages"].get(s, 0.0) for r in rs) / len(rs) for s in STAGES]
                    print(f"| {rep} | {n} | {sum(r['wall'] for r in rs) / len(rs):.3f} | "
                          f"{sum(r['cpu'] for r in rs) / len(rs):.3f} | "
                          + " | ".join(f"{x:.3f}" for x in st) + " |")
                rs = [r for r in runs if r["rep"] == rep]
                print(f"| {rep} | all | {sum(r['wall'] for r in rs) / len(rs):.3f} | "
                      f"{sum(r['cpu'] for r in rs) / len(rs):.3f} | "
                      + " | ".join(f"{sum(r['stages'].get(s, 0.0) for r in rs) / len(rs):.3f}"
                                   for s in STAGES) + " |")
            first = [r for r in runs if r["rep"] == 0]
            later = [r for r in runs if r["rep"] > 0] or first
            summary.setdefault(src, []).append(
                (sum(r["wall"] for r in first) / len(first),
                 sum(r["cpu"] for r in first) / len(first),
                 sum(r["wall"] for r in later) / len(later),
                 sum(r["cpu"] for r in later) / len(later)))
            tops = [r["top"] for r in first]
            if base is None:
                base = tops
            else:
                same = [len(set(x) & set(y)) / max(len(x), 1)
                        for x, y in zip(base, tops, strict=True)]
                exact = sum(x == y for x, y in zip(base, tops, strict=True))
                print(f"top-100 overlap with {a.src[0]}: " + ", ".join(f"{s:.2f}" for s in same)
                      + f"; identical lists {exact}/{len(tops)}")
    print("\nper user, mean over the users; median (min) over rounds:")
    print("| source | 1st pass wall | 1st pass cpu | later passes wall | later passes cpu |")
    for src, rows in summary.items():
        cells = []
        for k in range(4):
            xs = sorted(r[k] for r in rows)
            cells.append(f"{xs[len(xs) // 2]:.3f} ({xs[0]:.3f})")
        print(f"| {src} | " + " | ".join(cells) + " |")

if __name__ == "__main__":
    main()
