"""Snippets: the window of an abstract around the best cluster of query words, with spans.

`make_snippet` returns plain source text (LaTeX as stored) and the [start, end) spans of the
matching words in it; HTML is made in web/render.py, the CLI styles the spans itself. The
whole thing is linear in the length of the text and in the number of matches: one tokeniser
pass, one two-pointer sweep for the window, one merge against the math regions (a match
inside `$...$` is not marked, and the window never cuts a formula in two).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from paperfeed.index.lexical import EN, ParsedQuery
from paperfeed.latex import math_regions

WIDTH = 240
LEAD = 5  # the window starts width/LEAD before its first match
MAX_FORMULA = 120  # a formula this short is taken whole rather than cut off


@dataclass
class Snippet:
    text: str
    spans: list[tuple[int, int]] = field(default_factory=list)


def match_spans(text: str, q: ParsedQuery) -> list[tuple[int, int, str]]:
    """(start, end, stemmed token) of each query word in `text`, outside math, in order."""
    toks, prefixes = q.highlight_tokens()
    if not toks and not prefixes:
        return []
    regions = math_regions(text) if "$" in text or "\\" in text else []
    out: list[tuple[int, int, str]] = []
    r = 0
    for t in EN.pre_tokenize(text).tokens:
        if t.text not in toks and not (prefixes and any(t.text.startswith(p)
                                                        for p in prefixes)):
            continue
        s0 = t.char_offset_from
        while r < len(regions) and regions[r][1] <= s0:
            r += 1
        if r < len(regions) and regions[r][0] <= s0:
            continue  # inside a formula: KaTeX renders it, a <mark> would break it
        out.append((s0, t.char_offset_to, t.text))
    return out


def best_window(marks: list[tuple[int, int, str]], width: int) -> int:
    """Index of the mark that starts the window holding the most distinct query words
    (two pointers over the sorted marks: each mark enters and leaves the window once)."""
    counts: dict[str, int] = {}
    best, best_score, j = 0, -1, 0
    reach = width * 0.8
    for i, (s0, _, _) in enumerate(marks):
        while j < len(marks) and marks[j][0] < s0 + reach:
            tok = marks[j][2]
            counts[tok] = counts.get(tok, 0) + 1
            j += 1
        if len(counts) > best_score:
            best, best_score = i, len(counts)
        tok = marks[i][2]  # mark i leaves the window before the next start
        counts[tok] -= 1
        if not counts[tok]:
            del counts[tok]
    return best


def _outside_formulas(text: str, start: int, end: int) -> tuple[int, int]:
    """Move the window's edges so that no formula is cut."""
    for a, b in math_regions(text[max(0, start - MAX_FORMULA * 4):end + MAX_FORMULA * 4]):
        off = max(0, start - MAX_FORMULA * 4)
        a, b = a + off, b + off
        if a < start < b:
            start = a if b - a <= MAX_FORMULA else b
        if a < end < b:
            end = b if b - a <= MAX_FORMULA else a
    return start, max(start, end)


def make_snippet(text: str, q: ParsedQuery, width: int = WIDTH) -> Snippet:
    """About `width` characters of `text` around its best cluster of query words."""
    if not text:
        return Snippet("")
    marks = match_spans(text, q)
    n = len(text)
    if n <= width:
        start, end = 0, n
    else:
        first = marks[best_window(marks, width)][0] if marks else 0
        start = max(0, first - width // LEAD) if marks else 0
        end = min(n, start + width)
        start = max(0, min(start, end - width))
        if start > 0:  # snap to word boundaries
            sp = text.find(" ", start, start + 20)
            start = sp + 1 if sp >= 0 else start
        if end < n:
            sp = text.rfind(" ", start + width // 2, end)
            end = sp if sp >= 0 else end
        if "$" in text or "\\(" in text:
            start, end = _outside_formulas(text, start, end)
    head = "… " if start > 0 else ""
    tail = " …" if end < n else ""
    spans = [(s0 - start + len(head), e0 - start + len(head))
             for s0, e0, _ in marks if s0 >= start and e0 <= end]
    return Snippet(head + text[start:end] + tail, spans)
