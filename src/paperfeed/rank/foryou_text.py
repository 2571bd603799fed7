"""For-you's lexical representation: sparse TF-IDF rows over the lexical index's own terms.

Words are analysed exactly as the lexical index analyses them (lexical.EN: lower-cased,
accents folded, stop words out, English stems), so a profile's strongest terms can be sent
to tantivy as they are, and document frequencies come from the index (no vocabulary to keep).
Without an index, frequencies are estimated from the papers at hand.
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from paperfeed.index.lexical import EN

TITLE_WEIGHT = 2.0  # a title word counts like two abstract words
BIGRAMS = True  # adjacent stems as one more term ("gaussian splat")


def terms(title: str | None, abstract: str | None) -> Counter[str]:
    """Stemmed words (and adjacent pairs) of a paper, title words counted TITLE_WEIGHT times."""
    out: Counter[str] = Counter()
    for text_, w in ((title or "", TITLE_WEIGHT), (abstract or "", 1.0)):
        toks = [t for t in EN.analyze(text_) if len(t) > 1 and not t.isdigit()]
        for t in toks:
            out[t] += w  # type: ignore[assignment]
        if BIGRAMS:
            for a, b in itertools.pairwise(toks):
                out[f"{a} {b}"] += w  # type: ignore[assignment]
    return out


@dataclass
class Sparse:
    """Rows of L2-normalised TF-IDF weights: row r has cols[ptr[r]:ptr[r+1]]."""

    ptr: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    vocab: list[str]

    @property
    def n_rows(self) -> int:
        return len(self.ptr) - 1

    def rows(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_rows), np.diff(self.ptr))

    def dot(self, w: np.ndarray) -> np.ndarray:
        """X @ w for a dense weight vector over the vocabulary."""
        return np.bincount(self.rows(), weights=self.vals * w[self.cols], minlength=self.n_rows)

    def tdot(self, r: np.ndarray) -> np.ndarray:
        """X.T @ r: a dense vector over the vocabulary."""
        return np.bincount(self.cols, weights=self.vals * r[self.rows()],
                           minlength=len(self.vocab))

    def dense_row(self, i: int) -> np.ndarray:
        out = np.zeros(len(self.vocab))
        s, e = self.ptr[i], self.ptr[i + 1]
        out[self.cols[s:e]] = self.vals[s:e]
        return out


DocFreq = Callable[[list[str]], tuple[dict[str, int], int]]  # terms -> (df per term, N docs)


def local_df(bags: Sequence[Counter[str]]) -> DocFreq:
    """Document frequencies estimated from the given papers (no index at hand)."""
    df: Counter[str] = Counter()
    for b in bags:
        df.update(b.keys())

    def f(ts: list[str]) -> tuple[dict[str, int], int]:
        return {t: df.get(t, 0) for t in ts}, len(bags)

    return f


def _freq(t: str, df: dict[str, int], seen: Counter[str], scale: float) -> float:
    return float(seen[t] * scale) if " " in t else float(df.get(t, 0))


def tfidf(bags: Sequence[Counter[str]], doc_freq: DocFreq, min_df_local: int = 1) -> Sparse:
    """Sublinear TF x smoothed IDF, rows L2-normalised. Terms in fewer than `min_df_local`
    of these papers are dropped (pairs seen once say nothing about a profile)."""
    seen: Counter[str] = Counter()
    for b in bags:
        seen.update(b.keys())
    vocab = [t for t, c in seen.items() if c >= min_df_local or " " not in t]
    index = {t: i for i, t in enumerate(vocab)}
    df, n = doc_freq([t for t in vocab if " " not in t])
    # a pair's frequency in the corpus is unknown: estimate it from these papers, scaled
    scale = max(n, 1) / max(len(bags), 1)
    idf = np.array([math.log((n + 1) / (1 + _freq(t, df, seen, scale))) + 1.0 for t in vocab])
    ptr, cols, vals = [0], [], []
    for b in bags:
        c = [index[t] for t in b if t in index]
        v = np.array([1.0 + math.log(b[t]) for t in b if t in index]) * idf[c] if c else \
            np.zeros(0)
        norm = float(np.linalg.norm(v)) or 1.0
        cols.extend(c)
        vals.extend((v / norm).tolist())
        ptr.append(len(cols))
    return Sparse(np.array(ptr), np.array(cols, dtype=np.int64), np.array(vals), vocab)
