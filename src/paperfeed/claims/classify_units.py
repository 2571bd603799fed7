"""Is a number the paper's own result, for the unit classes with a fixed kind: bit widths,
parameter and token counts, bare metric values, money, bytes, GPU hours, times, frame rates and
metric units (factors, percentages and points are in classify.py)."""

from __future__ import annotations

import re

from paperfeed.claims import lexicon as lx
from paperfeed.claims.context import (
    Ctx,
    LazyFlag,
    after_list,
    few_steps,
    from_to_metric,
    out_of_scale,
    paren_to,
    signed_gain,
)
from paperfeed.claims.numbers import Num
from paperfeed.claims.patterns import (
    AT_BEFORE,
    BITS_OTHER,
    BITS_RESULT,
    COST_TIME_AFTER,
    COST_TIME_BEFORE,
    GAIN_BEFORE,
    HARDWARE_RX,
    LATENCY_CUE,
    MEMORY_BEFORE,
    OFF_THE_SHELF,
    OTHER_MODELS,
    SCALE_PLURAL_AFTER,
    SCALE_SETUP_BEFORE,
    TIME_AFTER_BAD,
    TIME_UNITS,
    TOKENS_CONTEXT,
    UNIT_LABEL,
    VS_NEXT,
    metric_unit,
    rate_unit,
)

# a model the paper uses, validates on or boosts, not its own ("validated on models up to 14B
# parameters", "the capabilities of a 24B parameter model", "a small open-weights model with")
# "We train a 7.5M-parameter Transformer", "distilled into a 40M-parameter student": the
# model the paper builds
WE_BUILD = re.compile(r"\bwe\s+(?:(?:first|then|also)\s+)?(?:train|pre-?train|build|develop|"
                      r"release|present|introduce|open-source|distill)\w*\s+(?:it\s+|them\s+)?"
                      r"(?:into\s+)?(?:a|an|our|two|three|a family of)\s*(?:new\s+|compact\s+|"
                      r"small\s+)?$", re.I)
# "PocketSR, with a model size of 146M parameters": one model's size (not "sizes of 8B to 70B")
OWN_SIZE_OF = re.compile(r"\b(?:with|has|having|at) (?:a|an|its) (?:total |overall )?(?:model |"
                         r"parameter )?size of (?:only |just |about |around |~)?$", re.I)
SCALE_USED = re.compile(r"\b(?:validat\w*|evaluat\w*|tested|experiments?|applied)\s+(?:on|with|"
                        r"across|to)\b"
                        r"[^.;]{0,80}\bmodels?\b|\b(?:capabilities|power|outputs?|knowledge) of "
                        r"an?\s*[^.;,]{0,10}$|\b(?:open-weights?|off-the-shelf)\b(?![^.;]*\bour\b)",
                        re.I)

# Version 8: the own model's size without "our N-parameter" (tests/data/CLAIMS_GUIDE.md: own
# model parameter counts are scale; each size of an own model family is a scale claim).
# A size: "7B", "1.5 billion", "350M-parameter"; a list of them: "1B, 2B, and 5B", "3B and 7B".
_SIZE = r"\d+(?:\.\d+)?\s?(?:[MB]|million|billion)(?:-?\s?(?:parameters?|params))?"
_SIZE_SEP = r"\s*(?:,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|/)\s*"
SIZE_LIST_BEFORE = re.compile(rf"(?:{_SIZE}{_SIZE_SEP})+$")
SIZE_LIST_AFTER = re.compile(rf"(?:{_SIZE_SEP}{_SIZE}\b)+")
# "our 7B model", "our largest 5B model", "our 3B and 7B variants" (lowercase words only
# between: not "our fine-tuned Llama-3 8B", a size inside a name; not "our previous 100B")
OUR_SIZE_BEFORE = re.compile(r"\b[Oo]ur\s+(?:(?!(?:previous|prior|earlier|original|base|on|in|"
                             r"with|for|of|at|to|from|by|and|or|results?|experiments?|"
                             r"evaluations?|analys[ie]s|findings)\b)[a-z][a-z-]*\s+){0,2}$")
