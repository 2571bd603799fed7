"""For-you offline evaluation: recall@100 of held-out papers, against baselines, in one run.

Users and corpus: bench/foryou_corpus.py (public dev data only; protocols topic, cat10, cat3,
cat1, author; categories and authors split into disjoint `dev` and `confirm` halves). Each
method ranks the corpus minus the positives; recall@100 = share of the hidden papers in its top
100; a protocol's figure is the mean over its splits.

Methods, all on the same corpus in the same run:
- foryou (paperfeed's engine, through a real database: import, lexical index, vector index),
  with vectors and lexical-only (a database without vectors);
- TF-IDF centroid and arxiv-sanity-lite's LinearSVC (C=0.01, balanced, the user's papers
  against all others) over its TF-IDF (its compute.py settings);
- embedding centroid (mean of the positives' MiniLM vectors);
- trending: the corpus has no votes, so it is newest first.

Every candidate's score parts are saved to bench/out/foryou_parts.pkl, so that
bench/foryou_tune.py can re-blend them (the blend does not change the candidates).

    nice -n 10 .venv/bin/python bench/foryou_corpus.py --embed   # once: vectors, cached
    nice -n 10 .venv/bin/python bench/foryou_eval.py
    nice -n 10 .venv/bin/python bench/foryou_eval.py --full arxiv102k.db --limit 40
"""

from __future__ import annotations

import argparse
import gzip
import os
import pickle
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
PARTS = fc.OUT / "foryou_parts.pkl"
BASELINES = ("tfidf_centroid", "embedding_centroid", "svm_arxiv_sanity", "trending")


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
                f.write(orjson.dumps(d) + b"\n")
        subprocess.run([sys.executable, "-m", "paperfeed", "--db", str(path), "import", str(jl)],
                       check=True, env={**os.environ, "PYTHONPATH": str(fc.ROOT / "src")},
                       stdout=subprocess.DEVNULL)
    engine = open_store(str(path))
    if vectors is not None:
        from paperfeed.index import minilm

        # the searcher (a reader) wants the model in the user cache (embed.not_ready), where
        # `index update` puts it only when it embeds: point it at the shipped file
        dest, src = minilm.onnx_path(), minilm.ensure_onnx()
        if not dest.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.symlink_to(src)
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
        from paperfeed.index.vectors import VectorIndex

        # readers (the engine's searcher) only load a saved vector index: build and save it
        # as a writer does (`paperfeed index update`); without it the engine is lexical-only
        VectorIndex.open(engine, model)
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


def _svm(X: Any, pos: list[int]) -> np.ndarray:
    """arxiv-sanity-lite's serve.py ranking: a LinearSVC, the user's papers against all others."""
    from sklearn.svm import LinearSVC

    y = np.zeros(X.shape[0])
    y[pos] = 1
    clf = LinearSVC(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01)
    clf.fit(X, y)
    return np.asarray(clf.decision_function(X))


def rank_scores(scores: np.ndarray, ids: list[str], skip: set[str]) -> list[str]:
    order = np.argsort(-scores, kind="stable")
    return [ids[i] for i in order[:K + len(skip)] if ids[i] not in skip][:K]


def recall(top: list[str], hidden: list[str]) -> float:
    return len(set(top) & set(hidden)) / len(hidden)


