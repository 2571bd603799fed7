"""The span of a claim in the abstract (its prefix words, its "what", whole $...$ math), and
the quick digit test before any work on an abstract."""

from __future__ import annotations

import re

from paperfeed.claims.context import Ctx
from paperfeed.claims.numbers import Num
from paperfeed.claims.patterns import DIGIT_RX

PREFIX_RX = re.compile(
    r"(?:\b(?:up to|more than|over|at least|approximately|about|around|nearly|almost|roughly|"
    r"only|just|under|within|as (?:fast|low|high|little|few|much) as|less than|fewer than|"
    r"by(?: up to| over| more than| at least| about| approximately| nearly| roughly)?)\s*"
    r"|[~<>+]\s*)+$",
    re.I,
)

_ASCII_DIGITS = "0123456789"


def has_digit(s: str) -> bool:
    """Whether `s` has a digit (as `\\d` means it: non-ASCII digits count too)."""
    if s.isascii():
        return any(d in s for d in _ASCII_DIGITS)
    return bool(DIGIT_RX.search(s))


_WHAT_TRIM = re.compile(r"^(?:\s|of\b|the\b|in\b|on\b|a\b|an\b|-)+|(?:\s|\bby\b|\bof\b|\bup to\b|"
                        r"\bmore than\b|\bover\b|\bat least\b|\bto\b|\bwith\b|\ba\b|\ban\b|"
                        r"\bthe\b|~|\+)+$", re.I)


def what_of(text: str, n: Num, ctx: Ctx | None, cue: tuple[int, int, str]) -> str:
    if ctx is None:
        return "weight/activation bits"
    c0, c1, where = cue
    if where == "after" and c1 - n.end <= 40:
        phrase = text[n.end:c1]
    elif where == "before":
        phrase = text[c0:n.start]
    else:
        phrase = ctx.after if ctx.after.strip() else ctx.before
    phrase = " ".join(phrase.split())
    phrase = _WHAT_TRIM.sub("", phrase)
    return phrase[:80]


def balance_math(s: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) so it does not cut a $...$ math span in half."""
    span = s[start:end]
    if (span.count("$") - span.count("\\$")) % 2 == 0:
        return start, end
    nxt = s.find("$", end)
    if nxt != -1 and nxt - end <= 12:
        return start, nxt + 1
    prv = s.rfind("$", 0, start)
    if prv != -1 and start - prv <= 12:
        return prv, end
    return start, end