BARE_SIZE_END = re.compile(r"(?:\d\s?[MB]|million|billion)$")
# "our best models with 15M learnable parameters"
OUR_MODELS_WITH = re.compile(r"\b[Oo]ur\s+(?:[a-z][a-z-]*\s+){0,2}(?:models?|variants?|networks?)"
                             r"\s+(?:with|of|has|have|having)\s+(?:only\s+|just\s+|about\s+)?$")
# "We present Lucy, a 1.7B-parameter SLM", "we introduce JLT, a 130M latent diffusion
# Transformer": the size in the appositive of the model the paper introduces
APPOS_SIZE_BEFORE = re.compile(
    r"\b(?:[Ww]e|[Tt]his (?:paper|work|report))\s+(?:[a-z]+\s+){0,2}?(?:present|introduc|propos|"
    r"releas|develop|build|buil|train|open-sourc|instantiat)\w*\s+(?:and\s+[a-z]+\s+)?"
    r"[^,;]{1,60}?,\s+an?\s+(?:[a-z][a-z-]*\s+){0,2}$")
# "is distilled into a 40.66M-parameter student"
INTO_SIZE_BEFORE = re.compile(r"\b(?:distill\w*|compress\w*|prun\w*)\s+into\s+an?\s+"
                              r"(?:[a-z][a-z-]*\s+){0,2}$", re.I)
# what a bare size names: a model ("7B model", "130M latent diffusion Transformer", "7B-sized
# ML-Agent"), not data ("a 6.4k dataset", "an 8M+ image dataset", "a 1M-sample corpus")
_SKIP_WORD = (r"(?!(?:for|of|on|with|from|to|by|in|at|that|which|and|or|dataset|data|corpus|"
              r"corpora|samples?|images?|videos?|pairs?|examples?|instances?|frames?|tokens?|"
              r"hours?|sentences?|documents?|questions?|trajector\w+|clips?)\b)[\w.()+-]+\s+")
MODEL_AFTER = re.compile(
    r"^(?:-?\s?(?:sized?|scale|parameters?|params)\b)?\s*(?:" + _SKIP_WORD + r"){0,4}?"
    r"(?:(?:[\w-]+-)?(?:models?|LLMs?|SLMs?|VLMs?|MLLMs?|LMMs?|VLAs?|LMs?|[Tt]ransformers?|"
    r"networks?|variants?|versions?|agents?|verifiers?|judges?|detectors?|backbones?|students?|"
    r"encoders?|decoders?|generators?|polic(?:y|ies)|classifiers?|rerankers?|retrievers?|"
    r"embedders?|DiTs?|CNNs?|ViTs?)\b)", re.I)
# "SeFi-Image at three model scales, 1B, 2B, and 5B parameters", "a suite of embedding models
# in three sizes: 0.6B, 1.7B, and 4B": a family the sentence's "we present / train" builds
FAMILY_VERB = re.compile(r"\bwe\s+(?:[a-z]+\s+){0,2}?(?:present|introduc|releas|open-sourc|"
                         r"instantiat|pre-?train|train|develop|build|buil|scal)\w*\b", re.I)
FAMILY_BEFORE = re.compile(r"\b(?:sizes?|scales?|variants?|famil(?:y|ies)|suite|models? (?:of|"
                           r"with|at))\b[^.;()\d%]{0,40}[(:,]?\s*$", re.I)
FAMILY_NOT = re.compile(r"\b(?:evaluat\w*|fine-?tun\w*|across|using|backbones?|base models?|"
                        r"stud(?:y|ies|ying|ied)|analy[sz]\w*|examin\w*|investigat\w*|prob\w*|"
                        r"test\w*|benchmark\w*|"
                        r"compar\w*|baselines?|such as|including)\b|"
                        r"[A-Z][\w.-]*\d[\w.-]*\s*\(?\s*$")


