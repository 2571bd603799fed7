"""A number's sentence and clause (Ctx), sentence starts, and the cheap first filter."""

from __future__ import annotations

import re
from collections.abc import Callable

from paperfeed.claims import lexicon as lx
from paperfeed.claims.numbers import Num
from paperfeed.claims.patterns import (
    ABBREV_RX,
    CLAUSE_AFTER,
    CLAUSE_BEFORE,
    LIST_NEXT,
    SENT_RX,
    VS_NEXT,
)


def after_list(after: str) -> str:
    """What follows a list of numbers ("0.77 and 0.63 mean IoU" -> " mean IoU")."""
    m = LIST_NEXT.match(after)
    return " " + after[m.end():] if m else after
METRIC_LINK_RX = re.compile(r"(?:of|by|=|:|\(|is|was|reach\w*|achieves?|to|~|approximately|about|"
                             r"around|roughly)\s*$")

# "mean OT Accuracy (0.702)", "SSIM (0.848 +/- 0.031 vs.": a metric's value in its parenthesis
PAREN_VALUE_END = re.compile(r"\s*(?:\)|,|;|vs\b|\+/-|\u00b1|\\pm|\+-)")


def sentence_starts(text: str) -> list[int]:
    """Start offsets of the sentences of `text`."""
    starts = [0]
    for m in SENT_RX.finditer(text):
        # an abbreviation ends in "." (the only place ABBREV_RX can match)
        if text[m.start() - 1] in ".\n" and ABBREV_RX.search(text, max(0, m.start() - 8),
                                                           m.start()):
            continue
        starts.append(m.end())
    return starts


class LazyFlag:
    """A truth value computed the first time it is asked (`bool(flag)`, `not flag`)."""

    __slots__ = ("_f", "_v")

    def __init__(self, f: Callable[[], object]) -> None:
        self._f = f
        self._v: bool | None = None

    def __bool__(self) -> bool:
        if self._v is None:
            self._v = bool(self._f())
        return self._v


# "(TTFT)", "(GFLOPs)": an acronym in parentheses inside a clause
# or a condition ("inference latency (on an A100 GPU) by 9%")
ACRONYM_PAREN = re.compile(r"\(\s*[A-Za-z][A-Za-z\-@]{0,11}\s*\)|\((?:on|at|in|for|under|with) "
                           r"[^()%]{0,40}\)")


class Ctx:
    """Per-number view of its sentence and clause."""

    __slots__ = ("after", "after_off", "after_raw", "before", "before_start", "near_before",
                 "s_end", "s_start", "sentence", "text")

    def __init__(self, text: str, n: Num, s_start: int, s_end: int) -> None:
        self.text = text
        self.s_start, self.s_end = s_start, s_end
        self.sentence = text[s_start:s_end]
        b0 = max(s_start, n.start - 80)
        before = text[b0:n.start]
        cuts = list(CLAUSE_BEFORE.finditer(before))
        cut_at = cuts[-1].end() if cuts else 0
        if cuts and before[cuts[-1].start()] == ")" and "(" not in before[cuts[-1].end():]:
            # "decreases Time-to-First-Token (TTFT) by 32%": an acronym's parenthesis closed in
            # the clause is part of it, not a clause boundary
            op = before.rfind("(", 0, cuts[-1].start())
            if op != -1 and ACRONYM_PAREN.fullmatch(before, op, cuts[-1].end()):
                inner = [c for c in cuts if c.end() <= op]
                cut_at = inner[-1].end() if inner else 0
        self.before_start = b0 + cut_at
        self.before = text[self.before_start:n.start]
        a1 = min(s_end, n.end + 60)
        after = text[n.end:a1]
        # "98.0% and 87.8% task success rates": the cue follows the list
        lst = LIST_NEXT.match(after)
        self.after_off = n.end
        if lst:
            after = " " + after[lst.end():]
            self.after_off = n.end + lst.end() - 1
        cut = CLAUSE_AFTER.search(after)
        self.after = after[:cut.start()] if cut else after
        self.after_raw = after
        self.near_before = text[max(s_start, n.start - 40):n.start]



def text_of(ctx: Ctx, n: Num) -> str:
    return ctx.text[n.start:n.end]


# "in as few as 5 steps", "with only 25 inference steps": the step count the own method needs
# (compute, tests/data/CLAIMS_GUIDE.md), version 8
FEW_STEPS_BEFORE = re.compile(r"\b(?:in|with|using|requir\w*|needs?|needing|takes?|taking)\s+"
                              r"(?:as few as|only|merely|just|a mere)\s*$", re.I)
FEW_STEPS_AFTER = re.compile(r"\s?(?:(?:sampling|denoising|inference|diffusion|generation|"
                             r"generative|function|integration|decoding|solver|ODE)\s+)?"
                             r"(?:steps?|NFEs?)\b", re.I)


