"""For-you's analysis of paper texts: the lexical index's terms of each paper, as numpy bags.

Words are analysed exactly as the lexical index analyses them (lexical.EN: lower-cased,
accents folded, stop words out, English stems), so a profile's strongest terms can be sent
to tantivy as they are. Speed (a request analyses ~3,000 papers, ~5 MB of text): all texts
are split at once as UTF-8 bytes at the bytes where tantivy's simple tokenizer splits (every
ASCII byte other than [A-Za-z0-9]); each ASCII word is found by its bytes in a numpy hash
table (`Words`, bounded; a new word is analysed once per process, all new words of a request
in one EN call) and a run holding a non-ASCII character goes through EN whole (remembered):
no Python work per word. Bags, pairs and counts are numpy arrays of term ids, grouped by
one sort of packed integers that also gives tfidf its terms, never per-paper dictionaries.
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
# tantivy's simple tokenizer on ASCII text: runs of [A-Za-z0-9], every other byte ends a word
_ALNUM = np.zeros(256, dtype=bool)
_ALNUM[list(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")] = True
_WORD_BYTE = bytes(np.r_[_ALNUM[:0x80], np.ones(0x80, dtype=bool)].astype(np.uint8))
# (a bytes.translate table: 1 for a byte of a word, UTF-8 bytes of non-ASCII characters
# included: the analyser decides on those)
PARTS = 4  # an ASCII word of up to PARTS x 8 bytes is found by its bytes (a numpy hash table)
_PAD = b" " * (8 * PARTS + 8)  # after the last text: every 8-byte read stays inside
_MASK = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [(1 << 64) - 1], dtype=np.uint64)
_MIX = np.array([0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9,
                 0xD6E8FEB86659FD93], dtype=np.uint64)
_WORD_SEP = " pfqsepqpf "  # between words analysed in one call (kept by EN as one term)
_SEP_TERM = EN.analyze(_WORD_SEP)[0]
MISSING = -3  # a word the byte table does not have (yet)
WIDTH = 63  # bits of a packed sort key (wider: numpy's unique and argsort, slower)


def _parts(u64: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
    """The bytes of each word as PARTS little-endian integers, zero past its end (bytes of
    [A-Za-z0-9] are never zero, so the parts say the word and its length exactly)."""
    out = np.zeros((len(starts), PARTS), dtype=np.uint64)
    for j in range(PARTS):
        at = np.flatnonzero(lens > 8 * j) if j else np.arange(len(starts))
        out[at, j] = u64[starts[at] + 8 * j] & _MASK[np.minimum(lens[at] - 8 * j, 8)]
    return out


def _hash(p0: np.ndarray, long_at: np.ndarray, long_parts: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each word from its parts (`long_at`: the words over 8 bytes, whose
    parts are `long_parts`)."""
    h = p0 * _MIX[0]
    if len(long_at):
        x = long_parts[:, 1] * _MIX[1]
        for j in range(2, PARTS):
            x ^= long_parts[:, j] * _MIX[j]
        h[long_at] ^= x
    h ^= h >> np.uint64(29)
    h *= _MIX[1]
    h ^= h >> np.uint64(32)
    return h