def own_model_size(ctx: Ctx, n: Num) -> int:
    """Is a parameter count, or a bare size such as "7B", the size of the paper's own model:
    `our 7B model`, `We present X, a 1.7B-parameter SLM`, `distilled into a 40M student`, or
    one size of a family the paper builds (`in three sizes: 0.6B, 1.7B, and 4B`)? The end of
    the model noun that names it (for the span), n.end without one, 0 if not."""
    text = ctx.text
    head = text[ctx.s_start:n.start]
    lst = SIZE_LIST_BEFORE.search(head)
    head0 = head[:lst.start()] if lst else head   # before the list the number ends
    more = SIZE_LIST_AFTER.match(text, n.end)
    after = text[more.end() if more else n.end:min(ctx.s_end, n.end + 120)]
    if n.unit_class != "params" and not BARE_SIZE_END.search(text, n.start, n.end):
        return 0   # "our 7T-trained models": 7 tesla, not 7 trillion; "a 6.4k dataset"
    noun = None if n.unit_class == "params" else MODEL_AFTER.match(after)
    end = n.end + (noun.end() if noun and not more and noun.end() <= 40 else 0)
    if (noun or n.unit_class == "params") and (OUR_SIZE_BEFORE.search(head0)
                                               or APPOS_SIZE_BEFORE.search(head0)
                                               or INTO_SIZE_BEFORE.search(head0)):
        return end
    if n.unit_class == "params" and OUR_MODELS_WITH.search(head0):
        return end
    verb = FAMILY_VERB.search(head0) if lst or more else None
    if verb is not None:
        rest = head0[verb.end():]
        if FAMILY_BEFORE.search(rest) and not FAMILY_NOT.search(rest):
            return end
    return 0


OUR_BITS = re.compile(r"\b[Oo]ur\s+(?:[a-z][a-z-]*\s+)?$")
OPS_BUDGET = re.compile(r"\b(?:budgets?|constraints?|maximum|at most|limit\w*|under|below|"
                        r"fewer than|less than|no more than|spans?|spanning|rang\w*|vs\.?|"
                        r"versus)\b(?:[^.;]|\.\d){0,40}$", re.I)

OTHER_SIDE = re.compile(r"\b(?:outperform\w*|surpass\w*|beat\w*|exceed\w*|than|compared (?:to|"
                        r"with)|rival\w*|against)\b[^.;,]{0,80}$", re.I)