def few_steps(text: str, n: Num) -> int:
    """The end of `N steps` after `in as few as` / `with only`, else 0."""
    if n.unit_class != "bare" or n.magnitude or n.low is not None:
        return 0
    m = FEW_STEPS_AFTER.match(text, n.end)
    if m is None or not FEW_STEPS_BEFORE.search(text, max(0, n.start - 30), n.start):
        return 0
    return m.end()


def is_candidate(text: str, n: Num) -> bool:
    """Cheap first filter: a bare number only counts after a metric name ("FID of 2.11")."""
    if n.unit_class != "bare" or n.magnitude:
        return True
    if few_steps(text, n):
        return True   # "in as few as 5 steps": a step count (compute)
    if from_to_metric(text, n, 0):
        return True   # "the EM score from 0.392 to 0.474": the result of a named metric
    if signed_gain(text, n):
        return True   # "improves average accuracy by +10.17": a gain in points
    if out_of_scale(text, n):
        return True   # "a 4.8/5.0 average score": a rating
    if "(" in text[max(0, n.start - 40):n.start] and paren_to(text, n):
        return True   # "increases by 5.4 points (73.2 to 78.6)": the result of the change
    name = lx.METRIC_NAME_RX.search(text, max(0, n.start - 40), n.start)
    if VS_NEXT.match(text, n.end):
        return True   # "51.3 vs. 28.9": a pair of scores (classify_unit decides)
    if name and text[name.end() - 1] == "(" and not (
            "." in text[n.start:n.end] and PAREN_VALUE_END.match(text, n.end)):
        return False   # "accuracy (105/120", "F1 (1,600 predictions)": a count, not its value
    return bool((name and (METRIC_LINK_RX.search(text, max(0, n.start - 12), n.start)
                           or name.group("metric") in ADJACENT_METRICS))
                or lx.METRIC_AFTER_RX.match(after_list(text[n.end:n.end + 60])))


# "improves average absolute accuracy by +10.17 and +11.84": a signed gain after a gain verb
SIGNED_GAIN_RX = re.compile(r"(?:\b(?:improv|boost|increas|rais|enhanc|outperform|surpass)\w*\b"
                            r"[^.;:()]{0,60}\bby|"
                            # "mean denoising-loss gain +0.125", "F1 gains of +0.11 to +0.49"
                            r"\b(?:gains?|improvements?)(?:\s+of)?)"
                            r"\s*(?:\+\d+(?:\.\d+)?\s*(?:,\s*|and\s+|,\s*and\s+|to\s+))*"
                            r"\+$", re.I)


def signed_gain(text: str, n: Num) -> bool:
    """A decimal right after "+" that a gain verb's "by" introduces (or a list of them)."""
    if n.start == 0 or text[n.start - 1] != "+" or "." not in text[n.start:n.end]:
        return False
    return bool(SIGNED_GAIN_RX.search(text, max(0, n.start - 110), n.start))


# "4.8/5.0 average score", "from 5.00 to 6.75/10": a decimal rating on a 5-, 10- or 100-point scale
OUT_OF_RX = re.compile(r"\s*/\s*(?:5|10|100)(?:\.0+)?(?![\d./-])")


def out_of_scale(text: str, n: Num) -> bool:
    return "." in text[n.start:n.end] and not n.magnitude and bool(OUT_OF_RX.match(text, n.end))


# Metrics an abstract defines: "Driving Score (DS)", "success rate (SR)", "Normalized Mean
# Square Error (NMSE)": their acronym (or the phrase) next to a bare number names its metric.
ACRONYM_RX = re.compile(r"\((?P<acr>[A-Z][A-Za-z]{0,4}[A-Z])\)")
# (not "ratio": "odds ratio (OR)", "hazard ratio (HR)" are statistics of a study)
METRIC_HEAD_RX = re.compile(r"(?:[Ss]core|[Aa]ccuracy|[Rr]ate|[Ee]rror)\s*$")
ACR_AFTER_RX = re.compile(r"\s*(?:(?:[A-Z][\w-]*\s+){0,3}(?:Score|Accuracy|Rate|Error)\s*"
                          r"\((?P<a>[A-Z][A-Za-z]{0,4}[A-Z])\)|(?P<b>[A-Z][A-Za-z]{0,4}[A-Z])\b)")
ACR_BEFORE_RX = re.compile(r"(?<![\w-])(?P<a>[A-Z][A-Za-z]{0,4}[A-Z])\s*(?:of|=|:)?\s*$")


def defined_metrics(text: str) -> frozenset[str]:
    """The acronyms `text` defines for a score, rate, accuracy, error or ratio."""
    return frozenset(m.group("acr") for m in ACRONYM_RX.finditer(text)
                     if METRIC_HEAD_RX.search(text, max(0, m.start() - 60), m.start()))


def defined_metric_at(text: str, n: Num, metrics: frozenset[str]) -> str | None:
    """The defined metric right after ("65.89 Driving Score (DS)", "17.49 SR") or before
    ("DS of 65.89") the bare number n, if any; decimals only ("26244 HOG features" is a count)."""
    if "." not in text[n.start:n.end]:
        return None
    m = ACR_AFTER_RX.match(text, n.end)
    if m and (m.group("a") or m.group("b")) in metrics:
        return m.group("a") or m.group("b")
    b = ACR_BEFORE_RX.search(text, max(0, n.start - 12), n.start)
    if b and b.group("a") in metrics:
        return b.group("a")
    return None


