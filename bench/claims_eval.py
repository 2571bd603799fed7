"""Evaluate the claims extractor on the hand-annotated dev set, and measure its throughput.

    .venv/bin/python bench/claims_eval.py [--dev PATH] [--corpus PATH] [--n 20000] [--errors]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

from paperfeed.claims import extract_claims
from paperfeed.claims.evaluate import match_claims, score

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--dev", type=Path, default=SHARED / "claims_dev.jsonl")
    ap.add_argument("--corpus", type=Path, default=SHARED / "arxiv-102k.jsonl.gz")
    ap.add_argument("--n", type=int, default=20000, help="abstracts for the throughput run")
    ap.add_argument("--errors", action="store_true", help="print misses and false alarms")
    args = ap.parse_args()

    if not args.dev.exists():
        print(f"dev set not found: {args.dev}", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in args.dev.open(encoding="utf-8") if line.strip()]
    pairs = []
    for r in rows:
        pred = [c.to_dict() for c in extract_claims(r["abstract"])]
        gold = r["claims"]
        pairs.append((pred, gold))
        if args.errors:
            matched = match_claims(pred, gold)
            mp = {i for i, _ in matched}
            mg = {j for _, j in matched}
            for i, p in enumerate(pred):
                if i not in mp:
                    print(f"FP {r['id']} {p['kind']:<11} {p['value']:<12g} {p['text']!r}")
            for j, g in enumerate(gold):
                if j not in mg:
                    print(f"FN {r['id']} {g['kind']:<11} {g['value']:<12g} {g['text']!r}")
    s = score(pairs)
    print(f"dev: {len(rows)} abstracts, {sum(len(g) for _, g in pairs)} gold claims, "
          f"{sum(len(p) for p, _ in pairs)} extracted")
    print(f"{'kind':<12} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}")
    for kind in sorted(s.by_kind):
        c = s.by_kind[kind]
        print(f"{kind:<12} {c.tp:>4} {c.fp:>4} {c.fn:>4} {c.precision:>6.3f} {c.recall:>6.3f} "
              f"{c.f1:>6.3f}")
    o = s.overall
    print(f"{'overall':<12} {o.tp:>4} {o.fp:>4} {o.fn:>4} {o.precision:>6.3f} {o.recall:>6.3f} "
          f"{o.f1:>6.3f}")

    if args.n > 0 and args.corpus.exists():
        abstracts: list[str] = []
        with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
            for line in f:
                abstracts.append(json.loads(line).get("abstract") or "")
                if len(abstracts) >= args.n:
                    break
        t0 = time.perf_counter()
        found = sum(len(extract_claims(a)) for a in abstracts)
        dt = time.perf_counter() - t0
        print(f"throughput: {len(abstracts)} abstracts in {dt:.2f}s = "
              f"{len(abstracts) / dt:,.0f} abstracts/s ({found} claims, "
              f"{found / len(abstracts):.2f} per abstract)")
    elif args.n > 0:
        print(f"corpus not found, throughput skipped: {args.corpus}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
