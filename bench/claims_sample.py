"""Pick the abstracts of tests/data/claims_annotated.jsonl from arxiv-102k (issue #13).

Deterministic (fixed seed): a stratified sample across fields and years, about a third of it
"ML-efficiency-like" abstracts (they name speed, memory, quantization, throughput, latency,
compression or FLOPs and carry a number with % or x), the rest drawn at random from each field,
so that many have no claim at all; a second, smaller batch (QUOTA2) is appended after the
first without changing it, and a third (QUOTA3, `--batch 3`) is the fresh held-out set of
tests/data/claims_fresh.jsonl, drawn after both;
batch 5 (QUOTA5), batch 6 (QUOTA6), batch 7 (QUOTA7), batch 8 (QUOTA8) and batch 9 (QUOTA9)
are the fresh held-out sets of claims_fresh5.jsonl, claims_fresh6.jsonl, claims_fresh7.jsonl,
claims_fresh8.jsonl and claims_fresh9.jsonl, each drawn after the batches before it. Abstracts of
../shared/data/claims_dev.jsonl are excluded.
The order is shuffled once, so any prefix of the annotated file is a mix of fields.

    python bench/claims_sample.py > /tmp/claims_sample.jsonl   # id, title, abstract, field, year
    python bench/claims_sample.py --batch 3 > /tmp/claims_fresh.jsonl   # the fresh held-out batch
    python bench/claims_sample.py --batch 4 > /tmp/claims_batch4.jsonl  # development, lines 307-
    python bench/claims_sample.py --batch 5 > /tmp/claims_batch5.jsonl  # claims_fresh5.jsonl
    python bench/claims_sample.py --batch 6 > /tmp/claims_batch6.jsonl  # claims_fresh6.jsonl
    python bench/claims_sample.py --batch 7 > /tmp/claims_batch7.jsonl  # claims_fresh7.jsonl
    python bench/claims_sample.py --batch 8 > /tmp/claims_batch8.jsonl  # claims_fresh8.jsonl
    python bench/claims_sample.py --batch 9 > /tmp/claims_batch9.jsonl  # claims_fresh9.jsonl
"""

from __future__ import annotations

import ast
import gzip
import json
import random
import re
import sys
from pathlib import Path

SEED = 13
SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
YEARS = ("2024", "2025", "2026")
# field -> (general count, efficiency-like count)
QUOTA = {
    "cs.CV": (20, 20), "cs.CL": (18, 18), "cs.AI": (14, 8), "cs.LG": (12, 12),
    "cs.other": (16, 8), "astro-ph": (16, 1), "cond-mat": (12, 1), "physics": (14, 3),
    "q-bio": (10, 0), "eess": (10, 4), "math/stat": (8, 0),
}
# a second batch, appended after the first (whose order must not change): more efficiency-like
QUOTA2 = {
    "cs.CV": (8, 8), "cs.CL": (6, 8), "cs.AI": (4, 4), "cs.LG": (4, 8),
    "cs.other": (4, 4), "astro-ph": (4, 0), "cond-mat": (3, 0), "physics": (4, 1),
    "q-bio": (3, 0), "eess": (3, 2), "math/stat": (3, 0),
}
# a third batch, the fresh held-out set (tests/data/claims_fresh.jsonl), drawn after the first
# two (so their order does not change) and never used to develop the rules: the first batch's mix
QUOTA3 = {
    "cs.CV": (12, 10), "cs.CL": (10, 9), "cs.AI": (8, 4), "cs.LG": (7, 7),
    "cs.other": (9, 4), "astro-ph": (8, 1), "cond-mat": (7, 1), "physics": (8, 2),
    "q-bio": (6, 0), "eess": (6, 2), "math/stat": (5, 0),
}
# a fourth batch, appended to tests/data/claims_annotated.jsonl as development data (lines 307-)
QUOTA4 = {
    "cs.CV": (6, 5), "cs.CL": (5, 5), "cs.AI": (4, 2), "cs.LG": (4, 4),
    "cs.other": (4, 2), "astro-ph": (4, 0), "cond-mat": (3, 0), "physics": (4, 1),
    "q-bio": (3, 0), "eess": (3, 1), "math/stat": (2, 0),
}
# a fifth batch, a second fresh held-out set (tests/data/claims_fresh5.jsonl), drawn after the
# fourth, annotated before the extractor was run on it and never used to develop the rules
QUOTA5 = {
    "cs.CV": (4, 3), "cs.CL": (3, 3), "cs.AI": (2, 2), "cs.LG": (2, 3),
    "cs.other": (2, 2), "astro-ph": (2, 0), "cond-mat": (2, 0), "physics": (2, 1),
    "q-bio": (2, 0), "eess": (2, 1), "math/stat": (1, 0),
}
# a sixth batch, a third fresh held-out set (tests/data/claims_fresh6.jsonl), drawn after the
# fifth the same way: the first batch's mix at 0.4 of its size (89 abstracts), annotated by
# reading before the extractor was run on it and never used to develop the rules
QUOTA6 = {
    "cs.CV": (8, 8), "cs.CL": (7, 7), "cs.AI": (6, 3), "cs.LG": (5, 5),
    "cs.other": (6, 3), "astro-ph": (6, 0), "cond-mat": (5, 0), "physics": (6, 1),
    "q-bio": (4, 0), "eess": (4, 2), "math/stat": (3, 0),
}
# a seventh batch, a fourth fresh held-out set (tests/data/claims_fresh7.jsonl), drawn after the
# sixth the same way and at the same size, annotated by reading before the extractor was run on it
# and never used to develop the rules
QUOTA7 = dict(QUOTA6)
# an eighth batch, a fifth fresh held-out set (tests/data/claims_fresh8.jsonl), drawn after the
# seventh the same way and at the same size, annotated by reading before the extractor was run on
# it and never used to develop the rules
QUOTA8 = dict(QUOTA6)
# a ninth batch, a sixth fresh held-out set (tests/data/claims_fresh9.jsonl), drawn after the
# eighth the same way and at the same size, annotated by reading before the extractor was run on
# it and never used to develop the rules
QUOTA9 = dict(QUOTA6)
EFFICIENCY = re.compile(
    r"speed-?up|faster|memory|quantiz|throughput|latency|compress|FLOPs|pruning|GPU hours",
    re.IGNORECASE,
)
NUMBER_WITH_UNIT = re.compile(r"\d(?:\.\d+)?\s*(?:\\?%|\u00d7|x\b|\\times|times\b|-fold)")
PHYSICS = ("physics", "gr-qc", "hep-", "quant-ph", "nucl-", "math-ph", "nlin")


