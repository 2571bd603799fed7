"""For you: rank papers for a profile (positives, negatives, seeds) from index candidates.

`recommend()` is the one engine behind the For-you page, `GET /api/for-you`,
`POST /api/recommendations`, `paperfeed recommend`, digests and personal feeds:

1. candidates from indexes, never a scan: BM25 on the profile's strongest terms (and each
   positive's), nearest vectors of the positives and their centroid, followed authors', the
   positives' authors' (foryou_authors) and the newest papers;
2. a model fitted on the spot (foryou_model; at 100k papers 0.4-0.45 s a user without
   vectors, more with them: docs/benchmarks.md), so nothing per user is cached and
   everything stays derivable from the database;
3. a reason for each paper: its strongest shared words, the saved paper closest to it and
   the author it shares with the saved ones.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import Engine

from paperfeed.index.lookups import author_key
from paperfeed.rank import foryou_authors as fa
from paperfeed.rank import foryou_data as data
from paperfeed.rank.foryou_model import Scores, score
from paperfeed.rank.foryou_text import analyse, index_df, tfidf

QUERY_TERMS = 40  # profile terms sent to BM25
PER_POSITIVE_TERMS = 16
MAX_POSITIVES = 200  # the most recent/weighted ones; each adds candidates up to PER_SEED_MAX
PER_SEED = 150
LEXICAL_DEPTH = 1500
VECTOR_DEPTH = 1500
RECENT = 200
BACKGROUND = 500  # 1,000 before: bench recall equal or higher on every dev protocol
FILTER_EXACT_MAX = 20_000  # a --since window this small: exact vector search inside it
WHY_WORDS = 3


@dataclass
class Profile:
    """What is known of one interest: weighted positive papers, negatives, seeds, mutes."""

    positives: dict[str, float] = field(default_factory=dict)  # paper id -> weight
    negatives: set[str] = field(default_factory=set)
    texts: list[str] = field(default_factory=list)  # pasted abstracts or drafts
    keywords: list[str] = field(default_factory=list)  # followed words
    authors: list[str] = field(default_factory=list)  # followed authors (name keys)
    exclude: set[str] = field(default_factory=set)  # never returned (seen, saved, ...)
    muted_authors: set[str] = field(default_factory=set)  # name keys
    muted_words: set[str] = field(default_factory=set)  # lower-cased words
    label: str = ""

    @property
    def empty(self) -> bool:
        return not (self.positives or self.texts or self.keywords or self.authors)


@dataclass
class Recommendation:
    id: str
    title: str
    score: float
    why: str
    words: list[str] = field(default_factory=list)
    like: list[str] = field(default_factory=list)  # ids of the saved papers that scored it

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "score": round(self.score, 4),
                "why": self.why, "words": self.words, "like": self.like}


def _seed(profile: Profile) -> int:
    h = hashlib.blake2b("|".join(sorted(profile.positives)).encode(), digest_size=4)
    return int.from_bytes(h.digest(), "little")


def is_muted(p: data.PaperText, profile: Profile) -> bool:
    if profile.muted_authors and any(author_key(a) in profile.muted_authors
                                     for a in p.authors):
        return True
    if profile.muted_words:
        low = f"{p.title} {p.abstract}".lower()
        return any(re.search(rf"\b{re.escape(w)}\b", low) for w in profile.muted_words)
    return False


def _surface(texts: list[str]) -> dict[str, str]:
    """stem -> the word it most often came from in these texts (for readable reasons)."""
    from paperfeed.index.lexical import EN

    seen: dict[str, Counter[str]] = {}
    for t in texts:
        for w in re.findall(r"[A-Za-z][A-Za-z0-9]+", t):
            for stem in EN.analyze(w)[:1]:
                seen.setdefault(stem, Counter())[w.lower()] += 1
    return {s: c.most_common(1)[0][0] for s, c in seen.items()}


def recommend(engine: Engine, profile: Profile, k: int = 100, since: str | None = None,
              until: str | None = None, category: str | list[str] | None = None,
              observe: Callable[[list[str], Scores], None] | None = None,
              timings: dict[str, float] | None = None) -> list[Recommendation]:
    """The best `k` papers for `profile`, best first (never a positive, negative or excluded
    paper). `since`/`until` (YYYY-MM-DD) and `category` narrow the candidates. `observe` (the
    bench) sees every candidate's scores; `timings` gets seconds per stage."""
    if profile.empty or k <= 0:
        return []
    clock = _Clock(timings)
    lexical, vectors, model_id = data.engine_model(engine)
    filters = lexical.filter_queries(category, since, until) if lexical is not None else []
    positives = dict(sorted(profile.positives.items(), key=lambda kv: -kv[1])[:MAX_POSITIVES])
    with engine.connect() as conn:
        known = data.load_texts(conn, list(positives) + sorted(profile.negatives))
        pos_ids = [i for i in positives if i in known]
        neg_ids = [i for i in sorted(profile.negatives) if i in known and i not in positives]
        seeds = [data.PaperText(f"text:{n}", "", t, [], [], None)
                 for n, t in enumerate(profile.texts) if t.strip()]
        if profile.keywords:
            seeds.append(data.PaperText("text:keywords", " ".join(profile.keywords), "", [],
                                        [], None))
        seed_vecs = data.load_vectors(conn, model_id, pos_ids + neg_ids, vectors)
        if vectors is not None and seeds:
            from paperfeed.search.hybrid import get_searcher

            s = get_searcher(engine)
            for sd in seeds:
                seed_vecs[sd.id] = s.embed_query(f"{sd.title} {sd.abstract}".strip())
        pos_papers = [known[i] for i in pos_ids] + seeds
        if not pos_papers and not profile.authors:
            return []
        weights = np.array([positives.get(p.id, 1.0) for p in pos_papers])
        aff = fa.affinity(conn, pos_papers, weights)
        # candidates --------------------------------------------------------------------
        df = index_df(lexical)
        cand: list[str] = []
        if pos_papers:
            prof = tfidf(analyse([(p.title, p.abstract) for p in pos_papers]), df)
            cent = np.zeros(len(prof.vocab))
            for i in range(prof.n_rows):
                cent += prof.dense_row(i)
            top = np.argsort(-cent)[:QUERY_TERMS]
            cand += data.lexical_candidates(
                lexical, [(prof.vocab[i], float(cent[i] / cent[top[0]])) for i in top
                          if cent[i] > 0], LEXICAL_DEPTH, filters)
            if len(pos_papers) <= 50:
                for i in range(prof.n_rows):
                    row = prof.dense_row(i)
                    t = np.argsort(-row)[:PER_POSITIVE_TERMS]
                    cand += data.lexical_candidates(
                        lexical, [(prof.vocab[j], float(row[j])) for j in t if row[j] > 0],
                        PER_SEED, filters)
            cand += _vector_candidates(lexical, vectors, [seed_vecs[p.id] for p in pos_papers
                                                          if p.id in seed_vecs],
                                       filters, since, until, category)
        clock.lap("candidates")
        authored = data.by_authors(conn, profile.authors, RECENT) + fa.candidates(conn, aff)
        cand += authored
        cand += data.recent_candidates(lexical, RECENT, filters)
        blocked = set(positives) | profile.negatives | profile.exclude
        cand = [c for c in dict.fromkeys(cand) if c not in blocked]
        ctexts = data.load_texts(conn, cand)
        if filters and authored:  # the author lookups are unfiltered: only they are checked
            unique = list(dict.fromkeys(authored))
            out = set(unique) - lexical.allowed(unique, category, since, until)
            ctexts = {i: p for i, p in ctexts.items() if i not in out}
        cands = [ctexts[i] for i in cand if i in ctexts and not is_muted(ctexts[i], profile)]
        if not cands:
            return []
        bg_ids = [i for i in data.background_ids(conn, BACKGROUND, _seed(profile))
                  if i not in blocked]
        bg = list(data.load_texts(conn, bg_ids).values())
        negs = [known[i] for i in neg_ids]
        everyone = pos_papers + negs + bg + cands
        vecs = {**seed_vecs, **data.load_vectors(conn, model_id, [p.id for p in bg + cands],
                                                 vectors)}
        clock.lap("load")
    X = tfidf(analyse([(p.title, p.abstract) for p in everyone]), df, min_df_local=2)
    clock.lap("analysis")
    n_pos, n_neg, n_bg = len(pos_papers), len(negs), len(bg)
    rows = np.arange(len(everyone))
    pos_r, neg_r = rows[:n_pos], rows[n_pos:n_pos + n_neg]
    bg_r, cand_r = rows[n_pos + n_neg:n_pos + n_neg + n_bg], rows[n_pos + n_neg + n_bg:]
    E, has = _matrix(everyone, vecs)
    if not pos_papers:  # followed authors only: newest first
        return [Recommendation(p.id, p.title, 0.0, "by an author you follow")
                for p in cands[:k]]
    sc = score(X, E, has, pos_r, neg_r, bg_r, cand_r, weights,
               {"coauthor": fa.part(aff, cands)})
    clock.lap("fit")
    if observe is not None:
        observe([p.id for p in cands], sc)
    total = sc.total
    if profile.authors:
        followed = np.array([any(author_key(a) in profile.authors for a in p.authors)
                             for p in cands])
        total = total + 1.0 * followed
    order = np.argsort(-total, kind="stable")[:k]
    surface = _surface([f"{p.title} {p.abstract}" for p in pos_papers])
    out = []
    for j in order.tolist():
        p = cands[j]
        words = _why_words(X, int(cand_r[j]), sc.centroid, surface)
        near = pos_papers[int(sc.nearest[j])] if sc.nearest is not None else None
        out.append(Recommendation(p.id, p.title, float(total[j]),
                                  _why(words, near, p, profile, aff), words,
                                  [near.id] if near is not None and not
                                  near.id.startswith("text:") else []))
    clock.lap("why")
    return out


