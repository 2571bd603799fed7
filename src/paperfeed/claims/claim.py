"""The Claim record the extractor returns, and the extractor's version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EXTRACTOR_VERSION = 9

KINDS = ("speedup", "memory", "compression", "compute", "precision", "quality", "scale", "cost")


@dataclass(frozen=True)
class Claim:
    """One quantitative claim; `text` is abstract[start:end]."""

    kind: str
    value: float
    unit: str
    what: str
    text: str
    low: float | None = None
    high: float | None = None
    start: int = 0
    end: int = 0
    # see normal.py: which way the number goes, its value in the kind's one convention
    direction: str | None = None
    norm_value: float | None = None
    norm_unit: str | None = None
    subkind: str | None = None      # speedup: throughput | latency | speed; compute: energy ...
    baseline: str | None = None     # the method compared against, when named
    condition: str | None = None    # "on A100", "at 128k context"

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "value": _num(self.value), "unit": self.unit,
                             "what": self.what, "text": self.text}
        if self.low is not None and self.high is not None:
            d["low"] = _num(self.low)
            d["high"] = _num(self.high)
        d["start"] = self.start
        d["end"] = self.end
        d["direction"] = self.direction
        d["norm_value"] = None if self.norm_value is None else _num(round(self.norm_value, 6))
        d["norm_unit"] = self.norm_unit
        d["subkind"] = self.subkind
        d["baseline"] = self.baseline
        d["condition"] = self.condition
        return d


def _num(v: float) -> float | int:
    return int(v) if float(v).is_integer() and abs(v) < 1e18 else v


Decision = tuple[str, str, tuple[int, int, str]]   # kind, unit, cue (start, end, where)
