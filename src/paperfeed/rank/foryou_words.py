"""For-you's analysis of paper texts: the lexical index's terms of each paper, as numpy bags.

Words are analysed exactly as the lexical index analyses them (lexical.EN: lower-cased,
accents folded, stop words out, English stems), so a profile's strongest terms can be sent
to tantivy as they are. Speed (a request analyses ~3,000 papers): each distinct word is
analysed once per process (`Words`: word -> term id, bounded); ASCII texts are split as
tantivy's simple tokenizer splits them (runs of [A-Za-z0-9]), all in one call, and any other
text goes through EN whole; bags, pairs and counts are numpy arrays of term ids, grouped by
one sort of packed integers, never per-paper dictionaries.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from paperfeed.index.lexical import EN

BIGRAMS = True  # adjacent stems as one more term ("gaussian splat")
WORDS_MAX = 300_000  # distinct words remembered per process (then forgotten all at once)
# tantivy's simple tokenizer on ASCII text: runs of [A-Za-z0-9] (every other character ends a
# word: mapped to a space, then str.split, 2-3x faster than a regex)
_SPACES = str.maketrans({i: " " for i in range(128) if not chr(i).isalnum()})
_SEP = "pfQ0sepQ0pf"  # a word that marks where one text ends and the next begins
_JOIN = f" {_SEP} "
WIDTH = 63  # bits of a packed sort key (wider: numpy's unique and argsort, slower)


class Words:
    """word -> term id (-1: dropped: a stop word, one letter, a number), term id -> stem, and
    the lexical index's document frequency of each term: one table per process (`WORDS`),
    replaced whole when full; it grows only under `LOCK` (requests run in threads)."""

    def __init__(self) -> None:
        self.word: dict[str, int] = {_SEP: -2}
        self.stem: dict[str, int] = {}
        self.stems: list[str] = []
        self.df = np.full(0, -1, dtype=np.int64)
        self.df_stamp: Any = None

    def stem_id(self, s: str) -> int:
        i = self.stem.get(s)
        if i is None:
            if len(s) <= 1 or s.isdigit():
                i = self.stem[s] = -1
            else:
                i = self.stem[s] = len(self.stems)
                self.stems.append(s)
        return i

    def stem_ids(self, stems: list[str]) -> np.ndarray:
        got = list(map(self.stem.get, stems))
        if None in got:
            got = [self.stem_id(s) if g is None else g for s, g in zip(stems, got, strict=True)]
        return np.array(got, dtype=np.int64)

    def ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The kept term ids of `texts`, in order, and the index of the text of each. ASCII
        texts are split at once (one call, each new word analysed once); any other text (or
        one holding the separator word) goes through the analyser whole."""
        fast = [t.isascii() and _SEP not in t for t in texts]
        words = _JOIN.join(t if f else "" for t, f in zip(texts, fast, strict=True)
                           ).translate(_SPACES).split()
        d = self.word
        for w in set(words).difference(d):
            a = EN.analyze(w)
            d[w] = self.stem_id(a[0]) if a else -1
        ids = np.fromiter(map(d.__getitem__, words), dtype=np.int64, count=len(words))
        slow = [k for k, f in enumerate(fast) if not f]
        if slow:  # their terms go right after the separator that opens them
            seps = np.flatnonzero(ids == -2)
            blocks = [self.stem_ids(EN.analyze(texts[k])) for k in slow]
            at = [0 if k == 0 else int(seps[k - 1]) + 1 for k in slow]
            ids = np.insert(ids, np.repeat(at, [len(b) for b in blocks]),
                            np.concatenate(blocks))
        seg = np.cumsum(ids == -2)
        keep = ids >= 0
        return ids[keep], seg[keep]


WORDS = Words()
LOCK = threading.Lock()


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
    table: Words  # the word table whose term ids these are

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
    global WORDS
    with LOCK:
        if len(WORDS.word) > WORDS_MAX:
            WORDS = Words()
        table = WORDS
        # segment 2r: the abstract of paper r, 2r+1: its title
        ids, seg = table.ids([t or "" for p in papers for t in (p[1], p[0])])
        shift = max(len(table.stems).bit_length(), 1)
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
    rows, codes, counts = _count(row_of, codes, np.arange(len(codes)) - start[row_of, 0])
    ptr = np.concatenate([[0], np.cumsum(np.bincount(rows, minlength=n_rows))])
    return Bags(ptr.astype(np.int64), codes, counts.astype(np.float64), shift, table)


def bits(x: np.ndarray) -> int:
    return max(int(x.max(initial=0)).bit_length(), 1)


def _count(row: np.ndarray, code: np.ndarray, pos: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (row, code) pairs with their counts, rows in order and, within a row, in the
    order of first appearance (`pos`: the place of each entry in its row). One value sort of
    packed integers (much cheaper than numpy's unique/argsort) where they fit in 63 bits."""
    cb, pb, rb = bits(code), bits(pos), bits(row)
    if cb + pb + rb > WIDTH:  # too wide to pack: numpy's unique, over compacted codes
        _, local = np.unique(code, return_inverse=True)
        key = (row << bits(local)) | local.ravel()
        _, first, counts = np.unique(key, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        return row[first[order]], code[first[order]], counts[order]
    v = np.sort((((row << cb) | code) << pb) | pos)
    key = v >> pb
    head = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    counts = np.diff(np.r_[head, len(v)])
    hrow, hcode = key[head] >> cb, key[head] & ((1 << cb) - 1)
    # within a row, first places are distinct: place each pair at its row's offset + first
    # place and read the slots in order (a counting sort)
    at = np.r_[0, np.cumsum(np.bincount(row, minlength=int(row.max(initial=0)) + 1))][hrow] \
        + (v[head] & ((1 << pb) - 1))
    slot = np.full(len(row), -1, dtype=np.int64)
    slot[at] = np.arange(len(head))
    order = slot[slot >= 0]
    return hrow[order], hcode[order], counts[order]
