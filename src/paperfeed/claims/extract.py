"""Extract an abstract's quantitative claims about its own result.

Pipeline: flatten LaTeX/unicode (normalize.py) -> find numbers with units and merge ranges
(numbers.py) -> for each number, decide from its sentence whether it states this paper's result
and which kind of claim it is (cue lexicons in lexicon.py) -> map the span back to the original.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from paperfeed.claims import lexicon as lx
from paperfeed.claims.learned import DEFAULT_METHOD, THRESHOLD, features, score
from paperfeed.claims.normal import facets
from paperfeed.claims.normalize import normalize
from paperfeed.claims.numbers import WA_RX, Num, find_numbers

EXTRACTOR_VERSION = 2

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


_SENT_RX = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\[])|\n\s*\n")
_ABBREV_RX = re.compile(r"(?:\b(?:e\.g|i\.e|vs|et al|Fig|Eq|approx|resp|cf|etc|Sec|No)\.)$")
_CLAUSE_BEFORE = re.compile(r"[,;:)\]]|\b(?:while|whereas|but)\b", re.I)
_CLAUSE_AFTER = re.compile(r"[,;:()\[\]]|\.(?!\d)|\b(?:and|while|whereas|but|compared|than|"
                           r"relative|versus|vs)\b|\s[~$+<>]?\d", re.I)
# An "on X" / "for X" phrase right after a number names the setting, not the measured thing.
_SETTING_AFTER = re.compile(r"^\s*(?:on|for|in|across|over|under|at|within|when|among)\b", re.I)
_PREFIX_RX = re.compile(
    r"(?:\b(?:up to|more than|over|at least|approximately|about|around|nearly|almost|roughly|"
    r"only|just|under|within|as (?:fast|low|high|little|few|much) as|less than|fewer than|"
    r"by(?: up to| over| more than| at least| about| approximately| nearly| roughly)?)\s*"
    r"|[~<>+]\s*)+$",
    re.I,
)
_UNIT_LABEL = {
    "pct": "%", "pts": "points", "mult": "x", "bits": "bits", "params": "params",
    "tokens": "tokens", "usd": "usd", "fps": "fps",
}
_TIME_UNITS = {
    "ms": "ms", "millisecond": "ms", "milliseconds": "ms", "us": "us", "microsecond": "us",
    "microseconds": "us", "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "day": "days", "days": "days", "week": "weeks", "weeks": "weeks",
}
_LATENCY_CUE = re.compile(r"latency|latencies|delay|inference|run-?time|speed|fast|real-time|encod|"
                          r"decod|per (?:image|frame|step|token|sample|query|iteration)|"
                          r"time to first token|TTFT|wall-?clock|response time|process", re.I)
_COST_TIME_BEFORE = re.compile(
    r"\b(?:in|within|under|only|just|less than|about|approximately|around|~|takes?|taking|"
    r"requires?|requiring|budget of|training of|costs?|trained (?:in|for)|train in)\s*$", re.I)
_COST_TIME_AFTER = re.compile(r"^\s*(?:per\b|of (?:training|compute|computation|GPU)|on (?:a|one|"
                              r"\d+|an?) (?:single )?(?:GPU|CPU|A100|H100|V100|TPU)|"
                              r"(?:of )?(?:training|compute)\b)", re.I)
_MEMORY_BEFORE = re.compile(r"\b(?:single|only|just|within|under|less than|fits?|fitting|"
                            r"requires?|requiring|consum\w*|footprint|peak|memory of|uses?|"
                            r"using only|consumer)\b[^.;]{0,25}$", re.I)
_BASE_LIST_RX = re.compile(r"[^;.()\d]{0,40}(?:,|\band\b|\bor\b)\s*(?:the\s+)?$", re.I)
_BY_END = re.compile(r"\bby\s*(?:up to|over|more than|at least|about|approximately|around|"
                     r"nearly|roughly|an average of|on average|~|\+)?\s*$", re.I)
_STAT_SUBJECT = re.compile(r"^\s*(?:only |about |over |nearly |almost |approximately |roughly |"
                           r"just |more than |less than |~)?$", re.I)
_RESULT_VERB = re.compile(r"\b(?:achiev\w*|reach\w*|attain\w*|obtain\w*|scor\w*|record\w*)\b"
                          r"[^,;]{0,30}$", re.I)
_POINT_GAIN = re.compile(r"^\s*(?:absolute\s+)?(?:gain|improvement|increase|boost|lead|margin|"
                         r"drop|reduction)", re.I)
_BASELINE_SUBJECT = re.compile(r"\s*(?:the |a |existing |strong |these |such )?baselines?\b",
                               re.I)
_HARDWARE_RX = re.compile(r"\b(?:[AHV]100|A6000|RTX|\d{4} ?Ti|GPUs|TPUs|nodes|cards)\b")
_TOKENS_CONTEXT = re.compile(r"context|window|sequence length|long-?context", re.I)
_TIME_AFTER_BAD = re.compile(r"^\s*(?:of\b|old\b|ago\b|after\b|before\b|post\b|follow|"
                             r"(?:[\w-]+ )?(?:tiers?|budgets?|windows?|timeouts?|thresholds?|"
                             r"limits?|chunks?|segments?|clips?|intervals?|horizons?|"
                             r"constraints?|caps?|deadlines?|resolution|cadence|exposures?|"
                             r"observations?|recordings?|videos?|audio|trajector\w+|episodes?)\b)",
                             re.I)
_MULT_AFTER_BAD = re.compile(r"^\s*(?:more (?:data|samples|parameters|examples)|larger (?:data|"
                             r"model)|the (?:size|number))", re.I)


_GAIN_BEFORE = re.compile(r"(?:\bby|\+|\bgains? of|\bimprovements? of|\bincrease of)\s*"
                          r"(?:up to |about |approximately |nearly |over |~)?$", re.I)
_LIST_NEXT = re.compile(r"^(?:\s*(?:,|and|or|,\s*and)\s*[~$<>]*\d[\d.,]*\s*(?:\\?%|x|points)?"
                        r"\$?)+(?=\s+[A-Za-z])")
_DIGIT_RX = re.compile(r"\d")
_SAVINGS = ("memory", "compression", "compute", "cost")


def _metric_unit(name: str) -> str:
    """One spelling per metric as a unit ("mean IOU" -> "IoU")."""
    key = name.lower().removeprefix("mean ")
    return {"iou": "IoU", "accuracy": "accuracy", "top-1 accuracy": "accuracy"}.get(key, name)


_COMPARE_WORD = re.compile(r"\b(?:(?<!by )over(?!\s*[~$]*\d)|(?<!more )(?<!less )than|vs\.?|"
                           r"versus|compared (?:to|with)|relative to|against)\b", re.I)
_AT_BEFORE = re.compile(r"\b(?:at|under|for|on|in)\s+(?:a\s+|an\s+|the\s+)?$", re.I)
_COMPUTE_MOD = re.compile(r"comput\w*", re.I)
_SPEED_VERB = re.compile(r"\bspeed(?:s|ing)? up|\baccelerat\w*|\bfaster\b|\bspeed-?ups?\b", re.I)
_GENERIC_QUALITY = re.compile(r"improv\w*|gains?|better|higher|outperform\w*|performance|"
                              r"surpass\w*|quality|scores?|success|benchmark", re.I)
_GAIN_WORD = re.compile(r"\b(?:improv\w*|gains?|increas\w*|higher|better|boost\w*|"
                        r"outperform\w*|surpass\w*|more|relative|reduc\w*|lower|fewer|less|"
                        r"decreas\w*|exceed\w*|over)\b|\+", re.I)
_MULT_RATE = re.compile(r"^\s*(?:(?:a|per)\s+(?:second|minute|hour|day|week|month|year)|"
                        r"(?:[\w-]+\s+)?cross-?validation|CV\b|of (?:the )?(?:native|original|"
                        r"training) (?:length|resolution|size))\b", re.I)
# a factor of quality needs a word saying it is better ("improves RMSE by 30x", "30x lower error")
_QUALITY_X = re.compile(r"improv\w*|better|lower|reduc\w*|higher|boost\w*|gains?|increas\w*|"
                        r"fewer errors|more accurate|outperform\w*", re.I)
_SIZE_AFTER = re.compile(r"^\s*(?:-fold\s+)?(?:larger|bigger|smaller|more data|data|the size|"
                         r"the coverage|the scale|(?:in )?(?:model )?(?:size|scale)|more "
                         r"(?:params|parameters|data)|the (?:radius|mass|diameter|luminosity|"
                         r"number|distance|area|volume|brightness|density))\b", re.I)
_DATA_AFTER = re.compile(r"^\s*(?:less|fewer|more)\s+(?:[\w-]+\s+)?(?:samples|data|examples|"
                         r"images|videos|labels|annotations|demonstrations|molecules|"
                         r"repositories|papers|documents|structures|points|users|sequences)\b",
                         re.I)
_SCALE_SETUP_BEFORE = re.compile(r"(?:\b(?:sizes?|scales?|variants?|famil(?:y|ies)|"
                                 r"architectures|regardless)\b[^.;]{0,20}|\bat\s*|"
                                 r"\b(?:on|to|for) (?:an?|the) [\w.-]+ (?:model|LLM) with\s*)$",
                                 re.I)
_SCALE_PLURAL_AFTER = re.compile(r"^\s*(?:[\w-]+\s+)?(?:models|LLMs|variants|networks|"
                                 r"families|backbones)\b", re.I)
_BITS_OTHER = re.compile(r"(?:\b(?:than|vs\.?|versus|compared (?:to|with)|outperform\w*|"
                         r"surpass\w*)\s+(?:the\s+)?(?:(?!(?:for|on|in|with|at|to|by)\b)"
                         r"[\w.-]+\s+){0,3}|\bof\s+[\w.-]+,\s*an?\s*)$",
                         re.I)
_BITS_RESULT = re.compile(r"\b(?:achiev\w*|enabl\w*|compress\w*|quantiz\w* (?:to|into)|"
                          r"reach\w*|introduc\w*|present\w*|propos\w*)\b", re.I)
_SPREAD_BEFORE = re.compile(r"(?:\b(?:spans?|spanning|var(?:y|ies|ied)|ranges?|ranging|differs?|"
                            r"differ\w*)\s+(?:by\s+)?|\bcosts?\s+)(?:over|up to|about|more than|"
                            r"roughly|~|nearly)?\s*$", re.I)
_OTHER_MODELS = re.compile(r"\b(?:outperform\w*|surpass\w*|beat\w*|match\w*|exceed\w*|than|"
                           r"comparable to|compared (?:to|with)|rival\w*|against|baselines?|"
                           r"teachers?|models|LLMs|alternatives|variants|counterparts)\b"
                           r"[^.;]{0,40}$", re.I)


def _after_list(after: str) -> str:
    """What follows a list of numbers ("0.77 and 0.63 mean IoU" -> " mean IoU")."""
    m = _LIST_NEXT.match(after)
    return " " + after[m.end():] if m else after
_METRIC_LINK_RX = re.compile(r"(?:of|=|:|is|reach\w*|achieves?|to|~|approximately|about|"
                             r"around|roughly)\s*$")


def _sentences(text: str) -> list[int]:
    """Start offsets of the sentences of `text`."""
    starts = [0]
    for m in _SENT_RX.finditer(text):
        if _ABBREV_RX.search(text, max(0, m.start() - 8), m.start()):
            continue
        starts.append(m.end())
    return starts


class _Ctx:
    """Per-number view of its sentence and clause."""

    def __init__(self, text: str, n: Num, s_start: int, s_end: int) -> None:
        self.text = text
        self.s_start, self.s_end = s_start, s_end
        self.sentence = text[s_start:s_end]
        b0 = max(s_start, n.start - 80)
        before = text[b0:n.start]
        cuts = list(_CLAUSE_BEFORE.finditer(before))
        self.before_start = b0 + (cuts[-1].end() if cuts else 0)
        self.before = text[self.before_start:n.start]
        a1 = min(s_end, n.end + 60)
        after = text[n.end:a1]
        # "98.0% and 87.8% task success rates": the cue follows the list
        lst = _LIST_NEXT.match(after)
        self.after_off = n.end
        if lst:
            after = " " + after[lst.end():]
            self.after_off = n.end + lst.end() - 1
        cut = _CLAUSE_AFTER.search(after)
        self.after = after[:cut.start()] if cut else after
        self.after_raw = after
        self.near_before = text[max(s_start, n.start - 40):n.start]


def _nearest_kind(ctx: _Ctx, n: Num) -> tuple[str | None, int, int, str]:
    """Kind from the nearest cue: right after the number, then before it in its clause.

    Returns (kind, cue start, cue end, where) with offsets in the flattened text.
    """
    by_first = bool(_BY_END.search(ctx.before))   # "reduces FLOPs by 49%": the thing is before
    m = None if _SETTING_AFTER.match(ctx.after) else lx.ANY_KIND_RX.search(ctx.after)
    if by_first and m and m.start() > 12:
        close = lx.ANY_KIND_RX.search(ctx.before, max(0, len(ctx.before) - 40))
        by_first = close is not None
    else:
        by_first = False
    if m and m.lastgroup == "quality" and _GENERIC_QUALITY.fullmatch(m.group()):
        # "600% improvement in transpilation time": the specific cue names the kind
        for m2 in lx.ANY_KIND_RX.finditer(ctx.after, m.end(), m.end() + 30):
            if m2.lastgroup and m2.lastgroup != "quality":
                m = m2
                break
    if m and m.lastgroup == "compute" and _COMPUTE_MOD.fullmatch(m.group()):
        # "1000-fold computational speedup": the speed word is the head
        head = lx.ANY_KIND_RX.search(ctx.after, m.end(), m.end() + 2 + 20)
        if head and head.lastgroup == "speedup" and head.start() - m.end() <= 2:
            m = head
    if m and m.lastgroup and not by_first:
        return m.lastgroup, ctx.after_off + m.start(), ctx.after_off + m.end(), "after"
    last = None
    # cues inside the baseline's name do not count ("improves over the strongest compression
    # baseline by 5.9%" is a gain, not compression)
    cmp_ = list(_COMPARE_WORD.finditer(ctx.before))
    stop = len(ctx.before)
    if cmp_ and _BY_END.search(ctx.before) and not re.search(
            r"\b(?:and|while|whereas|but)\b|[,;]", ctx.before[cmp_[-1].end():]):
        stop = cmp_[-1].start()   # "over <baseline> by N": the baseline's name runs to "by"
    for m in lx.ANY_KIND_RX.finditer(ctx.before, 0, stop):
        # "memory cost", "throughput improvement": the modifier names the kind.
        if not (last is not None and m.start() - last.end() <= 1
                and not _GENERIC_QUALITY.fullmatch(last.group())):
            last = m
    if last is not None and last.lastgroup:
        k = last.lastgroup
        if k == "compute" and _SPEED_VERB.search(ctx.before):
            k = "speedup"   # "speeding up MCMC computations by 10-1000x"
        return k, ctx.before_start + last.start(), ctx.before_start + last.end(), "before"
    return None, 0, 0, ""


def _sentence_kind(ctx: _Ctx, s_start: int, n: Num, max_dist: int = 10_000) -> str | None:
    best: tuple[int, str] | None = None
    for m in lx.ANY_KIND_RX.finditer(ctx.sentence):
        if not m.lastgroup:
            continue
        pos = s_start + m.start()
        dist = n.start - pos if pos < n.start else pos - n.end
        if dist <= max_dist and (best is None or dist < best[0]):
            best = (dist, m.lastgroup)
    return best[1] if best else None


def extract_claims(abstract: str, method: str | None = None) -> list[Claim]:
    """The quantitative claims `abstract` makes about its own result, in text order.

    `method`: "learned" (default when the weights file is present: the rules' verdicts and
    cues are features of a logistic model over every candidate number, learned.py) or
    "rules" (the rules alone).
    """
    learned = (method or DEFAULT_METHOD) == "learned"
    claims: list[Claim] = []
    for cand in candidates(abstract):
        if learned and cand.ctx is not None:   # W4A8 patterns are exact: rules decide
            if cand.guess is None or score(cand.features) < THRESHOLD:
                continue
            kind, unit, cue = cand.guess
        elif cand.rule is None:
            continue
        else:
            kind, unit, cue = cand.rule
        c = cand.make(kind, unit, cue)
        if c is not None:
            claims.append(c)
    claims.sort(key=lambda c: c.start)
    return claims


Decision = tuple[str, str, tuple[int, int, str]]   # kind, unit, cue (start, end, where)


class Candidate:
    """One number of an abstract with the rules' verdict (`rule`), the kind it would have
    (`guess`) and the features the learned model scores; `make()` builds its Claim."""

    __slots__ = ("_add", "_feats", "ctx", "guess", "n", "rule")

    def __init__(self, n: Num, ctx: _Ctx | None, rule: Decision | None, guess: Decision | None,
                 feats: Any, add: Any) -> None:
        self.n, self.ctx, self.rule, self.guess = n, ctx, rule, guess
        self._feats = feats
        self._add = add

    @property
    def features(self) -> list[str]:
        """The learned model's features (computed when asked: the rules do not need them)."""
        f: list[str] = self._feats() if callable(self._feats) else self._feats
        return f

    def make(self, kind: str, unit: str, cue: tuple[int, int, str]) -> Claim | None:
        c: Claim | None = self._add(kind, self.n, unit, self.ctx, cue)
        return c


