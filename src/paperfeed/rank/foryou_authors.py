"""For-you's author signal: the people whose papers a reader saved.

Saving three papers of one person says more about what comes next than their words do; a
saved paper with a prolific author (or a common name: the author key cannot tell two Wei
Wangs apart) says less. Each author of the positives gets an affinity

    a = (weighted share of the positives they wrote) / sqrt(papers by that key in the store)

and a candidate's `coauthor` part is the noisy-or of its authors' affinities, 1 - prod(1 - a):
bounded (a thousand-author collaboration counts like one strong author, not a thousand),
zero for a stranger. The same authors bring candidates of their own, through the author lookup
table, so a later paper of a saved author is ranked even when its words are new.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection

from paperfeed.index.lookups import author_key
from paperfeed.rank import foryou_data as data

CANDIDATE_MAX_PAPERS = 200  # authors with more papers than this bring no candidates
CANDIDATES = 300  # the newest papers of the positives' authors taken as candidates
REASON_MIN = 0.05  # an affinity this small is not named as a reason (one saved paper in 30)


@dataclass
class Affinity:
    """What the positives' authors weigh (key -> affinity), their names and how many of the
    positives each wrote."""

    weight: dict[str, float] = field(default_factory=dict)
    name: dict[str, str] = field(default_factory=dict)
    saved: dict[str, int] = field(default_factory=dict)
    papers: dict[str, int] = field(default_factory=dict)


def affinity(conn: Connection, positives: list[data.PaperText], weights: np.ndarray
             ) -> Affinity:
    out = Affinity()
    share: dict[str, float] = {}
    for p, w in zip(positives, weights.tolist(), strict=True):
        keys = set()
        for name in p.authors:
            k = author_key(name)
            if k:
                out.name.setdefault(k, name)
                keys.add(k)
        for k in keys:
            share[k] = share.get(k, 0.0) + float(w)
            out.saved[k] = out.saved.get(k, 0) + 1
    total = float(weights.sum()) or 1.0
    out.papers = data.author_counts(conn, share)
    for k, s in share.items():
        out.weight[k] = min(1.0, s / total / math.sqrt(max(out.papers.get(k, 1), 1)))
    return out


def candidates(conn: Connection, aff: Affinity) -> list[str]:
    """The newest papers of the positives' authors (but the most prolific keys)."""
    keys = [k for k in aff.weight if aff.papers.get(k, 0) <= CANDIDATE_MAX_PAPERS]
    return data.by_authors(conn, keys, CANDIDATES)


def part(aff: Affinity, cands: list[data.PaperText]) -> np.ndarray:
    """Each candidate's noisy-or of its authors' affinities (0 for no shared author)."""
    out = np.zeros(len(cands))
    if not aff.weight:
        return out
    for i, p in enumerate(cands):
        miss = 1.0
        for k in {author_key(a) for a in p.authors}:
            miss *= 1.0 - aff.weight.get(k, 0.0)
        out[i] = 1.0 - miss
    return out


def reason(aff: Affinity, p: data.PaperText) -> str | None:
    """"by A. Author, author of 2 of your papers": the candidate's strongest shared author."""
    shared = [k for k in {author_key(a) for a in p.authors}
              if aff.weight.get(k, 0.0) >= REASON_MIN]
    if not shared:
        return None
    k = max(shared, key=lambda k: (aff.weight[k], k))
    n = aff.saved.get(k, 0)
    return f"by {aff.name.get(k, k)}, author of " + (f"{n} of your papers" if n > 1 else
                                                     "one of your papers")
