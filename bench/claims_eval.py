"""Evaluate the claims extractor on hand-annotated dev sets, and measure its throughput.

    .venv/bin/python bench/claims_eval.py [--dev PATH ...] [--split 150,306] [--errors]
                                          [--corpus PATH] [--n 20000]

Each --dev file is scored on its own (default: ../shared/data/claims_dev.jsonl,
tests/data/claims_annotated.jsonl, tests/data/claims_fresh.jsonl, claims_fresh5.jsonl,
claims_fresh6.jsonl, claims_fresh7.jsonl, claims_fresh8.jsonl and claims_fresh9.jsonl).
`--split 150,306` (the default) scores an annotated file's lines 1-150 ("tuning", what
version 2 was written against), 151-306 ("old held-out", version 2's held-out part) and 307-
(a later development batch) separately, and all together; since version 3 every line of it
is development data. A file named claims_fresh*.jsonl is a fresh set, scored whole (never
split): its errors are printed only with --fresh-errors, so a new fresh batch stays unread.
Batches 3, 5 and 6 (claims_fresh, fresh5, fresh6) are development data since version 6;
batch 7 (claims_fresh7), version 6's unseen test scored once (docs/claims.md, "Version 6"),
is development data since version 7; batch 8 (claims_fresh8) is version 7's unseen test
(scored for versions 6 and 7, totals only); batch 9 (claims_fresh9, another annotator) was
scored for versions 8 and 9, totals only: both unseen by every version.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path
from typing import Any

from paperfeed.claims import extract_claims
from paperfeed.claims.evaluate import Score, match_claims, score

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_DEV = [SHARED / "claims_dev.jsonl", ROOT / "tests" / "data" / "claims_annotated.jsonl",
               ROOT / "tests" / "data" / "claims_fresh.jsonl",
               ROOT / "tests" / "data" / "claims_fresh5.jsonl",
               ROOT / "tests" / "data" / "claims_fresh6.jsonl",
               ROOT / "tests" / "data" / "claims_fresh7.jsonl",
               ROOT / "tests" / "data" / "claims_fresh8.jsonl",
               ROOT / "tests" / "data" / "claims_fresh9.jsonl"]


def evaluate(rows: list[dict[str, Any]], errors: bool = False) -> Score:
    pairs = []
    for r in rows:
        pred = [c.to_dict() for c in extract_claims(r["abstract"])]
        gold = r["claims"]
        pairs.append((pred, gold))
        if errors:
            matched = match_claims(pred, gold)
            mp = {i for i, _ in matched}
            mg = {j for _, j in matched}
            for i, p in enumerate(pred):
                if i not in mp:
                    print(f"FP {r['id']} {p['kind']:<11} {p['value']:<12g} {p['text']!r}")
            for j, g in enumerate(gold):
                if j not in mg:
                    print(f"FN {r['id']} {g['kind']:<11} {g['value']:<12g} {g['text']!r}")
    return score(pairs)


def report(title: str, rows: list[dict[str, Any]], s: Score) -> None:
    gold = sum(len(r["claims"]) for r in rows)
    print(f"\n{title}: {len(rows)} abstracts, {gold} gold claims")
    print(f"{'kind':<12} {'tp':>4} {'fp':>4} {'fn':>4} {'P':>6} {'R':>6} {'F1':>6}")
    for kind in sorted(s.by_kind):
        c = s.by_kind[kind]
        print(f"{kind:<12} {c.tp:>4} {c.fp:>4} {c.fn:>4} {c.precision:>6.3f} {c.recall:>6.3f} "
              f"{c.f1:>6.3f}")
    o = s.overall
    print(f"{'overall':<12} {o.tp:>4} {o.fp:>4} {o.fn:>4} {o.precision:>6.3f} {o.recall:>6.3f} "
          f"{o.f1:>6.3f}")


def load(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.open(encoding="utf-8"), 1):
        if line.strip():
            r = json.loads(line)
            if not isinstance(r.get("abstract"), str) or not isinstance(r.get("claims"), list):
                raise SystemExit(f"{path}, line {n}: needs \"abstract\" and \"claims\"")
            rows.append(r)
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dev", type=Path, action="append", help="annotated JSON lines "
                    "(repeatable; default: claims_dev and tests/data/claims_annotated)")
    ap.add_argument("--split", default="150,306", help="line numbers after which an annotated "
                    "file (not claims_dev, not claims_fresh) is cut: lines 1-150 the tuning part "
                    "of version 2, 151-306 its held-out part, 307- a later development batch "
                    "(0: no split)")
    ap.add_argument("--corpus", type=Path, default=SHARED / "arxiv-102k.jsonl.gz")
    ap.add_argument("--n", type=int, default=20000, help="abstracts for the throughput run")
    ap.add_argument("--errors", action="store_true", help="print misses and false alarms "
                    "(not of the fresh held-out set)")
    ap.add_argument("--fresh-errors", action="store_true", help="print them for the fresh "
                    "held-out set too (it is then no longer held out)")
    args = ap.parse_args()

    for path in args.dev or DEFAULT_DEV:
        if not path.exists():
            print(f"dev set not found: {path}", file=sys.stderr)
            return 2
        rows = load(path)
        if path.name.startswith("claims_fresh"):
            report(f"{path.name} (fresh held out)", rows, evaluate(rows, args.fresh_errors))
            continue
        cuts = [int(c) for c in str(args.split).split(",") if int(c) > 0]
        cuts = [c for c in cuts if c < len(rows)] if path.name != "claims_dev.jsonl" else []
        names = ("tuning", "old held out", "development")
        for i, (lo, hi) in enumerate(zip([0, *cuts], [*cuts, len(rows)], strict=True)):
            if not cuts:
                break
            title = f"{path.name} lines {lo + 1}-{hi} ({names[min(i, 2)]})"
            if args.errors:
                print(f"\n--- errors: {title}")
            report(title, rows[lo:hi], evaluate(rows[lo:hi], args.errors))
        report(f"{path.name} (all)", rows, evaluate(rows, args.errors and not cuts))

    if args.n > 0 and args.corpus.exists():
        abstracts: list[str] = []
        with gzip.open(args.corpus, "rt", encoding="utf-8") as f:
            for line in f:
                abstracts.append(json.loads(line).get("abstract") or "")
                if len(abstracts) >= args.n:
                    break
        for method in ("rules", "learned"):
            t0, c0 = time.perf_counter(), time.process_time()
            found = sum(len(extract_claims(a, method)) for a in abstracts)
            dt, dc = time.perf_counter() - t0, time.process_time() - c0
            print(f"\nthroughput ({method}): {len(abstracts)} abstracts in {dt:.2f}s wall = "
                  f"{len(abstracts) / dt:,.0f} abstracts/s; {dc:.2f}s CPU = "
                  f"{len(abstracts) / dc:,.0f}/s of one core ({found} claims, "
                  f"{found / len(abstracts):.2f} per abstract)")
    elif args.n > 0:
        print(f"corpus not found, throughput skipped: {args.corpus}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