def candidates(abstract: str) -> Iterator[Candidate]:
    """Every candidate number of `abstract`, in text order, with the rules' verdict."""
    if not abstract or not _DIGIT_RX.search(abstract):
        return
    norm = normalize(abstract)
    text = norm.text
    cands = [n for n in find_numbers(text) if _candidate(text, n)]
    wa = list(WA_RX.finditer(text)) if "W" in text else []
    if not cands and not wa:
        return
    starts = _sentences(text)
    low_text = text.lower()
    kv_paper = ("kv" in low_text or "key-value" in low_text) and bool(lx.KV_RX.search(text))
    quant_paper = bool(lx.QUANT_CONTEXT_RX.search(text))
    seen: set[tuple[str, float, float | None]] = set()
    last: dict[int, tuple[str, str]] = {}   # sentence index -> (unit class, kind) of last claim
    flags: dict[int, tuple[bool, bool, bool]] = {}   # sentence index -> own, background, others

    def add(kind: str, n: Num, unit: str, ctx: _Ctx | None, cue: tuple[int, int, str]
            ) -> Claim | None:
        key = (kind, round(n.value, 6), n.low)
        if key in seen:
            return None
        start, end = n.start, n.end
        if ctx is not None:
            p = _PREFIX_RX.search(ctx.before, max(0, len(ctx.before) - 40))
            if p and p.start() < len(ctx.before):
                start = ctx.before_start + p.start()
        what = _what(text, n, ctx, cue)
        if cue[2] == "after" and cue[1] - end <= 40:
            end = cue[1]
        o_start, o_end = norm.to_original(start, end)
        o_start, o_end = _balance_math(abstract, o_start, o_end)
        low = n.low if n.low is not None else None
        high = n.high if n.low is not None else None
        span = abstract[o_start:o_end]
        if ctx is not None:
            s_end = min(len(text), ctx.s_end)
            wide = text[max(ctx.s_start, n.start - 80):start]
            f = facets(kind, n.value, unit, what, text[start:end], wide,
                       text[n.end:min(s_end, n.end + 120)], ctx.sentence)
            if f.direction == "increase" and kind in ("memory", "compute", "cost"):
                return None   # "consumes 1000x more tokens": a finding about a cost
        else:
            f = facets(kind, n.value, unit, what, text[start:end], "", "", "")
        seen.add(key)
        return Claim(kind, n.value, unit, what, span, low, high, o_start, o_end, f.direction,
                     f.norm_value, f.norm_unit, f.subkind, f.baseline, f.condition)

    prev_base: Num | None = None   # the last number ruled out as a baseline
    n_sent = len(starts)
    for n in cands:
        si = bisect_right(starts, n.start) - 1
        s_start = starts[si]
        s_end = starts[si + 1] if si + 1 < len(starts) else len(text)
        ctx = _Ctx(text, n, s_start, s_end)
        gate = _gate(n, ctx, prev_base, s_start, text)
        if gate in ("list", "baseline"):
            prev_base = n
        if si not in flags:
            sent = ctx.sentence
            flags[si] = (bool(lx.SELF_RX.search(sent)),
                         _background(sent)
                         and not lx.STRONG_SELF_RX.search(sent),
                         bool(lx.OTHERS_RX.search(sent))
                         or (bool(lx.OTHERS_WEAK_RX.search(sent))
                             and not lx.STRONG_SELF_RX.search(sent)))
        got = None
        if gate is None:
            got = _classify(n, ctx, s_start, last.get(si), kv_paper, quant_paper, flags[si])
            if got is not None:
                last[si] = (n.unit_class, got[0])
        guess = got or _guess(n, ctx, s_start, last.get(si), kv_paper)
        yield Candidate(n, ctx, got, guess,
                        partial(features, n, ctx, gate, got, guess, flags[si], si, n_sent,
                                quant_paper), add)
    for m in wa:
        if quant_paper:
            w = Num(m.start(), m.end(), float(m.group("w")), "bits", "bits")
            d: Decision = ("precision", "bits", (0, 0, ""))
            yield Candidate(w, None, d, d, ["wa", "rule=ok", "u=bits"], add)


