"""The claims extractor: odd text (LaTeX, unicode, ranges), negatives, the CLI, the scorer."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from paperfeed.claims import EXTRACTOR_VERSION, Claim, extract_claims
from paperfeed.claims.evaluate import claims_match, match_claims, score
from paperfeed.cli.claims_cmd import claims_app


def kv(abstract: str) -> set[tuple[str, float]]:
    return {(c.kind, c.value) for c in extract_claims(abstract)}


def one(abstract: str) -> Claim:
    claims = extract_claims(abstract)
    assert len(claims) == 1, claims
    return claims[0]


# --- multipliers: x, U+00D7, \times, times, -fold ----------------------------------------------

@pytest.mark.parametrize("text", [
    r"Our method achieves a $2.5\times$ speedup over the dense model.",
    "Our method achieves a 2.5\u00d7 speedup over the dense model.",
    "Our method achieves a 2.5x speedup over the dense model.",
    "Our method achieves a 2.5X speedup over the dense model.",
    "Our method is 2.5 times faster than the dense model.",
    "Our method gives a 2.5-fold speedup over the dense model.",
    r"Our method achieves a 2.5$\times$ speedup over the dense model.",
    r"Our method achieves a $2.5 \times$ speedup over the dense model.",
])
def test_multiplier_spellings(text: str) -> None:
    c = one(text)
    assert (c.kind, c.value, c.unit) == ("speedup", 2.5, "x")
    assert text[c.start:c.end] == c.text and "2.5" in c.text


def test_approx_and_up_to() -> None:
    c = one(r"We obtain $\sim$3x lower latency and our kernels run up to 13$\times$ faster.".replace(
        "and our kernels run up to 13$\\times$ faster", "overall"))
    assert (c.kind, c.value) == ("speedup", 3)
    c = one("The new solver is up to 13x faster on identical hardware.")
    assert c.value == 13 and c.text.startswith("up to")


@pytest.mark.parametrize("text", [
    "We achieve a 1.9x to 2.7x speedup on GPUs.",
    "We achieve a 1.9-2.7\u00d7 speedup on GPUs.",
    "We achieve a 1.9\u20132.7\u00d7 speedup on GPUs.",
    "We achieve between 1.9 and 2.7 times speedup on GPUs.",
])
def test_ranges(text: str) -> None:
    c = one(text)
    assert (c.kind, c.low, c.high, c.value) == ("speedup", 1.9, 2.7, 2.7)
    d = c.to_dict()
    assert d["low"] == 1.9 and d["high"] == 2.7


def test_percent_range_and_latex_percent() -> None:
    c = one(r"Our approach reduces FLOPs by $35\%-55\%$ on all benchmarks.")
    assert (c.kind, c.low, c.high) == ("compute", 35, 55)
    c = one(r"Our method reduces memory usage by \textbf{28.7\%}.")
    assert (c.kind, c.value, c.unit) == ("memory", 28.7, "%")


def test_double_dash_range_and_latex_dollars_are_not_money() -> None:
    c = one(r"Our method gives a relative gain of $3$--$19$% on instruction-following benchmarks.")
    assert (c.low, c.high) == (3, 19)
    assert extract_claims(r"We study gas on $<$150 pc scales at z$\sim$0.0079 with $\sim$5K "
                          "structures, which our model reproduces at low cost.") == []


def test_memory_and_reduction_kinds() -> None:
    assert kv("Our method reduces memory by 2.5x and cuts FLOPs by 40%.") == {
        ("memory", 2.5), ("compute", 40)}
    assert kv("We use 4x less memory and 30% fewer tokens than full attention.") == {
        ("memory", 4), ("compute", 30)}


def test_speeds_up_and_overhead() -> None:
    assert kv("This method speeds up training by as much as 40% relative to dense attention, "
              "and cuts the extra overhead by 90%.") == {("speedup", 40), ("compute", 90)}


def test_unicode_minus_is_a_positive_reduction() -> None:
    c = one("Our pruning yields a \u221212.5% reduction in model size.")
    assert c.value == 12.5 and c.kind == "compression"


def test_points_and_pp() -> None:
    assert kv(r"Our model improves accuracy by 3.3 points and F1 by $+8.7$pp.") == {
        ("quality", 3.3), ("quality", 8.7)}


def test_from_to_keeps_the_result_only() -> None:
    assert kv("Our fine-tuning raises accuracy from 39.0% to 68.8%.") == {("quality", 68.8)}
    assert kv("Our method cuts latency (0.43s -> 0.16s) on a phone.") == {("speedup", 0.16)}


# --- precision, scale, cost ---------------------------------------------------------------

def test_bits_and_wxay() -> None:
    assert kv("We quantize weights to 4-bit and show our W3A8 model matches 8-bit quantization.") \
        == {("precision", 4), ("precision", 3), ("precision", 8)}
    assert kv("The 64-bit microcontroller runs our quantized network.") == set()


def test_counted_units_are_expanded() -> None:
    assert kv("Our 7B-parameter model supports a 512K-token context window.") == {
        ("scale", 7e9), ("scale", 512e3)}
    c = one("Our compact model has only 101B parameters.")
    assert c.value == 101_000_000_000 and c.unit == "params"


def test_cost_in_dollars_and_gpu_hours() -> None:
    assert kv(r"Our agent writes a report in 7 minutes at a cost of about \$1.") == {
        ("cost", 7), ("cost", 1)}
    assert kv("We train the model within 100 GPU hours.") == {("cost", 100)}
    assert kv("Our pipeline costs only $0.50 per paper.") == {("cost", 0.5)}
    assert kv("Our method takes $2$ steps and costs only $3 per run.") == {("cost", 3)}


def test_power_of_ten_and_thousands() -> None:
    assert kv(r"Our method gives a $10^{3}\times$ speedup.") == {("speedup", 1000)}
    assert kv(r"We obtain a $3,000\times$ reduction in computational complexity.") == {
        ("compute", 3000)}


def test_error_bars_are_not_claims() -> None:
    assert kv("Our model: SSIM=0.951+-0.021, PSNR=26.90\u00b11.41 dB.") == {
        ("quality", 0.951), ("quality", 26.9)}


def test_metric_values_are_quality() -> None:
    assert kv("On CIFAR-10 our model achieves an FID of 2.11 and 29.86 dB PSNR.") == {
        ("quality", 2.11), ("quality", 29.86)}


# --- negatives ------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [
    "We fine-tune Llama-3 8B and GPT-4 on the benchmark and report results.",
    "We release a dataset of 1.5M tokens and 12,000 images collected in 2023.",
    "Our model is trained on 15T tokens of web text.",
    "We use 10% of the training data for validation.",
    "Existing methods achieve 60% accuracy, but they are slow.",
    "Prior work reported a 2x speedup with sparse kernels.",
    "The baseline runs at 5x real time, compared to 12x for the oracle.",
    "Experiments use 8 A100 GPUs with 80GB memory over 3 days.",
    "Even the best model achieves only 39.6% accuracy on our benchmark.",
    "Images are resized to 256x256 and processed in batches of 64.",
    "Qwen2.5-14B, OPT-13B and InternVL3-2B are evaluated.",
    "We conducted experiments using models with 5B to 8B parameters.",
    "Our model is trained using only 20% of the Amazon Reviews 2023 dataset.",
    "Our scanner records a density exceeding 1000 points/m$^2$ in our survey.",
    "Our revision step fires at about 4.3% of turns.",
    "We show error bars that represent a 68% confidence level for our estimates.",
    "The electron density is below 0.2 - 18 cm$^{-3}$ in our sample.",
    "",
    "No numbers at all.",
])
def test_not_claims(text: str) -> None:
    assert extract_claims(text) == []


def test_baseline_number_skipped_but_result_kept() -> None:
    assert kv("Our method reaches 85% accuracy versus 70% for the baseline.") == {("quality", 85)}
    assert kv("We reach 74% accuracy, an improvement over prior approaches that reached only "
              "24%.") == {("quality", 74)}
    assert kv("We observe that baseline X finds fewer than 5% of pairs, while fine-tuning with "
              "our data raises accuracy to nearly 56%.") == {("quality", 56)}
    assert kv("Our model gets 46.9% sensitivity in comparison to the 46.8% of an existing "
              "approach.") == {("quality", 46.9)}
    assert kv("Our method reduces initial delay from over 4600 seconds to 0.328 seconds.") == {
        ("speedup", 0.328)}
    assert kv(r"Our agent achieves a 100\% safety score (vs.\ 79.1\% for A and 97.6\% for B).") \
        == {("quality", 100)}
    assert kv(r"Our tool reduces monthly cost from about \$1,503 to \$708.") == {("cost", 708)}
    assert kv("Our decoder achieves a speedup of 3.17x-4.82x over autoregressive decoding.") == {
        ("speedup", 4.82)}


# --- the Claim object -----------------------------------------------------------------------

def test_claim_offsets_and_dict() -> None:
    abstract = r"Compared to FP16, QZO can reduce the total memory cost by more than 18$\times$."
    c = one(abstract)
    assert abstract[c.start:c.end] == c.text
    assert c.text.endswith("$")           # does not cut the $...$ math span in half
    d = c.to_dict()
    assert set(d) == {"kind", "value", "unit", "what", "text", "start", "end", "direction",
                      "norm_value", "norm_unit", "subkind", "baseline", "condition"}
    assert d["kind"] == "memory" and d["value"] == 18 and isinstance(d["value"], int)
    # memory is normalised to the fraction saved: 18x less is 1 - 1/18
    assert d["direction"] == "reduction" and d["norm_unit"] == "saved"
    assert d["norm_value"] == pytest.approx(1 - 1 / 18, abs=1e-6)
    with pytest.raises(AttributeError):
        c.value = 3  # type: ignore[misc]
    assert EXTRACTOR_VERSION == 9


# --- evaluation ----------------------------------------------------------------------------

def test_matching_function() -> None:
    gold = [{"kind": "speedup", "value": 3, "low": 2, "high": 3},
            {"kind": "quality", "value": 7}]
    assert claims_match({"kind": "speedup", "value": 3.02, "low": 2, "high": 3}, gold[0])
    assert not claims_match({"kind": "speedup", "value": 3}, gold[0])          # range lost
    assert not claims_match({"kind": "memory", "value": 7}, gold[1])           # wrong kind
    assert not claims_match({"kind": "quality", "value": 7.2}, gold[1])        # > 1% off
    pred = [{"kind": "quality", "value": 7}, {"kind": "quality", "value": 7},
            {"kind": "cost", "value": 1}]
    assert match_claims(pred, gold) == [(0, 1)]                                 # one-to-one
    s = score([(pred, gold)])
    assert (s.overall.tp, s.overall.fp, s.overall.fn) == (1, 2, 1)
    assert s.by_kind["speedup"].fn == 1 and s.by_kind["cost"].fp == 1
    assert s.overall.precision == pytest.approx(1 / 3) and s.overall.recall == 0.5


# --- CLI -----------------------------------------------------------------------------------

def _app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(claims_app, name="claims")

    @app.callback()
    def _root() -> None:
        pass

    return app


def _write(path: Path, lines: list[str]) -> None:
    data = "\n".join(lines) + "\n"
    if path.suffix == ".gz":
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(data)
    else:
        path.write_text(data, encoding="utf-8")


GOOD_A = json.dumps({"id": "a", "abstract": r"Our method is $3\times$ faster."})
GOOD_C = json.dumps({"id": "c", "abstract": "We study things."})


def test_cli_json_skips_bad_lines_and_exits_1(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl"
    _write(f, [GOOD_A, "{not json", json.dumps({"id": "b"}), GOOD_C])
    r = CliRunner().invoke(_app(), ["claims", "extract", str(f), "--json"])
    assert r.exit_code == 1
    out = [json.loads(line) for line in r.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", "c"]
    assert out[0]["claims"][0]["kind"] == "speedup" and out[0]["claims"][0]["value"] == 3
    assert out[1]["claims"] == []
    assert "line 2" in r.stderr and "not valid JSON" in r.stderr and str(f) in r.stderr
    assert "line 3" in r.stderr and "abstract" in r.stderr
    assert "Traceback" not in r.output


def test_cli_table_gz_and_stdin(tmp_path: Path) -> None:
    f = tmp_path / "in.jsonl.gz"
    _write(f, [GOOD_A, GOOD_C])
    r = CliRunner().invoke(_app(), ["claims", "extract", str(f)])
    assert r.exit_code == 0, r.output
    assert "speedup" in r.stdout
    r = CliRunner().invoke(_app(), ["claims", "extract", "-", "--json"], input=GOOD_A + "\n")
    assert r.exit_code == 0 and json.loads(r.stdout)["id"] == "a"


def test_cli_missing_file(tmp_path: Path) -> None:
    r = CliRunner().invoke(_app(), ["claims", "extract", str(tmp_path / "nope.jsonl")])
    assert r.exit_code != 0 and "no such file" in r.stderr
