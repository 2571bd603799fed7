"""Cue-word lexicons: which kind of claim a number is, and whether it is a claim at all."""

from __future__ import annotations

import re

from paperfeed.claims.fastre import Folded

# Kind cues, most specific first. A cue is searched near the number (after it, then before it,
# then anywhere in the sentence); the nearest cue wins.
KIND_CUES: list[tuple[str, str]] = [
    ("memory", r"memory|VRAM|KV[- ]?cache|footprint|\bRAM\b|activation storage"),
    ("compression", r"compression (?:ratios?|rates?)|compress\w*|bit-?rates?|"
                    r"(?:number of |redundant )?Gaussians|Gaussian primitives|"
                    r"sparsity|sparse|prun\w+|model size|"
                    r"sequence lengths?|smaller size|in size|size reduction|"
                    r"smaller models?|storage|bpp|bits per pixel|file size|data (?:volume|size)|"
                    r"parameter (?:count|reduction)|(?:number of |fewer )?parameters|params"),
    ("compute", r"carbon footprint|carbon emissions?|FLOPs?|GFLOPs|TFLOPs|MACs|compute|"
                r"computation\w*|energy|power consumption|"
                r"tokens?|token usage|learning cost|training cost|computational cost|"
                r"complexity|overheads?|operations|MFU|(?:2-qubit |two-qubit |CNOT )?gate counts?|"
                r"circuit depth|inference power|power draw|model FLOPs utili[sz]ation|"
                r"of (?:the )?(?:theoretical )?peak(?!\s+(?:memory|VRAM|GPU memory))|"
                r"function evaluations|NFEs?|sampling steps|"
                r"denoising steps|(?:generative|generation|diffusion|inference|solver|integration|"
                r"reasoning|decoding) steps|queries|API calls|less training|fewer training \w+|"
                r"training (?:steps|epochs|iterations|compute|budget|FLOPs)|epochs|iterations|"
                r"(?:token|segment|resource|API|tool|GPU) usage|"
                # "reducing reasoning length by 36%", "CoT length by 67%": the tokens a model
                # generates (token reductions are compute), version 8; "LLM calls by 60%"
                r"(?:reasoning|response|output|generation|CoT|chain-of-thought|thinking|"
                r"trace|answer|solution) lengths?|(?:tool|LLM|model|function) calls|"
                # "25% fewer training episodes", "40% to 60% fewer circuit evaluations": fewer
                # units of work the method needs
                r"fewer (?:[\w-]+ )?(?:evaluations|episodes|rollouts|iterations|steps|queries|"
                r"calls|trials|simulations|interactions|forward passes|samples)|training episodes|"
                r"forward passes|"
                # "10x reduction of required DFT calculations": the calculations a method needs
                r"(?:number of|fewer|required|expensive) (?:[\w-]+ ){0,2}?calculations"),
    ("speedup", r"speed-?ups?|speeds? up|sped up|speed|faster|accelerat\w*|latency|latencies|"
                r"throughput|"
                r"inference time|run-?times?|wall-?clock|time to first token|TTFT|"
                r"convergence|training time|decoding|fps|real-time|quicker|"
                r"inference efficiency|JCT|makespan|time-to-[\w-]+|time"),
    ("cost", r"dollars?|USD|price|cheaper|GPU[- ]hours|GPU[- ]time|budget|costs?"),
    ("quality", r"accuracy|accuracies|F1|BLEU|ROUGE[\w-]*|METEOR|CIDEr|FID|FVD|PSNR|SSIM|"
                r"LPIPS|mAP|AP\d*|macro-F1|micro-F1|MOTA|IDF1|HOTA|[A-Z][A-Za-z]{0,11}+@\d+|AUC|AUROC|AUPRC|mIoU|IoU|Dice|MPJPE|EER|WER|CER|recall|"
                r"precision|sensitivity|specificity|"
                r"NDCG|MRR|Hits@\d+|pass@\d+|top-?\d|success rates?|win[- ]rates?|"
                r"perplexity|error|errors|(?:[nvr]r?|m|cv)?(?:MAE|RMSE|MSE)s?|performance|scores?|"
                r"success|more accurate|"
                r"correlation|exact match|EM\b|"
                r"improv\w*|outperform\w*|gains?|better|higher|surpass\w*|robustness|"
                r"attack success|hallucinations?|benchmark|quality|"
                # "a 2.12% Bjontegaard Delta Bit Rate (BDBR)", "46.6% BD-rate reduction": a
                # codec's rate-distortion score (version 9), not a speed or a compression
                r"BD-?rates?|BDBR|Bj\w*ntegaard delta(?: bit)? rates?"),
]
# One alternation with a group per kind, to find the nearest cue in one pass.
ANY_KIND_RX = Folded(
    r"(?<![\w-])(?=\w)(?:" + "|".join(f"(?P<{kind}>{rx})" for kind, rx in KIND_CUES)
    + r")(?![\w-])", re.I
)

