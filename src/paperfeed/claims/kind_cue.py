"""Which kind of claim a number is, from the nearest cue word (after it, then before it)."""

from __future__ import annotations

import re

from paperfeed.claims import lexicon as lx
from paperfeed.claims.context import Ctx
from paperfeed.claims.numbers import Num
from paperfeed.claims.patterns import (
    BY_END,
    COMPARE_WORD,
    COMPUTE_MOD,
    GENERIC_QUALITY,
    SETTING_AFTER,
    SPEED_VERB,
)

ON_METRIC = re.compile(r"^\s*(?:on|in)\s+(?:[\w-]+\s+){0,2}?(?:accuracy|F1(?:[- ]score)?|"
                       r"error|MAE|RMSE|success rate|precision|recall|throughput|latency|"
                       r"speed|memory(?: usage| footprint)?|FLOPs|energy)\b", re.I)
OVERHEAD = re.compile(r"overheads?", re.I)
# "surpassing the strongest memory system baselines by 11.16%": what follows names the other side
OUTDO = re.compile(r"\b(?:outperform|surpass|beat|exceed)\w*\b", re.I)
RATIO_CUE = re.compile(r"compression (?:ratios?|rates?)", re.I)   # beats "token" before it
# "an average reduction of 62% in Gaussians", "an improvement of 4% in accuracy": the "in"
# phrase after a change noun's "of N" names the thing changed, not a setting
CHANGE_OF = re.compile(r"\b(?:reductions?|improvements?|increases?|decreases?|gains?|drops?|"
                       r"savings?|declines?|boosts?)\s+of\s*(?:up to|about|approximately|"
                       r"around|nearly|over|more than|roughly|~)?\s*$", re.I)
GAIN_OF_THING = re.compile(r"\s+(?:(?:in|of|on|to)\s+)?(?:[\w-]+\s+){0,2}", re.I)
NEAR_START = re.compile(r"\s*(?:[\w-]+\s+)?")
CUE_OF = re.compile(r"(?<![\w-])(?P<cue>[\w-]+)\s+of\s*(?:up to|about|approximately|around|"
                    r"nearly|over|more than|roughly|~)?\s*$", re.I)
IN_THING = re.compile(r"^\s*in\b", re.I)
TIME_HEAD = re.compile(r"latency|latencies|run-?times?|inference time|TTFT|throughput", re.I)
# "computational time by 78.23%": after "computational" a time is the head (a speed-up, as the
# guide has it); "computational cost" stays compute
COMPUTE_TIME_HEAD = re.compile(r"times?|latency|latencies|run-?times?", re.I)


def _time_head(last: re.Match[str] | None, m: re.Match[str]) -> bool:
    """A time cue right after a modifier that does not name its kind ("compression latency",
    "KV cache latency", "computational time")."""
    if last is None:
        return False
    if last.lastgroup in ("compression", "memory"):
        return bool(TIME_HEAD.fullmatch(m.group()))
    return bool(last.lastgroup == "compute" and COMPUTE_MOD.fullmatch(last.group())
                and COMPUTE_TIME_HEAD.fullmatch(m.group()))


# Version 9: a list of numbers and a list of as many cues, matched by position ("up to 53%,
# 46.1%, and 57.9% in token, latency and energy reduction", "reduces latency and memory by 30%
# and 40%, respectively", "2.1x and 3.4x speedup and memory savings, respectively")
_NUM = r"[~$<>+-]*\d[\d.,]*\s*(?:%|x|times|points|pp)?"
_SEP = r"\s*(?:,\s*and|,|and)\s*(?:up to\s*|about\s*|over\s*|nearly\s*|~\s*)?"
LIST_BEFORE = re.compile(r"(?:" + _NUM + _SEP + r")+$", re.I)
LIST_AFTER = re.compile(r"(?:" + _SEP + _NUM + r")+", re.I)
# (the quick test before LIST_BEFORE: a separator right after a number)
SEP_END = re.compile(r"(?:[\d%x]|times|points|pp)\s*(?:,\s*and|,|and)\s*"
                     r"(?:up to\s*|about\s*|over\s*|nearly\s*|~\s*)?[~$<>+-]*$", re.I)
