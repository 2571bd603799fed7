"""Extract an abstract's quantitative claims about its own result.

Pipeline: flatten LaTeX/unicode (normalize.py) -> find numbers with units and merge ranges
(numbers.py) -> for each number, decide from its sentence whether it states this paper's result
and which kind of claim it is (cue lexicons in lexicon.py) -> map the span back to the original.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator
from functools import partial
from typing import Any

from paperfeed.claims import lexicon as lx
from paperfeed.claims.claim import EXTRACTOR_VERSION, KINDS, Claim, Decision
from paperfeed.claims.classify import classify
from paperfeed.claims.context import (
    Ctx,
    LazyFlag,
    defined_metric_at,
    defined_metrics,
    is_candidate,
    method_names,
    sentence_starts,
)
from paperfeed.claims.gates import background_sentence, gate_reason, guess_kind
from paperfeed.claims.kind_cue import EFFICIENCY, coordinated_kinds
from paperfeed.claims.learned import DEFAULT_METHOD, THRESHOLD, features, score
from paperfeed.claims.normal import facets
from paperfeed.claims.normalize import normalize
from paperfeed.claims.numbers import WA_RX, Num, find_numbers
from paperfeed.claims.spans import PREFIX_RX, balance_math, has_digit, what_of

__all__ = ["EXTRACTOR_VERSION", "KINDS", "Candidate", "Claim", "candidates", "extract_claims"]

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




class Candidate:
    """One number of an abstract with the rules' verdict (`rule`), the kind it would have
    (`guess`) and the features the learned model scores; `make()` builds its Claim."""

    __slots__ = ("_add", "_feats", "_guess", "ctx", "n", "rule")

    def __init__(self, n: Num, ctx: Ctx | None, rule: Decision | None, guess: Any,
                 feats: Any, add: Any) -> None:
        self.n, self.ctx, self.rule = n, ctx, rule
        self._guess = guess   # a Decision, None, or a function computing it when asked
        self._feats = feats
        self._add = add

    @property
    def guess(self) -> Decision | None:
        """The kind the number would have as a claim (computed when asked: only the learned
        model and its training need it)."""
        if callable(self._guess):
            self._guess = self._guess()
        g: Decision | None = self._guess
        return g

    @property
    def features(self) -> list[str]:
        """The learned model's features (computed when asked: the rules do not need them)."""
        f: list[str] = self._feats(self.guess) if callable(self._feats) else self._feats
        return f

    def make(self, kind: str, unit: str, cue: tuple[int, int, str]) -> Claim | None:
        c: Claim | None = self._add(kind, self.n, unit, self.ctx, cue)
        return c


