"""Is a number the paper's own result, and which kind of claim: factors, percentages and points
here (their kind comes from cue words); the fixed-kind unit classes in classify_units.py."""

from __future__ import annotations

import re

from paperfeed.claims import lexicon as lx
from paperfeed.claims.classify_units import classify_unit
from paperfeed.claims.context import Ctx, LazyFlag, after_list, text_of
from paperfeed.claims.kind_cue import nearest_kind, sentence_kind
from paperfeed.claims.numbers import Num
from paperfeed.claims.patterns import (
    BASELINE_SUBJECT,
    BENCH_SUBJECT,
    BY_END,
    DATA_AFTER,
    GAIN_WORD,
    GENERIC_QUALITY,
    HARDWARE_RX,
    MULT_AFTER_BAD,
    MULT_RATE,
    NEGATED,
    POINT_GAIN,
    QUALITY_X,
    RESULT_VERB,
    SAVINGS,
    SIZE_AFTER,
    SPEED_EFFICIENCY,
    SPREAD_BEFORE,
    STAT_SUBJECT,
    SUCCESS_BEFORE,
    SUCCESS_SHARE,
)

GAIN_BY = re.compile(r"\b(?:improv|enhanc|boost|increas|reduc|lower|decreas|exceed|outperform|"
                     r"surpass)\w*\b[^,;]{0,50}\bby\s*(?:up to|more than|over|about|"
                     r"approximately|nearly|roughly|~)?\s*$", re.I)
QUALITY_NAME = re.compile(r"accura|F1|score|error|precision|recall|success", re.I)


PRONOUN_BY = re.compile(r"\b(?:improv|reduc|cut|lower|boost|increas|shorten|speed)\w* (?:it|them)"
                        r" by\s*(?:up to|about|over|nearly|~)?\s*$", re.I)
CORPUS_TOKENS = re.compile(r"\b(?:corpus|corpora)\b[^;]*\btokens\b|\btokens\b[^;]*\b(?:corpus|"
                           r"corpora)\b", re.I)
# "reducing 60% of visual tokens", "pruning 80% of the samples": a reduction, not a share
REDUCE_VERB_BEFORE = re.compile(r"\b(?:reduc|prun|remov|drop|eliminat|discard|cut|skip|sav)\w*\s*"
                                r"(?:up to |about |over |nearly |around |~)?$", re.I)
# "only 5-20% of the original tokens", "merely 2% of its training compute": the share of a
# resource the method needs (a saving of it; not "% of the time", "% of the training data")
RESOURCE_SHARE = re.compile(
    r"^\s*of\s+(?:(?:the|its|their|our|a|one|a single)\s+)?(?:(?:original|full|baseline|"
    r"standard|total|required|dense|uncompressed|vanilla|teacher's|model's)\s+)?"
    r"(?:[\w-]+\s+){0,2}?(?P<cue>(?:visual |vision |input |context |prompt )?tokens|compute|"
    r"FLOPs|(?:inference|training|decoding|encoding|prefill|wall-?clock|running|execution) time|"
    r"training (?:runs?|cost|compute|budget)|run-?time|latency|(?:drafting |training |"
    r"inference |computational )?cost|energy(?: consumption)?|(?:GPU )?memory|KV[- ]cache|"
    r"storage)\b", re.I)
# (a share of parameters is the method's setup: PARAM_SHARE_RX)
LIMIT_BEFORE = re.compile(r"(?<!steering )(?<!allocating )\b(?:only|just|merely|as little as|"
                          r"as few as)\s*(?:~|about|around|approximately|roughly|nearly)?\s*\$?$",
                          re.I)
TIMES_THE_COST = re.compile(r"^\s*the\s+(?:[\w-]+\s+)?(?:time|latency|run-?time|cost|memory|"
                            r"compute|energy|carbon)\b", re.I)