NUM_IN = re.compile(r"\d[\d.,]*")
_P = r"[\w-]+(?:\s+[\w-]+){0,2}?"
_CUES = r"(?P<cues>" + _P + r"(?:\s*,\s*" + _P + r")*\s*,?\s*(?:and|&)\s+" + _P + r")"
CUES_AFTER = re.compile(r"\s*(?:(?:reductions?|improvements?|gains?|savings?|speedups?)\s+)?"
                        r"(?:(?:in|of|for|on)\s+(?:the\s+|terms of\s+)?)?" + _CUES
                        + r"(?=\s*(?:[,;.)]|$|\s(?:reductions?|savings?|improvements?|gains?|"
                        r"respectively|compared|relative|over|than|while|and)\b))", re.I)
CUES_BEFORE = re.compile(_CUES + r"\s+(?:by|of|to|at|reach(?:es|ing)?)\s*(?:up to\s*|about\s*)?$",
                         re.I)
CUE_SPLIT = re.compile(r"\s*,\s*(?:and\s+)?|\s+(?:and|&)\s+", re.I)


def respective_kind(ctx: Ctx, n: Num) -> tuple[str, int, int, str] | None:
    """The kind of the cue at the number's position in a list of as many cues (None: the
    number is in no such list)."""
    text, lo = ctx.text, ctx.s_start
    after = LIST_AFTER.match(text, n.end, min(ctx.s_end, n.end + 80))
    before = (LIST_BEFORE.search(text, max(lo, n.start - 80), n.start)
              if SEP_END.search(text, max(lo, n.start - 16), n.start) else None)
    if before is None and after is None:
        return None
    k_before = len(NUM_IN.findall(before.group())) if before else 0
    k_after = len(NUM_IN.findall(after.group())) if after else 0
    list_start = before.start() if before else n.start
    list_end = after.end() if after else n.end
    total = k_before + 1 + k_after
    m = CUES_AFTER.match(text, list_end, min(ctx.s_end, list_end + 100))
    where = "after"
    if m is None and "respectively" in text[list_end:min(ctx.s_end, list_end + 40)]:
        m = CUES_BEFORE.search(text, max(lo, list_start - 100), list_start)
        where = "before"
    if m is None:
        return None
    cues = [c for c in CUE_SPLIT.split(m.group("cues")) if c]
    if len(cues) != total:
        return None
    kinds = [lx.ANY_KIND_RX.search(c) for c in cues]
    if any(k is None or not k.lastgroup for k in kinds) or len({k.lastgroup for k in kinds
                                                                if k}) < 2:
        return None   # a cue without a kind, or one kind for all (the usual rules decide)
    k = kinds[k_before]
    assert k is not None and k.lastgroup
    pos = m.start("cues")
    for c in cues[:k_before + 1]:
        pos = text.find(c, pos) + len(c)
    return k.lastgroup, pos - len(cues[k_before]), pos, where


