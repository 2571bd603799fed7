"""For-you's per-profile model: scores of candidates from a profile's positives and negatives.

Four signals, each z-normalised over the candidates and blended with the weights below
(tuned on public dev data only, bench/foryou_eval.py):

- a linear classifier (L2 logistic regression, balanced classes, numpy) over TF-IDF terms and,
  where papers have them, sentence vectors: positives against negatives and background papers;
- the TF-IDF centroid of the positives (cosine), and the best cosine to any single positive;
- the same two over sentence vectors (when the candidate and a positive have one);
- negatives subtract their own nearest-neighbour similarity.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from paperfeed.rank.foryou_text import Sparse

W_CLF = 1.0
W_LEX_CENTROID = 1.0
W_LEX_MAX = 0.5
W_EMB_CENTROID = 1.0
W_EMB_MAX = 0.5
W_NEGATIVE = 0.5
L2 = 1e-2
STEPS = 60
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


def logistic(X: Sparse, E: np.ndarray | None, y: np.ndarray, l2: float = L2,
             steps: int = STEPS) -> tuple[np.ndarray, np.ndarray | None, float]:
    """Balanced L2 logistic regression by Nesterov gradient descent (rows are unit-norm, so
    a fixed step converges). Returns (term weights, vector weights, bias)."""
    n = len(y)
    pos = y > 0
    cw = np.where(pos, 0.5 / max(pos.sum(), 1), 0.5 / max((~pos).sum(), 1))
    wt = np.zeros(len(X.vocab))
    we = np.zeros(E.shape[1]) if E is not None else None
    b = 0.0
    vt, ve, vb = wt.copy(), None if we is None else we.copy(), 0.0
    step = 2.0
    t = 1.0
    for _ in range(steps):
        m = X.dot(vt) + vb
        if E is not None and ve is not None:
            m = m + E @ ve
        p = 1.0 / (1.0 + np.exp(-m))
        r = cw * (p - y)
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
    del n
    return wt, we, b


def score(X: Sparse, E: np.ndarray | None, has_vec: np.ndarray, pos: np.ndarray,
          neg: np.ndarray, bg: np.ndarray, cand: np.ndarray,
          pos_weight: np.ndarray | None = None) -> Scores:
    """Scores of rows `cand` of X/E, given rows of positives, negatives and background."""
    pw = np.ones(len(pos)) if pos_weight is None else pos_weight
    parts: dict[str, np.ndarray] = {}
    Xd = _dense(X, np.concatenate([pos, neg]))
    P, N = Xd[:len(pos)], Xd[len(pos):]
    centroid = (pw[:, None] * P).sum(0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
    Xc = _subset(X, cand)
    parts["lex_centroid"] = Xc.dot(centroid)
    sims = np.stack([Xc.dot(P[i]) for i in range(len(pos))], 1)
    parts["lex_max"] = sims.max(1)
    nearest = sims.argmax(1)
    neg_sim = (np.stack([Xc.dot(N[i]) for i in range(len(neg))], 1).max(1)
               if len(neg) else np.zeros(len(cand)))
    # the classifier: positives against negatives and background
    train = np.concatenate([pos, neg, bg])
    y = np.concatenate([np.ones(len(pos)), np.zeros(len(neg) + len(bg))])
    Es = None
    if E is not None and has_vec[pos].any():
        Es = E * EMB_SCALE
    wt, we, b = logistic(_subset(X, train), None if Es is None else Es[train], y)
    clf = Xc.dot(wt) + b
    if Es is not None and we is not None:
        clf = clf + Es[cand] @ we
    parts["clf"] = clf
    total = W_CLF * _z(clf) + W_LEX_CENTROID * _z(parts["lex_centroid"]) \
        + W_LEX_MAX * _z(parts["lex_max"]) - W_NEGATIVE * _z(neg_sim) * (len(neg) > 0)
    if E is not None and has_vec[pos].any():
        pv = pos[has_vec[pos]]
        ec = (pw[has_vec[pos]][:, None] * E[pv]).sum(0)
        ec /= max(float(np.linalg.norm(ec)), 1e-12)
        Ec = E[cand]
        ok = has_vec[cand]
        esims = Ec @ E[pv].T
        emb_c, emb_m = Ec @ ec, esims.max(1)
        lex_best = sims.max(1)
        nearest = np.where(ok & (esims.max(1) > lex_best), pos_index(pos, pv)[esims.argmax(1)],
                           nearest)
        # a candidate without a vector gets the mean: its lexical scores decide
        emb_c = np.where(ok, emb_c, emb_c[ok].mean() if ok.any() else 0.0)
        emb_m = np.where(ok, emb_m, emb_m[ok].mean() if ok.any() else 0.0)
        parts["emb_centroid"], parts["emb_max"] = emb_c, emb_m
        total = total + W_EMB_CENTROID * _z(emb_c) + W_EMB_MAX * _z(emb_m)
        nv = neg[has_vec[neg]] if len(neg) else neg
        if len(nv):
            en = np.where(ok, (Ec @ E[nv].T).max(1), 0.0)
            total = total - W_NEGATIVE * _z(en)
    return Scores(total, parts, nearest, centroid)


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
    idx = np.concatenate([np.arange(s, e) for s, e in zip(starts, ends, strict=True)]) \
        if len(rows) else np.zeros(0, dtype=np.int64)
    ptr = np.concatenate([[0], np.cumsum(lens)])
    return Sparse(ptr, X.cols[idx], X.vals[idx], X.vocab)