# A sentence reads as a claim about the paper's own work.
SELF_RX = Folded(
    r"\b(?:we|our|ours|us|this (?:work|paper|study|method|approach|framework|model|system)|"
    r"the proposed|proposed|results? (?:show|demonstrate|indicate|reveal)|experiments? "
    r"(?:show|demonstrate|reveal|confirm)|achiev\w*|yield\w*|deliver\w*|attain\w*|enabl\w*|"
    r"improv\w*|outperform\w*|surpass\w*|reduc\w*|cut\w*|sav\w*|boost\w*|accelerat\w*|"
    r"speed\w*|retain\w*|maintain\w*|lower\w*|decreas\w*|increas\w*|exceed\w*|gains?|"
    r"faster|fewer|less|smaller|up to|only|requires?|runs?|fits?|reach\w*|obtain\w*|"
    r"scor\w*|demonstrat\w*|records?|recorded)\b",
    re.I,
)
# A sentence about other people's work or the problem, not this paper's result.
BACKGROUND_RX = Folded(
    r"\b(?:existing|prior|previous|previously|conventional|traditional|typically|"
    r"commonly|recent (?:work|studies|methods)|however|suffer\w*|bottleneck|prevalent|"
    r"notoriously|well[- ]known|(?:is|are) known to|"
    r"remains? (?:challenging|difficult|an open)|widely (?:used|adopted)|"
    r"state-of-the-art (?:methods|models|systems) (?:achieve|reach|require))\b",
    re.I,
    needs=("existing", "prior", "previous", "conventional", "traditional", "typically",
           "commonly", "recent", "however", "suffer", "bottleneck", "prevalent", "notoriously",
           "known", "remain", "widely", "state-of-the-art"),
)
# Right before a background word: it is what the result is compared against.
COMPARED_TO_RX = Folded(r"\b(?:than|over|to|with|vs\.?|versus|outperform\w*|surpass\w*|"
                            r"beat\w*|against|exceed\w*)\s+(?:the\s+|all\s+|many\s+|most\s+|"
                            r"several\s+|strong\s+)?$", re.I)
STRONG_SELF_RX = Folded(
    r"\b(?:we|our|ours|this (?:work|paper|method|approach)|the proposed|proposed|"
    r"results? (?:show|demonstrate)|experiments? (?:show|demonstrate)|"
    # "Experiments on 6K-resolution videos show that", "evaluations across five benchmarks
    # demonstrate": the paper's own experiments, whatever the sentence compares against
    r"(?:experiments?|evaluations?|results?) (?:on|across|over|with|in) [^.;]{0,60}?"
    r"(?:show|demonstrate|reveal|confirm|indicate)s?)\b", re.I
)

