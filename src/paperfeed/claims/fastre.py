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

    def _may(self, low: str) -> bool:   # a loop: faster than any() over a generator
        for w in self.needs:  # noqa: SIM110
            if w in low:
                return True
        return False

    def search(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        if s.isascii():
            low = s.lower()
            if self.needs and not self._may(low):
                return None
            return self.low.search(low, pos, endpos)
        return self.rx.search(s, pos, endpos)

    def match(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        if s.isascii():
            low = s.lower()
            if self.needs and not self._may(low):
                return None
            return self.low.match(low, pos, endpos)
        return self.rx.match(s, pos, endpos)

    def fullmatch(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        if s.isascii():
            low = s.lower()
            if self.needs and not self._may(low):
                return None
            return self.low.fullmatch(low, pos, endpos)
        return self.rx.fullmatch(s, pos, endpos)

    def finditer(self, s: str, pos: int = 0, endpos: int = 2**62) -> Iterator[re.Match[str]]:
        if s.isascii():
            low = s.lower()
            if self.needs and not self._may(low):
                return iter(())
            return self.low.finditer(low, pos, endpos)
        return self.rx.finditer(s, pos, endpos)



class Needs:
    """A case-sensitive regex with the words one of which every match contains: a text
    without any of them is not scanned."""

    __slots__ = ("needs", "pattern", "rx")

    def __init__(self, pattern: str, needs: tuple[str, ...], flags: int = 0) -> None:
        self.rx = re.compile(pattern, flags)
        self.pattern = pattern
        self.needs = needs

    def _may(self, s: str) -> bool:   # a loop: faster than any() over a generator
        for w in self.needs:  # noqa: SIM110
            if w in s:
                return True
        return False

    def search(self, s: str, pos: int = 0, endpos: int = 2**62) -> re.Match[str] | None:
        return self.rx.search(s, pos, endpos) if self._may(s) else None

    def finditer(self, s: str, pos: int = 0, endpos: int = 2**62) -> Iterator[re.Match[str]]:
        return self.rx.finditer(s, pos, endpos) if self._may(s) else iter(())
