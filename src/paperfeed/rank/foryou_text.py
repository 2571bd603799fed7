"""For-you's lexical representation: sparse TF-IDF rows over the lexical index's own terms.

Words are analysed exactly as the lexical index analyses them (lexical.EN: lower-cased,
accents folded, stop words out, English stems), so a profile's strongest terms can be sent
to tantivy as they are, and document frequencies come from the index (no vocabulary to keep).
Without an index, frequencies are estimated from the papers at hand.
"""

from __future__ import annotations

import itertools
from collections import Counter, OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from paperfeed.index.lexical import EN

BIGRAMS = True  # adjacent stems as one more term ("gaussian splat")


def _tokens(s: str) -> list[str]:
    return [t for t in EN.analyze(s) if len(t) > 1 and not t.isdigit()]


def terms(title: str | None, abstract: str | None) -> Counter[str]:
    """Stemmed words (and adjacent pairs) of a paper, title words counted twice."""
    tt, at = _tokens(title or ""), _tokens(abstract or "")
    out = Counter(at)
    out.update(tt)
    out.update(tt)
    if BIGRAMS:
        out.update([a + " " + b for a, b in itertools.pairwise(at)])
        pairs = [a + " " + b for a, b in itertools.pairwise(tt)]
        out.update(pairs)
        out.update(pairs)
    return out


BAG_CACHE = 0  # papers whose terms are kept between calls (0: none; the bench keeps its corpus)
_BAGS: OrderedDict[str, tuple[str, str, Counter[str]]] = OrderedDict()


def paper_terms(pid: str, title: str, abstract: str) -> Counter[str]:
    """terms() of a stored paper, from the cache while its text is unchanged."""
    if not BAG_CACHE:
        return terms(title, abstract)
    hit = _BAGS.get(pid)
    if hit is not None and hit[0] == title and hit[1] == abstract:
        _BAGS.move_to_end(pid)
        return hit[2]
    bag = terms(title, abstract)
    _BAGS[pid] = (title, abstract, bag)
    while len(_BAGS) > BAG_CACHE:
        _BAGS.popitem(last=False)
    return bag


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
        """The row of each stored value (computed once: every product needs it)."""
        r = self.__dict__.get("_rows")
        if r is None:
            r = self.__dict__["_rows"] = np.repeat(np.arange(self.n_rows), np.diff(self.ptr))
        return r

    def dot(self, w: np.ndarray) -> np.ndarray:
        """X @ w for a dense weight vector over the vocabulary."""
        return np.bincount(self.rows(), weights=self.vals * w[self.cols], minlength=self.n_rows)

    def tdot(self, r: np.ndarray) -> np.ndarray:
        """X.T @ r: a dense vector over the vocabulary."""
        return np.bincount(self.cols, weights=self.vals * r[self.rows()],
                           minlength=len(self.vocab))

    def mul_dense(self, M: np.ndarray) -> np.ndarray:
        """X @ M.T for dense rows M (n_terms wide): one column per row of M."""
        out = np.zeros((self.n_rows, len(M)))
        rows = self.rows()
        for i in range(len(M)):
            out[:, i] = np.bincount(rows, weights=self.vals * M[i][self.cols],
                                    minlength=self.n_rows)
        return out

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


def tfidf(bags: Sequence[Counter[str]], doc_freq: DocFreq, min_df_local: int = 1) -> Sparse:
    """Sublinear TF x smoothed IDF, rows L2-normalised. Pairs in fewer than `min_df_local`
    of these papers are dropped (a pair seen once says nothing about a profile)."""
    keys: list[str] = []
    lens = np.fromiter((len(b) for b in bags), dtype=np.int64, count=len(bags))
    for b in bags:
        keys.extend(b)
    counts = np.fromiter(itertools.chain.from_iterable(b.values() for b in bags),
                         dtype=np.float64, count=len(keys))
    seen = Counter(keys)
    vocab = [t for t, c in seen.items() if c >= min_df_local or " " not in t]
    index = {t: i for i, t in enumerate(vocab)}
    df, n = doc_freq([t for t in vocab if " " not in t])
    # a pair's frequency in the corpus is unknown: estimate it from these papers, scaled
    scale = max(n, 1) / max(len(bags), 1)
    freq = np.fromiter((seen[t] * scale if " " in t else df.get(t, 0) for t in vocab),
                       dtype=np.float64, count=len(vocab))
    idf = np.log((n + 1) / (1 + freq)) + 1.0
    lookup = dict.fromkeys(seen, -1)
    lookup.update(index)
    cols = np.fromiter(map(lookup.__getitem__, keys), dtype=np.int64, count=len(keys))
    rows = np.repeat(np.arange(len(bags)), lens)
    keep = cols >= 0
    cols, rows, counts = cols[keep], rows[keep], counts[keep]
    vals = (1.0 + np.log(counts)) * idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=len(bags)))
    vals = vals / np.maximum(norms[rows], 1e-12)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=len(bags)))])
    return Sparse(ptr.astype(np.int64), cols, vals, vocab)