# Immediately before a number: it is the baseline / starting point, not the result.
BASELINE_BEFORE_RX = Folded(
    r"(?:\b(?:vs\.?|versus|compared (?:to|with)|(?:in )?comparison (?:to|with)|relative to|"
    r"baselines?'?s?|from|"
    r"(?:surpass\w*|outperform\w*|beat\w*|exceed\w*) the|"
    r"(?<!more )(?<!less )(?<!greater )(?<!fewer )(?<!better )(?<!higher )(?<!lower )"
    r"(?<!rather )than|close to|references? of)|"
    r"\bof\s+(?:the\s+)?(?:original|baseline|full[- ]\w+)\s+)"
    r"\s*(?:the\s+|an?\s+)?(?:~|approximately|about|around|roughly|over|more than|nearly|almost)?"
    r"\s*\(?\s*\$?$",
    re.I,
)
# Just before a number in parentheses after a comparison: the other side's score
# ("outperforming GPT-5 (53.1%)").
PAREN_BASELINE_RX = Folded(
    r"\b(?:outperform\w*|surpass\w*|beat\w*|exceed\w*|than|over|compared (?:to|with)|vs\.?|"
    r"versus|relative to|approach(?:es|ing)|close to|rival\w*|below|above|ahead of)\b[^;.]{0,90}"
    r"\(\s*$", re.I
)
# An operating point or a swept setting, not a result: "at an FMR of 0.01%", "varying d from".
SETTING_BEFORE_RX = Folded(
    r"(?:\bat (?:a |an |the )?[^,;]{0,40}(?:of|=)\s*|\b(?:vary\w*|ranging|range of|sweep\w*|"
    r"threshold of|set to|fixed at)\b[^,;]{0,30}|"
    r"\bbudgets? of\s*(?:just |only )?|\bto a level of\s*(?:~|about|around)?\s*|\(\s*[<>~]\s*|"
    r"\b(?:in|of)\s*\{[^}]{0,30}|"
    r"(?<![\w-])[A-Za-z]\s+(?:in|\u2208)\s*[{(]?\s*(?:[\d.]+\s*x?\s*,\s*)*|"
    r"\b(?:[a-zA-Z]|alpha|beta|gamma|delta|lambda|tau|epsilon|eta|rho|sigma|mu)\s*=\s*)$",
    re.I
)
# In the clause before the number: it belongs to someone else ("baseline DUSt3R localizes fewer
# than 5%", "prior approaches that reached only 24%") unless it is compared against them.
OTHERS_CLAUSE_RX = Folded(r"\b(?:baselines?|prior|previous|existing|competing|"
                              r"recent (?:work|studies)|e\.g\.|such as)\b", re.I)
OTHERS_REL_RX = Folded(
    r"\b(?:baselines?|prior|previous|existing|competing|methods|approaches|models|systems)\b"
    r"[^,;]*\b(?:that|which|who)\b[^,;]*$|"
    r"\b(?:achieves?|achieved|reach(?:es|ed)?|scores?|attain(?:s|ed)?) only\s*$", re.I
)
COMPARED_CLAUSE_RX = Folded(
    r"\b(?:by|over|(?<!more )(?<!fewer )(?<!less )(?<!greater )than|compared|outperform\w*|"
    r"surpass\w*|beat\w*|relative|improv\w*|"
    r"reduc\w*|of the)\b", re.I
)
SUBSET_AFTER_RX = re.compile(r"^\s*(?:training |labeled |labelled |annotated )?(?:data|subset|"
                             r"split|of the data)\b|^\s*(?:confidence|credib\w*|significance|"
                             r"CIs?\b|(?:upper|lower) "
                             r"(?:confidence )?bounds?|prediction intervals?|HDI|quantile|"
                             r"percentile|statistical power|power\b)",
                             re.I)
# Right after a percent: the share of parameters a method trains (its setup, not a result),
# unless the sentence prunes or removes them.
PARAM_SHARE_RX = re.compile(r"^\s*(?:of (?:the |its |all |model |total |these |their |"
                            r"[\w.-]+'s )*)?(?:trainable|learnable|tunable|additional|extra|"
                            r"active|activated|updated)?\s*(?:model )?param(?:eter)?s?\b|"
                            r"^\s*of (?:the )?total\b|^\s*of (?:the )?(?:original )?"
                            r"(?:[\w.-]+(?:'s)? )?(?:model(?:'s)? )?size\b", re.I)
# ... a share of parameters is the method's setup when it trains, tunes or adds them
PARAM_TUNE_RX = re.compile(r"trainable|learnable|tunable|fine-?tun\w*|updat\w*|\btrain\w* only|"
                           r"adapter|LoRA|PEFT|parameter-efficient|perturb\w*|\badds?\b|"
                           r"adapt\w*|introduc\w* only|with only|additional|\btun\w*|"
                           r"chang\w* to|edit\w*|learn\w* param\w*|steer\w*", re.I)
