"""For-you offline evaluation: recall@100 of held-out papers, against baselines, in one run.

Users (bench/foryou_corpus.py, public dev data only): each topics_dev.jsonl topic (3 papers:
leave one out, the other two are the positives) and 24 sampled papers of each of 10 small
categories (two folds: 8 positives, the 16 others hidden). Each method ranks the corpus minus the
positives; recall@100 = share of the hidden papers in its top 100.

Methods, all on the same corpus in the same run:
- foryou (paperfeed's engine, through a real database: import, lexical index, vector index),
  with vectors and lexical-only (a database without vectors);
- TF-IDF centroid and arxiv-sanity-lite's LinearSVC (C=0.01, balanced) over its TF-IDF;
- embedding centroid (mean of the positives' MiniLM vectors);
- trending: the corpus has no votes, so it is newest first.

    nice -n 10 .venv/bin/python bench/foryou_corpus.py --embed   # once: vectors, cached
    nice -n 10 .venv/bin/python bench/foryou_eval.py
    nice -n 10 .venv/bin/python bench/foryou_eval.py --full arxiv102k.db --topics-only
"""

from __future__ import annotations

import argparse
import gzip
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

sys.path.insert(0, str(Path(__file__).parent))
import foryou_corpus as fc

K = 100


def splits(users: list[tuple[str, list[str]]]) -> list[tuple[str, list[str], list[str]]]:
    out = []
    for name, ids in users:
        if name.startswith("topic:"):
            for i in range(len(ids)):
                out.append((name, [x for j, x in enumerate(ids) if j != i], [ids[i]]))
        else:
            for f in range(2):
                pos = ids[f * 8:(f + 1) * 8]
                out.append((name, pos, [x for x in ids if x not in pos]))
    return out


def make_db(path: Path, docs: list[dict[str, Any]], vectors: Any | None) -> Any:
    """A paperfeed database of the corpus (imported by the CLI), with the cached vectors."""
    sys.path.insert(0, str(fc.ROOT / "src"))
    from paperfeed.index.vectors import embed_text, text_hash, to_blob
    from paperfeed.store import open_store
    from paperfeed.store.db import write_tx

    if not path.exists():
        jl = path.with_suffix(".jsonl.gz")
        with gzip.open(jl, "wb") as f:
            for d in docs:
                f.write(orjson.dumps({**d, "categories": d["categories"],
                                      "authors": d["authors"]}) + b"\n")
        subprocess.run([sys.executable, "-m", "paperfeed", "--db", str(path), "import", str(jl)],
                       check=True, env={**os.environ, "PYTHONPATH": str(fc.ROOT / "src")},
                       stdout=subprocess.DEVNULL)
    engine = open_store(str(path))
    if vectors is not None:
        ids, vecs, model = vectors
        with engine.connect() as conn:
            have = conn.exec_driver_sql("SELECT COUNT(*) FROM paper_vectors").scalar()
        if not have:
            by = {d["id"]: d for d in docs}
            with write_tx(engine) as conn:
                conn.exec_driver_sql(
                    "INSERT INTO paper_vectors (paper_id, model_id, dim, vec, text_hash, seq, "
                    "embedded_at) SELECT ?, ?, ?, ?, ?, seq, 'bench' FROM papers WHERE id = ?",
                    [(i, model, vecs.shape[1], to_blob(v),
                      text_hash(embed_text(by[i]["title"], by[i]["abstract"])), i)
                     for i, v in zip(ids, vecs, strict=True)])
    return engine


