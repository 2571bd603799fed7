"""The regular expressions the claim rules read: clause cuts, cues before and after a number,
settings, sizes and rates (the cue-word lexicons are in lexicon.py)."""

from __future__ import annotations

import re

from paperfeed.claims.fastre import Folded

# a space after ".!?" before a capital, or a blank line (a space first: the scan jumps to it)
SENT_RX = re.compile(r"\s(?:(?<=[.!?]\s)\s*(?=[A-Z(\[])|(?<=\n)\s*\n)")
ABBREV_RX = re.compile(r"(?:\b(?:e\.g|i\.e|vs|et al|Fig|Eq|approx|resp|cf|etc|Sec|No)\.)$")
CLAUSE_BEFORE = Folded(r"[,;:)\]]|\b(?:while|whereas|but)\b", re.I)
CLAUSE_AFTER = Folded(r"[,;:()\[\]]|\.(?!\d)|\b(?:and|while|whereas|but|compared|than|"
                           r"relative(?=\s+to\b)|versus|vs)\b|\s[~$+<>]?\d", re.I)
# An "on X" / "for X" phrase right after a number names the setting, not the measured thing.
SETTING_AFTER = re.compile(r"^\s*(?:on|for|in|across|over|under|at|within|when|among)\b", re.I)
UNIT_LABEL = {
    "pct": "%", "pts": "points", "mult": "x", "bits": "bits", "params": "params",
    "tokens": "tokens", "usd": "usd", "fps": "fps",
}
# "51.3 vs. 28.9": the first of a pair is the own result (the second is the baseline's)
VS_NEXT = re.compile(r"\s*\(?(?:vs\.?|versus)\s*[~$]*\d")


def rate_unit(unit: str) -> str:
    """The one spelling of a rate unit: "tokens per second" -> "tokens/s", "MB/s", "QPS"."""
    u = " ".join(unit.split())
    for word in ("token", "sample", "image", "sequence", "quer", "request"):
        if u.lower().startswith(word):
            name = {"quer": "queries", "request": "requests"}.get(word, word + "s")
            return f"{name}/s"
    return u
TIME_UNITS = {
    "ms": "ms", "millisecond": "ms", "milliseconds": "ms", "us": "us", "microsecond": "us",
    "microseconds": "us", "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s",
    "min": "minutes", "mins": "minutes", "minute": "minutes", "minutes": "minutes",
    "h": "hours", "hr": "hours", "hrs": "hours", "hour": "hours", "hours": "hours",
    "day": "days", "days": "days", "week": "weeks", "weeks": "weeks",
}
LATENCY_CUE = re.compile(r"latency|latencies|delay|inference|run-?time|speed|fast|real-time|encod|"
                          r"decod|per (?:image|frame|step|token|sample|query|iteration)|"
                          r"time to first token|TTFT|wall-?clock|response time|process", re.I)
COST_TIME_BEFORE = re.compile(
    r"\b(?:in|within|under|only|just|less than|about|approximately|around|~|takes?|taking|"
    r"requires?|requiring|budget of|training of|costs?|trained (?:in|for)|train in|"
    r"training \()\s*$", re.I)   # "fast training (40 minutes)"
COST_TIME_AFTER = re.compile(r"^\s*(?:per\b|of (?:training|compute|computation|GPU)|on (?:a|one|"
                              r"\d+|an?) (?:single )?(?:GPU|CPU|A100|H100|V100|TPU)|"
                              r"(?:of )?(?:training|compute)\b)", re.I)
MEMORY_BEFORE = re.compile(r"\b(?:single|only|just|within|under|less than|fits?|fitting|"
                            r"requires?|requiring|consum\w*|footprint|peak|memory of|uses?|"
                            r"using only|consumer|"
                            # "while using less memory (6.86 GB vs. 7.16 GB for GPTQ)"
                            r"(?:less|lower|reduced|smaller) (?:GPU )?memory)\b[^.;]{0,25}$", re.I)
