"""Typo tolerance from the index's own vocabulary: "speculatve decodng" -> "speculative decoding".

A query word is unknown when no title, abstract or author in the lexical index has it (its
stem has no documents). Its corrections are the words one edit away (a letter deleted,
inserted, replaced, or two neighbours swapped) that the index does hold; the one in most
papers wins. Words the index knows are never touched, so exact queries are unchanged; unknown
words with no such neighbour are left to the index's fuzzy terms (two edits away).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from paperfeed.index.lexical import EN, NAMES

LETTERS = "abcdefghijklmnopqrstuvwxyz"
MIN_LEN = 4  # shorter words have too many neighbours to guess from
_WORD = re.compile(r"\w+(?:-\w+)*")
_QUOTED = re.compile(r'"[^"]*"?')


@dataclass
class Correction:
    query: str  # the query with unknown words replaced (== the input when nothing changed)
    replaced: dict[str, str] = field(default_factory=dict)  # typed word -> index word
    unknown: list[str] = field(default_factory=list)  # words the index lacks, none near

    @property
    def changed(self) -> bool:
        return bool(self.replaced)


def edits1(word: str) -> set[str]:
    """Every string one edit from `word` (Damerau-Levenshtein: swaps of neighbours count 1)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    out = {a + b[1:] for a, b in splits if b}
    out |= {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    out |= {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    out |= {a + c + b for a, b in splits for c in LETTERS}
    out.discard(word)
    return out


class Speller:
    """Knows which words the lexical index holds (by the document frequency of their stems)."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher  # a tantivy Searcher
        self._df: dict[str, int] = {}

    def papers_with(self, word: str) -> int:
        """Papers whose title or abstract has `word` (as stemmed), or whose authors have it."""
        key = word.lower()
        n = self._df.get(key)
        if n is None:
            stems = EN.analyze(key)
            n = 0
            if len(stems) == 1:
                n = (self.searcher.doc_freq("title", stems[0])
                     + self.searcher.doc_freq("abstract", stems[0]))
            names = NAMES.analyze(key)
            if len(names) == 1:
                n += self.searcher.doc_freq("authors", names[0])
            if len(self._df) > 200_000:
                self._df.clear()
            self._df[key] = n
        return n

    def suggest(self, word: str) -> str | None:
        """The known word one edit from `word` that most papers have, or None."""
        best, best_n = None, 0
        for cand in sorted(edits1(word.lower())):
            if not EN.analyze(cand):  # a stop word is no correction
                continue
            n = self.papers_with(cand)
            # ties (the same stem: "speculate"/"speculative") go to the longer word, as a
            # dropped letter is the commonest slip
            if n > best_n or (n == best_n and n and best is not None and len(cand) > len(best)):
                best, best_n = cand, n
        return best

    def correct(self, query: str) -> Correction:
        """`query` with each unknown word of MIN_LEN+ letters replaced by its best neighbour."""
        replaced: dict[str, str] = {}
        unknown: list[str] = []
        quoted = [m.span() for m in _QUOTED.finditer(query)]
        for m in _WORD.finditer(query):
            w = m.group(0)
            if any(a <= m.start() < b for a, b in quoted):
                continue  # "quoted" words are taken as typed
            if len(w) < MIN_LEN or not w.isascii() or not w.isalpha() or w.lower() in replaced:
                continue
            if not EN.analyze(w) or self.papers_with(w) > 0:
                continue
            fix = self.suggest(w)
            if fix is None:
                unknown.append(w)
            else:
                replaced[w.lower()] = fix
        if not replaced:
            return Correction(query, {}, unknown)

        def sub(m: re.Match[str]) -> str:
            w = m.group(0)
            if any(a <= m.start() < b for a, b in quoted):
                return w
            fix = replaced.get(w.lower())
            if fix is None:
                return w
            return fix.capitalize() if w[:1].isupper() else fix

        return Correction(_WORD.sub(sub, query), replaced, unknown)


def as_typed(query: str, corrected: str | None) -> str:
    """`query` with the words that `corrected` changed in quotes: searched as typed."""
    if not corrected:
        return query
    fixed = {m.start(): m.group(0) for m in _WORD.finditer(corrected)}
    out, shift = [], 0
    pos = 0
    for m in _WORD.finditer(query):
        other = fixed.get(m.start() + shift)
        if other is not None and other.lower() != m.group(0).lower():
            out.append(query[pos:m.start()] + f'"{m.group(0)}"')
            pos = m.end()
            shift += len(other) - len(m.group(0))
    out.append(query[pos:])
    return "".join(out)