def candidates(abstract: str) -> Iterator[Candidate]:
    """Every candidate number of `abstract`, in text order, with the rules' verdict."""
    if not abstract or not has_digit(abstract):
        return
    norm = normalize(abstract)
    text = norm.text
    metrics: frozenset[str] | None = None   # the metrics the abstract defines, when asked
    cands = []
    for n in find_numbers(text):
        if is_candidate(text, n):
            cands.append(n)
        elif not n.magnitude and "." in text[n.start:n.end] and "(" in text:
            if metrics is None:
                metrics = defined_metrics(text)
            n.named = defined_metric_at(text, n, metrics) or "" if metrics else ""
            if n.named:
                cands.append(n)   # "65.89 Driving Score (DS)": a metric the abstract defines
    wa = list(WA_RX.finditer(text)) if "W" in text else []
    if not cands and not wa:
        return
    starts = sentence_starts(text)
    low_text = text.lower()
    kv_paper = ("kv" in low_text or "key-value" in low_text) and bool(lx.KV_RX.search(text))
    # both asked only when needed (a bit width, the learned model; a sentence without "we")
    quant_paper = LazyFlag(lambda: lx.QUANT_CONTEXT_RX.search(text))
    names: list[set[str]] = []   # "we introduce ProtoMech": ProtoMech is the paper's own
    seen: set[tuple[str, float, float | None]] = set()
    last: dict[int, tuple[str, str]] = {}   # sentence index -> (unit class, kind) of last claim
    flags: dict[int, tuple[bool, bool, bool]] = {}   # sentence index -> own, background, others

    def own_name(sent: str) -> bool:
        # "NeRV360 achieves ... compared to HNeRV, a representative prior work": a sentence
        # naming the paper's own method is about its result, whatever background word it has
        if not names:
            names.append(method_names(text))
        return any(m in sent for m in names[0])

    def sentence_flags(si: int, sent: str) -> tuple[bool, bool, bool]:
        f = flags.get(si)
        if f is None:
            if lx.SELF_RX.search(sent):
                own = True
            else:
                if not names:
                    names.append(method_names(text))
                own = any(m in sent for m in names[0])
            f = flags[si] = (own, background_sentence(sent) and not lx.STRONG_SELF_RX.search(sent)
                             and not own_name(sent),
                             bool(lx.OTHERS_RX.search(sent))
                             or (bool(lx.OTHERS_WEAK_RX.search(sent))
                                 and not lx.STRONG_SELF_RX.search(sent)))
        return f

    def add(kind: str, n: Num, unit: str, ctx: Ctx | None, cue: tuple[int, int, str]
            ) -> Claim | None:
        key = (kind, round(n.value, 6), n.low)
        if key in seen:
            return None
        start, end = n.start, n.end
        if ctx is not None:
            p = PREFIX_RX.search(ctx.before, max(0, len(ctx.before) - 40))
            if p and p.start() < len(ctx.before):
                start = ctx.before_start + p.start()
        what = what_of(text, n, ctx, cue)
        if cue[2] == "after" and cue[1] - end <= 40:
            end = cue[1]
        o_start, o_end = norm.to_original(start, end)
        o_start, o_end = balance_math(abstract, o_start, o_end)
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
        ctx = Ctx(text, n, s_start, s_end)
        gate = gate_reason(n, ctx, prev_base, s_start, text)
        if gate in ("list", "baseline", "paren"):
            prev_base = n
        got = None
        if gate is None:
            got = classify(n, ctx, s_start, last.get(si), kv_paper, quant_paper,
                           sentence_flags(si, ctx.sentence))
            if got is not None and n.unit_class != "flops" and not (
                    got[0] == "scale" and n.unit_class == "bare"):
                # (an operation count or a model size between scores, "42.9% mIoU with only
                # 5.5 GFLOPs, 80.5% on Cityscapes", "48.3% with our 32B model and 34.3% with
                # our 7B model", does not end the list of scores)
                last[si] = (n.unit_class, got[0])
        # what the learned model needs is computed only when it asks (with this point's state)
        guess = got or partial(guess_kind, n, ctx, s_start, last.get(si), kv_paper)
        feats = partial(_features, n, ctx, gate, got, partial(sentence_flags, si, ctx.sentence),
                        si, n_sent, quant_paper)
        yield Candidate(n, ctx, got, guess, feats, add)
        if got is not None and got[0] in EFFICIENCY:
            for k2 in coordinated_kinds(ctx, got[0], got[2], n):
                d2: Decision = (k2, got[1], got[2])
                yield Candidate(n, ctx, d2, d2, feats, add)
    for m in wa:
        if quant_paper:
            w = Num(m.start(), m.end(), float(m.group("w")), "bits", "bits")
            d: Decision = ("precision", "bits", (0, 0, ""))
            yield Candidate(w, None, d, d, ["wa", "rule=ok", "u=bits"], add)



def _features(n: Num, ctx: Ctx, gate: str | None, got: Decision | None, flags: Any, si: int,
              n_sent: int, quant_paper: LazyFlag, guess: Decision | None) -> list[str]:
    return features(n, ctx, gate, got, guess, flags(), si, n_sent, bool(quant_paper))
