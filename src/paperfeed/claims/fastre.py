"""Faster twins of `re` patterns with the same matches: Folded (a case-insensitive regex run on
lowercased ASCII text without re.I) and Needs (a regex behind a test for the words every match
contains). Part of the extractor's speed work for the import (issue #16)."""

from __future__ import annotations

import re
from collections.abc import Iterator


class Folded:
    """A case-insensitive regex that runs on lowercased text without re.I when the text is
    ASCII (the same matches, 2-3x faster: without re.I sre skips an alternative on its first
    letter); other text uses the re.I original. A match's group() is then lowercased, so only
    regexes whose matched text is compared case-insensitively (or not at all) are Folded.
    `needs`: lowercase words one of which every match contains (a quick test before the scan)."""

    __slots__ = ("low", "needs", "pattern", "rx")

    def __init__(self, pattern: str, flags: int = 0, needs: tuple[str, ...] = ()) -> None:
        self.rx = re.compile(pattern, flags | re.I)
        self.pattern = pattern
        self.needs = needs
        assert not re.search(r"\\[A-Z]|\(\?P=", pattern), pattern   # escapes keep their case
        self.low = re.compile(pattern.lower().replace("(?p<", "(?P<"), flags & ~re.I)
        assert self.low.groupindex == self.rx.groupindex

    def _pick(self, s: str) -> tuple[re.Pattern[str], str] | None:
        """The regex and the text to run it on; None when no match can exist."""
        if not s.isascii():
            return self.rx, s
        low = s.lower()
        if self.needs and not _any_in(self.needs, low):
            return None
        return self.low, low

    def search(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        p = self._pick(s)
        return p[0].search(p[1], pos, endpos) if p else None

    def match(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        p = self._pick(s)
        return p[0].match(p[1], pos, endpos) if p else None

    def fullmatch(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        p = self._pick(s)
        return p[0].fullmatch(p[1], pos, endpos) if p else None

    def finditer(self, s: str, pos: int = 0, endpos: int = 2**62) -> Iterator[re.Match[str]]:
        p = self._pick(s)
        return p[0].finditer(p[1], pos, endpos) if p else iter(())


def _any_in(words: tuple[str, ...], s: str) -> bool:
    for w in words:  # a loop: faster than any() over a generator  # noqa: SIM110
        if w in s:
            return True
    return False


class Needs:
    """A case-sensitive regex with the words one of which every match contains: a text
    without any of them is not scanned."""

    __slots__ = ("needs", "pattern", "rx")

    def __init__(self, pattern: str, needs: tuple[str, ...], flags: int = 0) -> None:
        self.rx = re.compile(pattern, flags)
        self.pattern = pattern
        self.needs = needs

    def search(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        return self.rx.search(s, pos, endpos) if _any_in(self.needs, s) else None

    def finditer(self, s: str, pos: int = 0, endpos: int = 2**62) -> Iterator[re.Match[str]]:
        return self.rx.finditer(s, pos, endpos) if _any_in(self.needs, s) else iter(())
