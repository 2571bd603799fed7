"""The For-you bench corpus and users, from public dev data only (see bench/foryou_eval.py).

Users, each a (protocol, name, positives, hidden) split, drawn from arxiv-102k once (seeded):

- topic: each topics_dev.jsonl topic, its first paper held out (the other two are positives);
- cat10 / cat3 / cat1: 30 papers of a small or medium primary category, in date order; the
  earliest 10 are what the user saved, the latest 20 are hidden (a time split). cat10 uses all
  10, cat3 the 3 most recent of them, cat1 the most recent alone (For you must work from one);
- author: an author with 6-30 papers (a rare surname, so one person), the 3 earliest are the
  positives, every later one is hidden.

Categories and authors are split into two disjoint halves: `dev` (weights are tuned there) and
`confirm` (only ever measured). Corpus: every user's papers, the demo's papers (their vectors are
shipped) and random others up to CORPUS_SIZE; random others never have a user category as
primary, so the only papers of a user's category in the corpus are the labelled ones. Its real
MiniLM vectors (ONNX int8, the default embedder) are computed once, under `nice`, and cached in
bench/out/foryou_vectors.npz (the demo's shipped vectors are reused):

    nice -n 10 .venv/bin/python bench/foryou_corpus.py --embed
"""

from __future__ import annotations

import argparse
import ast
import gzip
import hashlib
import random
import sys
import time
from collections import Counter
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
DEMO_VECTORS = ROOT / "src" / "paperfeed" / "demo" / "demo-vectors.npz"
CAT_MIN, CAT_MAX = 200, 3000  # primary-category sizes in arxiv-102k used as users
PER_CATEGORY, SAVED = 30, 10
AUTHOR_MIN, AUTHOR_MAX, AUTHOR_POS = 6, 30, 3
AUTHORS_PER_HALF = 30
OTHERS_POOL = 10_000
CORPUS_SIZE = 10_000
SEED = 11

Split = tuple[str, str, str, list[str], list[str]]  # (protocol, half, name, positives, hidden)


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


def half(name: str) -> str:
    """dev or confirm, fixed by the name's hash (never by how a method does on it)."""
    return "dev" if hashlib.blake2b(name.encode(), digest_size=2).digest()[0] % 2 == 0 \
        else "confirm"


def _key(p: dict[str, Any]) -> tuple[str, str]:
    return (p.get("date") or "", p["id"])


def user_categories(papers: list[dict[str, Any]]) -> list[str]:
    c = Counter(p["categories"][0] for p in papers if p["categories"])
    return sorted(k for k, v in c.items() if CAT_MIN <= v <= CAT_MAX)


def _authors(papers: list[dict[str, Any]], cats: set[str]) -> list[tuple[str, list[str]]]:
    by: dict[str, list[dict[str, Any]]] = {}
    for p in papers:
        for a in p["authors"]:
            by.setdefault(a, []).append(p)
    surnames = Counter(a.split()[-1] for a in by if a.split())
    ok = sorted(a for a, ps in by.items() if AUTHOR_MIN <= len(ps) <= AUTHOR_MAX
                and len(a.split()) >= 2 and surnames[a.split()[-1]] <= 2
                and len({_key(p)[0] for p in ps}) >= 2)
    rng = random.Random(SEED)
    rng.shuffle(ok)
    out: list[tuple[str, list[str]]] = []
    taken = {"dev": 0, "confirm": 0}
    for a in ok:
        h = half(f"author:{a}")
        if taken[h] < AUTHORS_PER_HALF:
            out.append((a, [p["id"] for p in sorted(by[a], key=_key)]))
            taken[h] += 1
    return out