POINT_NOUN = re.compile(r"^\s*(?:[A-Za-z-]+\s+)?(?:clouds?|annotations?|sources?|"
                        r"correspondences?|sets?|labels?|masses|spreads?|functions?|estimates?|"
                        r"process(?:es)?|charges?|mutations?|scales?|lattices?|patterns?|"
                        r"distributions?|defects?|coordinates?|locations?|prompts?|samples?|"
                        r"features?|objects?|targets?|landmarks?|markers?|particles?)\b", re.I)
SLOWER = re.compile(r"^\s*(?:slower|more slowly)\b", re.I)
FINDING = re.compile(r"\bwe (?:find|identify|discover|observe|show that)\b|\bcan be found\b",
                     re.I)


# "reducing reasoning length by 36%", "reduces tool calls by 18%": generated length and calls
# are compute only when cut (version 8); not "recovers 59--96% of response length" (a finding),
# "8-17% of trajectories involving tool calls" (a statistic), "80x improvement in stable
# generation length" (a longer output is no saving)
LENGTH_CALLS = re.compile(r"(?:reasoning|response|output|generation|CoT|chain-of-thought|"
                          r"thinking|trace|answer|solution) lengths?|(?:tool|LLM|model|"
                          r"function) calls", re.I)
WORK_CUT = re.compile(r"\b(?:reduc\w*|shorten\w*|cut\w*|decreas\w*|lower\w*|fewer|shorter|"
                      r"less|compress\w*|skip\w*|sav\w*|drop\w*|trim\w*|only|just|merely)\b|"
                      r"-\s*$", re.I)


def work_cut(ctx: Ctx, n: Num, c0: int, c1: int) -> bool:
    """False for a compute cue that is a generated length or a count of calls with no cut of
    it next to the number (the other compute cues: always True)."""
    if c1 <= c0 or not LENGTH_CALLS.fullmatch(ctx.text, c0, c1):
        return True
    lo, hi = (n.end, c0) if c0 >= n.end else (c1, n.start)
    return bool(WORK_CUT.search(ctx.text, max(ctx.s_start, n.start - 80), n.start)
                or WORK_CUT.search(ctx.text, n.end, min(ctx.s_end, n.end + 40))
                or (lo < hi and WORK_CUT.search(ctx.text, lo, hi)))