def _gate(n: Num, ctx: _Ctx, prev_base: Num | None, s_start: int, text: str) -> str | None:
    """Why the number is ruled out before its kind is looked at (None: it is not)."""
    if n.baseline or lx.ARROW_AFTER_RX.match(ctx.after_raw):
        return "start"
    if (prev_base is not None and prev_base.unit_class == n.unit_class
            and prev_base.end >= s_start
            and _BASE_LIST_RX.match(text, prev_base.end, n.start)
            and not re.match(r"^\s*(?:vs\.?|versus)\s", ctx.after_raw)):
        # "(vs. 79.1% for A and 97.6% for B)": the list goes on, unless a new "X vs Y" starts
        return "list"
    if lx.BASELINE_BEFORE_RX.search(ctx.near_before):
        return "baseline"
    if lx.PAREN_BASELINE_RX.search(ctx.before):
        return "paren"
    if lx.SETTING_BEFORE_RX.search(ctx.near_before):
        return "setting"
    if (n.low is not None and n.low == 0) or ctx.near_before.rstrip().endswith(
            ("\u00b1", "+-", "+/-")):
        return "pm"
    if lx.OTHERS_REL_RX.search(ctx.before) or (lx.OTHERS_CLAUSE_RX.search(ctx.before)
                                               and not lx.COMPARED_CLAUSE_RX.search(ctx.before)):
        return "others"
    return None