BASE_LIST_RX = re.compile(r"[^;.()\d]{0,40}(?:,|\band\b|\bor\b)\s*(?:the\s+)?$", re.I)
BY_END = re.compile(r"\bby\s*(?:up to|over|more than|at least|about|approximately|around|"
                     r"nearly|roughly|an average of|on average|~|\+)?\s*$", re.I)
STAT_SUBJECT = re.compile(r"^\s*(?:only |about |over |nearly |almost |approximately |roughly |"
                           r"just |more than |less than |~)?$", re.I)
RESULT_VERB = re.compile(r"\b(?:achiev\w*|reach\w*|attain\w*|obtain\w*|scor\w*|record\w*)\b"
                          r"[^,;]{0,30}$", re.I)
# "surpassing baseline methods in more than 70% of cases", "wins 95% of pairwise
# comparisons": the share of cases the own method gets right
# is a success rate (version 9; a share of cases with no success verb stays a statistic)
SUCCESS_BEFORE = re.compile(r"\b(?:outperform\w*|surpass\w*|beat(?:s|ing)?|wins?|winning|won|"
                            r"match(?:es|ing)?|solv\w*|succeed\w*|resolv\w*|"
                            r"correctly \w+|is preferred|preferred)\b[^,;]{0,40}$", re.I)
SUCCESS_SHARE = re.compile(r"^\s*of\s+(?:the\s+|all\s+)?(?:[\w-]+\s+)?(?:cases|comparisons|"
                           r"instances|problems|tasks|trials|queries|test cases|matchups|"
                           r"games|puzzles|scenarios)\b", re.I)
NEGATED = re.compile(r"\b(?:no longer|not|never|fail\w*|unable)\b", re.I)
# "the best agent solving only 54.5% of tasks", "ten frontier LMs find that models solve
# only 17.2%": models a benchmark paper scores
BENCH_SUBJECT = re.compile(r"\bonly\s*$|\b(?:frontier|best|strongest|top|leading|"
                           r"most performant|evaluated|existing)\s+(?:[\w-]+\s+){0,3}?(?:models?|"
                           r"LLMs?|LMs|agents?|systems|configurations)\b|\bwe (?:benchmark|"
                           r"evaluate)\b|\bevaluations? of\b", re.I)
POINT_GAIN = re.compile(r"^\s*(?:absolute\s+)?(?:gain|improvement|increase|boost|lead|margin|"
                         r"drop|reduction|loss|degradation|gap|decrease|advantage)", re.I)
BASELINE_SUBJECT = re.compile(r"\s*(?:the |a |existing |strong |these |such )?baselines?\b",
                               re.I)
HARDWARE_RX = re.compile(r"\b(?:[AHV]100|A6000|RTX|\d{4} ?Ti|GPUs|TPUs|nodes|cards)\b")
TOKENS_CONTEXT = re.compile(r"context|window|sequence length|long-?context", re.I)
TIME_AFTER_BAD = re.compile(r"^\s*(?:of\b(?!\s*(?:[\w-]+\s+)?overheads?\b)|old\b|ago\b|after\b|"
                            r"before\b|post\b|follow|"
                             r"(?:[\w-]+ )?(?:tiers?|budgets?|windows?|timeouts?|thresholds?|"
                             r"limits?|chunks?|segments?|clips?|intervals?|horizons?|"
                             r"constraints?|caps?|deadlines?|resolution|cadence|exposures?|"
                             r"observations?|recordings?|videos?|audio|trajector\w+|episodes?)\b)",
                             re.I)
MULT_AFTER_BAD = re.compile(r"^\s*(?:more (?:data|samples|parameters|examples)|larger (?:data|"
                             r"model)|the (?:size|number))", re.I)


GAIN_BEFORE = re.compile(r"(?:\bby|\+|\bgains? of|\bimprovements? of|\bincrease of)\s*"
                          r"(?:up to |about |approximately |nearly |over |~)?$", re.I)