def classify_unit(n: Num, ctx: Ctx, prev: tuple[str, str] | None, quant_paper: bool | LazyFlag,
                  flags: tuple[bool, bool, bool], cue: tuple[int, int, str]
                  ) -> tuple[str, str, tuple[int, int, str]] | None:
    """The kind and unit of a number of a fixed-kind unit class, or None (not a claim)."""
    uc = n.unit_class
    sent = ctx.sentence
    own, background, others = flags
    if uc == "bits":
        if background or not own or not quant_paper or n.value > 8 or n.value <= 0:
            return None
        if re.match(r"^\s*(?:per (?:pixel|sample|dimension|channel|symbol|byte|character|"
                    r"char|token|second)|\(?bp[bcps]\b)", ctx.after_raw, re.I):
            return None
        if re.match(r"^-?\s*per\b", ctx.after_raw) or (re.match(
                r"^\s*(?:[A-Z][a-z]+[A-Z]\w*|[A-Z][\w.-]*\d[\w.-]*)\b", ctx.after_raw)
                and not OUR_BITS.search(ctx.near_before)):
            return None   # "1-bit-per-timestep"; "1.58-bit BitNet", "a 1-bit Bonsai-1.7B"
            # (but "our 4-bit QuantVGGT", "our 3-bit CogVideoX-2B": the own quantized model)
        if re.search(r"\bbetween\b[^,;]{0,40}\band\s*$", ctx.before, re.I):
            return None   # "the gap between full precision and 1-bit": not its own width
        if BITS_OTHER.search(ctx.near_before):
            return None   # "than the seminal BitNet 1.58-bit", "of BitMamba-2, a 1.58-bit model"
        if re.search(r"\b(?:more than|over|at least|beyond)\s*$|\bunder\b[^,;]{0,40}\bof\s*$",
                     ctx.before, re.I) or not (lx.STRONG_SELF_RX.search(sent)
                                               or BITS_RESULT.search(sent)):
            return None   # "scale to more than 1 bit", a 1-bit setting of an analysis
        return "precision", "bits", (0, 0, "")
    if uc in ("params", "tokens"):
        if not n.magnitude and n.value < 1e5:
            return None
        if (lx.DATA_CONTEXT_RX.search(ctx.before) or lx.SETUP_SCALE_RX.search(ctx.before)
                or background):
            return None
        if uc == "params" and n.low is None and own_model_size(ctx, n):
            return "scale", "params", (0, 0, "")   # "We present X, a 1.7B-parameter SLM", v8
        if uc == "tokens" and (not (TOKENS_CONTEXT.search(ctx.after)
                                    or TOKENS_CONTEXT.search(ctx.before))
                               or AT_BEFORE.search(ctx.near_before)):
            return None
        if not lx.SCALE_SELF_RX.search(ctx.before) and not re.search(r"\bour\b", ctx.before,
                                                                     re.I) and not (
                WE_BUILD.search(ctx.before) and uc == "params"):
            return None
        clause = re.split(r"[,;]", ctx.text[max(ctx.s_start, n.start - 160):n.start])[-1]
        if OTHER_MODELS.search(clause) or OTHER_SIDE.search(clause) or (
                re.search(r"\bthe\s*$", ctx.before, re.I)
                and not re.search(r"\bour\b", sent, re.I)):
            return None   # "outperforms models with up to 72B parameters": others' sizes
        head = ctx.text[ctx.s_start:n.start]
        if (n.low is not None or (SCALE_SETUP_BEFORE.search(ctx.before)
                                  and not OWN_SIZE_OF.search(ctx.before))
                or SCALE_PLURAL_AFTER.match(ctx.after_raw) or SCALE_USED.search(head)):
            return None   # "scales (4B to 32B parameters)", "noted at 72B": models studied
        return "scale", UNIT_LABEL[uc], (0, 0, "")
    if uc == "bare":
        end = (own_model_size(ctx, n) if n.magnitude and n.value >= 1e6 and n.low is None
               and not background and not others and not lx.DATA_CONTEXT_RX.search(ctx.before)
               else 0)
        if end:
            return "scale", "params", (n.end, end, "after")   # "our 7B model", version 8
        steps = few_steps(ctx.text, n)
        if steps:
            if background or not own or others:
                return None
            return "compute", "steps", (n.end, steps, "after")   # "in as few as 5 steps", v8
        if n.magnitude and re.match(r"^\s*-?\s*context", ctx.after_raw, re.I):
            if lx.DATA_CONTEXT_RX.search(ctx.before) or AT_BEFORE.search(ctx.near_before):
                return None   # "at 128K context": the condition of another claim
            return "scale", "tokens", (0, 0, "")
        if (out_of_scale(ctx.text, n) and own and not background and not others
                and n.low is None):
            return "quality", "score", (0, 0, "")   # "a 4.8/5.0 average score": a rating
        if signed_gain(ctx.text, n) and own and not background and not others:
            return "quality", "points", (0, 0, "")   # "improves accuracy by +10.17"
        mm = lx.METRIC_NAME_RX.search(ctx.near_before)   # "(MAE: 0.0130": past the colon
        if mm and not background and not others and not n.magnitude and (
                not mm.group().rstrip().endswith("(") or (own and (
                    lx.STRONG_SELF_RX.search(sent) or not OFF_THE_SHELF.search(
                        sent, 0, n.start - ctx.s_start)))):
            # (not "a mean absolute error of approximately 126 K": kelvin, not thousands; a
            # value in the metric's parenthesis, "the highest F1 score (0.92)", version 9, only
            # in a sentence about the own work: comparison studies name others' models so)
            return "quality", metric_unit(mm.group("metric")), (0, 0, "")
        pt = paren_to(ctx.text, n) if "(" in ctx.near_before else None
        if pt and own and not background and not others and not n.magnitude:
            return "quality", pt, (0, 0, "")   # "increases by 5.4 points (73.2 to 78.6)"
        ft = from_to_metric(ctx.text, n, ctx.s_start)
        if ft and own and not background and not others and not n.magnitude:
            unit = ft.group().split()[0].rstrip(")").lstrip("(")
            return "quality", unit if unit[:1].isupper() else "score", (0, 0, "")
        ma = lx.METRIC_AFTER_RX.match(after_list(ctx.after_raw))
        if ma and not background and not others and own and not n.magnitude:
            if GAIN_BEFORE.search(ctx.before):   # "improves by 2.1 mAP": a gain in points
                return "quality", "points", (0, 0, "")
            return "quality", metric_unit(ma.group("metric")), (0, 0, "")
        if n.named and own and not background and not others:
            return "quality", n.named, (0, 0, "")
        if (VS_NEXT.match(ctx.text, n.end) and "." in ctx.text[n.start:n.end] and own
                and not background and not others and not n.magnitude):
            # "(0.514 vs 0.355)", "51.3 vs. 28.9 on ACM": the own score against the baseline's
            named = lx.METRIC_NAME_RX.search(sent, 0, n.start - ctx.s_start)
            return "quality", named.group("metric") if named else "score", (0, 0, "")
        return None
    if uc == "flops":
        # "with only 0.87M parameters and 8.27G FLOPs": the own model's operations (compute,
        # tests/data/CLAIMS_GUIDE.md), version 8; not a budget or constraint ("a computational
        # budget under 200 GMACs", "a maximum of 5M parameters and 2000 GFLOPs"), not a sweep
        # ("spanning 3.1 to 13.3 GFLOPs"), not the other side's
        if background or not own or others or n.low is not None:
            return None
        clause = re.split(r"[,;]", ctx.text[max(ctx.s_start, n.start - 160):n.start])[-1]
        if OPS_BUDGET.search(ctx.text, max(ctx.s_start, n.start - 80), n.start) or (
                OTHER_SIDE.search(clause) and not lx.SELF_RX.search(clause)):
            return None
        return "compute", n.unit, (0, 0, "")
    if uc == "rate":
        # "2585 tokens/s throughput", "50,000 requests per second": the own system's rate
        if background or not own or others:
            return None
        return "speedup", rate_unit(n.unit), cue
    if uc == "usd":
        if background or not own or not lx.COST_CUE_RX.search(sent):
            return None
        return "cost", "usd", cue
    if uc == "bytes":
        if background or lx.DATA_CONTEXT_RX.search(ctx.before) or HARDWARE_RX.search(ctx.before):
            return None
        if not (MEMORY_BEFORE.search(ctx.before)
                or re.match(r"^\s*(?:of )?(?:GPU )?(?:memory|VRAM|RAM)\b", ctx.after_raw, re.I)):
            return None
        return "memory", n.unit, cue
    if uc == "gpuh":
        if background:
            return None
        return "cost", n.unit, cue
    if uc == "time":
        if background or not own or TIME_AFTER_BAD.match(ctx.after_raw):
            return None
        unit = TIME_UNITS.get(n.unit.lower(), n.unit)
        if n.unit == "s" and n.value.is_integer() and 1900 <= n.value <= 2100:
            return None
        if unit in ("ms", "us", "s"):
            if LATENCY_CUE.search(sent):
                return "speedup", unit, cue
            return None
        if unit in ("days", "weeks") and not re.search(r"GPU|train", sent):
            return None
        if COST_TIME_BEFORE.search(ctx.before) or COST_TIME_AFTER.match(ctx.after_raw):
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