_GUESS_UNIT = {"pts": ("quality", "points"), "bits": ("precision", "bits"),
               "params": ("scale", "params"), "tokens": ("scale", "tokens"),
               "usd": ("cost", "usd"), "gpuh": ("cost", ""), "fps": ("speedup", "fps")}


def _guess(n: Num, ctx: _Ctx, s_start: int, prev: tuple[str, str] | None, kv_paper: bool
           ) -> Decision | None:
    """The kind and unit a number the rules dropped would have as a claim."""
    uc = n.unit_class
    kind, c0, c1, where = _nearest_kind(ctx, n)
    cue = (c0, c1, where)
    if uc in ("pct", "mult"):
        k = kind or (prev[1] if prev and prev[0] == uc else None) or (
            "quality" if uc == "pct" else _sentence_kind(ctx, s_start, n))
        if k is None or k == "scale":
            return None
        if k == "compression" and kv_paper:
            k = "memory"
        return k, "%" if uc == "pct" else "x", cue
    if uc in _GUESS_UNIT:
        k, unit = _GUESS_UNIT[uc]
        return k, unit or n.unit, cue
    if uc == "bytes":
        return "memory", n.unit, cue
    if uc == "time":
        unit = _TIME_UNITS.get(n.unit.lower(), n.unit)
        return ("speedup" if unit in ("ms", "us", "s") else "cost"), unit, cue
    if uc == "metric":
        return "quality", n.unit, cue
    if uc == "bare":
        mm = lx.METRIC_NAME_RX.search(ctx.near_before)
        ma = lx.METRIC_AFTER_RX.match(_after_list(ctx.after_raw))
        if mm:
            return "quality", mm.group("metric"), (0, 0, "")
        if ma:
            return "quality", _metric_unit(ma.group("metric")), (0, 0, "")
    return None


