"""Load test of the web app on loopback: requests/s and p50/p99 for daily, paper and search pages.

Starts `paperfeed serve` on 127.0.0.1 over a SQLite database of the 100k corpus (built on first
use from ../shared/data/arxiv-102k.jsonl.gz, else the 305-paper test sample), then drives it with
1 and 50 concurrent clients (httpx, asyncio) for a fixed time per case. Targets: p50 <= 30 ms for
the daily and paper pages, <= 60 ms for search, no errors at 50 clients.

    .venv/bin/python bench/web_load.py [--db PATH] [--seconds 10] [--clients 1,50]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIG = ROOT.parent / "shared" / "data" / "arxiv-102k.jsonl.gz"
SAMPLE = ROOT / "tests" / "fixtures" / "arxiv-sample-305.jsonl.gz"
QUERIES = ["language models", "diffusion", "graph neural networks", "protein structure",
           "reinforcement learning from human feedback", "quantum error correction",
           "dark matter halo", "speech recognition", "retrieval augmented generation",
           "federated learning privacy", "image segmentation", "black hole", "transformer",
           "causal inference", "robot manipulation", "time series forecasting"]
TARGET_MS = {"daily": 30.0, "paper": 30.0, "search": 60.0}


def build(db: Path, data: Path) -> None:
    """Import `data` into a new SQLite file with lookups and the lexical index."""
    from paperfeed.index.lexical import catch_up_after_import
    from paperfeed.index.lookups import catch_up_lookups
    from paperfeed.ingest.files import import_file
    from paperfeed.store import open_store

    print(f"building {db} from {data} (once) ...", flush=True)
    engine = open_store(str(db))
    import_file(engine, data)
    catch_up_lookups(engine)
    catch_up_after_import(engine)
    engine.dispose()


def paper_ids(db: Path, n: int = 500) -> list[str]:
    from sqlalchemy import text

    from paperfeed.store import open_store

    engine = open_store(str(db))
    with engine.connect() as conn:
        ids = list(conn.execute(text("SELECT id FROM papers ORDER BY announced DESC LIMIT 20000"))
                   .scalars())
    engine.dispose()
    random.Random(7).shuffle(ids)
    return ids[:n]


def start_server(db: Path, port: int) -> subprocess.Popen[bytes]:
    code = ("import typer.main; from paperfeed.cli import app; "
            "from paperfeed.cli.serve_cmd import serve_command\n"
            "if 'serve' not in typer.main.get_command(app).commands: "
            "app.command('serve')(serve_command)\napp()")
    env = {**os.environ, "PAPERFEED_SECRET_KEY": secrets.token_urlsafe(48)}
    return subprocess.Popen([sys.executable, "-c", code, "--db", str(db), "serve", "--host",
                             "127.0.0.1", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def run_case(base: str, paths: list[str], clients: int, seconds: float
                   ) -> dict[str, object]:
    """`clients` workers request `paths` in turn for `seconds`; latencies in ms."""
    lat: list[float] = []
    reasons: list[str] = []
    errors = 0
    stop = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        async def worker(w: int) -> None:
            nonlocal errors
            i = w
            while time.perf_counter() < stop:
                t = time.perf_counter()
                try:
                    r = await client.get(paths[i % len(paths)])
                    ok = r.status_code == 200
                    why = f"HTTP {r.status_code}"
                except httpx.HTTPError as e:
                    ok, why = False, f"{type(e).__name__}: {e}"
                if not ok and len(reasons) < 5:
                    reasons.append(why)
                lat.append((time.perf_counter() - t) * 1000)
                errors += not ok
                i += clients
        t0 = time.perf_counter()
        await asyncio.gather(*(worker(w) for w in range(clients)))
        wall = time.perf_counter() - t0
    q = statistics.quantiles(lat, n=100) if len(lat) > 1 else [lat[0]] * 99
    return {"requests": len(lat), "errors": errors, "rps": round(len(lat) / wall, 1),
            "p50_ms": round(q[49], 1), "p99_ms": round(q[98], 1), "error_examples": reasons}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, default=Path("/tmp/paperfeed-web-bench/db.sqlite"))
    ap.add_argument("--seconds", type=float, default=10.0, help="per case (bounded run time)")
    ap.add_argument("--clients", default="1,50")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "web_load.json")
    args = ap.parse_args()
    data = BIG if BIG.exists() else SAMPLE
    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        build(args.db, data)
    ids = paper_ids(args.db)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    proc = start_server(args.db, port)
    try:
        for _ in range(300):
            try:
                if httpx.get(base + "/about", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            raise SystemExit("the server did not start")
        cases = {"daily": ["/"], "paper": [f"/papers/{i}" for i in ids],
                 "search": [f"/search?q={q.replace(' ', '+')}" for q in QUERIES]}
        for paths in cases.values():  # warm: open indexes, fill caches
            for p in paths[:20]:
                httpx.get(base + p, timeout=60)
        results = []
        for clients in (int(c) for c in args.clients.split(",")):
            for name, paths in cases.items():
                r = asyncio.run(run_case(base, paths, clients, args.seconds))
                r = {"case": name, "clients": clients, "target_p50_ms": TARGET_MS[name], **r}
                results.append(r)
                print(f"{name:7} clients={clients:3} rps={r['rps']:7} p50={r['p50_ms']:7} ms "
                      f"p99={r['p99_ms']:7} ms errors={r['errors']} {r['error_examples'] or ''}",
                      flush=True)
    finally:
        proc.terminate()
        proc.wait(10)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({
        "data": str(data), "machine": f"{os.cpu_count()}-core {platform.machine()}",
        "python": platform.python_version(), "seconds_per_case": args.seconds,
        "results": results}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