def nearest_kind(ctx: Ctx, n: Num) -> tuple[str | None, int, int, str]:
    """Kind from the nearest cue: right after the number, then before it in its clause.

    Returns (kind, cue start, cue end, where) with offsets in the flattened text.
    """
    if "," in ctx.sentence or " and " in ctx.sentence:
        r = respective_kind(ctx, n)
        if r is not None:
            return r
    of = CUE_OF.search(ctx.before)
    if of is not None:
        c = lx.ANY_KIND_RX.fullmatch(ctx.before, of.start("cue"), of.end("cue"))
        if c is not None and c.lastgroup and not GENERIC_QUALITY.fullmatch(c.group()):
            a = lx.ANY_KIND_RX.search(ctx.after)
            if ctx.after_off != n.end or a is None or not NEAR_START.fullmatch(ctx.after, 0,
                                                                                a.start()):
                # "an acceleration of up to 5x or 3.5x improvement in accuracy", "a test
                # accuracy of 98% is achieved with an inference time of": the noun whose value
                # the number is names it, before a cue past a list or a few words
                # (not "the complexity of 5% model size")
                return (c.lastgroup, ctx.before_start + c.start(), ctx.before_start + c.end(),
                        "before")
    by_first = bool(BY_END.search(ctx.before))   # "reduces FLOPs by 49%": the thing is before
    m = None if SETTING_AFTER.match(ctx.after) else lx.ANY_KIND_RX.search(ctx.after)
    if m is None and (ON_METRIC.match(ctx.after) or (
            IN_THING.match(ctx.after) and CHANGE_OF.search(ctx.before))):
        m = lx.ANY_KIND_RX.search(ctx.after)   # "by 23.81% on forecasting accuracy"
    if by_first and m and m.start() > 12:
        close = lx.ANY_KIND_RX.search(ctx.before, max(0, len(ctx.before) - 40))
        by_first = close is not None
    else:
        by_first = False
    if m and m.lastgroup == "quality" and GENERIC_QUALITY.fullmatch(m.group()):
        # "600% improvement in transpilation time": the specific cue names the kind
        for m2 in lx.ANY_KIND_RX.finditer(ctx.after, m.end(), m.end() + 30):
            if m2.lastgroup and m2.lastgroup != "quality":
                m = m2
                break
            if (m2.lastgroup == "quality" and not GENERIC_QUALITY.fullmatch(m2.group())
                    and GAIN_OF_THING.fullmatch(ctx.after, m.end(), m2.start())
                    and NEAR_START.fullmatch(ctx.after, 0, m.start())):
                m = m2   # "3.5x improvement in accuracy": a score named after the gain word
                break    # (not a cue before it: "an acceleration of 5x or 3.5x improvement")
    if m and m.lastgroup == "compute" and COMPUTE_MOD.fullmatch(m.group()):
        # "1000-fold computational speedup": the speed word is the head
        head = lx.ANY_KIND_RX.search(ctx.after, m.end(), m.end() + 2 + 20)
        if head and head.lastgroup == "speedup" and head.start() - m.end() <= 2:
            m = head
    if m and m.lastgroup == "quality" and GENERIC_QUALITY.fullmatch(m.group()):
        # "training runtime with 5-10% improvement": a bare gain word after, the thing before
        spec = [b for b in lx.ANY_KIND_RX.finditer(ctx.before, max(0, len(ctx.before) - 40))
                if b.lastgroup and b.lastgroup != "quality"]
        if spec and not re.search(r"[,;]|\b(?:and|while)\b", ctx.before[spec[-1].end():]):
            b = spec[0]
            for s in spec[1:]:
                if s.start() - b.end() > 1:   # "computational cost": the modifier names it
                    b = s
            return b.lastgroup, ctx.before_start + b.start(), ctx.before_start + b.end(), "before"
    if m and m.lastgroup and not by_first:
        if m.lastgroup == "compute" and OVERHEAD.fullmatch(m.group()):
            # "only 1.9% overhead": a time overhead of the method ("cuts overhead by 90%" stays)
            return "speedup", ctx.after_off + m.start(), ctx.after_off + m.end(), "after"
        return m.lastgroup, ctx.after_off + m.start(), ctx.after_off + m.end(), "after"
    last = None
    # cues inside the baseline's name do not count ("improves over the strongest compression
    # baseline by 5.9%" is a gain, not compression)
    cmp_ = sorted([*COMPARE_WORD.finditer(ctx.before), *OUTDO.finditer(ctx.before)],
                  key=lambda c: c.start())
    stop = len(ctx.before)
    if cmp_ and BY_END.search(ctx.before) and not re.search(
            r"\b(?:and|while|whereas|but)\b|[,;]", ctx.before[cmp_[-1].end():]):
        # "over <baseline> by N": the baseline's name runs to "by" ("outperforms" itself counts)
        stop = cmp_[-1].end() if OUTDO.fullmatch(cmp_[-1].group()) else cmp_[-1].start()
    for m in lx.ANY_KIND_RX.finditer(ctx.before, 0, stop):
        # "memory cost", "throughput improvement": the modifier names the kind.
        if not (last is not None and m.start() - last.end() <= 1
                and not GENERIC_QUALITY.fullmatch(last.group())) or RATIO_CUE.fullmatch(
                m.group()) or _time_head(last, m):
            last = m   # (but "compression latency", "computational time": the time is the head)
    if last is not None and last.lastgroup:
        k = last.lastgroup
        if k == "compute" and SPEED_VERB.search(ctx.before):
            k = "speedup"   # "speeding up MCMC computations by 10-1000x"
        return k, ctx.before_start + last.start(), ctx.before_start + last.end(), "before"
    return None, 0, 0, ""