def _background(sent: str) -> bool:
    """A background word that is not the object of a comparison ("than existing methods",
    "in comparison to the existing model" compare against them: a result)."""
    for m in lx.BACKGROUND_RX.finditer(sent):
        if not lx.COMPARED_TO_RX.search(sent, max(0, m.start() - 40), m.start()):
            return True
    return False


def text_of(ctx: _Ctx, n: Num) -> str:
    return ctx.text[n.start:n.end]


def _candidate(text: str, n: Num) -> bool:
    """Cheap first filter: a bare number only counts after a metric name ("FID of 2.11")."""
    if n.unit_class != "bare" or n.magnitude:
        return True
    return bool((_METRIC_LINK_RX.search(text, max(0, n.start - 12), n.start)
                 and lx.METRIC_NAME_RX.search(text, max(0, n.start - 40), n.start))
                or lx.METRIC_AFTER_RX.match(_after_list(text[n.end:n.end + 60])))


def _classify(n: Num, ctx: _Ctx, s_start: int, prev: tuple[str, str] | None,
              kv_paper: bool, quant_paper: bool, flags: tuple[bool, bool, bool]
              ) -> tuple[str, str, tuple[int, int, str]] | None:
    uc = n.unit_class
    sent = ctx.sentence
    own, background, others = flags
    if _BASELINE_SUBJECT.match(sent):
        return None
    kind, c0, c1, where = _nearest_kind(ctx, n)
    cue = (c0, c1, where)

    def inherit_or_sentence() -> str | None:
        if prev is not None and prev[0] == uc:
            return prev[1]
        return _sentence_kind(ctx, s_start, n)

    if uc == "mult":
        if (background or _MULT_AFTER_BAD.match(ctx.after)
                or _MULT_RATE.match(ctx.after_raw) or _DATA_AFTER.match(ctx.after_raw)
                or _SPREAD_BEFORE.search(ctx.near_before)
                or re.match(r"^\s*the (?:radius|mass|diameter|luminosity|distance|area|"
                            r"volume|brightness|density)\b", ctx.after_raw, re.I)):
            return None
        k = kind or (prev[1] if prev is not None and prev[0] == uc
                     else _sentence_kind(ctx, s_start, n, 60))
        if k is None or k == "scale":
            return None
        if (k == "quality" and not (_QUALITY_X.search(f"{ctx.before} {text_of(ctx, n)} "
                                                     f"{ctx.after}"))) or _SIZE_AFTER.match(
                ctx.after_raw) or _DATA_AFTER.match(ctx.after_raw):
            return None   # "models 50x larger", "100x data": sizes, not a better score
        if k == "compression" and kv_paper and not re.search(
                r"param|model size|smaller model", f"{ctx.before} {ctx.after}", re.I):
            k = "memory"
        return k, "x", cue
    if uc == "pct":
        if (background or not own or lx.SHARE_OF_DATA_RX.match(ctx.after_raw)
                or lx.SUBSET_AFTER_RX.match(ctx.after_raw)
                or lx.INTERVAL_BEFORE_RX.search(ctx.near_before)):
            return None
        if lx.PARAM_SHARE_RX.match(ctx.after_raw) and (
                lx.PARAM_TUNE_RX.search(sent) or "param" in ctx.near_before.lower()):
            return None   # "fine-tunes only 0.05% of the parameters": the method's setup
        if _STAT_SUBJECT.match(ctx.before) and ctx.after_raw.lstrip().startswith("of "):
            return None   # "61% of the suggestions were edited": a statistic, not a result
        if re.match(r"^\s*/\s*\d+(?:\.\d+)?\s*[a-zA-Z]", ctx.after_raw):
            return None   # "a 2%/2mm criterion": a setting ("+36.11%/+34.21%" is a pair)
        k = kind
        if k is None and _RESULT_VERB.search(ctx.before):
            k = "quality"   # "achieve more than 90% validity": a score, whatever else is near
        k = k or inherit_or_sentence()
        if k is None:
            return None
        if k == "quality" and (others or re.search(r"\bat (?:a |an )?$", ctx.before)):
            return None
        if k in _SAVINGS:
            if n.value > 100 or (where not in ("after", "before") and not (
                    prev is not None and prev[0] == uc and prev[1] == k)):
                return None   # a saving needs its cue in the clause (or a list of them)
            if (lx.RATE_AFTER_RX.match(_after_list(ctx.after_raw))
                    or lx.RATE_BEFORE_RX.search(ctx.near_before)):
                k = "quality" if own else ""
                if not k:
                    return None
        elif k == "quality" and n.value > 100 and not _GAIN_WORD.search(
                f"{ctx.near_before} {text_of(ctx, n)} {ctx.after}"):
            return None   # "magnetoresistance reaching 1400%": a measurement, not a score
        elif k == "quality" and lx.RATE_AFTER_RX.match(ctx.after_raw) is None and (
                where == "" and not _RESULT_VERB.search(ctx.before) and n.value >= 100):
            return None   # a bare "100%" with no cue near: rarely a score
        if k == "compression" and kv_paper and not re.search(r"spars|prun|param|model size",
                                                             f"{ctx.before} {ctx.after}", re.I):
            k = "memory"
        return k, "%", cue
    if uc == "pts":
        if background or not own or others:
            return None
        if "-point" in text_of(ctx, n) and not _POINT_GAIN.match(ctx.after_raw):
            return None
        return "quality", "points", cue
    if uc == "bits":
        if background or not own or not quant_paper or n.value > 8 or n.value <= 0:
            return None
        if re.match(r"^\s*(?:per (?:pixel|sample|dimension|channel|symbol|byte|character|"
                    r"char|token|second)|\(?bp[bcps]\b)", ctx.after_raw, re.I):
            return None
        if _BITS_OTHER.search(ctx.near_before):
            return None   # "than the seminal BitNet 1.58-bit", "of BitMamba-2, a 1.58-bit model"
        if re.search(r"\b(?:more than|over|at least|beyond)\s*$|\bunder\b[^,;]{0,40}\bof\s*$",
                     ctx.before, re.I) or not (lx.STRONG_SELF_RX.search(sent)
                                               or _BITS_RESULT.search(sent)):
            return None   # "scale to more than 1 bit", a 1-bit setting of an analysis
        return "precision", "bits", (0, 0, "")
    if uc in ("params", "tokens"):
        if not n.magnitude and n.value < 1e5:
            return None
        if (lx.DATA_CONTEXT_RX.search(ctx.before) or lx.SETUP_SCALE_RX.search(ctx.before)
                or background):
            return None
        if uc == "tokens" and (not (_TOKENS_CONTEXT.search(ctx.after)
                                    or _TOKENS_CONTEXT.search(ctx.before))
                               or _AT_BEFORE.search(ctx.near_before)):
            return None
        if not lx.SCALE_SELF_RX.search(ctx.before) and not re.search(r"\bour\b", ctx.before,
                                                                     re.I):
            return None
        if _OTHER_MODELS.search(ctx.before) or (re.search(r"\bthe\s*$", ctx.before, re.I)
                                                and not re.search(r"\bour\b", sent, re.I)):
            return None   # "outperforms models with up to 72B parameters": others' sizes
        if (n.low is not None or _SCALE_SETUP_BEFORE.search(ctx.before)
                or _SCALE_PLURAL_AFTER.match(ctx.after_raw)):
            return None   # "scales (4B to 32B parameters)", "noted at 72B": models studied
        return "scale", _UNIT_LABEL[uc], (0, 0, "")
    if uc == "bare":
        if n.magnitude and re.match(r"^\s*-?\s*context", ctx.after_raw, re.I):
            if lx.DATA_CONTEXT_RX.search(ctx.before) or _AT_BEFORE.search(ctx.near_before):
                return None   # "at 128K context": the condition of another claim
            return "scale", "tokens", (0, 0, "")
        mm = lx.METRIC_NAME_RX.search(ctx.near_before)   # "(MAE: 0.0130": past the colon
        if mm and not background and not others:
            return "quality", mm.group("metric"), (0, 0, "")
        ma = lx.METRIC_AFTER_RX.match(_after_list(ctx.after_raw))
        if ma and not background and not others and own and not n.magnitude:
            if _GAIN_BEFORE.search(ctx.before):   # "improves by 2.1 mAP": a gain in points
                return "quality", "points", (0, 0, "")
            return "quality", _metric_unit(ma.group("metric")), (0, 0, "")
        return None
    if uc == "usd":
        if background or not own or not lx.COST_CUE_RX.search(sent):
            return None
        return "cost", "usd", cue
    if uc == "bytes":
        if background or lx.DATA_CONTEXT_RX.search(ctx.before) or _HARDWARE_RX.search(ctx.before):
            return None
        if not (_MEMORY_BEFORE.search(ctx.before)
                or re.match(r"^\s*(?:of )?(?:GPU )?(?:memory|VRAM|RAM)\b", ctx.after_raw, re.I)):
            return None
        return "memory", n.unit, cue
    if uc == "gpuh":
        if background:
            return None
        return "cost", n.unit, cue
    if uc == "time":
        if background or not own or _TIME_AFTER_BAD.match(ctx.after_raw):
            return None
        unit = _TIME_UNITS.get(n.unit.lower(), n.unit)
        if n.unit == "s" and n.value.is_integer() and 1900 <= n.value <= 2100:
            return None
        if unit in ("ms", "us", "s"):
            if _LATENCY_CUE.search(sent):
                return "speedup", unit, cue
            return None
        if unit in ("days", "weeks") and not re.search(r"GPU|train", sent):
            return None
        if _COST_TIME_BEFORE.search(ctx.before) or _COST_TIME_AFTER.match(ctx.after_raw):
            return "cost", unit, cue
        return None
    if uc == "fps":
        if background:
            return None
        return "speedup", "fps", cue
    if uc == "metric":
        if background:
            return None
        if n.unit == "dB" or lx.METRIC_NAME_RX.search(ctx.before) or re.search(
                r"MPJPE|error|distance|PSNR|accuracy|precision", sent):
            return "quality", n.unit, cue
        if prev is not None and prev[0] == uc:
            return prev[1], n.unit, cue
        return None
    return None


