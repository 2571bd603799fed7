"""Error classes fixed in version 3 of the claim rules (issue #13): each case is a made-up
sentence of the class, not a sentence of the dev sets."""

from __future__ import annotations

import pytest

from paperfeed.claims import extract_claims


def kv(abstract: str) -> set[tuple[str, float]]:
    return {(c.kind, c.value) for c in extract_claims(abstract)}


@pytest.mark.parametrize("text, expected", [
    # settings: a swept set of values, the other side's figures inside a parenthesis
    ("Data were subsampled at acceleration rates R in {2x, 4x, 8x}.", set()),
    ("Our model achieves 61.4% SR@10, surpassing BaseNet (31.8% SR@1, 41.0% SR@10).",
     {("quality", 61.4)}),
    ("Our model reaches an R2 of 0.59, outperforming the reference models (R2 of 0.52 and "
     "RMSE of 0.61).", {("quality", 0.59)}),
    ("Our method outperforms prior work in localization accuracy (by 12.5%).",
     {("quality", 12.5)}),
    # projections are not results
    ("This paves the way for saving up to 90% of compute required for training.", set()),
    # kinds
    ("Our kernel adds only 1.9% overhead to each training step.", {("speedup", 1.9)}),
    ("Our pipeline adds only 0.69 ms of inference overhead per frame.", {("speedup", 0.69)}),
    ("Our solver reaches up to 47% of the theoretical peak on one GPU node.",
     {("compute", 47)}),
    ("Our densification reduces the number of Gaussians by up to 50%.",
     {("compression", 50)}),
    ("Our agent achieves an input token compression ratio of up to 86%.",
     {("compression", 86)}),
    ("Our distilled set reduces soft label storage by 78x on ImageNet-1K.",
     {("compression", 78)}),
    ("Our approach reduces computational cost by 100x with minor quality degradation.",
     {("compute", 100)}),
    # bit widths of named or used models, rates per step; sizes of models used or validated on
    ("We show that 1.58-bit BitNet is naturally more compatible with N:M quantization.", set()),
    ("Its 1-bit-per-timestep representation limits quantization throughput.", set()),
    ("Validated on large-scale models (A-2, B-2.1) up to 14B parameters, our method wins.",
     set()),
    ("We combine retrieval with the generative capabilities of a 24B parameter model.", set()),
    ("Our model has only 1.5B parameters and even outperforms a state-of-the-art video "
     "generation model with over 13B parameters.", {("scale", 1.5e9)}),
    # trends of others, filtering of a corpus, a saving whose cue is in another clause
    ("We document an approximately 600-fold decline in token prices over two years.", set()),
    ("From this corpus, we extract 124.6 million tokens and reduce them by over 99.99%.",
     set()),
    ("Our governance reduces this cost, with action variance decreasing up to 1600x.", set()),
    ("Our distillation wins when applied to the model FLUX.1-dev (up to 12B parameters).",
     set()),
    ("Frontier judges reach only F1 0.17-0.40 at up to 90x the cost.", set()),
    ("Our model allows 72x longer context within the same budget.", set()),
    ("Our scheme reduces security gaps by up to 70-fold at a maximum welfare cost of 3%.",
     set()),
    ("Our tool surfaces a 68x cost spread across model tiers.", set()),
    ("Our module boosts AP by 14.5% using an annotation budget of just 1.7% of the tiles.",
     {("quality", 14.5)}),
    # a method the abstract names is its own ("we introduce ProtoMech ... ProtoMech recovers")
    ("We introduce ProtoMech, a tracing framework. Applied to ESM2, ProtoMech recovers "
     "82-89% of the original performance.", {("quality", 89)}),
    ("Our pruning method effectively reduces 60% of visual tokens without degradation.",
     {("compute", 60)}),
    ("Our method outperforms centralized methods, including long-short-term memory, by 23.81% "
     "on forecasting accuracy.", {("quality", 23.81)}),
    ("Our few-shot method has a GPT usage cost of 5.97 US dollars.", {("cost", 5.97)}),
    ("Our method reduces total GPU-time by 202x.", {("cost", 202)}),
    ("Our compilation reduces the 2-qubit gate count of the simulation by 35%.",
     {("compute", 35)}),
    ("Our model improves pLDDT by 6% and TM-score by 0.26.", {("quality", 6), ("quality", 0.26)}),
    ("Our rates sit below the reported Pass@1 band (12.3-22.7%) of other agents.", set()),
    # a named metric's value "from X to Y" (decimals; years and counts are not)
    ("Our method improves the average Exact Match (EM) score from 0.392 to 0.474.",
     {("quality", 0.474)}),
    ("Our survey of OGLE data from 2001 to 2020 found six events.", set()),
    ("We increased the sample of RSGs from 1 to 17.", set()),
    # what "it" names
    ("Our model sets a new benchmark for inference time, improving it by 260% over baselines.",
     {("speedup", 260)}),
    # findings of an analysis are not compressions
    ("We find that subnetworks of less than 0.2% of model parameters are critical.", set()),
    ("Our sampler reduces training time by 13 folds.", {("speedup", 13)}),
    ("Our student shows 1.68-percentage-point losses against the teacher.",
     {("quality", 1.68)}),
    ("We segment the organs well (lungs: DSC 0.96, heart: DSC 0.94).",
     {("quality", 0.96), ("quality", 0.94)}),
    ("Our fine-tuned model exceeded the strongest model by 2.36%.", {("quality", 2.36)}),
    ("Our decoder attains speedups of 5.5x on A-8B, improving over DFlash by roughly 11%.",
     {("speedup", 5.5), ("speedup", 11)}),
    ("We show a direct impact on end-to-end training runtime with 5-10% improvement.",
     {("speedup", 10)}),
])
def test_error_classes(text: str, expected: set[tuple[str, float]]) -> None:
    assert kv(text) == expected


