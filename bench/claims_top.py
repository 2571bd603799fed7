"""The top N claims of every kind on a database, as /claims?kind=K&sort=value_desc lists them,
each with its sentence, for the by-eye audit of issue #13 (docs/claims.md).

    .venv/bin/python bench/claims_top.py --db bench/out/a102k.sqlite [--n 30] [--kind memory]
                                         [--refresh]
    .venv/bin/python bench/claims_top.py --corpus ../shared/data/arxiv-102k.jsonl.gz

`--refresh` first brings the stored claims up to the current extractor version (the claims
index only: no embedding). `--corpus` extracts the claims of a JSON-lines file (`id`,
`abstract`) with the current rules instead of reading a database (the same groups and order:
no database to import or refresh). Output: kind, rank, paper id, value and unit, norm_value,
the span and the sentence around it.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys

from sqlalchemy import text

from paperfeed.claims import extract_claims
from paperfeed.claims.claim import KINDS
from paperfeed.rank.claims import UNIT_ORDER
from paperfeed.store import open_store


def first_group(conn, kind: str) -> str | None:  # type: ignore[no-untyped-def]
    units = {r[0] for r in conn.execute(text(
        "SELECT DISTINCT norm_unit FROM paper_claims WHERE kind = :k"), {"k": kind})}
    ordered = [u for u in UNIT_ORDER if u in units] + sorted(u for u in units
                                                             if u not in UNIT_ORDER and u)
    return ordered[0] if ordered else None


def sentence(abstract: str, start: int, end: int) -> str:
    s = max(abstract.rfind(". ", 0, start) + 2, 0)
    e = abstract.find(". ", end)
    return " ".join(abstract[s:e + 1 if e != -1 else len(abstract)].split())[:400]


def from_corpus(path: str, kinds: list[str], n: int) -> int:
    """The same listing from a JSON-lines corpus, extracted now (first group, best first)."""
    groups: dict[tuple[str, str], list[tuple[float, float, str, str, str, int, int]]] = {}
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            abstract = r.get("abstract") or ""
            for c in extract_claims(abstract):
                if c.kind in kinds:
                    groups.setdefault((c.kind, c.norm_unit), []).append(
                        (c.norm_value, c.value, str(r.get("id")), c.unit, abstract, c.start,
                         c.end))
    for kind in kinds:
        units = {u for k, u in groups if k == kind}
        ordered = [u for u in UNIT_ORDER if u in units] + sorted(u for u in units
                                                                 if u not in UNIT_ORDER and u)
        if not ordered:
            continue
        rows = sorted(groups[(kind, ordered[0])], key=lambda t: (-t[0], -t[1], t[2]))
        print(f"\n## {kind} (norm_unit {ordered[0]}, {len(rows)} claims in the group)")
        for i, (nv, value, pid, u, abstract, start, end) in enumerate(rows[:n], 1):
            print(f"{i:>2}. {pid} {value:g}{u} (norm {nv:.4g}) [{abstract[start:end]}] "
                  f"{sentence(abstract, start, end)}")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--db")
    ap.add_argument("--corpus", help="JSON lines (.gz) of {id, abstract}: no database")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--kind", action="append", choices=KINDS)
    ap.add_argument("--refresh", action="store_true")
    args = ap.parse_args()
    if args.corpus:
        return from_corpus(args.corpus, args.kind or list(KINDS), args.n)
    if not args.db:
        ap.error("--db or --corpus is needed")
    engine = open_store(f"sqlite:///{args.db}")
    if args.refresh:
        from paperfeed.index.claims import catch_up_claims
        print(f"claims recomputed for {catch_up_claims(engine)} papers", file=sys.stderr)
    with engine.connect() as conn:
        for kind in args.kind or KINDS:
            unit = first_group(conn, kind)
            total = conn.execute(text("SELECT COUNT(*) FROM paper_claims WHERE kind = :k AND "
                                      "norm_unit = :u"), {"k": kind, "u": unit}).scalar_one()
            print(f"\n## {kind} (norm_unit {unit}, {total} claims in the group)")
            rows = conn.execute(text(
                'SELECT c.paper_id, c."value", c.unit, c.norm_value, c."start", c."end", '
                "p.abstract FROM paper_claims c JOIN papers p ON p.id = c.paper_id "
                "WHERE c.kind = :k AND c.norm_unit = :u "
                'ORDER BY c.norm_value DESC, c."value" DESC, c.paper_id LIMIT :n'),
                {"k": kind, "u": unit, "n": args.n}).all()
            for i, (pid, value, u, nv, start, end, abstract) in enumerate(rows, 1):
                print(f"{i:>2}. {pid} {value:g}{u} (norm {nv:.4g}) [{abstract[start:end]}] "
                      f"{sentence(abstract, start, end)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
