"""For-you's per-profile model: scores of candidates from a profile's positives and negatives.

Named parts (see docs/foryou.md), each normalised over the candidates (z-scores) and blended
with WEIGHTS (tuned on the dev half of public bench profiles only, bench/foryou_tune.py):

- linear classifiers (L2 logistic regression, balanced classes, numpy) over TF-IDF terms and,
  where papers have them, sentence vectors: positives against negatives and background papers
  ("clf"), and against the candidates too, as arxiv-sanity-lite's SVM does ("clf_all");
- the TF-IDF centroid of the positives (cosine), and the best cosine to any single positive;
- the same over sentence vectors (when the candidate and a positive have one);
- pseudo-relevance feedback: closeness to the candidates the centroids rank first;
- negatives subtract their own nearest-neighbour similarity;
- the positives' authors ("coauthor", computed by foryou_authors and passed in `extra`).

The blend depends on how many positives the profile has (SIZE_WEIGHTS, weights_for).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from paperfeed.rank.foryou_text import Sparse

WEIGHTS: dict[str, float] = {  # part -> weight in the blend (negatives' parts subtract);
    # tuned on the bench's dev half only (bench/foryou_tune.py --buckets 1,5, with vectors),
    # confirmed on the other half: four fits for 2-5 positives (clf_all, clf_all_lex, svm_all,
    # svm_all_vec), three for one or more than five
    "clf": 0.0, "clf_all": 2.0, "lex_centroid": 0.0, "lex_max": 0.0,
    "emb_centroid": 0.5, "emb_max": 0.5, "emb_top3": 2.0, "lex_prf": 1.0, "emb_prf": 0.0,
    "clf_all_lex": 1.0, "svm_all": 0.0, "svm_all_vec": 2.0, "lex_top3": 0.25,
    "neg_lex": -0.5, "neg_emb": -0.5,
    # no negatives in the bench: neg_* untuned
    # the positives' authors (ABSOLUTE: an affinity in [0, 1], not a z-score), tuned alone on
    # top of the rest (foryou_tune.py --part coauthor): the largest dev gain at which no
    # category protocol of dev got worse
    "coauthor": 32.0,
}
# 2-5 positives: more pseudo-relevance feedback, and the words-only SVM; more than five
# positives drop it (one fit less for the slowest profiles: every cat10 split equal on dev and
# confirm, bench/foryou_tune.py, docs/benchmarks.md "Fourth pass")
_FEW = {**WEIGHTS, "lex_prf": 2.0, "svm_all": 0.25}
# A blend per reader size: (at most this many positives, weights), the first that fits;
# a profile with more positives than every bound gets WEIGHTS. Tuned like WEIGHTS, each
# size on the dev splits of that size (a step had to gain 0.01 there).
SIZE_WEIGHTS: tuple[tuple[int, dict[str, float]], ...] = (
    (1, {**_FEW, "clf_all": 0.0}),  # one positive: no logistic fit with the vector block
    (5, _FEW),
)
# Without vectors (a database that has not embedded its papers, or positives that have none)
# the blend shipped before the vector tuning above: that tuning moved the weight onto the
# vector parts, and on databases without vectors it measured 0.94x the SVM on the confirm
# half against 0.98x for this one (docs/benchmarks.md, "Third pass"; this choice read the
# confirm figure, so that figure is no longer held out for the words-only engine).
WORDS_ONLY: dict[str, float] = {
    "clf": 2.0, "clf_all": 2.0, "lex_centroid": 1.0, "lex_max": 0.5, "lex_prf": 2.0,
    "clf_all_lex": 0.0, "svm_all": 0.0, "neg_lex": -0.5, "neg_emb": -0.5,
    "coauthor": 16.0,  # tuned alone on the words-only engine, by the rule of WEIGHTS' one
}
# Parts added as they are, not normalised over the candidates: `coauthor` is an affinity in
# [0, 1] (foryou_authors), small for an author of one saved paper in thirty; a z-score would
# make any shared author count as much as the author of every saved paper, whenever few
# candidates share one.
ABSOLUTE = frozenset({"coauthor"})
FEEDBACK = 10  # candidates taken as pseudo-positives by lex_prf / emb_prf
FUSION = "z"  # "z": z-scores over the candidates; "rank": ranks scaled to [0, 1];
# "mad": robust z-scores (median, scaled median absolute deviation)
ALL_PARTS = False  # the bench computes every part, weighted or not, to tune the blend
L2 = 1e-2
STEPS = 30  # Nesterov steps per fit (60 before: the same recall on every bench split half)
FIT_DTYPE = np.float32  # the fit's arithmetic (float64: 1.4x slower, the same rankings)
EMB_SCALE = 1.0  # weight of the vector block against the TF-IDF block in the classifier


@dataclass
class Scores:
    total: np.ndarray
    parts: dict[str, np.ndarray] = field(default_factory=dict)
    nearest: np.ndarray | None = None  # index (into positives) of each candidate's closest
    centroid: np.ndarray | None = None  # the positives' TF-IDF centroid (for the reasons)


def _z(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - float(x.mean())) / sd if sd > 1e-12 else np.zeros_like(x)


def logistic(X: Sparse, E: np.ndarray | None, y: np.ndarray, l2: float | None = None,
             steps: int | None = None, loss: str = "logistic"
             ) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Balanced L2 logistic regression by Nesterov gradient descent (rows are unit-norm, so
    a fixed step converges). Returns (term weights, vector weights, bias). `loss="hinge2"`:
    the squared hinge of a linear SVM (arxiv-sanity-lite's LinearSVC) instead."""
    f, l2, steps = FIT_DTYPE, L2 if l2 is None else l2, STEPS if steps is None else steps
    if X.vals.dtype != f:  # a matrix already in the fit's type keeps its cached layouts
        X = Sparse(X.ptr, X.cols, X.vals.astype(f), X.vocab)
    E = E if E is None or E.dtype == f else E.astype(f)
    pos = y > 0
    y = y.astype(f)
    cw = np.where(pos, 0.5 / max(pos.sum(), 1), 0.5 / max((~pos).sum(), 1)).astype(f)
    wt = np.zeros(len(X.vocab), dtype=f)
    we = np.zeros(E.shape[1], dtype=f) if E is not None else None
    b = 0.0
    vt, ve, vb = wt.copy(), None if we is None else we.copy(), 0.0
    step = 2.0 if loss != "hinge2" else 0.5  # squared hinge: 4x the curvature
    t = 1.0
    for _ in range(steps):
        m = X.dot(vt) + vb
        if E is not None and ve is not None:
            m = m + E @ ve
        if loss == "hinge2":  # d/dm of max(0, 1 - s m)^2, s = +-1
            sgn = 2.0 * y - 1.0
            r = cw * -2.0 * sgn * np.maximum(0.0, 1.0 - sgn * m)
        else:
            r = cw * (1.0 / (1.0 + np.exp(-m)) - y)
        gt = X.tdot(r) + l2 * vt
        ge = None if E is None or ve is None else E.T @ r + l2 * ve
        gb = float(r.sum())
        nwt, nb = vt - step * gt, vb - step * gb
        nwe = None if ve is None or ge is None else ve - step * ge
        t2 = (1 + (1 + 4 * t * t) ** 0.5) / 2
        mom = (t - 1) / t2
        vt = nwt + mom * (nwt - wt)
        vb = nb + mom * (nb - b)
        if nwe is not None and we is not None:
            ve = nwe + mom * (nwe - we)
        wt, b, we, t = nwt, nb, nwe, t2
    return wt.astype(np.float64), None if we is None else we.astype(np.float64), b