def test_utilisation_is_a_score_not_a_saving() -> None:
    c = extract_claims("Our code reaches 47% of the theoretical peak on an A100 node.")[0]
    assert (c.kind, c.norm_unit, c.norm_value, c.direction) == ("compute", "%", 47, "higher")


@pytest.mark.parametrize("text, expected", [
    # version 4: rates of the own system are speed-ups
    ("Our engine serves 2,400 tokens/s on a single GPU.", {("speedup", 2400)}),
    ("Our index answers 30,000 queries per second on one node.", {("speedup", 30000)}),
    ("Our codec decodes at 640 MB/s on one core.", {("speedup", 640)}),
    ("Existing servers are typically limited to 300 tokens/s.", set()),
    # the first of a "vs." pair is the own score, also inside a comparison's parenthesis
    ("Our tagger beats the rule baseline (0.812 vs. 0.774) on the test split.",
     {("quality", 0.812)}),
    ("We report 71.5 vs. 64.2 on the harder split.", {("quality", 71.5)}),
    ("Prior systems scored similarly (0.41 vs. 0.40).", set()),
    ("We use 12 vs. 24 layers in the two variants.", set()),
    # a metric the abstract defines names the bare number next to it
    ("We measure the Route Completion Score (RCS). Our planner achieves 81.25 RCS, "
     "beating the previous best by 6.40 RCS.", {("quality", 81.25), ("quality", 6.4)}),
    ("The odds ratio (OR) of the treated group was 1.94 (OR = 1.94).", set()),
    ("We define the mean matching error (MME) and extract 2048 MME features.", set()),
])
def test_version_4_classes(text: str, expected: set[tuple[str, float]]) -> None:
    assert kv(text) == expected


def test_rates_sort_as_higher_is_better_in_their_own_unit() -> None:
    c = extract_claims("Our engine serves 2,400 tokens per second on a single GPU.")[0]
    assert (c.unit, c.direction, c.norm_unit, c.norm_value, c.subkind) == (
        "tokens/s", "higher", "tokens/s", 2400, "throughput")


