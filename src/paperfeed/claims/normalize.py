"""Flatten LaTeX and odd unicode in an abstract while remembering where each character came from.

The extractor works on the flattened text (``$2.5\\times$`` -> ``2.5x``, ``\\%`` -> ``%``,
U+2212 -> ``-``) and maps its spans back to the original so that ``Claim.text`` is an exact
substring of the abstract.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass

_STYLE = r"textbf|textit|emph|mathbf|mathrm|mathit|text|textrm|textsf|texttt|bm|boldsymbol|underline|textsc|mathbb|operatorname"  # noqa: E501

_REPLACE: list[tuple[str, str]] = [
    (r"\\\$|\\textdollar\b", "$"),
    (r"\$", ""),
    (r"\\(?:times|texttimes|cross|cdot)(?![A-Za-z])|\u00d7|\u2715|\u2716", "x"),
    (r"\\%", "%"),
    (r"\\(?:sim|approx|simeq|thicksim|thickapprox)(?![A-Za-z])|\u2248|\u223c|\u2243", "~"),
    (r"\\(?:geq|ge|gtrsim|geqslant)(?![A-Za-z])|\u2265", ">"),
    (r"\\(?:leq|le|lesssim|leqslant)(?![A-Za-z])|\u2264", "<"),
    (r"\\(?:rightarrow|to|longrightarrow|Rightarrow)(?![A-Za-z])|\u2192|\u27f6", "->"),
    (r"\\pm(?![A-Za-z])|\u00b1", "\u00b1"),
    (r"\\(?:" + _STYLE + r")\s*\{", ""),
    (r"\\(?:mathbf|bf|it|rm)(?![A-Za-z])\s*", ""),
    (r"[{}]", ""),
    (r"\\[,;:! ]|\\(?:quad|qquad|enspace|thinspace)(?![A-Za-z])", " "),
    (r"\\mu(?![A-Za-z])|\u00b5|\u03bc", "u"),
    (r"[\u2212\u2013\u2010\u2011\u2012\ufe63\uff0d]", "-"),
    (r"[\u00a0\u2002\u2003\u2009\u200a\u202f\u2007\u2008]", " "),
    (r"[\u200b\u00ad]", ""),
]
# The lookahead lets the scan skip ordinary characters without trying every alternative.
_PATTERN = re.compile(
    r"(?=[$\\{}\u00d7\u2715\u2716\u2248\u223c\u2243\u2265\u2264\u2192\u27f6\u00b1\u00b5\u03bc"
    r"\u2212\u2013\u2010\u2011\u2012\ufe63\uff0d\u00a0\u2002\u2003\u2009\u200a\u202f\u2007"
    r"\u2008\u200b\u00ad])(?:" + "|".join(f"(?:{p})" for p, _ in _REPLACE) + ")"
)
_SIMPLE = [(re.compile(p), r) for p, r in _REPLACE]
# Quick test: texts without any of these characters need no flattening at all.
_NEEDS = re.compile(
    r"[$\\{}\u00d7\u2715\u2716\u2248\u223c\u2243\u2265\u2264\u2192\u27f6\u00b1\u00b5\u03bc"
    r"\u2212\u2013\u2010\u2011\u2012\ufe63\uff0d\u00a0\u2002\u2003\u2009\u200a\u202f\u2007"
    r"\u2008\u200b\u00ad]"
)


_FAST = {"$": "", "{": "", "}": "", "\\%": "%", "\\times": "x", "\u00d7": "x", "\\sim": "~",
         "\\,": " ", "\u2212": "-", "\u2013": "-", "\u00a0": " "}


def _replacement(token: str) -> str:
    fast = _FAST.get(token)
    if fast is not None:
        return fast
    for rx, rep in _SIMPLE:
        if rx.fullmatch(token):
            return rep
    return token


def _is_currency(text: str, after: int) -> bool:
    """A bare "$" before a number with no closing "$" soon after: a dollar sign, not math."""
    if after >= len(text) or not text[after].isdigit():
        return False
    nxt = text.find("$", after)
    return nxt == -1 or nxt - after > 30


@dataclass(frozen=True)
class Normalized:
    """Flattened text plus the map back to the original."""

    text: str
    original: str
    # Parallel lists, one entry per segment of `text`: where it starts in `text`, where its
    # source starts and ends in `original`, and whether it was copied verbatim.
    _norm_starts: tuple[int, ...] = ()
    _orig_starts: tuple[int, ...] = ()
    _orig_ends: tuple[int, ...] = ()
    _verbatim: tuple[bool, ...] = ()

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map the span [start, end) of `text` to a span of `original`."""
        if not self._norm_starts:
            return start, end
        i = bisect_right(self._norm_starts, start) - 1
        o_start = (self._orig_starts[i] + (start - self._norm_starts[i])
                   if self._verbatim[i] else self._orig_starts[i])
        j = bisect_right(self._norm_starts, max(end - 1, start)) - 1
        o_end = (self._orig_starts[j] + (end - self._norm_starts[j])
                 if self._verbatim[j] else self._orig_ends[j])
        return o_start, max(o_end, o_start)


def _matches(text: str) -> Iterator[re.Match[str]]:
    """_PATTERN.finditer(text), jumping from one special character to the next (the scan of
    _NEEDS is a set lookup per character; _PATTERN tries every position)."""
    pos = 0
    while True:
        c = _NEEDS.search(text, pos)
        if c is None:
            return
        m = _PATTERN.match(text, c.start())
        if m is None:
            pos = c.start() + 1
            continue
        yield m
        pos = m.end()


def normalize(text: str) -> Normalized:
    """Flatten LaTeX markup and unicode look-alikes; keep a map back to `text`."""
    if not _NEEDS.search(text):
        return Normalized(text, text)
    parts: list[str] = []
    norm_starts: list[int] = []
    orig_starts: list[int] = []
    orig_ends: list[int] = []
    verbatim: list[bool] = []
    pos = 0
    npos = 0
    dollars = 0   # math delimiters seen so far
    for m in _matches(text):
        if m.start() > pos:
            norm_starts.append(npos)
            orig_starts.append(pos)
            orig_ends.append(m.start())
            verbatim.append(True)
            parts.append(text[pos:m.start()])
            npos += m.start() - pos
        rep = _replacement(m.group())
        if m.group() == "$":
            # An opening "$" before a number with no closing "$" soon after is a dollar sign.
            if dollars % 2 == 0 and _is_currency(text, m.end()):
                rep = "$"
            else:
                dollars += 1
        if rep:
            norm_starts.append(npos)
            orig_starts.append(m.start())
            orig_ends.append(m.end())
            verbatim.append(False)
            parts.append(rep)
            npos += len(rep)
        pos = m.end()
    if pos < len(text) or not norm_starts:
        norm_starts.append(npos)
        orig_starts.append(pos)
        orig_ends.append(len(text))
        verbatim.append(True)
        parts.append(text[pos:])
    return Normalized("".join(parts), text, tuple(norm_starts), tuple(orig_starts),
                      tuple(orig_ends), tuple(verbatim))