def field(categories: str | list[str]) -> str:
    cats = ast.literal_eval(categories) if isinstance(categories, str) else categories
    primary = cats[0]
    if primary in QUOTA:
        return primary
    if primary.startswith("cs."):
        return "cs.other"
    if primary.startswith(("math", "stat")) and not primary.startswith("math-ph"):
        return "math/stat"
    if primary.startswith(PHYSICS):
        return "physics"
    head = primary.split(".")[0]
    return head if head in QUOTA else "other"


def efficiency_like(abstract: str) -> bool:
    return bool(EFFICIENCY.search(abstract) and NUMBER_WITH_UNIT.search(abstract))


def take(rng: random.Random, pool: dict[str, list[dict]], n: int, used: set[str]) -> list[dict]:
    """n papers spread evenly over the years (round robin), skipping ids already used."""
    for year in YEARS:
        rng.shuffle(pool.get(year, []))
    out: list[dict] = []
    while len(out) < n and any(pool.get(y) for y in YEARS):
        for year in YEARS:
            while pool.get(year):
                paper = pool[year].pop()
                if paper["id"] not in used:
                    used.add(paper["id"])
                    out.append(paper)
                    break
            if len(out) == n:
                break
    return out


def main() -> None:
    with open(SHARED / "claims_dev.jsonl") as dev_file:
        dev = {json.loads(line)["id"] for line in dev_file}
    general: dict[str, dict[str, list[dict]]] = {}
    efficient: dict[str, dict[str, list[dict]]] = {}
    with gzip.open(SHARED / "arxiv-102k.jsonl.gz", "rt") as fh:
        for line in fh:
            p = json.loads(line)
            if p["id"] in dev or len(p["abstract"]) < 300:
                continue
            f = field(p["categories"])
            if f not in QUOTA:
                continue
            row = {"id": p["id"], "title": p["title"], "abstract": p["abstract"],
                   "field": f, "year": p["date"][:4]}
            general.setdefault(f, {}).setdefault(row["year"], []).append(row)
            if efficiency_like(p["abstract"]):
                efficient.setdefault(f, {}).setdefault(row["year"], []).append(dict(row))
    rng = random.Random(SEED)
    used: set[str] = set()
    only = int(sys.argv[sys.argv.index("--batch") + 1]) if "--batch" in sys.argv else 0
    quotas = (QUOTA, QUOTA2, QUOTA3, QUOTA4, QUOTA5, QUOTA6, QUOTA7, QUOTA8, QUOTA9)
    for batch, quota in enumerate(quotas, 1):
        picked: list[dict] = []
        for f, (n_general, n_efficient) in quota.items():
            for row in take(rng, efficient.get(f, {}), n_efficient, used):
                picked.append({**row, "sample": "efficiency"})
            for row in take(rng, general.get(f, {}), n_general, used):
                picked.append({**row, "sample": "general"})
        rng.shuffle(picked)
        if only and batch != only:
            continue
        for row in picked:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