@pytest.mark.parametrize("text, expected", [
    # version 5: an acronym's (or a condition's) parenthesis does not end the clause
    ("Our method cuts the Time-To-First-Token (TTFT) by 41% on long prompts.",
     {("speedup", 41)}),
    ("Our method lowers decoding latency (on an A100 GPU) by 18%.", {("speedup", 18)}),
    # own experiments and the own method's name outweigh a background word
    ("We propose FastNet. Experiments on 4K images show that FastNet achieves a 5-fold "
     "reduction in memory use compared to SlowNet, a representative prior work.",
     {("memory", 5)}),
    # the other side: "ahead of X (N%)", "compared with a N% ..."
    ("Our model reaches 81.2% on the benchmark, ahead of large models like BigLM (74.5%).",
     {("quality", 81.2)}),
    ("Our model loses only 2% accuracy, compared to a 17% drop for standard training.",
     {("quality", 2)}),
    # one number for coordinated efficiency cues is a claim of each kind
    ("Our pruning reduces inference FLOPs and latency by up to 7x.",
     {("compute", 7), ("speedup", 7)}),
    ("We obtain a 3x speedup and memory reduction on long inputs.",
     {("speedup", 3), ("memory", 3)}),
    # ... but "respectively" pairs one number with each (one kind per number; since version 9
    # by position: the time cut is a speed-up, as the guide has it, the cost cut cost)
    ("Our method reduces time and cost by 12% and 15%, respectively.",
     {("speedup", 12), ("cost", 15)}),
    # the share of a resource the method needs
    ("Our model matches the teacher while using only 25% of the visual tokens.",
     {("compute", 25)}),
    ("Our recipe needs only 30% of the training time of the baseline.", {("speedup", 30)}),
    ("Our adapter fine-tunes only 0.5% of the model parameters.", set()),
    # after "outperforms", the baseline's name does not give the kind; "in throughput" does
    ("Our agent surpasses the strongest memory-augmented baselines by 9.5%.",
     {("quality", 9.5)}),
    ("Our decoder outperforms speculative decoding methods by 20% in throughput.",
     {("speedup", 20)}),
    # a signed decimal after a gain verb's "by" is a gain in points
    ("Our method improves average accuracy by +3.27 and +4.18 on the two suites.",
     {("quality", 3.27), ("quality", 4.18)}),
    ("Our codec achieves a 90% reduction in data volume.", {("compression", 90)}),
    ("Our network yields a 6x smaller model size without accuracy loss.", {("compression", 6)}),
    ("Our sampler needs 8 times fewer generative steps than diffusion.", {("compute", 8)}),
    # "N times the time / cost" is more of a cost; a fraction of it is a saving
    ("The large model incurred 300 times the inference time, cost, and energy of ours.", set()),
    ("Our model runs at only 0.05x the cost of the proprietary one.", {("cost", 0.05)}),
    # a decimal rating on a 5- or 10-point scale; a metric's "improvement of N"
    ("Our assistant received a 4.6/5.0 average score from the clinicians.",
     {("quality", 4.6)}),
    ("Our augmentation yields an F1 score improvement of 0.0821 over real data alone.",
     {("quality", 0.0821)}),
    # the model the paper trains is its own size; a model it is compared with is not
    ("We train a 2.7B-parameter model that matches much larger ones.",
     {("scale", 2.7e9)}),
    ("It is compared with a 70B-parameter model from prior work.", set()),
])
def test_version_5_classes(text: str, expected: set[tuple[str, float]]) -> None:
    assert kv(text) == expected


def test_a_share_of_the_time_is_a_speedup_factor() -> None:
    c = extract_claims("Our recipe needs only 20% of the training time of the baseline.")[0]
    assert (c.kind, c.direction, c.norm_unit) == ("speedup", "lower", "x")
    assert c.norm_value == pytest.approx(5.0)


