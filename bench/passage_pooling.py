"""Whole abstracts on the semantic side: truncated vs pooled windows, on SciFact train.

Embeds every SciFact document (title + abstract) two ways with paperfeed's MiniLM: once as
`index update` does today (cut at 256 tokens) and once window by window
(paperfeed.index.passages: 180 words, 150 apart), cached in bench/out/. Prints dense and hybrid
nDCG@10 for truncated, mean-pooled and max-pooled vectors, and the embedding cost of each.

    nice -n 10 .venv/bin/python bench/passage_pooling.py
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_quality import (
    DATA,
    ExactVectors,
    embed_cached,
    ndcg10,
    open_db,
    read_jsonl,
)


class MaxSim:
    """Multi-vector: every window kept, a document scores its best window (not pooled)."""

    def __init__(self, ids: list[str], win: np.ndarray, groups: list[int]) -> None:
        self.ids, self.win = ids, win
        self.owner = np.repeat(np.arange(len(ids)), groups)

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, qvec: np.ndarray, k: int, ids_filter: Any = None) -> list[tuple[str, float]]:
        sims = self.win @ qvec.astype(np.float32)
        best = np.full(len(self.ids), -2.0, dtype=np.float32)
        np.maximum.at(best, self.owner, sims)
        top = np.argsort(-best)[:k]
        return [(self.ids[i], float(best[i])) for i in top]


class Memo:
    """The embedder with its query vectors remembered (three variants ask the same queries)."""

    def __init__(self, inner: Any) -> None:
        self.inner, self.model_id, self.dim = inner, inner.model_id, inner.dim
        self.seen: dict[str, np.ndarray] = {}

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        if kind != "query":
            return np.asarray(self.inner.embed(texts, kind=kind))
        todo = [t for t in texts if t not in self.seen]
        if todo:
            for t, v in zip(todo, self.inner.embed(todo, kind="query"), strict=True):
                self.seen[t] = v
        return np.stack([self.seen[t] for t in texts])


def main() -> None:
    from paperfeed.index.embed import get_embedder
    from paperfeed.index.passages import pool, windows
    from paperfeed.search.hybrid import Searcher

    with contextlib.suppress(ImportError):
        import paperfeed.index.minilm  # noqa: F401
    emb = get_embedder("minilm")
    docs = read_jsonl(DATA / "scifact" / "corpus.jsonl.gz")
    texts = [f"{d['title']}. {d['text']}" for d in docs]
    parts = [windows(t) for t in texts]
    flat = [w for p in parts for w in p]
    groups = [len(p) for p in parts]
    t0 = time.perf_counter()
    win = embed_cached(emb, "scifact-windows180", flat)
    t_win = time.perf_counter() - t0
    # a document of one window is embedded identically both ways: embed only the long ones cut
    long_i = [i for i, g in enumerate(groups) if g > 1]
    t0 = time.perf_counter()
    cut = embed_cached(emb, "scifact-long-truncated", [texts[i] for i in long_i])
    t_trunc = time.perf_counter() - t0
    starts = np.cumsum([0, *groups[:-1]])
    trunc = win[starts].copy()
    trunc[long_i] = cut
    long = sum(1 for g in groups if g > 1)
    print(f"documents {len(texts):,}, longer than one window {long:,} "
          f"({long / len(texts):.0%}); windows {len(flat):,} "
          f"({len(flat) / len(texts):.2f} per document = embedding cost vs truncated)")
    if t_trunc > 1 and t_win > 1:
        print(f"embedding time (this run, shared machine): windows of all {t_win:.0f} s "
              f"({len(flat) / t_win:.1f}/s), long documents truncated {t_trunc:.0f} s")
    mean = pool(win, groups, "mean")
    both = trunc + mean
    both /= np.linalg.norm(both, axis=1, keepdims=True)
    variants: dict[str, Any] = {
        "truncated (today)": trunc, "mean of windows": mean,
        "max of windows": pool(win, groups, "max"), "truncated + mean of windows": both,
        "best window (multi-vector)": MaxSim([f"sf:{d['_id']}" for d in docs], win, groups)}
    qrels: dict[str, dict[str, int]] = {}
    for line in (DATA / "scifact" / "qrels-train.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        if int(score) > 0:
            qrels.setdefault(qid, {})[f"sf:{did}"] = int(score)
    queries = [q for q in read_jsonl(DATA / "scifact" / "queries-train.jsonl")
               if q["_id"] in qrels]
    ids = [f"sf:{d['_id']}" for d in docs]
    with tempfile.TemporaryDirectory(prefix="pf-pool-") as tmp:
        import orjson

        jsonl = Path(tmp) / "scifact.jsonl"
        with open(jsonl, "wb") as f:
            for d in docs:
                f.write(orjson.dumps({"id": f"sf:{d['_id']}",
                                      "title": d["title"] or d["text"][:80],
                                      "abstract": d["text"] or d["title"], "authors": [],
                                      "categories": []}) + b"\n")
        engine = open_db(Path(tmp) / "scifact.sqlite", jsonl)
        memo = Memo(emb)
        memo.embed([q["text"] for q in queries], kind="query")
        print(f"\n  {'SciFact train nDCG@10':28}{'dense':>10}{'hybrid':>10}")
        for name, mat in variants.items():
            vec = mat if isinstance(mat, MaxSim) else ExactVectors(ids, mat)
            s = Searcher(engine, embedder=memo, vectors=vec)
            row = []
            for mode in ("semantic", "hybrid"):
                row.append(np.mean([ndcg10([h.id for h in s.search(q["text"], k=10,
                                                                   mode=mode).hits],
                                           qrels[q["_id"]]) for q in queries]))
            print(f"  {name:28}{row[0]:>10.4f}{row[1]:>10.4f}")


if __name__ == "__main__":
    main()