def table(rows: list[dict[str, Any]], methods: list[str], ours: str = "foryou") -> str:
    """Markdown: recall@100 per protocol and half, each method, For you / best baseline."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["protocol"], r["half"]), []).append(r)
        groups.setdefault(("all", r["half"]), []).append(r)
    head = "| protocol | half | splits | " + " | ".join(methods) + " | best baseline | x best |"
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for (proto, h), rs in sorted(groups.items(), key=lambda kv: (kv[0][0] == "all", kv[0])):
        m = {k: float(np.mean([r["recall"][k] for r in rs])) for k in methods}
        bases = [k for k in methods if k in BASELINES]
        base = max(bases, key=lambda k: m[k]) if bases else ""  # (--only the engine)
        mine = m.get(ours, m.get("foryou_lexical", float("nan")))
        out.append(f"| {proto} | {h} | {len(rs)} | " + " | ".join(f"{m[k]:.3f}" for k in methods)
                   + (f" | {base} | {mine / max(m[base], 1e-9):.2f} |" if base else " | - | - |"))
    return "\n".join(out)


def _interleave(todo: list[fc.Split]) -> list[fc.Split]:
    groups: dict[tuple[str, str], list[fc.Split]] = {}
    for t in todo:
        groups.setdefault((t[0], t[1]), []).append(t)
    out: list[fc.Split] = []
    for i in range(max(len(g) for g in groups.values())):
        out += [g[i] for g in groups.values() if i < len(g)]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", help="comma-separated methods to run")
    ap.add_argument("--protocols", help="comma-separated protocols (topic,cat10,cat3,cat1,author)")
    ap.add_argument("--limit", type=int, help="at most this many splits (spread evenly)")
    ap.add_argument("--full", metavar="DB", help="rank all 102k papers instead (lexical methods "
                    "only): DB is a paperfeed database of arxiv-102k (`paperfeed import`)")
    ap.add_argument("--set", action="append", default=[], metavar="MODULE.NAME=VALUE",
                    help="override an engine constant, e.g. foryou_model.STEPS=30 (repeatable)")
    ap.add_argument("--parts", type=Path, default=PARTS, help="where the score parts go")
    a = ap.parse_args()
    import importlib

    from paperfeed.rank import foryou_model
    from paperfeed.rank.foryou import Profile, recommend

    foryou_model.ALL_PARTS = True
    for kv in a.set:
        name, value = kv.split("=", 1)
        mod, attr = name.rsplit(".", 1)
        m = importlib.import_module(f"paperfeed.rank.{mod}")
        setattr(m, attr, type(getattr(m, attr))(value))
    papers = fc.load_papers()
    todo = fc.splits(papers)
    docs = papers if a.full else fc.corpus(papers)
    if a.protocols:
        todo = [s for s in todo if s[0] in a.protocols.split(",")]
    todo = _interleave(todo)  # protocols and halves in turn: a partial run is balanced
    if a.limit and len(todo) > a.limit:
        todo = [todo[int(i)] for i in np.linspace(0, len(todo) - 1, a.limit)]
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
    methods: dict[str, Any] = {
        "tfidf_centroid": lambda pos: np.asarray(X @ np.asarray(X[pos].mean(0)).ravel()),
        "embedding_centroid": lambda pos: V @ V[pos].mean(0),
        "svm_arxiv_sanity": lambda pos: _svm(X, pos),
        "trending": lambda pos: dates.astype(float),
    }
    if V is None:
        del methods["embedding_centroid"]
    only = set(a.only.split(",")) if a.only else None
    names = [m for m in list(methods) + list(engines) if not only or m in only]
    rows: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    secs: dict[str, float] = {}
    stages: dict[str, dict[str, float]] = {}
    for n, (proto, h, name, pos, hidden) in enumerate(todo, 1):
        print(f"{n}/{len(todo)} {proto} {name}", file=sys.stderr, flush=True)
        rec: dict[str, float] = {}
        for m in names:
            t0 = time.perf_counter()
            if m in engines:
                seen: dict[str, Any] = {}
                top = [r.id for r in recommend(
                    engines[m], Profile(dict.fromkeys(pos, 1.0)), K,
                    observe=lambda c, s, seen=seen: seen.update(ids=c, parts=s.parts),
                    timings=stages.setdefault(m, {}))]
                parts.append({"split": n - 1, "method": m, **seen})
            else:
                top = rank_scores(np.ravel(methods[m]([row[p] for p in pos])), ids, set(pos))
            secs[m] = secs.get(m, 0.0) + time.perf_counter() - t0
            rec[m] = recall(top, hidden)
        rows.append({"protocol": proto, "half": h, "name": name, "recall": rec,
                     "pos": pos, "hidden": hidden})
        if n % 10 == 0 or n == len(todo):  # stopped early, the splits done still count
            a.parts.write_bytes(pickle.dumps({"rows": rows, "parts": parts}))
    print(f"corpus {len(docs)} papers, {len(todo)} held-out splits; load {os.getloadavg()}")
    print(table(rows, names))
    print("\nseconds per user: " + ", ".join(f"{m} {secs[m] / len(todo):.3f}" for m in names))
    for m, st in stages.items():
        print(f"{m} stages per user: " + ", ".join(f"{k} {v / len(todo):.3f}"
                                                   for k, v in st.items()))


if __name__ == "__main__":
    main()