@pytest.mark.parametrize(("text", "expected"), [
    # fewer units of work the method needs are compute
    ("Our planner reaches the goal with 30% fewer environment interactions.",
     {("compute", 30)}),
    ("Our optimizer needs 5x fewer function calls than grid search.", {("compute", 5)}),
    ("Our agent cuts the required training episodes by 20% on all tasks.", {("compute", 20)}),
    # an error metric with a prefix (nRMSE, VRMSE) names a quality reduction
    ("Our model reduces nRMSE by 35% after fine-tuning on the target system.",
     {("quality", 35)}),
    ("Our forecaster lowers CVRMSE by 18% over the first week of data.", {("quality", 18)}),
    # "N% more accurate" is a score gain
    ("Our tracker is 9.5% more accurate than the strongest baseline.", {("quality", 9.5)}),
    # a metric@k name of any length
    ("Our retriever raises Recall@10 from 12.5% to 31.2% on the test split.",
     {("quality", 31.2)}),
    # the time after a compression / memory modifier is the head: a speed-up
    ("Our estimator reduces compression latency by 40% on long prompts.",
     {("speedup", 40)}),
    # "training (N minutes)" is a cost; "random projections" are no projection of savings
    ("We present a renderer with fast training (25 minutes) on one GPU.",
     {("cost", 25)}),
    ("Our model combines random projections with trainable layers, achieving 25% fewer "
     "training episodes.", {("compute", 25)}),
    # a camel-case metric "from X (baseline) to Y"; a slowdown is no claim of another kind
    ("Our tracker improves maxDice from 0.71 (UNet) to 0.79 on the test videos.",
     {("quality", 0.79)}),
    ("Our model is 4.2% more accurate despite being up to 9.3% slower.", {("quality", 4.2)}),
    # one model's size; a gain noun before a signed decimal
    ("TinyNet, with a model size of 52M parameters, runs on a phone.", {("scale", 52e6)}),
    ("Our method achieves an average F1 gain of +2.35 across the suites.",
     {("quality", 2.35)}),
])
def test_version_6_classes(text: str, expected: set[tuple[str, float]]) -> None:
    assert kv(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    # version 7: a cut of computational time is a speed-up (not compute)
    ("Our scheduler reduces computation time by 35% on the largest graphs.",
     {("speedup", 35)}),
    # "a reduction of N% in X" names X; a score named right after a gain word
    ("Our pruning yields a reduction of 45% in Gaussians on every scene.",
     {("compression", 45)}),
    ("Our planner gives an acceleration of 4x or a 2.5x improvement in accuracy.",
     {("speedup", 4), ("quality", 2.5)}),
    # spelled-out metric names before their value
    ("Our regressor attains a mean absolute error of 3.4 on the held-out farms.",
     {("quality", 3.4)}),
    ("Our segmenter achieves a Dice similarity coefficient of 0.87 on the test scans.",
     {("quality", 0.87)}),
    ("Top-performing teams achieved a Dice similarity coefficient of 0.81.", set()),
    # a singular "point" before a noun is a count
    ("We release a benchmark with 12,400 point clouds and our model improves accuracy.",
     set()),
    # a background word in a clause that says what the result means
    ("The patch achieved an attack success rate of 91.5% on the detector, exposing the "
     "weakness of existing defenses.", {("quality", 91.5)}),
    # a footprint after "less memory"
    ("Our model runs while using less memory (3.2 GB vs. 5.1 GB for the baseline).",
     {("memory", 3.2)}),
    # "(X to Y)" after a gain verb or a metric gives Y; not after a setting
    ("Our method improves the composite score by 4.1 points (61.2 to 65.3).",
     {("quality", 4.1), ("quality", 65.3)}),
    ("We lower the temperature from its default (0.7 to 0.2) and our model improves.", set()),
    # the number of calculations a method needs is compute
    ("Our screening cuts the number of DFT calculations by 12x.", {("compute", 12)}),
])
def test_version_7_classes(text: str, expected: set[tuple[str, float]]) -> None:
    assert kv(text) == expected


def test_a_suspended_hyphen_range_keeps_its_low_end() -> None:
    c = extract_claims("Our sampler is 2- to 40-fold faster than the reference.")[0]
    assert (c.kind, c.low, c.high, c.value) == ("speedup", 2, 40, 40)


