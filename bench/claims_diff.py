"""The claims a change of the rules adds and removes on a fixed random sample of arxiv-102k,
each with its sentence, for reading by eye (docs/claims.md, versions 5-7).

    python bench/claims_diff.py --write OLD.jsonl.gz [--corpus PATH] [--k 30000] [--seed 5]
    python bench/claims_diff.py --diff OLD.jsonl.gz [--corpus PATH] [--k 30000] [--seed 5]

The sample is `random.Random(seed).sample(rows, k)` over every line of the corpus (the 30,000
abstracts of seed 5 that versions 5 and 6 were checked on). `--write` records the claims of
each sampled abstract with the current code; `--diff` recomputes them and prints every claim
(kind, value, unit, low, high) found only before (`-`) or only now (`+`), a kind or unit
change counting as both, with its span and sentence, and the counts.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from claims_same import CORPUS, load, read_recording, write_recording

from paperfeed.claims import extract_claims


def sample(path: Path, k: int, seed: int) -> list[tuple[str, str]]:
    return random.Random(seed).sample(load(path, 0), k)


def key(c: dict) -> tuple:
    return (c["kind"], round(c["value"], 6), c["unit"], c.get("low"), c.get("high"))


def sentence(abstract: str, start: int, end: int) -> str:
    s = abstract.rfind(". ", 0, start)
    e = abstract.find(". ", end)
    return " ".join(abstract[s + 2 if s >= 0 else 0:e + 1 if e >= 0 else len(abstract)].split())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", type=Path)
    g.add_argument("--diff", type=Path)
    ap.add_argument("--corpus", type=Path, default=CORPUS)
    ap.add_argument("--k", type=int, default=30000)
    ap.add_argument("--seed", type=int, default=5)
    a = ap.parse_args(argv)
    rows = sample(a.corpus, a.k, a.seed)
    now = [[c.to_dict() for c in extract_claims(ab)] for _, ab in rows]
    print(f"{len(rows)} abstracts, {sum(map(len, now))} claims now")
    if a.write:
        write_recording(a.write, rows, now)
        return 0
    old = read_recording(a.diff)
    added = removed = changed = 0
    for (pid, ab), cl, o in zip(rows, now, old, strict=True):
        if o["id"] != pid:
            print(f"different sample at {pid}")
            return 2
        ko = {key(c): c for c in o["claims"]}
        kn = {key(c): c for c in cl}
        minus = [c for k, c in ko.items() if k not in kn]
        plus = [c for k, c in kn.items() if k not in ko]
        if not (minus or plus):
            continue
        changed += 1
        for sign, cs in (("-", minus), ("+", plus)):
            for c in cs:
                print(f"{sign} {pid} {c['kind']:<11} {c['value']:<10g} {c['unit']:<8} "
                      f"{c['text']!r}\n      | {sentence(ab, c['start'], c['end'])}")
        added += len(plus)
        removed += len(minus)
    print(f"{added} added, {removed} removed, {changed} abstracts differ")
    return 0


if __name__ == "__main__":
    sys.exit(main())