LIST_NEXT = re.compile(r"^(?:\s*(?:,|and|or|,\s*and)\s*[~$<>]*\d[\d.,]*\s*(?:\\?%|x|points)?"
                        r"\$?)+(?=\s+[A-Za-z])")
DIGIT_RX = re.compile(r"\d")
SAVINGS = ("memory", "compression", "compute", "cost")


def metric_unit(name: str) -> str:
    """One spelling per metric as a unit ("mean IOU" -> "IoU")."""
    low = " ".join(name.lower().replace("-", " ").split())
    if low in SPELLED_METRICS:
        return SPELLED_METRICS[low]
    key = low.removeprefix("mean ")
    return {"iou": "IoU", "accuracy": "accuracy", "top 1 accuracy": "accuracy"}.get(key, name)


SPELLED_METRICS = {
    "mean absolute error": "MAE", "mean absolute percentage error": "MAPE",
    "root mean square error": "RMSE", "root mean squared error": "RMSE",
    "root mean square deviation": "RMSD", "root mean squared deviation": "RMSD",
    "mean square error": "MSE", "mean squared error": "MSE", "word error rate": "WER",
    "character error rate": "CER", "mean average precision": "mAP", "dice coefficient": "Dice",
    "dice similarity coefficient": "Dice", "concordance index": "C-index"}


COMPARE_WORD = re.compile(r"\b(?:(?<!by )over(?!\s*[~$]*\d)|(?<!more )(?<!less )than|vs\.?|"
                           r"versus|compared (?:to|with)|relative to|against)\b", re.I)
AT_BEFORE = re.compile(r"\b(?:at|under|for|on|in)\s+(?:a\s+|an\s+|the\s+)?$", re.I)
COMPUTE_MOD = re.compile(r"comput\w*", re.I)
SPEED_VERB = re.compile(r"\bspeed(?:s|ing)? up|\baccelerat\w*|\bfaster\b|\bspeed-?ups?\b", re.I)
GENERIC_QUALITY = re.compile(r"improv\w*|gains?|better|higher|outperform\w*|performance|"
                              r"surpass\w*|quality|scores?|success|benchmark", re.I)
# "3.78 times improvement in efficiency", "the efficiency of X was 265 times higher", "8.31x
# higher training throughput": a factor of a generic efficiency or of throughput is a
# speed-up (tests/data/CLAIMS_GUIDE.md, batch 8), not a better score (version 9)
SPEED_EFFICIENCY = re.compile(r"(?<!sample )(?<!data )(?<!parameter )(?<!energy )(?<!token )"
                              r"(?<!memory )(?<!label )(?<!annotation )(?<!compute )"
                              r"(?<!computational )(?<!power )(?<!spectral )(?<!quantum )"
                              r"(?<!formation )(?<!conversion )(?<!extraction )(?<!coupling )"
                              r"(?<!collection )(?<!luminous )(?<!thermal )(?<!radiative )"
                              r"(?<!photon )(?<!light )(?<!fuel )(?<!catalytic )(?<!cooling )"
                              r"\befficiency\b|\bthroughput\b", re.I)
GAIN_WORD = re.compile(r"\b(?:improv\w*|gains?|increas\w*|higher|better|boost\w*|"
                        r"outperform\w*|surpass\w*|more|relative|reduc\w*|lower|fewer|less|"
                        r"decreas\w*|exceed\w*|over)\b|\+", re.I)
MULT_RATE = re.compile(r"^\s*(?:(?:a|per)\s+(?:second|minute|hour|day|week|month|year)|"
                        r"(?:[\w-]+\s+)?cross-?validation|CV\b|of (?:the )?(?:native|original|"
                        r"training) (?:length|resolution|size))\b", re.I)
# a factor of quality needs a word saying it is better ("improves RMSE by 30x", "30x lower error")
QUALITY_X = re.compile(r"improv\w*|better|lower|reduc\w*|higher|boost\w*|gains?|increas\w*|"
                        r"fewer errors|more accurate|outperform\w*", re.I)