class _Clock:
    """Seconds per stage of one call, added into `into` (when given)."""

    def __init__(self, into: dict[str, float] | None) -> None:
        self.into, self.t = into, time.perf_counter()

    def lap(self, stage: str) -> None:
        if self.into is not None:
            now = time.perf_counter()
            self.into[stage] = self.into.get(stage, 0.0) + now - self.t
            self.t = now


def _vector_candidates(lexical: Any, vectors: Any, qvecs: list[np.ndarray], filters: list[Any],
                       since: str | None, until: str | None, category: Any) -> list[str]:
    if vectors is None or not qvecs:
        return []
    allowed: list[str] | None = None
    if filters and lexical is not None:
        _, n = lexical.filtered_ids(0, category, since, until)
        if n <= FILTER_EXACT_MAX:
            allowed, _ = lexical.filtered_ids(max(n, 1), category, since, until)
            if not allowed:
                return []
    cent = np.mean(qvecs, 0)
    queries = [(cent, VECTOR_DEPTH)] + [(q, PER_SEED) for q in qvecs[:50]]
    out: list[str] = []
    for q, depth in queries:
        if allowed is not None:
            out += [p for p, _ in vectors.search(q, depth, ids_filter=allowed)]
        else:
            out += [p for p, _ in vectors.search(q, depth * (4 if filters else 1))]
    if filters and allowed is None and lexical is not None:
        ok = lexical.allowed(out, category, since, until)
        out = [p for p in out if p in ok]
    return out


