"""Score extracted claims against hand-annotated ones (the claims_dev.jsonl schema)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

REL_TOL = 0.01


def _close(a: Any, b: Any, tol: float = REL_TOL) -> bool:
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if a == b:
        return True
    return abs(a - b) <= tol * max(abs(a), abs(b))


def claims_match(pred: Mapping[str, Any], gold: Mapping[str, Any]) -> bool:
    """Same kind, value within 1% relative; for a gold range, low and high too."""
    if pred.get("kind") != gold.get("kind") or not _close(pred.get("value"), gold.get("value")):
        return False
    if gold.get("low") is not None or gold.get("high") is not None:
        return (_close(pred.get("low"), gold.get("low"))
                and _close(pred.get("high"), gold.get("high")))
    return True


def match_claims(pred: Sequence[Mapping[str, Any]], gold: Sequence[Mapping[str, Any]]
                 ) -> list[tuple[int, int]]:
    """One-to-one greedy matching; returns (pred index, gold index) pairs."""
    used: set[int] = set()
    pairs: list[tuple[int, int]] = []
    for i, p in enumerate(pred):
        for j, g in enumerate(gold):
            if j not in used and claims_match(p, g):
                used.add(j)
                pairs.append((i, j))
                break
    return pairs


@dataclass
class Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Score:
    overall: Counts = field(default_factory=Counts)
    by_kind: dict[str, Counts] = field(default_factory=lambda: defaultdict(Counts))


def score(pairs: Iterable[tuple[Sequence[Mapping[str, Any]], Sequence[Mapping[str, Any]]]]
          ) -> Score:
    """Score (predicted, gold) claim lists of many abstracts; per kind by each side's kind."""
    s = Score()
    for pred, gold in pairs:
        matched = match_claims(pred, gold)
        mp = {i for i, _ in matched}
        mg = {j for _, j in matched}
        for i, p in enumerate(pred):
            c = s.by_kind[str(p.get("kind"))]
            if i in mp:
                c.tp += 1
                s.overall.tp += 1
            else:
                c.fp += 1
                s.overall.fp += 1
        for j, g in enumerate(gold):
            if j not in mg:
                s.by_kind[str(g.get("kind"))].fn += 1
                s.overall.fn += 1
    return s
