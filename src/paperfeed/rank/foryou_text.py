"""For-you's lexical representation: sparse TF-IDF rows over the lexical index's own terms.

The terms come from foryou_words (exactly the lexical index's analysis), so document
frequencies come from the index (no vocabulary to keep). Without an index, frequencies are
estimated from the papers at hand.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from paperfeed.rank import foryou_words as fw
from paperfeed.rank.foryou_words import Bags, Vocab, Words, analyse

__all__ = ["Bags", "DocFreq", "Sparse", "analyse", "index_df", "tfidf"]


@dataclass
class Sparse:
    """Rows of L2-normalised TF-IDF weights: row r has cols[ptr[r]:ptr[r+1]]."""

    ptr: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    vocab: Sequence[str]

    @property
    def n_rows(self) -> int:
        return len(self.ptr) - 1

    def _csr(self) -> Any:
        """The rows as a scipy CSR matrix (built once: its products are compiled loops)."""
        c = self.__dict__.get("_csr_m")
        if c is None:
            from scipy.sparse import csr_array

            c = self.__dict__["_csr_m"] = csr_array((self.vals, self.cols, self.ptr),
                                                   shape=(self.n_rows, len(self.vocab)))
        return c

    def dot(self, w: np.ndarray) -> np.ndarray:
        """X @ w for a dense weight vector over the vocabulary (sums row by row, in order)."""
        return self._csr() @ w

    def tdot(self, r: np.ndarray) -> np.ndarray:
        """X.T @ r: a dense vector over the vocabulary (sums column by column, in row order)."""
        return self._csr().T @ r

    def mul_dense(self, M: np.ndarray) -> np.ndarray:
        """X @ M.T for dense rows M (n_terms wide): one column per row of M."""
        return np.asarray(self._csr() @ M.T, dtype=np.float64).reshape(self.n_rows, len(M))

    def dense_row(self, i: int) -> np.ndarray:
        out = np.zeros(len(self.vocab))
        s, e = self.ptr[i], self.ptr[i + 1]
        out[self.cols[s:e]] = self.vals[s:e]
        return out


def _group(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """np.unique(x, return_index, return_inverse, return_counts), by one value sort."""
    n = len(x)
    xb, ib = fw.bits(x), max(n, 1).bit_length()
    if xb + ib > fw.WIDTH:
        u, first, inverse, counts = np.unique(x, return_index=True, return_inverse=True,
                                              return_counts=True)
        return u, first, inverse.ravel(), counts
    v = np.sort((x << ib) | np.arange(n))
    key, idx = v >> ib, v & ((1 << ib) - 1)
    head = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if n else idx
    counts = np.diff(np.r_[head, n])
    inverse = np.empty(n, dtype=np.int64)
    inverse[idx] = np.repeat(np.arange(len(head)), counts)
    return key[head], idx[head], inverse, counts


DocFreq = Callable[[np.ndarray, Words], tuple[np.ndarray, int]]  # stem ids -> (df, N docs)


def index_df(lexical: Any) -> DocFreq | None:
    """Document frequencies from the lexical index (kept per stem while it is unchanged)."""
    if lexical is None or len(lexical) == 0:
        return None
    s, n = lexical.searcher, len(lexical)

    def f(ids: np.ndarray, table: Words) -> tuple[np.ndarray, int]:
        with fw.LOCK:
            if table.df_stamp != (id(s), n):  # a new searcher: the frequencies moved
                table.df, table.df_stamp = np.full(0, -1, dtype=np.int64), (id(s), n)
            if len(table.df) < len(table.stems):
                table.df = np.concatenate([table.df, np.full(len(table.stems) - len(table.df),
                                                             -1, dtype=np.int64)])
            df = table.df
            for i in ids[df[ids] < 0].tolist():
                t = table.stems[i]
                df[i] = s.doc_freq("abstract", t) or s.doc_freq("title", t)
            return df[ids], n

    return f


def tfidf(bags: Bags, doc_freq: DocFreq | None, min_df_local: int = 1) -> Sparse:
    """Sublinear TF x smoothed IDF, rows L2-normalised. Pairs in fewer than `min_df_local`
    of these papers are dropped (a pair seen once says nothing about a profile). Without
    `doc_freq`, frequencies are counted in these papers."""
    n_rows = bags.n_rows
    codes = bags.codes
    terms, first_at, inverse, seen = bags.groups if bags.groups is not None else _group(codes)
    pair = (terms >> bags.shift) > 0
    keep = (seen >= min_df_local) | ~pair
    # columns in the order terms first appear (first places are distinct: a counting sort)
    slot = np.full(len(codes), -1, dtype=np.int64)
    slot[first_at] = np.arange(len(terms))
    order = slot[slot >= 0]
    order = order[keep[order]]
    col_of = np.full(len(terms), -1, dtype=np.int64)
    col_of[order] = np.arange(len(order))
    vocab = terms[order]
    vpair, vseen = pair[order], seen[order].astype(np.float64)
    if doc_freq is not None:
        df, n = doc_freq(vocab[~vpair], bags.table)
    else:
        df, n = seen[order][~vpair], n_rows
    # a pair's frequency in the corpus is unknown: estimate it from these papers, scaled
    freq = vseen * (max(n, 1) / max(n_rows, 1))
    freq[~vpair] = df
    idf = np.log((n + 1) / (1 + freq)) + 1.0
    cols = col_of[inverse]
    rows = np.repeat(np.arange(n_rows), np.diff(bags.ptr))
    ok = cols >= 0
    cols, rows, counts = cols[ok], rows[ok], bags.counts[ok]
    vals = (1.0 + np.log(counts)) * idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=n_rows))
    vals = vals / np.maximum(norms[rows], 1e-12)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])
    return Sparse(ptr.astype(np.int64), cols, vals, Vocab(vocab, bags.shift, bags.table.stems))
