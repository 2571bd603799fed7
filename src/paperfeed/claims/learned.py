"""A small logistic model over candidate numbers, with the rules as features.

The rules of extract.py decide alone on the text they were written against and generalise
less well to other fields; this model sees every candidate number with the rules' verdict, the
gate that dropped it, the sentence flags (own result, background, others' scores), the kind
and unit it would have, and the words right around it, and gives the probability that it is a
claim. Weights are learned by `bench/claims_train.py` from the tuning part of the dev sets and
kept in `claims_weights.json` (feature hash -> weight); scoring is a sum of weights (no numpy
needed at run time).
"""

from __future__ import annotations

import json
import math
import re
import zlib
from pathlib import Path
from typing import Any

WEIGHTS_PATH = Path(__file__).with_name("claims_weights.json")
DIM = 1 << 18

_WORD = re.compile(r"[a-z][a-z-]*|\d|[%$~+<>(=]")


def _load() -> tuple[dict[int, float], float, float]:
    if not WEIGHTS_PATH.exists():
        return {}, 0.0, 0.5
    data = json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))
    return ({int(k): float(v) for k, v in data["weights"].items()}, float(data["bias"]),
            float(data["threshold"]))


WEIGHTS, BIAS, THRESHOLD = _load()
# measured on the held-out part of the dev sets (docs/claims.md): see there which is better
DEFAULT_METHOD = "rules"


def hash_feature(f: str) -> int:
    return zlib.crc32(f.encode()) % DIM


def score(feats: list[str]) -> float:
    """Probability that a candidate with these features is a claim."""
    z = BIAS + sum(WEIGHTS.get(hash_feature(f), 0.0) for f in feats)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _bucket(v: float) -> str:
    if v <= 0:
        return "0"
    return str(max(-3, min(6, math.floor(math.log10(v)))))


def features(n: Any, ctx: Any, gate: str | None, rule: Any, guess: Any,
             flags: tuple[bool, bool, bool], si: int, n_sent: int, quant_paper: bool
             ) -> list[str]:
    """Features of one candidate number (strings, hashed by `score`)."""
    uc = n.unit_class
    kind = guess[0] if guess else "none"
    own, background, others = flags
    verdict = "ok" if rule is not None else (gate or "cls")
    f = [f"u={uc}", f"k={kind}", f"ku={kind}|{uc}", f"rule={verdict}", f"rule={verdict}|{uc}",
         f"own={own}", f"bg={background}", f"oth={others}", f"own={own}|{verdict}",
         f"v={_bucket(n.value)}|{uc}", f"range={n.low is not None}",
         f"pos={'first' if si == 0 else 'last' if si == n_sent - 1 else 'mid'}"]
    if quant_paper:
        f.append("quant")
    if rule is not None:
        f.append(f"rk={rule[0]}|{uc}")
    before = _WORD.findall(ctx.near_before.lower())[-3:]
    after = _WORD.findall(ctx.after_raw.lower())[:3]
    for i, w in enumerate(reversed(before)):
        f.append(f"b{i}={w}")
    for i, w in enumerate(after):
        f.append(f"a{i}={w}")
    if before:
        f.append(f"b01={'_'.join(before[-2:])}")
    if after:
        f.append(f"a01={'_'.join(after[:2])}")
    for w in set(_WORD.findall(ctx.sentence.lower())):
        if len(w) > 2:
            f.append(f"s={w}")
    return f