def splits(papers: list[dict[str, Any]]) -> list[Split]:
    have = {p["id"] for p in papers}
    out: list[Split] = []
    for line in (DATA / "topics_dev.jsonl").read_bytes().splitlines():
        t = orjson.loads(line)
        ids = [i for i in t["relevant"] if i in have]
        if len(ids) >= 2:  # the first held out, the others are the positives
            out.append(("topic", "dev", f"topic:{t['query']}", ids[1:], ids[:1]))
    rng = random.Random(SEED)
    cats = user_categories(papers)
    for cat in cats:
        ps = sorted((p for p in papers if p["categories"][:1] == [cat]), key=_key)
        pick = sorted(rng.sample(range(len(ps)), PER_CATEGORY))
        ids = [ps[i]["id"] for i in pick]
        saved, hidden = ids[:SAVED], ids[SAVED:]
        h, name = half(f"category:{cat}"), f"category:{cat}"
        out.append(("cat10", h, name, saved, hidden))
        out.append(("cat3", h, name, saved[-3:], hidden))
        out.append(("cat1", h, name, saved[-1:], hidden))
    for a, ids in _authors(papers, set(cats)):
        out.append(("author", half(f"author:{a}"), f"author:{a}", ids[:AUTHOR_POS],
                    ids[AUTHOR_POS:]))
    return out


def corpus(papers: list[dict[str, Any]], size: int | None = None) -> list[dict[str, Any]]:
    """Every user's papers, the demo's, and random others up to `size` (CORPUS_SIZE), in file
    order. The random others are the first of a fixed sample (OTHERS_POOL), in file order, so a
    smaller corpus is a prefix of a larger one's others."""
    cats = set(user_categories(papers))
    users = {i for s in splits(papers) for i in s[3] + s[4]}
    other = [p for p in papers if p["id"] not in users and p["categories"][:1] != [] and
             p["categories"][0] not in cats]
    demo = {str(i) for i in np.load(DEMO_VECTORS)["ids"]}
    wanted = users | {p["id"] for p in other if p["id"] in demo}
    rest = [p["id"] for p in other if p["id"] not in wanted]
    pool = set(random.Random(SEED).sample(rest, max(0, OTHERS_POOL - len(wanted))))
    room = (size or CORPUS_SIZE) - len(wanted)
    wanted |= set([i for i in rest if i in pool][:max(0, room)])
    return [p for p in papers if p["id"] in wanted]


def embed(papers: list[dict[str, Any]]) -> None:
    sys.path.insert(0, str(ROOT / "src"))
    from paperfeed.index.embed import get_embedder
    from paperfeed.index.vectors import embed_text, text_hash
    from paperfeed.search.hybrid import load_builtin_embedders

    load_builtin_embedders()
    emb = get_embedder("minilm")
    docs = corpus(papers)
    z = np.load(DEMO_VECTORS)
    assert str(z["model_id"]) == emb.model_id
    known = {str(i): (str(h), v) for i, h, v in zip(z["ids"], z["hashes"], z["vecs"],
                                                    strict=True)}
    part = OUT / "foryou_vectors.partial.npz"  # resumable: what was embedded so far
    done: dict[str, np.ndarray] = {}
    if part.exists():
        zp = np.load(part)
        done = {str(i): v for i, v in zip(zp["ids"], zp["vecs"], strict=True)}
    for d in docs:
        k = known.get(d["id"])
        if k and k[0] == text_hash(embed_text(d["title"], d["abstract"])):
            done[d["id"]] = k[1]
    users = {i for sp in splits(papers) for i in sp[3] + sp[4]}
    todo = [d for d in docs if d["id"] not in done and d["id"] in users]
    todo += [d for d in docs if d["id"] not in done and d["id"] not in users]
    print(f"{len(docs)} papers, {len(done)} vectors known, {len(todo)} to embed", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    for s in range(0, len(todo), 64):
        chunk = todo[s:s + 64]
        vs = emb.embed([embed_text(p["title"], p["abstract"]) for p in chunk])
        done.update({p["id"]: v for p, v in zip(chunk, vs, strict=True)})
        print(f"{s + len(chunk)}/{len(todo)} {time.time() - t0:.0f}s", flush=True)
        if (s // 64) % 8 == 7:
            np.savez(part, ids=np.array(list(done)),
                     vecs=np.vstack(list(done.values())).astype(np.float16))
    np.savez(VECTORS, ids=np.array([p["id"] for p in docs]),
             vecs=np.vstack([done[p["id"]] for p in docs]).astype(np.float16),
             model=np.array(emb.model_id))
    part.unlink(missing_ok=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--embed", action="store_true", help="embed the corpus into bench/out/")
    a = ap.parse_args()
    ps = load_papers()
    if a.embed:
        embed(ps)
    else:
        sp = splits(ps)
        print(Counter((s[0], s[1]) for s in sp), len(corpus(ps)), "papers in the corpus")