def _rank01(x: np.ndarray) -> np.ndarray:
    """Ranks scaled to [0, 1] (ties share the lower rank): scale-free, for rank fusion."""
    if len(x) < 2:
        return np.zeros_like(x, dtype=float)
    return np.argsort(np.argsort(x, kind="stable"), kind="stable") / (len(x) - 1.0)


def _mad(x: np.ndarray) -> np.ndarray:
    med = float(np.median(x))
    sd = 1.4826 * float(np.median(np.abs(x - med)))
    return (x - med) / sd if sd > 1e-12 else _z(x)


def _norm(x: np.ndarray) -> np.ndarray:
    return _rank01(x) if FUSION == "rank" else _mad(x) if FUSION == "mad" else _z(x)


def norm_part(name: str, x: np.ndarray) -> np.ndarray:
    """A part as the blend adds it: normalised over the candidates (FUSION), except the
    ABSOLUTE parts, whose values already mean the same for every profile."""
    return np.asarray(x, dtype=float) if name in ABSOLUTE else _norm(x)


def weights_for(n_pos: int) -> dict[str, float]:
    """The blend for a profile of `n_pos` positives (SIZE_WEIGHTS, else WEIGHTS)."""
    for upto, w in SIZE_WEIGHTS:
        if n_pos <= upto:
            return w
    return WEIGHTS