RATE_BEFORE_RX = re.compile(r"\b(?:rates?|ratios?|utili[sz]ation|efficiency|accuracy|"
                            r"hit rates?)\s*(?:of|approaching|reaching|to|at|near|above|over|"
                            r"exceeding|is|=|:)?\s*(?:~|about|nearly|almost|over)?\s*$", re.I)
# Right after a percent: a rate or utilisation, a score (quality), not a saving
RATE_AFTER_RX = re.compile(r"^\s*(?:[\w-]+\s+){0,2}(?:(?:hit|pass|success|acceptance|detection|"
                           r"compliance|coverage|sustainability|recovery|agreement)\s+rates?|"
                           r"rates?|stability|utili[sz]ation|efficiency|coverage|compliance|"
                           r"integration|recall|precision|accuracy|localization|retrieval|"
                           r"performance|"
                           r"of (?:the |its |their )?(?:[\w-]+ ){0,2}(?:performance|accuracy|"
                           r"quality|capabilit\w+|score))\b", re.I)
# Right before a number: an interval, bound or test statistic, not a result.
INTERVAL_BEFORE_RX = Folded(r"(?:\bCIs?\b|confidence interval|credible interval|\[|"
                                r"(?:upper|lower) bound|\bp\s*[<=>]|\bwithin|\bSE\b|\bSD\b|"
                                r"standard (?:error|deviation))[^;.]{0,12}$", re.I)
# Right after a number: it is a starting point ("39% -> 72%", "39% to 72%").
ARROW_AFTER_RX = re.compile(r"^\s*(?:->|=>)\s*")
# Right after a percent: a share of the data or of a population, i.e. setup.
SHARE_OF_DATA_RX = re.compile(
    r"^\s*(?:of|of the)\s+(?:the\s+)?(?:(?!on\b|in\b|for\b|across\b|with\b|at\b)[\w-]+\s+){0,4}"
    r"(?:data|dataset|datasets|corpus|samples|examples|"
    r"labels?|labeled|labelled|annotations?|images|videos|participants|patients|cases|"
    r"respondents|population|subjects|users|students|people|individuals|papers|articles|"
    r"documents|questions|tasks|instances|time|training set|test set|the time|turns|trials|"
    r"episodes|authors|pairs|sentences|words|runs|queries|errors|failures|mistakes|responses|"
    r"outputs|generations|predictions|items|problems|variance|variation|tokens|repositories|"
    r"footprint|area|sky|volume|population|luminosity|Eddington|solar|black hole|"
    r"relativistic|supernova|Galactic|galaxy|cosmic|Hubble)\b",
    re.I,
)
# Words that make a bare or counted number a statement of scale about our own model.
SCALE_SELF_RX = re.compile(r"\b(?:our|only|just|with|mere|merely|compact|small|"
                           r"lightweight|supports?|extends?|up to|scal\w+|model size of)\b", re.I)
