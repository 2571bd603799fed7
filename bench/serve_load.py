"""`paperfeed serve` under wrk, against the smallest ASGI app under the same uvicorn (issue #16).

Builds (once) a SQLite database of the first N papers of arxiv-102k, then measures, each with
`wrk -t1 -c50 -d<seconds>s --latency` on loopback, in one run:

- floor: a 5 KB constant response from a bare ASGI app (uvicorn, one process);
- daily, paper (300 random ids), search (14 queries), static: `paperfeed serve --workers W`,
  each twice: "cold" (the page cache fills as it goes) then warm;
- the same three while 10 of the 50 clients vote (POST/DELETE /api/votes/ID with a token);
- the daily page during a concurrent import of N more papers.

Prints requests/s, p50/p99, errors and the ratio to the floor; targets of issue #16: daily and
paper >= 0.2x the floor with p99 <= 250 ms, search >= 0.03x with p99 <= 600 ms, no errors.

    .venv/bin/python bench/serve_load.py [--papers 20000] [--seconds 8] [--workers 0]
Needs `wrk` (Debian package) and ../shared/data/arxiv-102k.jsonl.gz.
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "arxiv-102k.jsonl.gz"
OUT = ROOT / "bench" / "out"
QUERIES = ["language models", "diffusion", "graph neural networks", "protein structure",
           "reinforcement learning", "quantum error correction", "dark matter halo",
           "speech recognition", "retrieval augmented generation", "federated learning",
           "image segmentation", "black hole", "transformer", "causal inference"]
FLOOR_APP = '''
BODY = b"x" * 5000
async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/html"), (b"content-length", b"5000")]})
    await send({"type": "http.response.body", "body": BODY})
'''
PATHS_LUA = '''
local paths = {%s}
local headers = {%s}
request = function()
  return wrk.format(nil, paths[math.random(#paths)], headers)
end
'''
VOTE_LUA = '''
local ids = {%s}
local n = 0
request = function()
  n = n + 1
  local method = (n %% 2 == 1) and "POST" or "DELETE"
  return wrk.format(method, "/api/votes/" .. ids[math.random(#ids)],
                    {["Authorization"] = "Bearer %s"})
end
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def paperfeed(*args: str, env: dict[str, str] | None = None, **kw: object
              ) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "paperfeed", *args], env=env, **kw)


def subset(n: int, skip: int, dest: Path) -> None:
    with gzip.open(DATA) as f, dest.open("wb") as out:
        for i, line in enumerate(f):
            if i >= skip + n:
                break
            if i >= skip:
                out.write(line)


def build(db: Path, n: int) -> None:
    if db.exists():
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "papers.jsonl"
        subset(n, 0, src)
        print(f"building {db} ({n:,} papers, once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "paperfeed", "--db", str(db), "import", str(src)],
                       check=True, stdout=subprocess.DEVNULL)


def wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    import httpx

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise SystemExit(f"server exited ({proc.returncode})")
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"{url} did not answer in {timeout:.0f} s")


def wrk(url: str, seconds: int, conns: int = 50, script: str | None = None) -> dict[str, float]:
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script:
        cmd += ["-s", _script(script)]
    done = subprocess.run([*cmd, url], capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout}")
    return parse(done.stdout)


def _ms(v: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)$", v)
    if not m:
        return float("nan")  # wrk prints -nan when no request completed
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[m.group(2)]


def parse(out: str) -> dict[str, float]:
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # the distribution's lines only ("+/- Stdev" columns end in % too)
    p50 = _ms(m.group(1)) if (m := re.search(r"^\s+50%[ \t]+(\S+)", out, re.M)) else float("nan")
    p99 = _ms(m.group(1)) if (m := re.search(r"^\s+99%[ \t]+(\S+)", out, re.M)) else float("nan")
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(map(int, sock.groups())) if sock else 0)
    return {"rps": rps, "p50": p50, "p99": p99, "errors": errors}


def lua_list(items: list[str]) -> str:
    return ", ".join('"' + i.replace('"', '') + '"' for i in items)


def setup_voter(db: str) -> str:
    """A user and an API token that may vote (created directly in the database)."""
    from paperfeed.accounts.tokens import create_token
    from paperfeed.accounts.users import signup
    from paperfeed.store import open_store

    engine = open_store(db)
    email = f"bench-{secrets.token_hex(4)}@example.org"
    signup(engine, email, secrets.token_urlsafe(16))
    from sqlalchemy import text

    with engine.connect() as conn:
        uid = conn.execute(text("SELECT id FROM users WHERE email = :e"), {"e": email}).scalar()
    return create_token(engine, int(uid), "bench")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--papers", type=int, default=20_000)
    ap.add_argument("--seconds", type=int, default=8)
    ap.add_argument("--workers", type=int, default=0, help="paperfeed serve --workers")
    ap.add_argument("--db", type=Path, default=None)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("needs wrk: apt-get install wrk")
    db = args.db or OUT / f"serve-{args.papers // 1000}k.sqlite"
    build(db, args.papers)
    env = {**os.environ, "PAPERFEED_SECRET_KEY": secrets.token_urlsafe(48)}
    s = args.seconds
    results: dict[str, dict[str, float]] = {}
    procs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "floor_app.py").write_text(FLOOR_APP)
            port = free_port()
            floor = subprocess.Popen([sys.executable, "-m", "uvicorn", "floor_app:app", "--port",
                                      str(port), "--log-level", "warning", "--no-access-log"],
                                     cwd=tmp)
            procs.append(floor)
            wait_up(f"http://127.0.0.1:{port}/", floor)
            results["floor"] = wrk(f"http://127.0.0.1:{port}/", s)
            floor.terminate()
        from sqlalchemy import text

        from paperfeed.store import open_store

        with open_store(str(db)).connect() as conn:
            ids = list(conn.execute(text("SELECT id FROM papers ORDER BY random() LIMIT 300"))
                       .scalars())
        token = setup_voter(str(db))
        port = free_port()
        server = paperfeed("--db", str(db), "serve", "--port", str(port), "--workers",
                           str(args.workers), env=env, stdout=subprocess.DEVNULL)
        procs.append(server)
        base = f"http://127.0.0.1:{port}"
        wait_up(base + "/about", server)
        pages = {"daily": lua_list(["/"]), "paper": lua_list([f"/papers/{i}" for i in ids]),
                 "search": lua_list(["/search?q=" + q.replace(" ", "+") for q in QUERIES])}
        gz = '["Accept-Encoding"] = "gzip"'
        for name, paths in pages.items():
            # cold: every worker renders each of the 300 papers once; warm: a second pass
            results[f"{name} (cold)"] = wrk(base, s, script=PATHS_LUA % (paths, gz))
            results[name] = wrk(base, s, script=PATHS_LUA % (paths, gz))
        results["static"] = wrk(base + "/static/style.css", s)
        for name, paths in pages.items():  # 40 readers while 10 clients vote
            voter = subprocess.Popen(["wrk", "-t1", "-c10", f"-d{s}s", "--latency", "-s",
                                      _script(VOTE_LUA % (lua_list(ids), token)), base],
                                     stdout=subprocess.PIPE, text=True)
            results[f"{name} + votes"] = wrk(base, s, 40, PATHS_LUA % (paths, gz))
            results[f"votes during {name}"] = parse(voter.communicate()[0])
        with tempfile.TemporaryDirectory() as tmp:
            more = Path(tmp) / "more.jsonl"
            subset(args.papers, args.papers, more)
            imp = paperfeed("--db", str(db), "import", str(more), env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1)
            results["daily during import"] = wrk(base, s, script=PATHS_LUA % (pages["daily"], gz))
            imp.wait()
    finally:
        for p in procs:
            p.terminate()
    fl = results["floor"]["rps"]
    load = os.getloadavg()[0]
    print(f"\n{args.papers:,} papers, SQLite, serve --workers {args.workers or os.cpu_count()}, "
          f"{os.cpu_count()} cores, load {load:.1f}, wrk -t1 -c50 -d{s}s")
    print(f"{'case':<24} {'req/s':>8} {'x floor':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for name, r in results.items():
        print(f"{name:<24} {r['rps']:>8.0f} {r['rps'] / fl:>8.3f} {r['p50']:>8.1f} "
              f"{r['p99']:>8.1f} {int(r['errors']):>7}")


def _script(body: str) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(body)
    return f.name


if __name__ == "__main__":
    main()