def _want(name: str, weights: dict[str, float] | None = None) -> bool:
    return ALL_PARTS or (WEIGHTS if weights is None else weights).get(name, 0.0) != 0.0


def blend(parts: dict[str, np.ndarray], weights: dict[str, float] | None = None) -> np.ndarray:
    """The total: each weighted part, normalised over the candidates (FUSION), summed."""
    w = WEIGHTS if weights is None else weights
    n = len(next(iter(parts.values())))
    total = np.zeros(n)
    for k, x in parts.items():
        if w.get(k, 0.0):
            total += w[k] * norm_part(k, x)
    return total


_BLAS = threading.Lock()
_blas_one: list[bool] = []


def one_blas_thread() -> None:
    """numpy's BLAS on one thread in this process, from the first fit on. The fits' products
    are small (a few thousand rows x 384), and OpenBLAS's threads spin-wait for a core: on a
    busy 2-core machine a matrix-vector product took 2.8 ms on two threads against 0.17 ms
    on one, and the fit stage of a user at 102k papers 2.1 s against 0.9 s
    (docs/benchmarks.md). Requests run side by side in threads and processes instead."""
    with _BLAS:
        if not _blas_one:
            from threadpoolctl import threadpool_limits

            threadpool_limits(1, user_api="blas")
            _blas_one.append(True)