DATA_CONTEXT_RX = re.compile(
    r"\b(?:trained on|pre-?trained on|corpus|corpora|dataset|data set|collected|curated|"
    r"consisting of|comprising|contains?|containing|training data|pretraining data)\b",
    re.I,
)
QUANT_CONTEXT_RX = re.compile(
    r"(?<![a-z])(?:quantiz|quantis|bit-?width|low-?bit|precision|\bW\d{1,2}A\d{1,2}\b|binari|ternary|"
    r"\bINT\d|\bFP\d)", re.I
)
METRIC_NAME_RX = re.compile(
    r"(?<![\w-])(?P<metric>FID|FVD|IS|KID|PSNR|SSIM|LPIPS|BLEU|ROUGE(?:-\w+)?|METEOR|CIDEr|"
    r"mAP(?:@[\d.:]+)?|AP(?:50|75)?|AUC|AUROC|AUPRC|mIoU|IoU|Dice|F1(?:[- ]score)?|"
    r"MPJPE|PA-MPJPE|EER|WER|CER|NDCG(?:@\d+)?|MRR|[Aa]ccuracy|top-1 accuracy|"
    r"success rate|pass@\d+|perplexity|PPL|Spearman|Pearson|RMSE|MAE|MSE|ADE|FDE|"
    r"Chamfer distance|CD|EPE|NME|AbsRel|R@\d+|Recall@\d+|Hits?@\d+|CC|MAPE|R\^?2|SRCC|PLCC|"
    r"KRCC|BERTScore|CLIPScore|ECE|Brier score|mean IoU|IOU|EM|Kendall'?s? tau|DSC|Dice score|"
    r"TM-score|pLDDT|RMSD|MCC|"
    # spelled out ("a mean absolute error of 7.1 in stand counting")
    r"(?i:mean absolute (?:percentage )?error|root[- ]mean[- ]squared?[- ](?:error|deviation)|"
    r"mean squared? error|word error rate|character error rate|mean average precision|"
    r"dice (?:similarity )?coefficient|concordance index))"
    r"\)?(?:\s+(?:score|value))?(?:\s+(?:improvement|gain|increase)\s+(?=of|was|is))?"
    r"\s*(?:of|=|:|\(|is|was|reaches|reaching|achieves?|to|by)?\s*"
    r"(?:(?:of |at |is )?(?:~|approximately|about|around|roughly)\s*)?$"
)
METRIC_AFTER_RX = re.compile(
    r"^\s*(?P<metric>FID|FVD|PSNR|SSIM|LPIPS|BLEU|ROUGE(?:-\w+)?|mAP|AP|AUC|AUROC|AUPRC|mIoU|"
    r"F1|MPJPE|EER|WER|CER|NDCG(?:@\d+)?|MRR|top-1 accuracy|accuracy|success rate|pass@\d+|"
    r"(?:mean )?(?:IoU|IOU)|Dice|SSIM|CIDEr|METEOR|BERTScore|CLIPScore|RMSE|MAE|MAPE|SRCC|PLCC)"
    r"(?![\w-])"
)

# The number is another system's score, typically in a benchmark paper ("even the best model
# achieves only 39.6%").
OTHERS_RX = Folded(
    r"\b(?:even (?:the )?(?:best|strongest|state-of-the-art|top|leading|most advanced|frontier)|"
    r"(?<!our )(?:best|top)[- ]performing (?:model|system|method|LLM|agent)s? "
    r"(?:only|still|struggle|fail|achieves? only|reach(?:es)? only|score only)|"
    # a challenge's report: "Top-performing algorithms achieved a mean Dice of 0.75"
    r"(?<!our )(?:best|top)[- ](?:performing|ranked|scoring) (?:algorithm|team|submission|"
    r"entr(?:y|ie)|participant)s?\b|"
    r"(?:evaluation|evaluating|evaluate|benchmarking) (?:of )?(?:\d+ |several |various |many )?"
    r"(?:state-of-the-art|leading|frontier|current|existing|popular|open|proprietary)|"
    r"(?:models|LLMs|MLLMs|VLMs|systems|agents) (?:struggle|achieve only|reach only|score only))",
    re.I,
    needs=("even", "performing", "evaluat", "benchmarking", "struggle", "only"),
)
OTHERS_WEAK_RX = Folded(r"\b(?:achieves?|reach(?:es)?|scores?|attains?) only\b|"
                            r"\bonly (?:achieves?|reach(?:es)?|scores?|attains?)\b", re.I,
                        needs=("only",))
SETUP_SCALE_RX = re.compile(r"\b(?:using|use|used|uses|evaluat\w*|experiments?|fine-?tun\w*|"
                            r"benchmark\w*|models such as|including)\b", re.I)
COST_CUE_RX = re.compile(r"cost|price|budget|spend|spent|cheap|expens|dollar|USD|per |afford",
                         re.I)
KV_RX = re.compile(r"KV[- ]?cache|key-value \(KV\) cache|key-value cache", re.I)
# A projection, not a measured result ("paves the way for saving up to 90% of compute").
PROJECTION_RX = Folded(r"\b(?:paves? the way|paving the way|could (?:potentially )?"
                           r"(?:save|reduce|cut)|would (?:save|reduce|cut)|is projected|"
                           r"are projected|the projected|"
                           r"(?<!random )(?<!linear )(?<!orthogonal )projections?|"
                           r"implies savings)\b", re.I,
                       needs=("pav", "could", "would", "project", "implies"))
