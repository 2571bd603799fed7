"""For-you's lexical representation: sparse TF-IDF rows over the lexical index's own terms.

Words are analysed exactly as the lexical index analyses them (lexical.EN: lower-cased,
accents folded, stop words out, English stems), so a profile's strongest terms can be sent
to tantivy as they are, and document frequencies come from the index (no vocabulary to keep).
Without an index, frequencies are estimated from the papers at hand.

Speed (a request analyses ~4,000 papers): each distinct word is analysed once per process
(`Words`: word -> term id, bounded), an ASCII text is split as tantivy's simple tokenizer
splits it (runs of [A-Za-z0-9]) and any other text goes through EN whole; bags, pairs and
counts are then numpy arrays of term ids, never per-paper dictionaries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from paperfeed.index.lexical import EN

BIGRAMS = True  # adjacent stems as one more term ("gaussian splat")
WORDS_MAX = 300_000  # distinct words remembered per process (then forgotten all at once)
_SPLIT = re.compile(r"[A-Za-z0-9]+")  # tantivy's simple tokenizer, on ASCII text


class Words:
    """word -> term id (-1: dropped: a stop word, one letter, a number), term id -> stem, and
    the lexical index's document frequency of each term, for one process."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.word: dict[str, int] = {}
        self.stem: dict[str, int] = {}
        self.stems: list[str] = []
        self.df = np.full(0, -1, dtype=np.int64)
        self.df_stamp: Any = None

    def stem_id(self, s: str) -> int:
        if len(s) <= 1 or s.isdigit():
            return -1
        i = self.stem.get(s)
        if i is None:
            i = self.stem[s] = len(self.stems)
            self.stems.append(s)
        return i

    def ids(self, text: str, out: list[int]) -> int:
        """Append the term ids of `text` (-1 for dropped words) to `out`; return how many."""
        if not text.isascii():  # accents, other scripts: the analyser itself, whole
            got = [self.stem_id(s) for s in EN.analyze(text)]
            out.extend(got)
            return len(got)
        words = _SPLIT.findall(text)
        got = list(map(self.word.get, words))
        if None in got:
            for n, g in enumerate(got):
                if g is None:
                    w = words[n]
                    g = self.word.get(w)
                    if g is None:
                        a = EN.analyze(w)
                        g = self.word[w] = self.stem_id(a[0]) if a else -1
                    got[n] = g
        out.extend(got)  # type: ignore[arg-type]
        return len(got)


WORDS = Words()


class Vocab(Sequence[str]):
    """The terms of a matrix, by column: a stem id, or a pair (a+1) << SHIFT | b of two."""

    def __init__(self, codes: np.ndarray, shift: int, stems: list[str]) -> None:
        self.codes, self.shift, self.stems = codes, shift, stems

    def __len__(self) -> int:
        return len(self.codes)

    def __getitem__(self, i: Any) -> Any:
        c = int(self.codes[i])
        if c >> self.shift:
            return self.stems[(c >> self.shift) - 1] + " " + self.stems[c & ((1 << self.shift)
                                                                             - 1)]
        return self.stems[c]

    def is_pair(self) -> np.ndarray:
        return (self.codes >> self.shift) > 0


@dataclass
class Bags:
    """Term counts of papers (title words twice): row r has codes[ptr[r]:ptr[r+1]], in the
    order the words first appear (abstract words, title words, abstract pairs, title pairs)."""

    ptr: np.ndarray
    codes: np.ndarray
    counts: np.ndarray
    shift: int

    @property
    def n_rows(self) -> int:
        return len(self.ptr) - 1


def _pairs(ids: np.ndarray, seg: np.ndarray, shift: int) -> tuple[np.ndarray, np.ndarray]:
    """Codes of adjacent kept words within one segment, and the segment of each."""
    same = seg[1:] == seg[:-1]
    return ((ids[:-1][same] + 1) << shift) | ids[1:][same], seg[1:][same]