_WHAT_TRIM = re.compile(r"^(?:\s|of\b|the\b|in\b|on\b|a\b|an\b|-)+|(?:\s|\bby\b|\bof\b|\bup to\b|"
                        r"\bmore than\b|\bover\b|\bat least\b|\bto\b|\bwith\b|\ba\b|\ban\b|"
                        r"\bthe\b|~|\+)+$", re.I)


def _what(text: str, n: Num, ctx: _Ctx | None, cue: tuple[int, int, str]) -> str:
    if ctx is None:
        return "weight/activation bits"
    c0, c1, where = cue
    if where == "after" and c1 - n.end <= 40:
        phrase = text[n.end:c1]
    elif where == "before":
        phrase = text[c0:n.start]
    else:
        phrase = ctx.after if ctx.after.strip() else ctx.before
    phrase = " ".join(phrase.split())
    phrase = _WHAT_TRIM.sub("", phrase)
    return phrase[:80]


def _balance_math(s: str, start: int, end: int) -> tuple[int, int]:
    """Widen [start, end) so it does not cut a $...$ math span in half."""
    span = s[start:end]
    if (span.count("$") - span.count("\\$")) % 2 == 0:
        return start, end
    nxt = s.find("$", end)
    if nxt != -1 and nxt - end <= 12:
        return start, nxt + 1
    prv = s.rfind("$", 0, start)
    if prv != -1 and start - prv <= 12:
        return prv, end
    return start, end