SIZE_AFTER = re.compile(r"^\s*(?:-fold\s+)?(?:larger|bigger|smaller(?! (?:model|memory|storage|"
                         r"footprint|size|file|checkpoint|KV))|more data|data|the size|"
                         r"the coverage|the scale|(?:in )?(?:model )?(?:size|scale)|more "
                         r"(?:params|parameters|data)|the (?:radius|mass|diameter|luminosity|"
                         r"number|distance|area|volume|brightness|density))\b", re.I)
DATA_AFTER = re.compile(r"^\s*(?:less|fewer|more)\s+(?:[\w-]+\s+)?(?:samples|data|examples|"
                         r"images|videos|labels|annotations|demonstrations|molecules|"
                         r"repositories|papers|documents|structures|points|users|sequences)\b",
                         re.I)
SCALE_SETUP_BEFORE = re.compile(r"(?:\b(?:sizes?|scales?|variants?|famil(?:y|ies)|"
                                 r"architectures|regardless)\b[^.;]{0,20}|\bat\s*|"
                                 r"\b(?:on|to|for) (?:an?|the) [\w.-]+ (?:model|LLM) with\s*)$",
                                 re.I)
SCALE_PLURAL_AFTER = re.compile(r"^\s*(?:[\w-]+\s+)?(?:models|LLMs|variants|networks|"
                                 r"families|backbones)\b", re.I)
BITS_OTHER = re.compile(r"(?:\b(?:than|vs\.?|versus|compared (?:to|with)|outperform\w*|"
                         r"surpass\w*)\s+(?:the\s+)?(?:(?!(?:for|on|in|with|at|to|by)\b)"
                         r"[\w.-]+\s+){0,3}|\bof\s+[\w.-]+,\s*an?\s*)$",
                         re.I)
BITS_RESULT = re.compile(r"\b(?:achiev\w*|enabl\w*|compress\w*|quantiz\w* (?:to|into)|"
                          r"reach\w*|introduc\w*|present\w*|propos\w*)\b", re.I)
SPREAD_BEFORE = re.compile(r"(?:\b(?:spans?|spanning|var(?:y|ies|ied)|ranges?|ranging|differs?|"
                            r"differ\w*)\s+(?:by\s+)?|\bcosts?\s+)(?:over|up to|about|more than|"
                            r"roughly|~|nearly)?\s*$", re.I)
OTHER_MODELS = re.compile(r"\b(?:outperform\w*|surpass\w*|beat\w*|match\w*|exceed\w*|than|"
                           r"comparable to|compared (?:to|with)|rival\w*|against|baselines?|"
                           r"teachers?|models|LLMs|alternatives|variants|counterparts)\b"
                           r"[^.;]{0,40}$", re.I)
# "RoBERTa yielding the highest F1-score (0.90)", "GPT-5 attains the highest accuracy (0.767)":
# an off-the-shelf model a comparison study scores (version 9, for a value in a parenthesis)
OFF_THE_SHELF = re.compile(r"\b(?:(?i:gpt-?[\w.-]*|gemini[\w.-]*|claude[\w.-]*|llama[\w.-]*|"
                           r"qwen[\w.-]*|mistral[\w.-]*|deepseek[\w.-]*)|"
                           r"(?:Distil|Bio|Ro|Sci|Clinical|Pub[Mm]ed)?BERT[a]?|RoBERTa|"
                           r"DeBERTa[\w.-]*|o[134]-\w+|XGBoost|SVM|Random Forest|U-?Net|FPN|"
                           r"LinkNet|ResNet[\w-]*|Tesseract|MLLMs|LLMs)\b|"
                           r"\b(?:[Aa]mong (?:the |all )?(?:evaluated|tested|compared)|"
                           r"[Aa]mong them|advanced models|"
                           r"evaluated (?:architectures|models|methods|systems|tools)|"
                           r"outperforming all other models)\b")
