"""Find the numbers of an abstract (with their units) in flattened text, and join ranges."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

_MAGNITUDE = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "million": 1e6, "b": 1e9, "billion": 1e9,
    "t": 1e12, "trillion": 1e12,
}

_OPS_PREFIX = {"K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}

_NUM = (r"\d(?<![\w.@/^#]\d)(?<![A-WYZa-wyz]-\d)(?<![A-Za-z]\.\d)"
        r"(?:\d{0,2}(?:,\d{3})+(?![\d,])|\d*)(?:\.\d+)?")
TOKEN_RX = re.compile(
    # The digit comes first so that the scan jumps from digit to digit; the lookbehinds then
    # check the character before it (same matches as "(?<![\w.@/^#])..." before the number).
    r"(?P<num>" + _NUM + r")(?:\^\s*\(?(?P<pow>-?\d{1,2})\)?)?"
    r"(?:\s*x\s*10\^\s*\(?(?P<exp>-?\d{1,2})\)?)?"
    r"(?P<mag>\s?(?:[KMBT](?![A-Za-z0-9])|thousand\b|million\b|billion\b|trillion\b))?"
    r"(?P<unit>"
    r"\s?(?:%|percent\b(?!age))"
    r"|\s?-?\s?(?:(?:percentage|absolute|abs\.|average|avg\.?)[\s-]+points?\b|pp\b|p\.p\.|pts\b"
    r"|points?\b(?!\s*/)|\s(?:[A-Z][\w@\-]*|mAP|mIoU)\s+points?\b)"
    r"|x(?![\w])(?!\s+\d)|X(?![\w-])(?!\s+\d)|\sx(?![\w])(?!\s*\d)"
    r"|\s?times\b"
    r"|\s?-?\s?folds?\b"
    r"|\s?-?\s?bits?\b"
    r"|\s?[KMGT]i?B\b(?!/)"
    r"|\s?(?:USD|(?:US )?dollars?)\b"
    r"|\s?(?:GPU|TPU|A100|H100|V100|node)[- ]?(?:hours?|hrs?|days?)\b"
    r"|\s?(?:ms|milliseconds?|us|microseconds?|seconds?|secs?|s|min|mins|minutes?|h|hrs?"
    r"|hours?|days?|weeks?)\b(?!-)"
    r"|\s?(?:fps|FPS|frames per second)\b"
    r"|\s?(?:dB|mm|cm)\b(?!\^)"
    r"|\s?-?\s?(?:(?:learnable|trainable)\s+)?(?:parameters?|params)\b"
    # rates: throughput of the own system ("2585 tokens/s", "50,000 requests per second")
    r"|\s?(?:tokens?|samples?|images?|sequences?|queries|requests?)\s?"
    r"(?:/\s?s(?:ec)?\b|per second\b)"
    r"|\s?(?:QPS|RPS|[KMGT]B/s)\b"
    # the own model's operations ("0.060 GFLOPs", "8.27G FLOPs", "2.21M MACs"), version 8
    r"|\s?(?:[KMGT]\s?)?(?:FLOPs|FLOP|MACs)\b(?!/)"
    r"|\s?-?\s?tokens?\b"
    r")?"
)
# "W" first (a literal the scan can jump to), then the character before it
WA_RX = re.compile(r"W(?<![A-Za-z0-9]W)(?P<w>\d{1,2})A(?P<a>\d{1,2})(?![A-Za-z0-9])")
# ("3- to 300-fold": a suspended hyphen before "to")
_RANGE_SEP = re.compile(r"\s*(?:-{1,2}|(?:-\s*)?to|~|and)\s*(?:\+\s*)?")

_UNIT_CLASS: list[tuple[str, re.Pattern[str]]] = [
    ("flops", re.compile(r"(?:[KMGT]\s?)?(?:FLOP|MAC)")),
    ("rate", re.compile(r"(?:tokens?|samples?|images?|sequences?|queries|requests?)\s?(?:/|per)"
                        r"|QPS|RPS|[KMGT]B/s")),
    ("pct", re.compile(r"%|percent", re.I)),
    ("pts", re.compile(r"points?|pp|p\.p\.|pts")),
    ("mult", re.compile(r"[xX]|times|fold")),
    ("bits", re.compile(r"bits?")),
    ("bytes", re.compile(r"[KMGT]i?B")),
    ("gpuh", re.compile(r"(?:GPU|TPU|A100|H100|V100|node)")),
    ("fps", re.compile(r"fps|FPS|frames")),
    ("time", re.compile(r"ms|millisec|us|microsec|sec|s|min|h|hr|hour|day|week")),
    ("metric", re.compile(r"dB|mm|cm")),
    ("params", re.compile(r"(?:(?:learnable|trainable)\s+)?param")),
    ("tokens", re.compile(r"token")),
    ("usd", re.compile(r"USD|(?:US )?dollar")),
]


@dataclass(slots=True)
class Num:
    """One number found in the flattened text."""

    start: int          # of the number
    end: int            # of the number and its unit
    value: float
    unit_class: str     # pct, pts, mult, bits, bytes, gpuh, fps, time, metric, params, ...
    unit: str           # the unit as written
    magnitude: bool = False
    low: float | None = None
    high: float | None = None
    baseline: bool = False   # a starting point ("from X to Y", "X -> Y")
    named: str = ""          # a metric the abstract defines next to it ("65.89 Driving Score (DS)")


def _value(num: str, exp: str | None, mag: str | None) -> float:
    v = float(num.replace(",", ""))
    if exp:
        v *= 10.0 ** int(exp)
    if mag:
        v *= _MAGNITUDE[mag.strip().lower()]
    return v


@lru_cache(maxsize=512)
def _unit_class(unit: str) -> str:
    u = unit.strip(" -")
    if "point" in u or u in ("pp", "p.p.", "pts"):
        return "pts"
    for name, rx in _UNIT_CLASS:
        if rx.match(u):
            return name
    return "bare"


def find_numbers(text: str) -> list[Num]:
    """All numbers with their units, ranges merged ("1.9-2.7x", "between 2 and 3 times")."""
    nums: list[Num] = []
    n_text = len(text)
    for m in TOKEN_RX.finditer(text):
        num, pw, exp, mag, unit = m.group("num", "pow", "exp", "mag", "unit")
        end = m.end()
        # "3D", "4o", "2nd": a name or an ordinal, not a quantity.
        if not unit and end < n_text and text[end].isalpha() and not mag:
            continue
        uclass = _unit_class(unit) if unit else "bare"
        unit = unit or ""
        value = _value(num, exp, mag)
        if pw:
            value = value ** int(pw)
        if uclass == "flops":
            u = unit.strip()
            if u[0] in _OPS_PREFIX and u[1:].lstrip()[:1] in ("F", "M"):
                value *= _OPS_PREFIX[u[0]]   # "0.060 GFLOPs" -> 6e7 FLOPs
            unit = "MACs" if "MAC" in u else "FLOPs"
        start = m.start()
        if uclass == "bare" and text[max(0, start - 2):start].endswith(("$", "$ ")):
            uclass, unit = "usd", "$"   # "$1" (an escaped \$ in LaTeX becomes "$")
        nums.append(Num(start, end, value, uclass, unit.strip(" -"), magnitude=bool(mag)))
    return _merge_ranges(text, nums)


_FROM_RX = re.compile(r"\bfrom\s*(?:~|about|approximately|around|over|more than|nearly|almost)?"
                      r"\s*\(?\$?$", re.I)
_BETWEEN_RX = re.compile(r"\bbetween\s*$", re.I)


def _merge_ranges(text: str, nums: list[Num]) -> list[Num]:
    out: list[Num] = []
    i = 0
    while i < len(nums):
        a = nums[i]
        if i + 1 < len(nums):
            b = nums[i + 1]
            sep = _RANGE_SEP.fullmatch(text, a.end, b.start)
            if sep:
                word = sep.group().strip(" +").replace("--", "-").removeprefix("- ")
                before = text[max(0, a.start - 30):a.start]
                same_unit = not a.unit or a.unit_class == b.unit_class
                if _FROM_RX.search(before) and word == "to":
                    a.baseline = True
                elif (same_unit and b.unit_class != "bare" and a.value < b.value
                      and (word != "and" or _BETWEEN_RX.search(before))
                      and a.unit_class in ("bare", b.unit_class)):
                    b.low, b.high = a.value, b.value
                    if b.magnitude and not a.magnitude and a.unit_class == "bare":
                        pass
                    b.start = a.start
                    out.append(b)
                    i += 2
                    continue
        out.append(a)
        i += 1
    return out