def score(X: Sparse, E: np.ndarray | None, has_vec: np.ndarray, pos: np.ndarray,
          neg: np.ndarray, bg: np.ndarray, cand: np.ndarray,
          pos_weight: np.ndarray | None = None, extra: dict[str, np.ndarray] | None = None
          ) -> Scores:
    """Scores of rows `cand` of X/E, given rows of positives, negatives and background;
    `extra`: parts computed outside (one value per candidate), blended like the others."""
    one_blas_thread()
    pw = np.ones(len(pos)) if pos_weight is None else pos_weight
    use_vec = E is not None and bool(has_vec[pos].any())
    w = weights_for(len(pos)) if use_vec else WORDS_ONLY
    parts: dict[str, np.ndarray] = {}
    Xd = _dense(X, np.concatenate([pos, neg]))
    P, N = Xd[:len(pos)], Xd[len(pos):]
    centroid = (pw[:, None] * P).sum(0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    Xc = _subset(X, cand)
    parts["lex_centroid"] = Xc.dot(centroid)
    sims = Xc.mul_dense(P)
    parts["lex_max"] = sims.max(1)
    if sims.shape[1] > 1 and _want("lex_top3", w):
        parts["lex_top3"] = np.sort(sims, 1)[:, -min(3, sims.shape[1]):].mean(1)
    nearest = sims.argmax(1)
    if len(neg):
        parts["neg_lex"] = Xc.mul_dense(N).max(1)
    Es = (E * EMB_SCALE).astype(np.float64) if use_vec and E is not None else None
    # the classifier: positives against negatives and background (and, like arxiv-sanity-lite's
    # SVM, against every candidate too: "clf_all")
    # "svm_all": a linear SVM's squared hinge instead (over words only, as arxiv-sanity-lite)
    rows_for: dict[str, tuple[Sparse, np.ndarray | None]] = {}
    for name, others, block in (("clf", np.concatenate([neg, bg]), Es),
                                ("clf_all", np.concatenate([neg, bg, cand]), Es),
                                ("clf_all_lex", np.concatenate([neg, bg, cand]), None),
                                ("svm_all", np.concatenate([neg, bg, cand]), None),
                                ("svm_all_vec", np.concatenate([neg, bg, cand]), Es)):
        if not _want(name, w) or (name in ("clf_all_lex", "svm_all_vec") and Es is None):
            continue
        train = np.concatenate([pos, others])
        y = np.concatenate([np.ones(len(pos)), np.zeros(len(others))])
        key = "bg" if name == "clf" else "all"  # fits on the same rows share one matrix
        if key not in rows_for:
            Xt = _subset(X, train)
            rows_for[key] = (Sparse(Xt.ptr, Xt.cols, Xt.vals.astype(FIT_DTYPE), Xt.vocab),
                             None if Es is None else Es[train].astype(FIT_DTYPE))
        Xt, Et = rows_for[key]
        wt, we, b = logistic(Xt, None if block is None else Et, y,
                             loss="hinge2" if name.startswith("svm") else "logistic")
        clf = Xc.dot(wt) + b
        if block is not None and we is not None:
            clf = clf + block[cand] @ we
        parts[name] = clf
    if E is not None and use_vec:
        pv = pos[has_vec[pos]]
        ec = (pw[has_vec[pos]][:, None] * E[pv]).sum(0)
        ec /= max(float(np.linalg.norm(ec)), 1e-12)
        Ec = E[cand]
        ok = has_vec[cand]
        esims = Ec @ E[pv].T
        emb_c, emb_m = Ec @ ec, esims.max(1)
        nearest = np.where(ok & (emb_m > sims.max(1)), pos_index(pos, pv)[esims.argmax(1)],
                           nearest)
        # a candidate without a vector gets the mean: its lexical scores decide
        def fill(x: np.ndarray) -> np.ndarray:
            return np.where(ok, x, x[ok].mean() if ok.any() else 0.0)

        parts["emb_centroid"], parts["emb_max"] = fill(emb_c), fill(emb_m)
        if esims.shape[1] > 1:
            top = np.sort(esims, 1)[:, -min(3, esims.shape[1]):]
            parts["emb_top3"] = fill(top.mean(1))
        nv = neg[has_vec[neg]] if len(neg) else neg
        if len(nv):
            parts["neg_emb"] = np.where(ok, (Ec @ E[nv].T).max(1), 0.0)
    _feedback(parts, Xc, E[cand] if E is not None and use_vec else None,
              has_vec[cand] if use_vec else None, w)
    parts.update(extra or {})
    return Scores(blend(parts, w), parts, nearest, centroid)


def _feedback(parts: dict[str, np.ndarray], Xc: Sparse, Ec: np.ndarray | None,
              ok: np.ndarray | None, w: dict[str, float] | None = None) -> None:
    """Pseudo-relevance feedback: the centroid of the FEEDBACK candidates the plain centroids
    rank first (words and vectors alike), as one more interest to be close to."""
    if not (_want("lex_prf", w) or _want("emb_prf", w)) or len(Xc.ptr) - 1 <= FEEDBACK:
        return
    first = _z(parts["lex_centroid"])
    if "emb_centroid" in parts:
        first = first + _z(parts["emb_centroid"])
    top = np.argsort(-first, kind="stable")[:FEEDBACK]
    lc = _dense(Xc, top).sum(0)
    parts["lex_prf"] = Xc.dot(lc / max(float(np.linalg.norm(lc)), 1e-12))
    if Ec is not None and ok is not None and ok[top].any():
        ec = Ec[top[ok[top]]].sum(0)
        parts["emb_prf"] = np.where(ok, Ec @ (ec / max(float(np.linalg.norm(ec)), 1e-12)),
                                    0.0)


def pos_index(pos: np.ndarray, sub: np.ndarray) -> np.ndarray:
    """Positions in `pos` of the rows `sub` (a subset of it)."""
    where = {int(r): i for i, r in enumerate(pos.tolist())}
    return np.array([where[int(r)] for r in sub.tolist()], dtype=np.int64)


def _dense(X: Sparse, rows: np.ndarray) -> np.ndarray:
    return np.stack([X.dense_row(int(i)) for i in rows]) if len(rows) else \
        np.zeros((0, len(X.vocab)))


def _subset(X: Sparse, rows: np.ndarray) -> Sparse:
    starts, ends = X.ptr[rows], X.ptr[rows + 1]
    lens = ends - starts
    ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    idx = np.repeat(starts - ptr[:-1], lens) + np.arange(int(ptr[-1]))
    return Sparse(ptr, X.cols[idx], X.vals[idx], X.vocab)