def sanity_tfidf(docs: list[dict[str, Any]]) -> Any:
    """arxiv-sanity-lite's TF-IDF (its compute.py settings; min_df scaled to the corpus)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    v = TfidfVectorizer(input="content", encoding="utf-8", decode_error="replace",
                        strip_accents="unicode", lowercase=True, analyzer="word",
                        stop_words="english", token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b",
                        ngram_range=(1, 2), max_features=20000, norm="l2", use_idf=True,
                        smooth_idf=True, sublinear_tf=True, max_df=0.1, min_df=2)
    return v.fit_transform([f"{d['title']}. {d['abstract']}" for d in docs])


def rank_scores(scores: np.ndarray, ids: list[str], skip: set[str]) -> list[str]:
    order = np.argsort(-scores, kind="stable")
    return [ids[i] for i in order if ids[i] not in skip][:K]


def recall(top: list[str], hidden: list[str]) -> float:
    return len(set(top) & set(hidden)) / len(hidden)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", help="comma-separated methods to run")
    ap.add_argument("--topics-only", action="store_true",
                    help="topics only, one split each (the first paper held out)")
    ap.add_argument("--full", metavar="DB", help="rank all 102k papers instead (lexical methods "
                    "only): DB is a paperfeed database of arxiv-102k (`paperfeed import`)")
    a = ap.parse_args()
    from sklearn.svm import LinearSVC

    papers = fc.load_papers()
    us = fc.users(papers)
    docs = papers if a.full else fc.corpus(papers)
    ids = [d["id"] for d in docs]
    row = {i: n for n, i in enumerate(ids)}
    X = sanity_tfidf(docs)
    dates = np.array([int((d.get("date") or "0").replace("-", "")[:8] or 0) for d in docs])
    if a.full:
        from paperfeed.store import open_store

        engines = {"foryou_lexical": open_store(a.full)}
    else:
        engines = {"foryou_lexical": make_db(fc.OUT / "foryou_lex.db", docs, None)}
    V = None
    if fc.VECTORS.exists() and not a.full:
        z = np.load(fc.VECTORS)
        vec_ids, V, model = [str(x) for x in z["ids"]], z["vecs"].astype(np.float32), \
            str(z["model"])
        assert vec_ids == ids, "bench/out/foryou_vectors.npz is of another corpus: embed again"
        engines["foryou"] = make_db(fc.OUT / "foryou_vec.db", docs, (ids, V, model))
    elif not a.full:
        print("no bench/out/foryou_vectors.npz: lexical methods only")
    from paperfeed.rank.foryou import Profile, recommend

    methods: dict[str, Any] = {
        "tfidf_centroid": lambda pos: np.asarray(X @ np.asarray(X[pos].mean(0)).ravel()),
        "embedding_centroid": lambda pos: V @ V[pos].mean(0),
        "svm_arxiv_sanity": lambda pos: _svm(LinearSVC, X, pos),
        "trending": lambda pos: dates.astype(float),
    }
    if V is None:
        del methods["embedding_centroid"]
    only = set(a.only.split(",")) if a.only else None
    res: dict[str, list[float]] = {}
    by_kind: dict[tuple[str, str], list[float]] = {}
    secs: dict[str, float] = {}
    todo = splits(us)
    if a.topics_only:
        todo = [s for s in todo if s[0].startswith("topic:") and s[2][0] == dict(us)[s[0]][0]]
    for n, (name, pos, hidden) in enumerate(todo, 1):
        print(f"{n}/{len(todo)} {name}", file=sys.stderr, flush=True)
        kind = name.split(":")[0]
        skip = set(pos)
        for m in list(methods) + list(engines):
            if only and m not in only:
                continue
            t0 = time.perf_counter()
            if m in engines:
                top = [r.id for r in recommend(engines[m], Profile(dict.fromkeys(pos, 1.0)), K)]
            else:
                top = rank_scores(np.ravel(methods[m]([row[p] for p in pos])), ids, skip)
            secs[m] = secs.get(m, 0.0) + time.perf_counter() - t0
            r = recall(top, hidden)
            res.setdefault(m, []).append(r)
            by_kind.setdefault((m, kind), []).append(r)
    base = max(float(np.mean(v)) for m, v in res.items() if not m.startswith("foryou"))
    print(f"corpus {len(docs)} papers, {len(todo)} held-out splits")
    print(f"{'method':22} {'recall@100':>10} {'topics':>7} {'categories':>10} {'x best':>7} "
          f"{'s/user':>7}")
    for m, v in res.items():
        cat = by_kind.get((m, "category"))
        print(f"{m:22} {np.mean(v):10.3f} {np.mean(by_kind[(m, 'topic')]):7.3f} "
              f"{np.mean(cat) if cat else float('nan'):10.3f} {np.mean(v) / base:7.2f} "
              f"{secs[m] / len(v):7.3f}")


def _svm(LinearSVC: Any, X: Any, pos: list[int]) -> np.ndarray:
    y = np.zeros(X.shape[0])
    y[pos] = 1
    clf = LinearSVC(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01)
    clf.fit(X, y)
    return np.asarray(clf.decision_function(X))


if __name__ == "__main__":
    main()
