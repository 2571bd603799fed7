"""Snippet building against the number of matches: today's linear window vs the old quadratic one.

The old window scored a start at each match by re-reading every later match (O(n^2)); the new
one slides two pointers (O(n)). Both are timed in this run on abstracts with 1k-8k matches, and
the new one on a 200,000-word abstract.

    .venv/bin/python bench/snippet_speed.py
"""

from __future__ import annotations

import math
import time

from paperfeed.index.lexical import parse_query
from paperfeed.search.snippets import WIDTH, best_window, make_snippet, match_spans


def quadratic_window(marks: list[tuple[int, int, str]], width: int) -> int:
    """The window search paperfeed used before #12 (kept here as the baseline)."""
    best, best_score = 0, -1.0
    for i, (s0, _, _) in enumerate(marks):
        seen = {tok for s1, _, tok in marks[i:] if s1 < s0 + width * 0.8}
        score = len(seen) + 0.01 * math.log1p(i == 0)
        if score > best_score:
            best, best_score = i, score
    return best


def timed(fn, *args):  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1000


def main() -> None:
    q = parse_query("speculative decoding")
    print(f"{'matches':>8} {'old window ms':>14} {'new window ms':>14} {'new snippet ms':>15}")
    for n in (1000, 2000, 4000, 8000):
        text = " ".join(["speculative decoding works."] * (n // 2))
        marks = match_spans(text, q)
        old = timed(quadratic_window, marks, WIDTH)
        new = timed(best_window, marks, WIDTH)
        snip = timed(make_snippet, text, q)
        print(f"{len(marks):>8,} {old:>14.1f} {new:>14.2f} {snip:>15.1f}")
    huge = " ".join(["We propose speculative decoding with draft models."] * 28_000)
    print(f"200,000-word abstract ({len(huge.split()):,} words, "
          f"{len(match_spans(huge, q)):,} matches): make_snippet "
          f"{timed(make_snippet, huge, q):.0f} ms")


if __name__ == "__main__":
    main()