@pytest.mark.parametrize("text, expected", [
    # the own model's size: "our 7B model", the appositive of the model the paper introduces,
    # a family it builds, "distilled into a N-parameter student"; not others' or studied sizes
    ("In the arena, our 13B planner beats every open model on the hard split.",
     {("scale", 13e9)}),
    # (since version 8 "our 7B model" is the own size; the others' 72B still is not a claim)
    ("Our 7B model outperforms models with up to 72B parameters.", {("scale", 7e9)}),
    ("We introduce Quill, a 2.2B-parameter code model tuned for shell scripts.",
     {("scale", 2.2e9)}),
    ("We introduce Marlin, a 650M encoder for radar echoes, and show it generalizes.",
     {("scale", 650e6)}),
    ("We release the Heron family in three sizes: 0.4B, 1.1B, and 6B.",
     {("scale", 0.4e9), ("scale", 1.1e9), ("scale", 6e9)}),
    ("The detector is distilled into a 12.5M-parameter student for phones.",
     {("scale", 12.5e6)}),
    ("Our smallest models with 3M trainable parameters match much larger ones.",
     {("scale", 3e6)}),
    ("We fine-tune Falcon (7B, 40B) on the legal corpus.", set()),
    ("We present an analysis of gradient noise, studying the Kestrel family (1B, 8B, 24B "
     "parameters).", set()),
    ("Our results on 8B-sized open models match those of closed ones.", set()),
    ("We introduce Tern, a 9M image dataset of seabirds.", set()),
    ("Our fine-tuned Mistral 7B model wins.", set()),
    # step counts the own sampler needs; the own model's operation count; not a budget
    ("Our sampler produces sharp faces with only 3 sampling steps.", {("compute", 3)}),
    ("Our segmenter reaches 81.2% mIoU with only 2.4 GFLOPs.",
     {("quality", 81.2), ("compute", 2.4e9)}),
    ("Entries had to stay within a computational budget under 90 GMACs.", set()),
    # the bit width of the own quantized model named after "our"
    ("Notably, our 3-bit DiffQuant keeps image quality on COCO after quantization.",
     {("precision", 3)}),
    # a generated length or a count of calls that the method cuts is compute
    ("Our policy shortens the average reasoning length by 41% on math tasks.",
     {("compute", 41)}),
    ("Our router reduces LLM calls by 35% on average.", {("compute", 35)}),
    ("Our analysis shows failures in 12% of episodes with tool calls.", set()),
])
def test_version_8_classes(text: str, expected: set[tuple[str, float]]) -> None:
    assert kv(text) == expected


@pytest.mark.parametrize("text, expected", [
    # "relative" ends a clause only as "relative to": the gain word after it still counts
    ("Our planner achieves up to 180% relative improvement on the long-horizon split.",
     {("quality", 180)}),
    # the share of cases the own method wins, solves or matches is a success rate
    ("Our agent solves 64% of the puzzles on the hard split.", {("quality", 64)}),
    ("Our ranker beats the production system in over 70% of test cases.", {("quality", 70)}),
    # ... not models a benchmark paper scores, nor a share with no success verb
    ("We benchmark nine frontier models; the best agent solves only 31% of tasks.", set()),
    ("Our audit finds label noise in 12% of cases.", set()),
    # a metric's value in its parenthesis (a decimal), or after "was"
    ("Our segmenter reaches the best mean Accuracy (0.812) and Dice (0.774, +0.05).",
     {("quality", 0.812), ("quality", 0.774)}),
    ("With our loss, the Dice score improvement was 0.061 on the liver set.",
     {("quality", 0.061)}),
    ("Our classifier keeps accuracy (120/150 correct) on the audit.", set()),
    # a factor of a generic efficiency or of throughput is a speed-up
    ("Our scheduler yields 4.2 times improvement in efficiency over the greedy baseline.",
     {("speedup", 4.2)}),
    ("Our engine achieves up to 3.1x higher serving throughput.", {("speedup", 3.1)}),
    ("Our tokenizer gives 2x better sample efficiency.", {("quality", 2)}),
    # a list of numbers and a list of as many cues: kinds by position
    ("Our method cuts latency, memory and energy by 31%, 44% and 27%, respectively.",
     {("speedup", 31), ("memory", 44), ("compute", 27)}),
    ("Our kernel gives up to 38%, 21%, and 45% in token, latency and energy reduction.",
     {("compute", 38), ("speedup", 21), ("compute", 45)}),
    # "time-to-X" is a speed-up cue; BD-rate a codec's quality score
    ("Our cache reduces time-to-first-token by 41%.", {("speedup", 41)}),
    ("Our codec achieves a 7.5% BD-rate reduction over VTM while encoding 2x faster.",
     {("quality", 7.5), ("speedup", 2)}),
])
def test_version_9_classes(text: str, expected: set[tuple[str, float]]) -> None:
    assert kv(text) == expected
