"""Fusion methods, offline: each retriever's ranked list (ids and scores, top DEPTH) is taken
once per query from paperfeed's own Searcher's retrievers (BM25 from tantivy, dense exact over
cached vectors), then every fusion setting is scored without searching again. Dev sets only:
SciFact train (nDCG@10), arxiv-102k known_items_dev (MRR@10) and topics_dev (recall@10), the
latter on the known-item targets + the topics' papers + N seeded random others + each query's
K nearest papers by TF-IDF (title + abstract embedded once and cached in bench/out/; --arxiv-db
DB uses a database's own vectors instead).

Fusion functions compared (the lists cut at `depth` each):
- rrf: sum of w / (k + rank) (weighted reciprocal rank);
- cc-minmax: alpha * lexical + (1 - alpha) * dense, each min-max normalised within its list;
- cc-z: the same with z-scores (missing = the list's minimum).

    .venv/bin/python bench/fusion_grid.py [--arxiv-subset 5000 --arxiv-hard 30 | --arxiv-db DB]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).parent))
import search_quality as sq

DEPTH = 200
Pairs = list[tuple[str, float]]
Lists = list[tuple[Pairs, Pairs]]


def lists(searcher: Any, queries: list[str], depth: int = DEPTH) -> Lists:
    """Each query's BM25 and dense (id, score) lists as Searcher.search() takes them before
    fusing (its own retrievers, no rows or snippets read)."""
    from paperfeed.index.lexical import parse_query
    from paperfeed.search.hybrid import LONG_QUERY_TERMS, LONG_QUERY_WORDS

    out: Lists = []
    if not queries:
        return out
    assert searcher.semantic_ready()
    for q in queries:
        pq = parse_query(q)
        terms = LONG_QUERY_TERMS if pq.words > LONG_QUERY_WORDS else 10_000
        lex, lsc, _ = searcher._lex(pq, depth, {}, terms, False)
        sem, ssc = searcher._sem(searcher.embed_query(q), depth, {})
        out.append(([(d, lsc[d]) for d in lex], [(d, ssc[d]) for d in sem]))
    return out


def rrf(lex: Pairs, sem: Pairs, k: float, w: float, dl: int, ds: int) -> list[str]:
    s: dict[str, float] = {}
    for r, (d, _) in enumerate(lex[:dl], 1):
        s[d] = s.get(d, 0.0) + 1.0 / (k + r)
    for r, (d, _) in enumerate(sem[:ds], 1):
        s[d] = s.get(d, 0.0) + w / (k + r)
    return sorted(s, key=lambda d: -s[d])[:10]


def _norm(pairs: Pairs, how: str) -> tuple[dict[str, float], float]:
    """{id: normalised score} and the score of an absent id."""
    if not pairs:
        return {}, 0.0
    x = np.array([sc for _, sc in pairs], dtype=np.float64)
    if how == "minmax":
        lo, hi = float(x.min()), float(x.max())
        y = (x - lo) / (hi - lo) if hi > lo else np.ones_like(x)
        return {d: float(v) for (d, _), v in zip(pairs, y, strict=True)}, 0.0
    mu, sd = float(x.mean()), float(x.std()) or 1.0
    y = (x - mu) / sd
    return {d: float(v) for (d, _), v in zip(pairs, y, strict=True)}, float(y.min())


def cc(lex: Pairs, sem: Pairs, alpha: float, how: str, dl: int, ds: int) -> list[str]:
    a, a0 = _norm(lex[:dl], how)
    b, b0 = _norm(sem[:ds], how)
    s = {d: alpha * a.get(d, a0) + (1 - alpha) * b.get(d, b0) for d in a.keys() | b.keys()}
    return sorted(s, key=lambda d: -s[d])[:10]


def mrr(ranked: list[list[str]], truth: list[set[str]]) -> float:
    if not ranked:
        return float("nan")
    rr = []
    for r, g in zip(ranked, truth, strict=True):
        first = next((i for i, d in enumerate(r[:10], 1) if d in g), None)
        rr.append(1 / first if first else 0.0)
    return float(np.mean(rr))


def recall10(ranked: list[list[str]], truth: list[set[str]]) -> float:
    if not ranked:
        return float("nan")
    return float(np.mean([len(set(r[:10]) & g) / len(g) for r, g in zip(ranked, truth,
                                                                          strict=True)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--arxiv-db", type=Path, help="a database with its own vectors")
    ap.add_argument("--arxiv-subset", type=int, default=5000, metavar="N")
    ap.add_argument("--arxiv-hard", type=int, default=30, metavar="K",
                    help="each dev query's K most similar papers (TF-IDF) added as distractors")
    ap.add_argument("--quick", action="store_true", help="fewer settings")
    ap.add_argument("--scifact-only", action="store_true", help="skip arxiv-102k")
    ap.add_argument("--reuse-scifact", action="store_true",
                    help="SciFact's lists from the last run's bench/out/fusion-lists.json")
    args = ap.parse_args()
    from paperfeed.index.embed import get_embedder
    from paperfeed.search.hybrid import Searcher, load_builtin_embedders

    load_builtin_embedders()
    embedder = get_embedder("minilm")
    t0 = time.perf_counter()
    known = sq.read_jsonl(sq.DATA / "known_items_dev.jsonl")
    topics = sq.read_jsonl(sq.DATA / "topics_dev.jsonl")
    with tempfile.TemporaryDirectory(prefix="pf-fusion-") as tmp:
        saved = sq.OUT / "fusion-lists.json"
        if args.reuse_scifact and saved.exists():
            old = orjson.loads(saved.read_bytes())
            sf, sf_rel = old["scifact"], old["scifact_rel"]
        else:
            searcher, texts, sf_rel = sq.scifact_setup(Path(tmp), embedder)
            sf = lists(searcher, texts)
        if args.scifact_only:
            searcher = None
        elif args.arxiv_db:
            os.environ["PAPERFEED_INDEX_DIR"] = str(args.arxiv_db) + ".index"
            from paperfeed.store import open_store

            searcher = Searcher(open_store(str(args.arxiv_db)), embedder=embedder)
        else:
            searcher = sq.subset_setup(Path(tmp), embedder, args.arxiv_subset, args.arxiv_hard)
        if searcher is None:
            known, topics = [], []
        kn = lists(searcher, [x["query"] for x in known])
        tp = lists(searcher, [x["query"] for x in topics])
    sq.OUT.mkdir(parents=True, exist_ok=True)  # kept for further analysis
    (sq.OUT / "fusion-lists.json").write_bytes(orjson.dumps(
        {"scifact": sf, "scifact_rel": sf_rel, "known": kn, "topics": tp}))
    where = args.arxiv_db or f"subset {args.arxiv_subset:,} + {args.arxiv_hard} hard a query"
    print(f"lists in {time.perf_counter() - t0:.0f} s; arxiv: {where}", file=sys.stderr)
    kt = [{x["id"]} for x in known]
    tt = [set(x["relevant"]) for x in topics]

    def row(name: str, f: Callable[[Pairs, Pairs], list[str]]) -> None:
        sfn = float(np.mean([sq.ndcg10(f(lx, se), g) for (lx, se), g in zip(sf, sf_rel,
                                                                             strict=True)]))
        kr = [f(lx, se) for lx, se in kn]
        tr = [f(lx, se) for lx, se in tp]
        print(f"  {name:40}{sfn:>9.4f}{mrr(kr, kt):>10.4f}{recall10(tr, tt):>11.4f}",
              flush=True)

    print(f"  {'':40}{'SciFact':>9}{'known MRR':>10}{'topics R10':>11}")
    row("BM25", lambda lx, se: [d for d, _ in lx[:10]])
    row("dense", lambda lx, se: [d for d, _ in se[:10]])
    depths = (100,) if args.quick else (50, 100, 200)
    for dl in depths:
        for ds in depths:
            for k in (10.0, 30.0, 60.0):
                for w in (0.7, 1.0, 1.3):
                    row(f"rrf k={k:g} w={w:g} d={dl}/{ds}",
                        lambda lx, se, k=k, w=w, dl=dl, ds=ds: rrf(lx, se, k, w, dl, ds))
            for how in ("minmax", "z"):
                for alpha in (0.3, 0.4, 0.5, 0.6, 0.7):
                    row(f"cc-{how} a={alpha:g} d={dl}/{ds}",
                        lambda lx, se, a=alpha, h=how, dl=dl, ds=ds: cc(lx, se, a, h, dl, ds))


if __name__ == "__main__":
    main()