# a metric (an acronym or a score word) whose value goes "from X to" the number
# (decimals only: "from 2001 to 2020", "RSGs from 1 to 17" are years and counts)
FROM_TO_METRIC = re.compile(
    r"(?:\b[A-Z][A-Za-z0-9@-]{0,7}[A-Z0-9@-]\)?|\b[a-z]{1,4}[A-Z][A-Za-z0-9@-]{0,8}|"
    r"\b(?:score|accuracy|rate|F1|precision|recall))\s+"
    # "maxDice from 0.82 (SAM-2) to 0.86": a camel-case name; the baseline named in parentheses
    r"(?:scores?\s+|values?\s+)?from\s+[~$]*\d+(?:\.\d+)?\$?\s+(?:\([^()]{1,30}\)\s+)?to\s+"
    r"[~$]*$")


# "increases by 5.4 points (73.2 to 78.6)", "improving perplexity (e.g., WikiText-2 5.47 to
# 4.91)": a score's change written "(X to Y)" in a parenthesis after a change verb gives Y
PAREN_TO_RX = re.compile(r"\(\s*(?:e\.g\.,?\s*)?(?:[A-Za-z][\w.-]*:?\s+)?[~$]*\d+\.\d+\$?\s*"
                         r"(?:to|->)\s*[~$]*$")
PAREN_CHANGE_RX = re.compile(r"\b(?:improv|increas|reduc|decreas|boost|rais|lower|drop|gain|"
                             r"rose|rising|ris|fell|falls?|falling|lift|enhanc)\w*\b"
                             r"(?:[^.;()]|\.\d){0,50}$",
                             re.I)


def paren_to(text: str, n: Num) -> str | None:
    """The metric (or "score") whose value a change verb's "(X to n)" parenthesis gives."""
    if "." not in text[n.start:n.end] or not text.startswith(")", _skip_space(text, n.end)):
        return None
    p = PAREN_TO_RX.search(text, max(0, n.start - 40), n.start)
    if p is None or not PAREN_CHANGE_RX.search(text, max(0, p.start() - 60), p.start()):
        return None
    head = re.split(r"[,;]|\b(?:while|whereas|but|and|without)\b", text[max(0, p.start() - 60):
                                                                         p.start()])[-1]
    names = PAREN_METRIC_RX.findall(head)
    if not names and not PAREN_GAIN_RX.search(head):
        return None   # "reducing Derf's alpha from its default (0.5 to 0.3)", "while reducing
        # head usage (0.72 to 0.33)": a setting or a statistic, not a score
    if not names or names[-1].endswith("Score"):
        return "score"
    return str(names[-1])


PAREN_GAIN_RX = re.compile(r"\b(?:improv|boost|rais|lift|enhanc|gain)\w*\b",
                           re.I)
PAREN_METRIC_RX = re.compile(r"(?<![\w-])(?:perplexity|PPL|accuracy|BLEU|F1|EM|ROUGE-?\w*|mIoU|"
                             r"mAP|AUC|AUROC|FID|FVD|LPIPS|SSIM|PSNR|Dice|WER|CER|MAE|RMSE|MSE|"
                             r"[A-Z][a-z]+ Score)\b")


def _skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] == " ":
        i += 1
    return i


def from_to_metric(text: str, n: Num, start: int) -> re.Match[str] | None:
    """The metric whose value goes "from X to" n, when one of the two is a decimal."""
    lo = max(start, n.start - 90)
    if text.find("from", lo, n.start) == -1:
        return None   # the pattern's one word (a quick test before the scan)
    m = FROM_TO_METRIC.search(text, lo, n.start)
    if m and ("." in m.group() or "." in text[n.start:n.end]):
        return m
    return None
# metric names that may stand right before their value with no "of" / "=" ("lungs: DSC 0.96")
ADJACENT_METRICS = frozenset({"DSC", "AUC", "AUROC", "AUPRC", "mIoU", "mAP", "PSNR", "SSIM",
                              "FID", "BLEU", "RMSE", "MAE", "WER", "EER", "MRR", "PLCC", "SRCC"})


NAME_INTRO = re.compile(
    r"\b(?:propos\w*|introduc\w*|present\w*|develop\w*|called|named|dubbed|termed)\s+"
    r"(?:(?:a|an|the|our|new|novel)\s+)*(?:[\w-]+\s+){0,3}?"
    r"(?P<name>[A-Z][a-z]*[A-Z0-9][\w-]*|[A-Z][\w]*-[A-Z][\w-]*)")


def method_names(text: str) -> set[str]:
    """Names the abstract gives its own method ("we introduce ProtoMech", "a new method of
    potato leaf disease classification Tiny-ViT"): a sentence naming one is about own work."""
    return {m.group("name") for m in NAME_INTRO.finditer(text) if len(m.group("name")) > 2}
