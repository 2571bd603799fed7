"""`paperfeed import` end to end against `sqlite-utils insert`, same file, same run (issue 16).

End to end = papers stored, author/category lookups, lexical index, claims, code links: the
whole `paperfeed import` command. The baseline is `sqlite-utils insert papers FILE --nl --pk id`
on the same file decompressed to a temporary .jsonl (decompression not timed). Prints both
wall times and CPU-seconds, the ratio of throughputs, paperfeed's own step lines, the paper
count after a second import, and (unless --no-stages) CPU-seconds per stage measured one stage
after another in this process (import = parser child + writer; then each index's catch-up).

    nice -n 10 .venv/bin/python bench/import_pipeline.py [--file ../shared/data/arxiv-102k.jsonl.gz]
"""

from __future__ import annotations

import argparse
import gzip
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "arxiv-102k.jsonl.gz"
STEP_LINE = re.compile(r"^(?!.*%\s*\().*\bin (\d[\d.]* s|\d+ min \d+ s)$")


def cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def cpu_all() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime + cpu_children()


def run(cmd: list[str]) -> tuple[float, float, str]:
    """Run `cmd`; its wall seconds, CPU-seconds (it and its children) and stderr."""
    c, t = cpu_children(), time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TERM": "dumb"})
    wall = time.perf_counter() - t
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{p.stderr[-3000:]}")
    return wall, cpu_children() - c, p.stderr + p.stdout


def count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as con:
        return int(con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def stages(path: Path, db: Path) -> dict[str, float]:
    """CPU-seconds of each stage run alone, one after another."""
    from paperfeed.index.refresh import refresh
    from paperfeed.ingest.files import import_file
    from paperfeed.store import open_store

    engine = open_store(f"sqlite:///{db}")
    out: dict[str, float] = {}

    def stage(name: str, fn: Callable[[], object]) -> None:
        c = cpu_all()
        fn()
        out[name] = cpu_all() - c

    stage("parse+write", lambda: import_file(engine, path))
    for name in ("lookups", "lexical", "claims", "codelinks"):
        stage(name, lambda name=name: refresh(engine, only=[name], slow=False))  # type: ignore[misc]
    engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--file", type=Path, default=DEFAULT)
    ap.add_argument("--no-stages", action="store_true", help="skip the per-stage CPU run")
    args = ap.parse_args()
    if not args.file.exists():
        raise SystemExit(f"{args.file} not found (the shared data sets sit beside the repo)")
    su = shutil.which("sqlite-utils") or str(Path(sys.executable).with_name("sqlite-utils"))
    print(f"# import pipeline, {time.strftime('%Y-%m-%d %H:%M')}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}, file {args.file.name}", flush=True)
    (ROOT / "bench" / "out").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=ROOT / "bench" / "out") as tmp_:
        tmp = Path(tmp_)
        plain = tmp / "papers.jsonl"
        with gzip.open(args.file) as src, open(plain, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        su_wall, su_cpu, _ = run([su, "insert", str(tmp / "su.db"), "papers", str(plain),
                                  "--nl", "--pk", "id"])
        su_n = count(tmp / "su.db", "papers")
        print(f"sqlite-utils insert:    {su_wall:6.1f} s wall {su_cpu:6.1f} s CPU "
              f"{su_n / su_wall:8,.0f} papers/s ({su_n:,} rows)", flush=True)
        db = tmp / "pf.db"
        pf = [sys.executable, "-m", "paperfeed", "--db", f"sqlite:///{db}", "import",
              str(args.file)]
        pf_wall, pf_cpu, log = run(pf)
        pf_n = count(db, "papers")
        print(f"paperfeed import:       {pf_wall:6.1f} s wall {pf_cpu:6.1f} s CPU "
              f"{pf_n / pf_wall:8,.0f} papers/s ({pf_n:,} papers, "
              f"{count(db, 'paper_claims'):,} claims)")
        ratio = (pf_n / pf_wall) / (su_n / su_wall)
        print(f"ratio paperfeed / sqlite-utils (papers/s): {ratio:.2f} (target >= 0.7)")
        for line in log.splitlines():
            if STEP_LINE.match(line.strip()):
                print(f"  step: {line.strip()}")
        again_wall, again_cpu, _ = run(pf)
        print(f"second import:          {again_wall:6.1f} s wall {again_cpu:6.1f} s CPU; "
              f"papers now {count(db, 'papers'):,}", flush=True)
        if not args.no_stages:
            for name, s in stages(args.file, tmp / "stages.db").items():
                print(f"  CPU {name:<12} {s:6.1f} s (alone)")
    print(f"# load at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
