"""One convention per kind: a claim's direction, its normalised (sortable) value and unit, and
what it is compared against and under which condition.

Conventions (the `norm_unit` of each kind; values of one kind and norm unit compare like with
like, larger is always better; docs/claims.md has the table):

- speedup: `x`, a factor (`2.7x` -> 2.7; `50% higher throughput` -> 1.5; `cuts latency by
  53%` -> 1/(1-0.53)); `s`, an absolute latency in seconds (negated); `fps`;
- memory, compression, compute, cost: `saved`, the fraction saved (`4x less` -> 0.75, `by
  49%` -> 0.49, `only 6% of` -> 0.94); memory `GB` and cost `usd` / `hours` / `GPU hours`,
  absolute amounts (negated);
- quality: `%` or a metric, the score as stated (negated when lower is better); `% gain`,
  `points`, `x gain`, gains positive when better;
- precision: `bits` (negated: fewer is better); scale: `params`, `tokens`.

Negated values keep "largest first" meaning "best first" within every (kind, norm_unit) group.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from paperfeed.claims.fastre import Folded, Needs

_REDUCE = Folded(r"\b(?:reduc\w*|lower\w*|less|fewer|sav\w*|cut\w*|decreas\w*|drops?|"
                     r"dropp\w*|shrink\w*|smaller|trim\w*|slash\w*|eliminat\w*|compress\w*|"
                     r"sparsity|sparse|prun\w*|remov\w*|fall\w*|declin\w*|minimi\w*|lighter|"
                     r"cheaper|shorter|down)\b", re.I)
_INCREASE = Folded(r"\b(?:improv\w*|increas\w*|gains?|boost\w*|higher|more|rais\w*|"
                       r"outperform\w*|surpass\w*|exceed\w*|better|faster|speed-?ups?|"
                       r"accelerat\w*|greater|enhanc\w*|up|larger|bigger|longer|grows?|grew|"
                       r"growth|expan\w*)\b|^\s*\+", re.I)
_SHARE = Folded(r"^\s*(?:of|of the|of its|of their)\b", re.I)
_LOWER_BETTER = Folded(r"\b(?:error|errors|loss|FID|FVD|KID|LPIPS|WER|CER|EER|MAE|MSE|RMSE|"
                           r"perplexity|PPL|MPJPE|distance|latency|time|delay|cost|"
                           r"hallucination\w*|ADE|FDE|EPE|NME|AbsRel)\b", re.I)
_LOWER_UNITS = {"FID", "FVD", "KID", "LPIPS", "WER", "CER", "EER", "MAE", "MSE", "RMSE", "PPL",
                "perplexity", "MPJPE", "PA-MPJPE", "mm", "cm", "ADE", "FDE", "EPE", "NME",
                "AbsRel", "CD", "Chamfer distance"}
_THROUGHPUT = Folded(r"throughput|tokens?/s|tokens per second|QPS|queries per second|"
                         r"requests per second|fps|frames per second|samples/s", re.I)
_LATENCY = Folded(r"latenc\w*|TTFT|time to first token|response time|inference time|"
                      r"run-?time|wall-?clock|delay|time per|per (?:image|frame|token|step|query)",
                      re.I)
_SECONDS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "minutes": 60.0, "hours": 3600.0,
            "days": 86400.0, "weeks": 604800.0}
_HOURS = {"minutes": 1 / 60, "hours": 1.0, "days": 24.0, "weeks": 168.0}

_COMPARE = Folded(
    r"\b(?:than|over|vs\.?|versus|compared (?:to|with)|relative to|against|outperform\w*|"
    r"surpass\w*|beat\w*|exceed\w*)\s+(?:the\s+|a\s+|an\s+)?"
    r"(?P<b>(?:(?!(?:on|in|at|for|with|while|and|by|across|when|using|under|of|to|as|"
    r"which|that|respectively)\b)[^\s,;:()\[\].]+\s*){1,4})", re.I)
_BASE_SKIP = Folded(r"^(?:\d|[~<>+$]|\\|existing methods?$|prior (?:work|methods?)$|"
                        r"previous (?:work|methods?)$|others?$|those$|it$|them$|that$)", re.I)
_CONDITION = Folded(
    r"^\s*(?:,\s*)?(?P<c>(?:on|at|for|under|across|with|when|in)\s+(?:(?!(?:and|while|"
    r"compared|than|versus|vs|by|but|whereas|which|respectively)\b)[^,;:()\[\].]){2,60})",
    re.I)
_HW_CONDITION = Folded(r"\b(?:on|using) (?:an? |one |a single |\d+ ?x? ?)?(?:NVIDIA )?"
                           r"(?:[AHVLT]\d{2,3}|RTX ?\d{4}\w*|A6000|TPU\w*|CPU|GPU|edge devices?|"
                           r"smartphones?|Jetson \w+|Apple M\d\w*)\b(?: GPUs?| cards?| nodes?)?",
                           re.I)
_CTX_CONDITION = Folded(r"\b(?:at|with|under) (?:a |an )?\d[\d.,]*\s?[KkM]?(?:-token)? "
                            r"(?:context|tokens?|sequence length|sparsity)\b", re.I)


@dataclass(frozen=True)
class Facets:
    direction: str | None
    norm_value: float
    norm_unit: str
    subkind: str | None
    baseline: str | None
    condition: str | None

def _is_rate(unit: str) -> bool:
    """A rate of work (tokens/s, MB/s, QPS): higher is better, like fps."""
    return unit.endswith("/s") or unit in ("QPS", "RPS")


_MORE_THAN = re.compile(r"\bmore than\b", re.I)


def direction_of(kind: str, unit: str, what: str, span: str, before: str, after: str) -> str:
    """higher | lower (an absolute value, which way is better) or reduction | increase (the
    number is an amount saved or gained), following tests/data/CLAIMS_GUIDE.md."""
    near = f"{span} {after}"
    if "than" in near.lower():
        near = _MORE_THAN.sub("", near)
    if "than" in before.lower():
        before = _MORE_THAN.sub("", before)
    red = _REDUCE.search(near) or _REDUCE.search(before[-40:])
    inc = _INCREASE.search(span) or _INCREASE.search(after) or _INCREASE.search(before[-40:])
    share = unit == "%" and bool(_SHARE.match(after))
    if kind in ("memory", "compression", "compute", "cost") and unit in ("x", "%"):
        if share:
            return "lower"
        if inc and not red and re.search(r"\bmore\b|increas|higher|larger|bigger|longer|grow|"
                                         r"grew|expan|\+", f"{near} {before[-30:]}", re.I
                                         ) and not re.search(r"efficien|sav", near, re.I):
            return "increase"
        return "reduction"
    if kind == "speedup":
        if unit == "x":
            return "higher"
        if unit == "%" and share:
            return "lower"   # "only 12% of the training time": the share of the time it takes
        if unit == "%":
            return "reduction" if red and not re.search(r"throughput|faster|speed", near,
                                                        re.I) else "increase"
        return "higher" if unit == "fps" or _is_rate(unit) else "lower"
    if kind == "quality":
        if unit in ("points",) or (unit in ("%", "x") and (red or inc)):
            return "reduction" if red and not inc else "increase"
        if unit not in ("%", "x", "points", "dB"):   # a metric's name is its unit
            return "lower" if unit in _LOWER_UNITS else "higher"
        lower = bool(_LOWER_BETTER.search(f"{what} {span}"))
        return "lower" if lower else "higher"
    if kind == "precision":
        return "lower"
    if kind == "scale":
        return "higher"
    return "lower"   # absolute memory, cost, time


def facets(kind: str, value: float, unit: str, what: str, span: str, before: str, after: str,
           sentence: str) -> Facets:
    """Direction, normalised value and unit, sub-kind, baseline and condition of one claim."""
    cut = _CLAUSE_END.search(after)
    d = direction_of(kind, unit, what, span, before, after[:cut.start()] if cut else after)
    subkind: str | None = None
    nv, nu = value, unit
    ctx = f"{what} {span} {after[:40]}"
    if kind == "speedup":
        subkind = ("throughput" if _THROUGHPUT.search(ctx) or unit == "fps" or _is_rate(unit)
                   else "latency" if _LATENCY.search(ctx) or unit in _SECONDS else "speed")
        if unit == "%":
            nu = "x"
            nv = (1.0 / (1.0 - value / 100.0) if d == "reduction" and value < 100
                  else 100.0 / value if d == "lower" and value > 0
                  else 1.0 + value / 100.0)
        elif unit in _SECONDS:
            nu, nv = "s", -value * _SECONDS[unit]
    elif kind in ("memory", "compression", "compute", "cost") and unit in ("x", "%"):
        nu = "saved"
        if unit == "x":
            nv = (1.0 - value) if d == "increase" else (1.0 - 1.0 / value if value else 0.0)
        elif d == "lower":   # "only 6% of the KV cache": a share kept
            nv = 1.0 - value / 100.0
        elif re.search(r"efficien", ctx, re.I) and not _REDUCE.search(ctx):
            nv = 1.0 - 1.0 / (1.0 + value / 100.0)   # "efficiency up by 100%": half the cost
        else:
            nv = -value / 100.0 if d == "increase" else value / 100.0
        if kind == "compute" and unit == "%" and re.search(
                r"\bMFU\b|FLOPs utili[sz]ation|\bpeak\b", ctx, re.I):
            d, nv, nu = "higher", value, "%"   # "47% of the theoretical peak": a utilisation
        if kind == "compute":
            subkind = ("energy" if re.search(r"energy|power", ctx, re.I)
                       else "tokens" if re.search(r"token", ctx, re.I)
                       else "flops" if re.search(r"FLOP|MAC", ctx, re.I) else None)
    elif kind == "memory" and unit in ("KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "TiB"):
        scale = {"K": 1e-6, "M": 1e-3, "G": 1.0, "T": 1e3}[unit[0]]
        nu, nv = "GB", -value * scale
    elif kind == "cost":
        if unit in _HOURS:
            nu, nv = "hours", -value * _HOURS[unit]
        else:
            nv = -value
    elif kind == "quality":
        if unit == "x":   # a factor of a score is always a relative gain
            nu = "x gain"
        elif unit == "%" and d in ("increase", "reduction"):
            nu = "% gain"
        elif d == "lower":
            nv = -value
    elif kind == "precision" or (kind == "compute" and unit in ("steps", "FLOPs", "MACs")):
        nv = -value   # fewer bits, steps, operations first
    return Facets(d, float(nv), nu, subkind, baseline_of(sentence, after, before),
                  condition_of(after, sentence))


_CLAUSE_END = Needs(r"[;,]|\band\b|\bwhile\b|\bwhereas\b|\bbut\b",
                    (";", ",", "and", "while", "whereas", "but"))


def baseline_of(sentence: str, after: str, before: str) -> str | None:
    """The method compared against, when the claim's clause names it."""
    cut = _CLAUSE_END.search(after)
    ends = list(_CLAUSE_END.finditer(before))
    for where in (after[:cut.start()] if cut else after, before[ends[-1].end():] if ends
                  else before):
        m = _COMPARE.search(where)
        if not m:
            continue
        b = " ".join(where[m.start("b"):m.end("b")].split()).strip(" -'\"")
        if len(b) < 2 or _BASE_SKIP.match(b):
            continue
        return b[:60]
    return None


def condition_of(after: str, sentence: str) -> str | None:
    """The setting the number holds under ("on A100", "at 128k context"), when stated."""
    m = _CONDITION.match(after)
    if m:
        c = after[m.start("c"):m.end("c")]
        if not _NO_CONDITION.match(c):
            return " ".join(c.split())[:60]
    return _sentence_condition(sentence)


_NO_CONDITION = Folded(r"(?:on|in|for) (?:average|total|all|most|par|the other)\b")


@lru_cache(maxsize=64)
def _sentence_condition(sentence: str) -> str | None:
    """A context (`at 128K context`) or hardware (`on an A100`) phrase of the sentence (one
    per sentence, whichever claim of it asks)."""
    m2 = _CTX_CONDITION.search(sentence) or _HW_CONDITION.search(sentence)
    if m2:
        return " ".join(sentence[m2.start():m2.end()].split())[:60]
    return None