def analyse(papers: Sequence[tuple[str, str]]) -> Bags:
    """Bags of (title, abstract) pairs: the same terms and counts as the lexical index's
    analysis of each, title words and pairs counted twice, pairs of adjacent kept words."""
    if len(WORDS.word) > WORDS_MAX:
        WORDS.clear()
    flat: list[int] = []
    lens = np.zeros(2 * len(papers), dtype=np.int64)  # segment 2r: abstract, 2r+1: title
    for r, (title, abstract) in enumerate(papers):
        lens[2 * r] = WORDS.ids(abstract or "", flat)
        lens[2 * r + 1] = WORDS.ids(title or "", flat)
    ids = np.array(flat, dtype=np.int64)
    seg = np.repeat(np.arange(len(lens)), lens)
    keep = ids >= 0
    ids, seg = ids[keep], seg[keep]
    shift = max(len(WORDS.stems).bit_length(), 1)
    if BIGRAMS:
        pc, ps = _pairs(ids, seg, shift)
    else:
        pc, ps = ids[:0], seg[:0]
    n_rows = len(papers)
    # the parts of a row in the order a Counter of them would first see each term:
    # abstract words, title words (twice), abstract pairs, title pairs (twice)
    parts = [(ids, seg, 0, 1), (ids, seg, 1, 2), (pc, ps, 0, 1), (pc, ps, 1, 2)]
    sizes = np.zeros((n_rows, 4), dtype=np.int64)
    for k, (_, s, title, times) in enumerate(parts):
        sizes[:, k] = np.bincount(s[s % 2 == title] // 2, minlength=n_rows) * times
    start = np.concatenate([[0], np.cumsum(sizes.ravel())])[:-1].reshape(n_rows, 4)
    codes = np.empty(int(sizes.sum()), dtype=np.int64)
    for k, (c, s, title, times) in enumerate(parts):
        m = s % 2 == title
        c, row = c[m], s[m] // 2
        first = np.concatenate([[0], np.cumsum(np.bincount(row, minlength=n_rows))])[:-1]
        pos = np.arange(len(c)) - first[row]
        for t in range(times):
            codes[start[row, k] + pos + t * (sizes[row, k] // times)] = c
    row_of = np.repeat(np.arange(n_rows), sizes.sum(1))
    rshift = max(int(codes.max(initial=0)).bit_length(), 1)
    if rshift + max(n_rows, 1).bit_length() > 62:
        raise ValueError("too many terms for one matrix")
    key = (row_of << rshift) | codes
    uniq, first_at, counts = np.unique(key, return_index=True, return_counts=True)
    order = np.argsort(first_at, kind="stable")
    uniq, counts = uniq[order], counts[order]
    rows = uniq >> rshift
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])
    return Bags(ptr.astype(np.int64), uniq & ((1 << rshift) - 1), counts.astype(np.float64),
                shift)


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


DocFreq = Callable[[np.ndarray], tuple[np.ndarray, int]]  # stem ids -> (df of each, N docs)


def index_df(lexical: Any) -> DocFreq | None:
    """Document frequencies from the lexical index (kept per stem while it is unchanged)."""
    if lexical is None or len(lexical) == 0:
        return None
    s, n = lexical.searcher, len(lexical)

    def f(ids: np.ndarray) -> tuple[np.ndarray, int]:
        if WORDS.df_stamp != (id(s), n):  # a new searcher: the frequencies moved
            WORDS.df, WORDS.df_stamp = np.full(0, -1, dtype=np.int64), (id(s), n)
        if len(WORDS.df) < len(WORDS.stems):
            WORDS.df = np.concatenate([WORDS.df, np.full(len(WORDS.stems) - len(WORDS.df), -1,
                                                         dtype=np.int64)])
        df = WORDS.df
        for i in ids[df[ids] < 0].tolist():
            t = WORDS.stems[i]
            df[i] = s.doc_freq("abstract", t) or s.doc_freq("title", t)
        return df[ids], n

    return f


def tfidf(bags: Bags, doc_freq: DocFreq | None, min_df_local: int = 1) -> Sparse:
    """Sublinear TF x smoothed IDF, rows L2-normalised. Pairs in fewer than `min_df_local`
    of these papers are dropped (a pair seen once says nothing about a profile). Without
    `doc_freq`, frequencies are counted in these papers."""
    n_rows = bags.n_rows
    terms, first_at, inverse, seen = np.unique(bags.codes, return_index=True,
                                               return_inverse=True, return_counts=True)
    pair = (terms >> bags.shift) > 0
    keep = (seen >= min_df_local) | ~pair
    order = np.argsort(first_at, kind="stable")  # columns in the order terms first appear
    order = order[keep[order]]
    col_of = np.full(len(terms), -1, dtype=np.int64)
    col_of[order] = np.arange(len(order))
    vocab = terms[order]
    vpair, vseen = pair[order], seen[order].astype(np.float64)
    if doc_freq is not None:
        df, n = doc_freq(vocab[~vpair])
    else:
        df, n = seen[order][~vpair], n_rows
    # a pair's frequency in the corpus is unknown: estimate it from these papers, scaled
    freq = vseen * (max(n, 1) / max(n_rows, 1))
    freq[~vpair] = df
    idf = np.log((n + 1) / (1 + freq)) + 1.0
    cols = col_of[inverse.ravel()]
    rows = np.repeat(np.arange(n_rows), np.diff(bags.ptr))
    ok = cols >= 0
    cols, rows, counts = cols[ok], rows[ok], bags.counts[ok]
    vals = (1.0 + np.log(counts)) * idf[cols]
    norms = np.sqrt(np.bincount(rows, weights=vals * vals, minlength=n_rows))
    vals = vals / np.maximum(norms[rows], 1e-12)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])
    return Sparse(ptr.astype(np.int64), cols, vals, Vocab(vocab, bags.shift, WORDS.stems))
