"""Progress of long steps (import, index refresh), readable in a terminal and in a log.

A `Reporter` runs steps one after the other. At a terminal a step redraws one status line;
without one (a log, a pipe, the worker) it writes a plain line every `every_s` seconds or
10 % of the way, whichever comes first. Every step ends with one line saying what it did and
how long it took, or that there was nothing to do:

    lexical index: 24% (1,204 of 5,000 papers), 3,100 papers/s, about 1 s left
    lexical index: 5,000 papers indexed in 1.6 s
    claims: up to date
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO

Write = Callable[[str], None]


def seconds(s: float) -> str:
    """A duration for people: 0.4 s, 12 s, 3 min 5 s, 1 h 2 min."""
    if s < 10:
        return f"{s:.1f} s"
    if s < 60:
        return f"{s:.0f} s"
    if s < 3600:
        return f"{int(s // 60)} min {int(s % 60)} s"
    return f"{int(s // 3600)} h {int(s % 3600 // 60)} min"


def size(n: float) -> str:
    """Bytes for people: 512 B, 3.4 MB, 1.2 GB."""
    for unit, div in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= div:
            return f"{n / div:,.1f} {unit}"
    return f"{n:,.0f} B"


class Step:
    """One step of a Reporter: `update(done)` as it goes, then `finish(...)` or `skip(...)`."""

    def __init__(self, reporter: Reporter, label: str, total: int | None, unit: str) -> None:
        self.reporter, self.label, self.total, self.unit = reporter, label, total, unit
        self.done = 0
        self.note = ""
        self.t0 = time.monotonic()
        self._last_line = self.t0
        self._last_frac = 0.0
        self._drawn = 0.0

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def _amount(self, n: float) -> str:
        return size(n) if self.unit == "bytes" else f"{n:,.0f} {self.unit}"

    def _line(self) -> str:
        rate = self.done / max(self.elapsed(), 1e-6)
        note = f", {self.note}" if self.note else ""
        if self.total:
            pct = min(100, int(100 * self.done / self.total))
            left = (self.total - self.done) / rate if rate > 0 else None
            eta = f", about {seconds(left)} left" if left is not None and self.done else ""
            of = (f"{size(self.done)} of {size(self.total)}" if self.unit == "bytes"
                  else f"{self.done:,} of {self.total:,} {self.unit}")
            return f"{self.label}: {pct}% ({of}){note}, {self._amount(rate)}/s{eta}"
        return f"{self.label}: {self._amount(self.done)} so far{note}, {self._amount(rate)}/s"

    def update(self, done: int, total: int | None = None, note: str | None = None) -> None:
        """`done` of `total` so far; `note`: a few words more ("12,345 papers")."""
        self.done = done
        if total is not None:
            self.total = total
        if note is not None:
            self.note = note
        r, now = self.reporter, time.monotonic()
        if r.tty:
            if now - self._drawn >= 0.1:
                self._drawn = now
                r.draw(self._line())
            return
        frac = done / self.total if self.total else 0.0
        if frac >= 1.0 or now - self._last_line < 1.0:
            return  # the final line says the rest; at most a line a second
        if now - self._last_line >= r.every_s or frac - self._last_frac >= 0.1:
            self._last_line, self._last_frac = now, frac
            r.line(self._line())

    def finish(self, summary: str) -> str:
        """End the step: "<label>: <summary> in <time>"; returns the line."""
        return self.reporter.final(f"{self.label}: {summary} in {seconds(self.elapsed())}")

    def skip(self, why: str) -> str:
        """End a step that had nothing to do: "<label>: <why>"."""
        return self.reporter.final(f"{self.label}: {why}")


class Reporter:
    """Writes progress lines to `stream` (stderr by default) or hands them to `write`."""

    def __init__(self, stream: TextIO | None = None, write: Write | None = None,
                 tty: bool | None = None, every_s: float = 5.0) -> None:
        self.stream = stream if stream is not None else sys.stderr
        self._write = write
        self.tty = bool(tty if tty is not None else (
            write is None and hasattr(self.stream, "isatty") and self.stream.isatty()))
        self.every_s = every_s
        self.lines: list[str] = []  # every final line, in order (a job's summary)
        self._drawn = False

    def step(self, label: str, total: int | None = None, unit: str = "papers") -> Step:
        return Step(self, label, total, unit)

    def draw(self, text: str) -> None:
        """Redraw the terminal's status line (TTY only)."""
        self.stream.write("\r\x1b[2K" + text)
        self.stream.flush()
        self._drawn = True

    def final(self, text: str) -> str:
        self.lines.append(text)
        return self.line(text)

    def line(self, text: str) -> str:
        if self._drawn:
            self.stream.write("\r\x1b[2K")
            self._drawn = False
        if self._write is not None:
            self._write(text)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()
        return text
