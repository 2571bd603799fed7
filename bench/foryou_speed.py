"""For-you per-user retrain time at full size, per stage, old code against new in one run.

Users: USERS random papers of the database as positives (1, 3 or 10 each, seeded), 100
results, `recommend(..., timings=)`. Each --src is a source tree (e.g. an export of an older
commit, `git archive HEAD src | tar -x -C /tmp/old`) run in its own process, one after the
other (`--rounds N`: N times, alternating, then the median and the best of each); the top
ids are compared with the first source's (the same results?).

    nice -n 10 .venv/bin/python bench/foryou_speed.py --db COPY/paperfeed.db \
        --src /tmp/old/src --src src --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

SIZES = (1, 3, 10, 1, 3, 10)
STAGES = ("candidates", "load", "analysis", "fit", "why")


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
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        _child(a.db, a.repeat)
        return
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
