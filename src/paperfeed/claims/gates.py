"""Why a number is ruled out before its kind is looked at (baselines, settings, others'
scores), and the kind a dropped number would have (a feature of the learned model)."""

from __future__ import annotations

import re

from paperfeed.claims import lexicon as lx
from paperfeed.claims.claim import Decision
from paperfeed.claims.context import Ctx, after_list
from paperfeed.claims.fastre import Folded
from paperfeed.claims.kind_cue import nearest_kind, sentence_kind
from paperfeed.claims.numbers import Num
from paperfeed.claims.patterns import BASE_LIST_RX, TIME_UNITS, VS_NEXT, metric_unit

# a comparison whose other side's figures open a parenthesis the number is still inside
OPEN_PAREN_BASELINE = Folded(
    r"\b(?:outperform\w*|surpass\w*|beat\w*|exceed\w*|than|compared (?:to|with)|vs\.?|versus|"
    r"relative to|approach(?:es|ing)|close to|rival\w*)\b[^;.()]{0,60}\(\s*$", re.I)


TREND = Folded(r"\b(?:prices?|costs?)\b[^.;]{0,30}\b(?:fell|fall(?:s|en)?|declin\w*|dropp\w*|"
                   r"plummet\w*)\b|\b(?:decline|fall|drop)s? in [\w -]{0,25}\bprices?\b|"
                   r"\bin (?:one|a single|the past) (?:year|decade)\b", re.I,
               needs=("price", "cost", "year", "decade"))
PRIOR_SHOWING = Folded(r"\b(?:recent|prior|previous|earlier|existing) (?:work|works|studies|"
                           r"research)\s+(?:showing|shows|has shown|have shown|demonstrat\w*|"
                           r"report\w*)\b[^;]*$", re.I,
                       needs=("recent", "prior", "previous", "earlier", "existing"))

BY_YEAR = re.compile(r"\bby 20\d\d\b")


def gate_reason(n: Num, ctx: Ctx, prev_base: Num | None, s_start: int, text: str) -> str | None:
    """Why the number is ruled out before its kind is looked at (None: it is not)."""
    if n.baseline or lx.ARROW_AFTER_RX.match(ctx.after_raw):
        return "start"
    if (prev_base is not None and prev_base.unit_class == n.unit_class
            and prev_base.end >= s_start
            and BASE_LIST_RX.match(text, prev_base.end, n.start)
            and not re.match(r"^\s*(?:vs\.?|versus)\s", ctx.after_raw)):
        # "(vs. 79.1% for A and 97.6% for B)": the list goes on, unless a new "X vs Y" starts
        return "list"
    own_pair = bool(VS_NEXT.match(text, n.end))   # "(0.514 vs 0.355)": the first is the own
    if lx.BASELINE_BEFORE_RX.search(ctx.near_before) and not (
            own_pair and ctx.near_before.rstrip().endswith("(")):
        return "baseline"   # (but "than the baseline (0.81 vs. 0.77)" opens the own pair)
    if lx.PAREN_BASELINE_RX.search(ctx.before) and not own_pair:
        return "paren"
    head = text[s_start:n.start]
    paren = head.rfind("(")
    if (paren > 0 and not own_pair and ")" not in head[paren:]
            and OPEN_PAREN_BASELINE.search(head, 0, paren + 1)
            and not re.match(r"\(\s*(?:by|up to|\+)", head[paren:])):
        return "paren"   # "surpassing AdsorbDiff (31.8% SR@1, 41.0% SR@10)": all of it theirs
    if TREND.search(ctx.sentence):
        return "trend"   # "a 600-fold decline in token prices", "cost fell 390x in one year"
    if PRIOR_SHOWING.search(head):
        return "others"   # "building on recent work showing that ... can reach 1.58-bit"
    if lx.PROJECTION_RX.search(head) or ("by 20" in ctx.after_raw
                                                            and BY_YEAR.search(ctx.after_raw)):
        return "projection"
    if lx.SETTING_BEFORE_RX.search(ctx.near_before):
        return "setting"
    if (n.low is not None and n.low == 0) or ctx.near_before.rstrip().endswith(
            ("\u00b1", "+-", "+/-")):
        return "pm"
    if lx.OTHERS_REL_RX.search(ctx.before) or (lx.OTHERS_CLAUSE_RX.search(ctx.before)
                                               and not lx.COMPARED_CLAUSE_RX.search(ctx.before)):
        return "others"
    return None


GUESS_UNIT = {"pts": ("quality", "points"), "bits": ("precision", "bits"),
               "params": ("scale", "params"), "tokens": ("scale", "tokens"),
               "usd": ("cost", "usd"), "gpuh": ("cost", ""), "fps": ("speedup", "fps"),
               "rate": ("speedup", ""), "flops": ("compute", "")}


def guess_kind(n: Num, ctx: Ctx, s_start: int, prev: tuple[str, str] | None, kv_paper: bool
           ) -> Decision | None:
    """The kind and unit a number the rules dropped would have as a claim."""
    uc = n.unit_class
    kind, c0, c1, where = nearest_kind(ctx, n)
    cue = (c0, c1, where)
    if uc in ("pct", "mult"):
        k = kind or (prev[1] if prev and prev[0] == uc else None) or (
            "quality" if uc == "pct" else sentence_kind(ctx, s_start, n))
        if k is None or k == "scale":
            return None
        if k == "compression" and kv_paper:
            k = "memory"
        return k, "%" if uc == "pct" else "x", cue
    if uc in GUESS_UNIT:
        k, unit = GUESS_UNIT[uc]
        return k, unit or n.unit, cue
    if uc == "bytes":
        return "memory", n.unit, cue
    if uc == "time":
        unit = TIME_UNITS.get(n.unit.lower(), n.unit)
        return ("speedup" if unit in ("ms", "us", "s") else "cost"), unit, cue
    if uc == "metric":
        return "quality", n.unit, cue
    if uc == "bare":
        mm = lx.METRIC_NAME_RX.search(ctx.near_before)
        ma = lx.METRIC_AFTER_RX.match(after_list(ctx.after_raw))
        if mm:
            return "quality", metric_unit(mm.group("metric")), (0, 0, "")
        if ma:
            return "quality", metric_unit(ma.group("metric")), (0, 0, "")
    return None


def background_sentence(sent: str) -> bool:
    """A background word that is not the object of a comparison ("than existing methods",
    "in comparison to the existing model" compare against them: a result)."""
    for m in lx.BACKGROUND_RX.finditer(sent):
        if not lx.COMPARED_TO_RX.search(sent, max(0, m.start() - 40), m.start()) and not (
                m.start() > 40 and OF_OTHERS.match(m.group())
                and INTERPRETS.search(sent, 0, m.start())):
            return True
    return False


# ", unveiling the common vulnerability of existing defenses": a clause after the result that
# says what it means (the background word there is not the sentence's subject)
OF_OTHERS = re.compile(r"existing|prior|previous|conventional|traditional", re.I)
INTERPRETS = re.compile(r"\d[^;]*,\s*(?:thus\s+|thereby\s+)?(?:unveil|reveal|highlight|expos|"
                        r"underscor|underlin|suggest|indicat|confirm|challeng)\w*\b[^,;]*$",
                        re.I)
