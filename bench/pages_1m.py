"""Every page at 1M papers: p50/p99 of uncached renderings, and peak memory per worker.

The corpus is arxiv-102k replicated to --papers (as bench/search_latency.py builds it: replica r
of paper i keeps i's title and dates and takes another paper's abstract and authors), imported
with `paperfeed import` (stored, lookups, lexical index, claims, code links; no vectors, so a
paper's similar papers come from the lexical index). `paperfeed serve --workers 2` then answers
one client (`wrk -t1 -c1`) per page kind for --seconds; every request carries a unique query
parameter, so each one is a fresh rendering (the page cache keys by URL): these are the costs of
a cache miss, the worst case. Afterwards each worker's peak RSS (VmHWM) is read from /proc.
The database is kept in bench/out/pages-1m/ for re-runs.

    .venv/bin/python bench/pages_1m.py [--papers 1000000] [--seconds 8]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import orjson
from search_latency import replicate
from serve_load import free_port, lua_list, paperfeed, wait_up, wrk

ROOT = Path(__file__).resolve().parents[1]
UNIQUE_LUA = '''
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  local p = paths[math.random(#paths)]
  local sep = string.find(p, "?", 1, true) and "&" or "?"
  return wrk.format(nil, p .. sep .. "nocache=" .. n, {["Accept-Encoding"] = "gzip"})
end
'''


def build(db: Path, n: int) -> None:
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    src = db.parent / "papers.jsonl"
    t0 = time.perf_counter()
    replicate(n, src)
    print(f"building {db} ({n:,} papers, once): `paperfeed import` ...", flush=True)
    subprocess.run([sys.executable, "-m", "paperfeed", "--db", str(db), "import", str(src)],
                   check=True)
    src.unlink()
    print(f"built in {time.perf_counter() - t0:.0f} s", flush=True)


def urls(db: Path) -> dict[str, list[str]]:
    from sqlalchemy import text

    from paperfeed.store import open_store

    with open_store(str(db)).connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM papers ORDER BY random() LIMIT 2000"))
                   .scalars())
        authors = [orjson.loads(a)[0] for a in conn.execute(text(
            "SELECT authors FROM papers ORDER BY random() LIMIT 500")).scalars()
            if a and a != "[]"]
        cats = list(conn.execute(text("SELECT category FROM paper_categories GROUP BY category "
                                      "ORDER BY COUNT(*) DESC LIMIT 40")).scalars())
        days = list(conn.execute(text("SELECT DISTINCT announced FROM papers "
                                      "ORDER BY 1 DESC LIMIT 60")).scalars())
    rng = random.Random(5)
    words = ["attention", "diffusion", "graph neural", "quantization", "reinforcement learning",
             "retrieval augmented", "protein", "speech", "robot", "language model"]
    return {
        "daily (newest day)": ["/"],
        "daily (a past day)": [f"/?date={d}" for d in days if d],
        "trending": ["/trending"],
        "paper": [f"/papers/{i}" for i in ids],
        "author": ["/authors/" + quote(a, safe="") for a in authors],
        "category": ["/categories/" + quote(c, safe="") for c in cats],
        "claims": ["/claims", "/claims?kind=speedup&sort=value_desc", "/claims?category=cs.CL"],
        "search": ["/search?q=" + w.replace(" ", "+") for w in words]
        + ["/search?q=" + w.replace(" ", "+") + "&sort=date" for w in rng.sample(words, 4)],
        "about": ["/about"],
    }


def peak_rss_mb(parent: int) -> list[float]:
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            status = (d / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(parent):
            out.append(int(fields.get("VmHWM", "0 kB").split()[0]) / 1024)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=1_000_000)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--rebuild", action="store_true")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    out = ROOT / "bench" / "out" / f"pages-{args.papers // 1000}k"
    if args.rebuild and out.exists():
        shutil.rmtree(out)
    db = out / "papers.sqlite"
    build(db, args.papers)
    pages = urls(db)
    env = {**os.environ, "PAPERFEED_SECRET_KEY": secrets.token_urlsafe(48)}
    port = free_port()
    server = paperfeed("--db", str(db), "serve", "--port", str(port), "--workers", "2", env=env,
                       stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    results = {}
    try:
        wait_up(base + "/about", server, timeout=300)
        for name, paths in pages.items():
            results[name] = wrk(base, args.seconds, 1, UNIQUE_LUA % lua_list(paths))
        rss = peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait()
    print(f"\n{args.papers:,} papers, SQLite, serve --workers 2, one client, every request a "
          f"fresh rendering; {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{'page':<22} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:<22} {r['rps']:>7.1f} {r['p50']:>8.1f} {r['p99']:>8.1f} "
              f"{int(r['errors']):>7}")
    print("peak RSS per worker (MB): " + ", ".join(f"{m:,.0f}" for m in sorted(rss)))


if __name__ == "__main__":
    main()