def _matrix(papers: list[data.PaperText], vecs: dict[str, np.ndarray]
            ) -> tuple[np.ndarray | None, np.ndarray]:
    has = np.array([p.id in vecs for p in papers])
    if not has.any():
        return None, has
    dim = len(next(iter(vecs.values())))
    E = np.zeros((len(papers), dim), dtype=np.float32)
    for i, p in enumerate(papers):
        v = vecs.get(p.id)
        if v is not None and len(v) == dim:
            E[i] = v / max(float(np.linalg.norm(v)), 1e-12)
        else:
            has[i] = False
    return E, has


def _why_words(X: Any, row: int, centroid: np.ndarray | None, surface: dict[str, str]
               ) -> list[str]:
    if centroid is None:
        return []
    s, e = X.ptr[row], X.ptr[row + 1]
    contrib = X.vals[s:e] * centroid[X.cols[s:e]]
    out: list[str] = []
    for i in np.argsort(-contrib).tolist():
        if contrib[i] <= 0 or len(out) >= WHY_WORDS:
            break
        t = X.vocab[int(X.cols[s + i])]
        word = " ".join(surface.get(w, w) for w in t.split(" "))
        if not any(word in o or o in word for o in out):
            out.append(word)
    return out


def _why(words: list[str], near: data.PaperText | None, p: data.PaperText,
         profile: Profile, aff: fa.Affinity) -> str:
    parts = []
    if words:
        parts.append("shares " + ", ".join(f"“{w}”" for w in words))
    if near is not None:
        parts.append("like your pasted text" if near.id.startswith("text:")
                     else f"like “{near.title[:80]}” ({near.id})")
    if profile.authors and any(author_key(a) in profile.authors for a in p.authors):
        parts.append("by an author you follow")
    elif (by := fa.reason(aff, p)) is not None:
        parts.append(by)
    return "; ".join(parts) or "close to the papers you chose"