def classify(n: Num, ctx: Ctx, s_start: int, prev: tuple[str, str] | None,
              kv_paper: bool, quant_paper: bool | LazyFlag, flags: tuple[bool, bool, bool]
              ) -> tuple[str, str, tuple[int, int, str]] | None:
    uc = n.unit_class
    sent = ctx.sentence
    own, background, others = flags
    if BASELINE_SUBJECT.match(sent):
        return None
    if uc in ("mult", "pct") and SLOWER.match(ctx.after_raw):
        return None   # "up to 12.1% slower", "1.7x slower than CPU": a slowdown is no speed-up,
        # and no claim of the kind a cue elsewhere in the sentence names
    # the cue (nearest_kind, the costly part) is looked for after the cheap rejections below

    def inherit_or_sentence() -> str | None:
        if prev is not None and prev[0] == uc:
            return prev[1]
        return sentence_kind(ctx, s_start, n)

    if uc == "mult":
        if (background or MULT_AFTER_BAD.match(ctx.after)
                or MULT_RATE.match(ctx.after_raw) or DATA_AFTER.match(ctx.after_raw)
                or SPREAD_BEFORE.search(ctx.near_before)
                or re.match(r"^\s*(?:[\w-]+\s+)?(?:spread|variation|disparity|range)\b",
                            ctx.after_raw, re.I)
                or re.match(r"^\s*the (?:radius|mass|diameter|luminosity|distance|area|"
                            r"volume|brightness|density)\b", ctx.after_raw, re.I)):
            return None
        if n.value > 1 and TIMES_THE_COST.match(ctx.after_raw):
            return None   # "400 times the inference time, cost, and carbon emissions": more
            # of a cost (a finding, or the other side), not a speed-up or a saving
        kind, c0, c1, where = nearest_kind(ctx, n)
        cue = (c0, c1, where)
        k = kind or (prev[1] if prev is not None and prev[0] == uc
                     else sentence_kind(ctx, s_start, n, 60))
        if kind == "compute" and not work_cut(ctx, n, c0, c1):
            return None
        if k is None or k == "scale":
            return None
        if k in SAVINGS and re.match(r"^\s*(?:the|its|their)\s+(?:cost|price|compute|memory)",
                                     ctx.after_raw) and re.search(r"\bat\s*(?:up to\s*)?$",
                                                                  ctx.before):
            return None   # "at up to 90x the cost": a multiple of a cost, not a saving
        if not kind and k in SAVINGS and (prev is None or prev[0] != uc) and (re.search(
                r"\b(?:variance|errors?|loss|deviation|noise|distance|bias|uncertainty|gaps?)\b",
                ctx.before, re.I) or BY_END.search(ctx.before)):
            return None   # "with action variance decreasing 1600x", "reduces security gaps by
            # 70-fold at a welfare cost": its own clause names what shrank, not the cue
        if k == "compute" and CORPUS_TOKENS.search(sent):
            return None   # tokens of a corpus filtered: a statistic of data
        if (k == "quality" and not (QUALITY_X.search(f"{ctx.before} {text_of(ctx, n)} "
                                                     f"{ctx.after}"))) or SIZE_AFTER.match(
                ctx.after_raw) or DATA_AFTER.match(ctx.after_raw):
            return None   # "models 50x larger", "100x data": sizes, not a better score
        if k == "compression" and kv_paper and not re.search(
                r"param|model size|smaller model", f"{ctx.before} {ctx.after}", re.I):
            k = "memory"
        if k == "quality" and (not kind or GENERIC_QUALITY.fullmatch(ctx.text, c0, c1)) and (
                SPEED_EFFICIENCY.search(f"{ctx.before} {ctx.after_raw[:50]}")
                or (HARDWARE_RX.search(sent) and re.search(r"\bperformance\b", ctx.text[
                    max(ctx.s_start, n.start - 60):n.end + 60]))):
            k = "speedup"   # "3.78 times improvement in efficiency", version 9
        return k, "x", cue
    if uc == "pct":
        if not background and own and not others:
            share = RESOURCE_SHARE.match(ctx.after_raw)
            if share and LIMIT_BEFORE.search(ctx.near_before):
                # "using only 5-20% of the original tokens", "only 40% -- 50% of the inference
                # time", "at 44-52% of its drafting cost": the share of a resource it needs
                km = lx.ANY_KIND_RX.search(ctx.after_raw, share.start("cue"), share.end("cue"))
                rk = km.lastgroup if km is not None else (
                    "compute" if share.group("cue").lower().startswith("training") else None)
                if rk in (*SAVINGS, "speedup"):
                    return rk, "%", (ctx.after_off + share.start("cue"),
                                     ctx.after_off + share.end("cue"), "after")
            elif (SUCCESS_SHARE.match(ctx.after_raw) and SUCCESS_BEFORE.search(ctx.before)
                  and not BENCH_SUBJECT.search(ctx.before) and not BENCH_SUBJECT.search(sent)
                  and not NEGATED.search(ctx.before)):
                return "quality", "%", (0, 0, "")   # "wins 95% of pairwise comparisons"
        if (background or not own or (lx.SHARE_OF_DATA_RX.match(ctx.after_raw)
                                       and not REDUCE_VERB_BEFORE.search(ctx.before))
                or lx.SUBSET_AFTER_RX.match(ctx.after_raw)
                or lx.INTERVAL_BEFORE_RX.search(ctx.near_before)):
            return None
        if lx.PARAM_SHARE_RX.match(ctx.after_raw) and (
                lx.PARAM_TUNE_RX.search(sent) or "param" in ctx.near_before.lower()):
            return None   # "fine-tunes only 0.05% of the parameters": the method's setup
        if STAT_SUBJECT.match(ctx.before) and ctx.after_raw.lstrip().startswith("of "):
            return None   # "61% of the suggestions were edited": a statistic, not a result
        if re.match(r"^\s*/\s*\d+(?:\.\d+)?\s*[a-zA-Z]", ctx.after_raw):
            return None   # "a 2%/2mm criterion": a setting ("+36.11%/+34.21%" is a pair)
        kind, c0, c1, where = nearest_kind(ctx, n)
        cue = (c0, c1, where)
        k = kind
        if k == "compute" and not work_cut(ctx, n, c0, c1):
            return None
        if k is None and RESULT_VERB.search(ctx.before):
            k = "quality"   # "achieve more than 90% validity": a score, whatever else is near
        k = k or inherit_or_sentence()
        if k == "quality" and PRONOUN_BY.search(ctx.before):
            # "setting a benchmark for inference time, improving it by 260%": what "it" names
            k = sentence_kind(ctx, s_start, n, 80, skip_generic=True) or k
        if k is None and GAIN_BY.search(ctx.before):
            k = "quality"   # "enhances the adaptation of the agent by more than 35%"
        if k is None:
            return None
        if (k == "quality" and where and prev is not None and prev[1] == "speedup"
                and GENERIC_QUALITY.fullmatch(ctx.text[c0:c1])
                and ctx.text[c0:c1].lower() != "performance"
                and not lx.METRIC_NAME_RX.search(sent) and not QUALITY_NAME.search(sent)):
            k = "speedup"   # "speedups of 5.5x ..., improving over DFlash by roughly 11%"
        if k == "quality" and (others or re.search(r"\bat (?:a |an )?$", ctx.before)):
            return None
        if k == "compression" and where == "after" and re.search(
                r"\b(?:for|choices?|when)\b", ctx.text[n.end:c0]):
            return None   # "(99.95% for some choices of parameters)": not a model's size
        if k == "compression" and FINDING.search(sent) and re.match(r"^\s*of\b",
                ctx.after_raw):
            return None   # "we find subnetworks of less than 0.2% of the parameters": a finding
        if k == "compute" and CORPUS_TOKENS.search(sent):
            return None
        if k in SAVINGS:
            if n.value > 100 or (where not in ("after", "before") and not (
                    prev is not None and prev[0] == uc and prev[1] == k)):
                return None   # a saving needs its cue in the clause (or a list of them)
            if (lx.RATE_AFTER_RX.match(after_list(ctx.after_raw))
                    or lx.RATE_BEFORE_RX.search(ctx.near_before)):
                k = "quality" if own else ""
                if not k:
                    return None
        elif k == "quality" and n.value > 100 and not GAIN_WORD.search(
                f"{ctx.near_before} {text_of(ctx, n)} {ctx.after}"):
            return None   # "magnetoresistance reaching 1400%": a measurement, not a score
        elif k == "quality" and lx.RATE_AFTER_RX.match(ctx.after_raw) is None and (
                where == "" and not RESULT_VERB.search(ctx.before) and n.value >= 100):
            return None   # a bare "100%" with no cue near: rarely a score
        if k == "compression" and kv_paper and not re.search(r"spars|prun|param|model size",
                                                             f"{ctx.before} {ctx.after}", re.I):
            k = "memory"
        return k, "%", cue
    if uc == "pts":
        if background or not own or others:
            return None
        if "-point" in text_of(ctx, n) and not POINT_GAIN.match(ctx.after_raw):
            return None
        if n.unit.endswith("point") and POINT_NOUN.match(ctx.after_raw):
            return None   # "501,000 point annotations", "369 point clouds", "a 7 point scale":
            # a count or a setting, not a gain in points
        kind, c0, c1, where = nearest_kind(ctx, n)
        return "quality", "points", (c0, c1, where)
    kind, c0, c1, where = nearest_kind(ctx, n)
    return classify_unit(n, ctx, prev, quant_paper, flags, (c0, c1, where))
