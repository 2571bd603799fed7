"""Fusion grid, fast: each retriever's top-100 per query is computed once, then every
(rrf_k, w_semantic) pair is scored offline. Training/dev sets only (SciFact train, arxiv-102k
known_items_dev + topics_dev). arxiv-102k uses the database's own vectors (`paperfeed --db DB
index update` first); SciFact embeds its 5,183 documents once (cached in bench/out/).

    .venv/bin/python bench/fusion_grid.py --arxiv-db DB
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
import search_quality as sq

KS = (5.0, 10.0, 20.0, 30.0, 60.0)
WS = (0.5, 0.7, 0.85, 1.0, 1.25, 1.5)


def lists(searcher: Any, queries: list[str]) -> list[tuple[list[str], list[str]]]:
    out = []
    for q in queries:
        lex = [h.id for h in searcher.search(q, k=100, mode="lexical").hits]
        sem = [h.id for h in searcher.search(q, k=100, mode="semantic").hits]
        out.append((lex, sem))
    return out


def fuse(lex: list[str], sem: list[str], k: float, w: float) -> list[str]:
    s: dict[str, float] = defaultdict(float)
    for r, d in enumerate(lex, 1):
        s[d] += 1.0 / (k + r)
    for r, d in enumerate(sem, 1):
        s[d] += w / (k + r)
    return sorted(s, key=lambda d: -s[d])[:10]


def mrr(ranked: list[list[str]], truth: list[set[str]]) -> float:
    rr = []
    for r, g in zip(ranked, truth, strict=True):
        first = next((i for i, d in enumerate(r[:10], 1) if d in g), None)
        rr.append(1 / first if first else 0.0)
    return float(np.mean(rr))


def recall10(ranked: list[list[str]], truth: list[set[str]]) -> float:
    return float(np.mean([len(set(r[:10]) & g) / len(g) for r, g in zip(ranked, truth,
                                                                          strict=True)]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--arxiv-db", type=Path, required=True)
    args = ap.parse_args()
    from paperfeed.index.embed import get_embedder
    from paperfeed.search.hybrid import Searcher, load_builtin_embedders

    load_builtin_embedders()
    embedder = get_embedder("minilm")
    with tempfile.TemporaryDirectory(prefix="pf-fusion-") as tmp:
        # SciFact
        src = sq.DATA / "scifact"
        docs = sq.read_jsonl(src / "corpus.jsonl.gz")
        jsonl = Path(tmp) / "scifact.jsonl"
        import orjson

        with open(jsonl, "wb") as f:
            for d in docs:
                f.write(orjson.dumps({"id": f"sf:{d['_id']}", "title": d["title"] or d["text"][:80],
                                      "abstract": d["text"] or d["title"], "authors": [],
                                      "categories": []}) + b"\n")
        engine = sq.open_db(Path(tmp) / "scifact.sqlite", jsonl)
        qrels: dict[str, dict[str, int]] = defaultdict(dict)
        for line in (src / "qrels-train.tsv").read_text().splitlines()[1:]:
            qid, did, score = line.split("\t")
            if int(score) > 0:
                qrels[qid][f"sf:{did}"] = int(score)
        queries = [q for q in sq.read_jsonl(src / "queries-train.jsonl") if q["_id"] in qrels]
        mat = sq.embed_cached(embedder, "scifact", [f"{d['title']}. {d['text']}" for d in docs])
        vec = sq.ExactVectors([f"sf:{d['_id']}" for d in docs], mat)
        sf = lists(Searcher(engine, embedder=embedder, vectors=vec), [q["text"] for q in queries])
        sf_rel = [qrels[q["_id"]] for q in queries]
    # arxiv-102k, with the database's own vectors and usearch index
    os.environ["PAPERFEED_INDEX_DIR"] = str(args.arxiv_db) + ".index"
    from paperfeed.store import open_store

    engine = open_store(str(args.arxiv_db))
    searcher = Searcher(engine, embedder=embedder)
    known = sq.read_jsonl(sq.DATA / "known_items_dev.jsonl")
    topics = sq.read_jsonl(sq.DATA / "topics_dev.jsonl")
    kn = lists(searcher, [x["query"] for x in known])
    tp = lists(searcher, [x["query"] for x in topics])
    kt = [{x["id"]} for x in known]
    tt = [set(x["relevant"]) for x in topics]

    def row(name: str, f: Any) -> None:
        sfn = float(np.mean([sq.ndcg10(f(lx, se), g) for (lx, se), g in zip(sf, sf_rel,
                                                                             strict=True)]))
        kr = [f(lx, se) for lx, se in kn]
        tr = [f(lx, se) for lx, se in tp]
        print(f"  {name:28}{sfn:>10.4f}{mrr(kr, kt):>10.4f}{recall10(kr, kt):>10.4f}"
              f"{recall10(tr, tt):>10.4f}")

    print(f"  {'':28}{'SciFact':>10}{'known MRR':>10}{'known R10':>10}{'topics R10':>10}")
    row("BM25", lambda lx, se: lx[:10])
    row("dense", lambda lx, se: se[:10])
    for k in KS:
        for w in WS:
            row(f"RRF k={k:g} w_sem={w:g}", lambda lx, se, k=k, w=w: fuse(lx, se, k, w))


if __name__ == "__main__":
    main()
