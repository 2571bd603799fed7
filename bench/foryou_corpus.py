"""The For-you bench corpus and users, from public dev data only (see bench/foryou_eval.py).

Users: each topics_dev.jsonl topic (its 3 relevant papers) and, per small primary category, 24
papers sampled from it. Corpus: every user's papers plus RANDOM_OTHERS random others. Its real
MiniLM vectors (ONNX int8, the default embedder) are computed once, under `nice`, and cached in
bench/out/foryou_vectors.npz:

    nice -n 10 .venv/bin/python bench/foryou_corpus.py --embed
"""

from __future__ import annotations

import argparse
import ast
import gzip
import random
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
if not DATA.is_dir():
    DATA = Path("/work/shared/data")
OUT = ROOT / "bench" / "out"
VECTORS = OUT / "foryou_vectors.npz"
CATEGORIES = ("cs.RO", "q-bio.BM", "cond-mat.supr-con", "cs.IR", "cs.HC", "nucl-th",
              "physics.optics", "cond-mat.soft", "physics.comp-ph", "q-bio.QM")
PER_CATEGORY = 24
RANDOM_OTHERS = 6000
SEED = 11


def _list(v: Any) -> list[str]:
    if isinstance(v, list):
        return [str(x) for x in v]
    if isinstance(v, str) and v.startswith("["):
        return [str(x) for x in ast.literal_eval(v)]
    return str(v or "").split()


def load_papers() -> list[dict[str, Any]]:
    out = []
    with gzip.open(DATA / "arxiv-102k.jsonl.gz", "rb") as f:
        for line in f:
            d = orjson.loads(line)
            d["categories"] = _list(d.get("categories"))
            d["authors"] = _list(d.get("authors"))
            out.append(d)
    return out


def users(papers: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """[(name, paper ids)]: topics first, then category samples."""
    have = {p["id"] for p in papers}
    out: list[tuple[str, list[str]]] = []
    for line in (DATA / "topics_dev.jsonl").read_bytes().splitlines():
        t = orjson.loads(line)
        ids = [i for i in t["relevant"] if i in have]
        if len(ids) >= 2:
            out.append((f"topic:{t['query']}", ids))
    rng = random.Random(SEED)
    for cat in CATEGORIES:
        ids = sorted(p["id"] for p in papers if p["categories"][:1] == [cat])
        out.append((f"category:{cat}", rng.sample(ids, min(PER_CATEGORY, len(ids)))))
    return out


def corpus(papers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every user's papers plus RANDOM_OTHERS others, in file order."""
    wanted = {i for _, ids in users(papers) for i in ids}
    rng = random.Random(SEED)
    others = [p["id"] for p in papers if p["id"] not in wanted]
    wanted |= set(rng.sample(others, RANDOM_OTHERS))
    return [p for p in papers if p["id"] in wanted]


def embed(papers: list[dict[str, Any]]) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from paperfeed.index.embed import get_embedder
    from paperfeed.index.vectors import embed_text
    from paperfeed.search.hybrid import load_builtin_embedders

    load_builtin_embedders()
    emb = get_embedder("minilm")
    docs = corpus(papers)
    t0, vecs = time.time(), []
    for s in range(0, len(docs), 64):
        chunk = docs[s:s + 64]
        vecs.append(emb.embed([embed_text(p["title"], p["abstract"]) for p in chunk]))
        print(f"{s + len(chunk)}/{len(docs)} {time.time() - t0:.0f}s", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(VECTORS, ids=np.array([p["id"] for p in docs]),
             vecs=np.vstack(vecs).astype(np.float16), model=np.array(emb.model_id))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--embed", action="store_true", help="embed the corpus into bench/out/")
    a = ap.parse_args()
    ps = load_papers()
    if a.embed:
        embed(ps)
    else:
        print(len(users(ps)), "users;", len(corpus(ps)), "papers in the corpus")
