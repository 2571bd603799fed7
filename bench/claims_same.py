"""Check that the claims extractor's output is unchanged over a corpus, and time it.

    python bench/claims_same.py --write OLD.jsonl.gz [--corpus PATH] [--n N]   # record
    python bench/claims_same.py --check OLD.jsonl.gz [--corpus PATH] [--n N]   # compare

`--write` stores one line per abstract (id and its claims as dicts); `--check` recomputes them
with the current code and lists every abstract whose claims differ (exit status 1 if any).
Both print the CPU seconds of extraction alone (JSON parsing excluded).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

from paperfeed.claims import extract_claims

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "data" / "arxiv-102k.jsonl.gz"


def load(path: Path, n: int) -> list[tuple[str, str]]:
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            rows.append((r["id"], r.get("abstract") or ""))
            if n and len(rows) >= n:
                break
    return rows


def write_recording(path: Path, rows: list[tuple[str, str]], claims: list[list[dict]]) -> None:
    """One line per abstract: its id and its claims as dicts (what --check and
    claims_diff.py --diff read back)."""
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for (pid, _), cl in zip(rows, claims, strict=True):
            fh.write(json.dumps({"id": pid, "claims": cl}, sort_keys=True) + "\n")


def read_recording(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def run(rows: list[tuple[str, str]], method: str) -> tuple[list[list[dict]], float]:
    t0 = time.process_time()
    out = [[c.to_dict() for c in extract_claims(a, method)] for _, a in rows]
    return out, time.process_time() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", type=Path)
    g.add_argument("--check", type=Path)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--n", type=int, default=0, help="first N abstracts (0: all)")
    ap.add_argument("--method", default="rules")
    a = ap.parse_args(argv)
    rows = load(a.corpus, a.n)
    out, cpu = run(rows, a.method)
    n_claims = sum(len(c) for c in out)
    print(f"{len(rows)} abstracts, {n_claims} claims, extraction {cpu:.2f} CPU-s "
          f"({len(rows) / cpu:,.0f} abstracts/CPU-s)")
    if a.write:
        write_recording(a.write, rows, out)
        return 0
    old = read_recording(a.check)[:len(rows)]   # --n: the first N of a whole recording
    if len(old) != len(rows):
        print(f"different corpus: {len(old)} recorded, {len(rows)} now")
        return 1
    bad = 0
    for (pid, _), cl, o in zip(rows, out, old, strict=True):
        if o["id"] != pid or json.loads(json.dumps(cl)) != o["claims"]:
            bad += 1
            if bad <= 10:
                print(f"DIFF {pid}: old {o['claims']}\n   new {cl}")
    print(f"{bad} of {len(rows)} abstracts differ")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