def sentence_kind(ctx: Ctx, s_start: int, n: Num, max_dist: int = 10_000,
                  skip_generic: bool = False) -> str | None:
    """The kind of the cue nearest to the number in its sentence (within max_dist characters;
    with skip_generic, bare gain words such as "improving" do not count)."""
    best: tuple[int, str] | None = None
    prev = None
    for m in lx.ANY_KIND_RX.finditer(ctx.sentence):
        if not m.lastgroup:
            continue
        kind = m.lastgroup
        if skip_generic and kind == "quality" and GENERIC_QUALITY.fullmatch(m.group()):
            continue
        if (prev is not None and prev.lastgroup and m.start() - prev.end() <= 1
                and not GENERIC_QUALITY.fullmatch(prev.group()) and not _time_head(prev, m)):
            kind = prev.lastgroup   # "computational cost": the modifier names the kind
        prev = m
        pos = s_start + m.start()
        dist = n.start - pos if pos < n.start else pos - n.end
        if dist <= max_dist and (best is None or dist < best[0]):
            best = (dist, kind)
    return best[1] if best else None


EFFICIENCY = frozenset({"speedup", "memory", "compute", "compression", "cost"})
_MOD = r"(?:(?:inference|training|peak|GPU|the)\s+)?"
COORD_AFTER = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+)" + _MOD, re.I)
COORD_BEFORE = re.compile(r"(?:,\s*(?:and\s+)?|\s+and\s+)" + _MOD + "$", re.I)


VERB_CUE = re.compile(r"accelerat(?:e|es|ed|ing)|compress(?:es|ed|ing)?|prun(?:e|es|ed|ing)|"
                      r"speeds? up|sped up|speeding up|faster|quicker|cheaper", re.I)


MULTIPLE_OF = re.compile(r"\s*(?:the|its|their|as much)\b", re.I)


def coordinated_kinds(ctx: Ctx, kind: str, cue: tuple[int, int, str], n: Num | None = None
                      ) -> list[str]:
    """Other efficiency kinds whose cue is coordinated with the claim's cue: one number for
    several ("reduces inference FLOPs and latency by up to 9x", "a 2-3x speedup and memory
    reduction", "10x reductions in parameter count, FLOPs, and energy")."""
    c0, c1, where = cue
    if kind not in EFFICIENCY or where not in ("after", "before"):
        return []
    text = ctx.text
    if (VERB_CUE.fullmatch(text, c0, c1) or "respectively" in ctx.after_raw
            or MULTIPLE_OF.match(ctx.after_raw)):
        return []   # "accelerates X by 1.5x": a verb heads its own clause; "by 13% and 16%,
        # respectively": one number per kind; "400 times the inference time, cost, and
        # carbon emissions": a multiple of amounts, not a saving of each
    if n is not None and respective_kind(ctx, n) is not None:
        return []   # "53%, 46.1%, and 57.9% in token, latency and energy": one kind each
    out: list[str] = []
    if where == "after":
        pos = c1
        end = min(ctx.s_end, c1 + 80)
        while True:
            m = COORD_AFTER.match(text, pos, end)
            if not m:
                break
            k = lx.ANY_KIND_RX.match(text, m.end(), end)
            if not k or not k.lastgroup or VERB_CUE.fullmatch(text, k.start(), k.end()):
                break
            if k.lastgroup in EFFICIENCY and k.lastgroup != kind and k.lastgroup not in out:
                out.append(k.lastgroup)
            pos = k.end()
    else:
        pos = c0
        lo = ctx.before_start
        while pos > lo:
            m = COORD_BEFORE.search(text, lo, pos)
            if not m:
                break
            ks = [k for k in lx.ANY_KIND_RX.finditer(text, max(lo, m.start() - 30), m.start())
                  if k.end() == m.start()]
            if not ks or not ks[-1].lastgroup:
                break
            k = ks[-1]
            if k.lastgroup in EFFICIENCY and k.lastgroup != kind and k.lastgroup not in out:
                out.append(k.lastgroup)
            pos = k.start()
    return out