class Words:
    """word -> term id (-1: dropped: a stop word, one letter, a number), term id -> stem, and
    the lexical index's document frequency of each term: one table per process (`WORDS`),
    replaced whole when full; it grows only under `LOCK` (requests run in threads).

    ASCII words are also kept by their bytes: entries (parts, length, term id, hash) and an
    open-addressing table over them (at most a third full; per slot the entry's first
    part, length and term id, so most words are found with three gathers), so the words of
    ~3,000 papers are looked up with a few numpy passes instead of a dict lookup per word."""

    def __init__(self) -> None:
        self.word: dict[str, int] = {}
        self.chunk: dict[str, list[int]] = {}  # runs holding non-ASCII characters
        self.stem: dict[str, int] = {}
        self.stems: list[str] = []
        self.df = np.full(0, -1, dtype=np.int64)
        self.df_stamp: Any = None
        self.kp = np.zeros((0, PARTS), dtype=np.uint64)  # entry -> its parts
        self.kl = np.zeros(0, dtype=np.int64)  # entry -> its length in bytes
        self.kt = np.zeros(0, dtype=np.int64)  # entry -> term id
        self.kh = np.zeros(0, dtype=np.uint64)  # entry -> hash
        self._slots(1 << 12)

    def _slots(self, size: int) -> None:
        # per slot, side by side (one cache line): the word's first part (0: an empty slot,
        # no word is empty) and its length | (term id + 2) << 6 | entry << 32
        self.table = np.zeros((size, 2), dtype=np.uint64)

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

    @property
    def size(self) -> int:
        """Words and runs remembered (the table is replaced past WORDS_MAX)."""
        return len(self.word) + len(self.kt) + len(self.chunk)

    def word_id(self, w: str) -> int:
        i = self.word.get(w)
        if i is None:
            a = EN.analyze(w)
            i = self.word[w] = self.stem_id(a[0]) if a else -1
        return i

    def new_word_ids(self, words: list[str]) -> np.ndarray:
        """Term ids of single ASCII words (runs of [A-Za-z0-9]), analysed in one call: each
        gives at most one term, and a separator word marks where the next begins; should the
        separator's term come from a word itself, each word goes alone."""
        toks = EN.analyze(_WORD_SEP.join(words)) if words else []
        stems: list[str | None] = []
        cur: str | None = None
        ok = True
        for t in toks:
            if t == _SEP_TERM:
                stems.append(cur)
                cur = None
            elif cur is None:
                cur = t
            else:  # two terms from one word: never for such words, but then one by one
                ok = False
                break
        stems.append(cur)
        if not ok or len(stems) != len(words):
            return np.array([self.word_id(w) for w in words], dtype=np.int64)
        return np.array([-1 if t is None else self.stem_id(t) for t in stems], dtype=np.int64)

    def _place(self, ents: np.ndarray) -> None:
        """Put entries (absent from the slots) into the slots: linear probing, vectorised."""
        mask = len(self.table) - 1
        slot = (self.kh[ents] >> np.uint64(64 - mask.bit_length())).astype(np.int64)
        while len(ents):
            free = np.flatnonzero(self.table[slot, 0] == 0)
            taken, first = np.unique(slot[free], return_index=True)  # one entry per slot
            e = ents[free[first]]
            self.table[taken, 0] = self.kp[e, 0]
            self.table[taken, 1] = (self.kl[e] | (self.kt[e] + 2) << 6 | e << 32
                                    ).astype(np.uint64)
            moved = np.ones(len(ents), dtype=bool)
            moved[free[first]] = False
            ents, slot = ents[moved], (slot[moved] + 1) & mask

    def _find(self, p0: np.ndarray, lens: np.ndarray, h: np.ndarray, long_row: np.ndarray,
              long_parts: np.ndarray) -> np.ndarray:
        """Term id of each word, MISSING where the table has none."""
        mask = len(self.table) - 1
        slot = (h >> np.uint64(64 - mask.bit_length())).astype(np.int64)
        out = np.full(len(p0), MISSING, dtype=np.int64)
        todo = None  # the first probe finds nearly every word: no gathers by index
        while True:
            sl = slot if todo is None else slot[todo]
            q0 = p0 if todo is None else p0[todo]
            ql = lens if todo is None else lens[todo]
            got = self.table[sl]
            k, rest = got[:, 0], got[:, 1].astype(np.int64)
            ok = (k == q0) & ((rest & 63) == ql)
            lg = np.flatnonzero(ok & (ql > 8))
            if len(lg):
                rows = long_row[lg if todo is None else todo[lg]]
                ok[lg] = (self.kp[rest[lg] >> 32, 1:] == long_parts[rows, 1:]).all(1)
            hit = np.flatnonzero(ok)
            tid = ((rest[hit] >> 6) & 0x3FFFFFF) - 2
            more = np.flatnonzero(~ok & (k != 0))  # another word there: probe on
            if todo is None:
                out[hit] = tid
                todo = more
            else:
                out[todo[hit]] = tid
                todo = todo[more]
            if not len(todo):
                return out
            slot[todo] = (slot[todo] + 1) & mask

    def keyed_ids(self, raw: bytes, starts: np.ndarray, lens: np.ndarray) -> np.ndarray:
        """Term ids of the ASCII words raw[starts[i]:starts[i] + lens[i]] (runs of
        [A-Za-z0-9] of at most 8 x PARTS bytes; `raw` ends with _PAD), found by their bytes;
        a word not in the table yet is analysed once and added."""
        u64 = np.ndarray((len(raw) - 7,), dtype="<u8", buffer=raw, strides=(1,))
        p0 = u64[starts] & _MASK[np.minimum(lens, 8)]
        long_at = np.flatnonzero(lens > 8)
        long_parts = _parts(u64, starts[long_at], lens[long_at])
        long_row = np.full(len(starts), -1, dtype=np.int64)
        long_row[long_at] = np.arange(len(long_at))
        h = _hash(p0, long_at, long_parts)
        ids = self._find(p0, lens, h, long_row, long_parts)
        new = np.flatnonzero(ids == MISSING)
        if len(new):  # words not in the table yet: one of each through the analyser
            _, first, inverse = np.unique(h[new], return_index=True, return_inverse=True)
            rep = new[first]
            inverse = inverse.ravel()
            ok = (p0[new] == p0[rep][inverse]) & (lens[new] == lens[rep][inverse])
            ln = np.flatnonzero(lens[new] > 8)
            if len(ln):
                ok[ln] &= (long_parts[long_row[new[ln]]]
                           == long_parts[long_row[rep[inverse[ln]]]]).all(1)
            base = len(self.kt)
            tids = self.new_word_ids([raw[a:a + b].decode("ascii") for a, b in
                                      zip(starts[rep].tolist(), lens[rep].tolist(),
                                          strict=True)])
            parts = np.zeros((len(rep), PARTS), dtype=np.uint64)
            parts[:, 0] = p0[rep]
            lr = long_row[rep]
            parts[lr >= 0] = long_parts[lr[lr >= 0]]
            self.kp = np.concatenate([self.kp, parts])
            self.kl = np.concatenate([self.kl, lens[rep]])
            self.kt = np.concatenate([self.kt, tids])
            self.kh = np.concatenate([self.kh, h[rep]])
            if 3 * len(self.kt) > len(self.table):  # a third full: more slots
                size = len(self.table)
                while 3 * len(self.kt) > size:
                    size *= 2
                self._slots(size)
                self._place(np.arange(len(self.kt)))
            else:
                self._place(np.arange(base, len(self.kt)))
            ids[new] = tids[inverse]
            ids[new[~ok]] = MISSING  # two words of one hash (never seen; then by the dict)
        for i in np.flatnonzero(ids == MISSING).tolist():
            ids[i] = self.word_id(raw[int(starts[i]):int(starts[i] + lens[i])].decode("ascii"))
        return ids

    def chunk_ids(self, chunk: str) -> list[int]:
        """Term ids of a run of characters holding some non-ASCII one (through EN whole:
        the lexical index splits it as it splits it inside the text)."""
        got = self.chunk.get(chunk)
        if got is None:
            got = self.chunk[chunk] = [i for i in self.stem_ids(EN.analyze(chunk)).tolist()
                                       if i >= 0]
        return got

    def ids(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """The kept term ids of `texts`, in order, and the index of the text of each.

        All texts are split at once, as UTF-8 bytes, at every ASCII byte other than
        [A-Za-z0-9] (the lexical index's tokenizer splits there too): a run of ASCII letters
        and digits is one word, found by its bytes (`keyed_ids`); a run holding a non-ASCII
        character goes through the analyser whole (`chunk_ids`, remembered)."""
        # (a lone surrogate, which no stored text has, would not encode: it becomes "?")
        coded = [t.encode("utf-8", "replace") for t in texts]
        raw = b" " + b" ".join(coded) + _PAD  # a word starts after a non-word byte
        buf = np.frombuffer(raw.translate(_WORD_BYTE), dtype=np.bool_)
        edges = np.flatnonzero(buf[1:] != buf[:-1]) + 1
        starts, ends = edges[0::2], edges[1::2]  # runs alternate: start, end, start, ...
        lens = ends - starts
        odd = np.zeros(len(starts), dtype=bool)
        if len(raw) != sum(map(len, texts)) + len(texts) + len(_PAD):  # some non-ASCII byte
            high = np.flatnonzero(np.frombuffer(raw, dtype=np.uint8) >= 0x80)
            odd[np.searchsorted(starts, high, side="right") - 1] = True
        offsets = np.cumsum([1] + [len(c) + 1 for c in coded])
        first = np.searchsorted(starts, offsets)  # the first word of each text
        seg = np.repeat(np.arange(len(texts)), np.diff(first))
        keyed = ~odd & (lens <= 8 * PARTS)
        ids = np.full(len(starts), -1, dtype=np.int64)
        at = np.flatnonzero(keyed)
        ids[at] = self.keyed_ids(raw, starts[at], lens[at])
        for i in np.flatnonzero(~keyed & ~odd).tolist():  # ASCII words over 8 x PARTS bytes
            ids[i] = self.word_id(raw[int(starts[i]):int(ends[i])].decode("ascii"))
        odd_at = np.flatnonzero(odd)
        if len(odd_at):  # each chunk gives its own number of terms, in its place
            got = [self.chunk_ids(raw[a:b].decode("utf-8")) for a, b in
                   zip(starts[odd_at].tolist(), ends[odd_at].tolist(), strict=True)]
            n = np.ones(len(starts), dtype=np.int64)
            n[odd_at] = [len(g) for g in got]
            place = np.cumsum(n) - n
            out = np.empty(int(n.sum()), dtype=np.int64)
            out[place[~odd]] = ids[~odd]
            k = n[odd_at]
            fill = np.repeat(place[odd_at] - (np.cumsum(k) - k), k) + np.arange(int(k.sum()))
            out[fill] = np.array([i for g in got for i in g], dtype=np.int64)
            ids, seg = out, np.repeat(seg, n)
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
    # np.unique(codes, return_index, return_inverse, return_counts), when analyse() had it
    groups: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

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
        if WORDS.size > WORDS_MAX:
            WORDS = Words()
        table = WORDS
        # segment 2r: the abstract of paper r, 2r+1: its title
        ids, seg = table.ids([t or "" for p in papers for t in (p[1], p[0])])
        shift = max(len(table.stems).bit_length(), 1)
    if BIGRAMS:
        pc, ps = _pairs(ids, seg, shift)
    else:
        pc, ps = ids[:0], seg[:0]
    got = _bags(ids, seg, pc, ps, len(papers))
    if got is None:  # keys too wide to pack: the general way
        return _bags_wide(ids, seg, pc, ps, len(papers), shift, table)
    ptr, codes, counts, groups = got
    return Bags(ptr, codes, counts, shift, table, groups)


def _bags(ids: np.ndarray, seg: np.ndarray, pc: np.ndarray, ps: np.ndarray, n_rows: int
          ) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                     tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] | None:
    """Bags by one value sort of packed (code, row, place in row) integers, where they fit in
    WIDTH bits. A row is laid out as abstract words, title words, abstract pairs, title pairs
    (the order a Counter of them sees each term first; title terms weigh 2); sorted by code
    then row, the (term, row) groups give the counts, and the terms' groups over all rows
    (their frequency in these papers, their first row) come with them: tfidf needs no
    second sort. A counting sort by place puts the groups back in row order."""
    wrow, prow = seg >> 1, ps >> 1
    nw = np.bincount(wrow, minlength=n_rows)  # words of each row (abstract, then title)
    npr = np.bincount(prow, minlength=n_rows)
    start = np.concatenate([[0], np.cumsum(nw + npr)])
    place = np.concatenate([np.arange(len(ids)) - (np.cumsum(nw) - nw)[wrow],
                            np.arange(len(pc)) - (np.cumsum(npr) - npr)[prow] + nw[prow]])
    code = np.concatenate([ids, pc])
    row = np.concatenate([wrow, prow])
    cb, rb, pb = bits(code), bits(row), bits(place)
    if cb + rb + pb + 1 > WIDTH:
        return None
    # the lowest bit: a title term (never decides the order: places differ within a row)
    v = np.sort((((((code << rb) | row) << pb) | place) << 1) | (np.concatenate([seg, ps]) & 1))
    key = v >> (pb + 1)
    head = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if len(v) else v
    g_row = key[head] & ((1 << rb) - 1)
    g_code = key[head] >> rb
    pl = (v[head] >> 1) & ((1 << pb) - 1)
    counts = np.add.reduceat(1 + (v & 1), head) if len(v) else v
    # back in row order, each row by first place: places are distinct within a row
    slot = np.full(int(start[-1]), -1, dtype=np.int64)
    slot[start[g_row] + pl] = np.arange(len(head))
    order = slot[slot >= 0]
    at = np.empty(len(order), dtype=np.int64)
    at[order] = np.arange(len(order))  # group -> its place among the bag entries
    t_head = np.flatnonzero(np.r_[True, g_code[1:] != g_code[:-1]]) if len(head) else head
    seen = np.diff(np.r_[t_head, len(head)])
    term_of = np.repeat(np.arange(len(t_head)), seen)
    ptr = np.concatenate([[0], np.cumsum(np.bincount(g_row, minlength=n_rows))])
    groups = (g_code[t_head], at[t_head], term_of[order], seen)
    return (ptr.astype(np.int64), g_code[order], counts[order].astype(np.float64), groups)


def _bags_wide(ids: np.ndarray, seg: np.ndarray, pc: np.ndarray, ps: np.ndarray,
               n_rows: int, shift: int, table: Words) -> Bags:
    """Bags when packed keys do not fit: numpy's unique."""
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
