"""Claims you can trust (issue #13): false positives from the issue, one sign and unit
convention per kind, baseline and condition, the learned model, and the evaluation scripts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paperfeed.claims import EXTRACTOR_VERSION, extract_claims, learned
from paperfeed.claims.evaluate import score
from paperfeed.claims.extract import candidates

ROOT = Path(__file__).resolve().parent.parent
SLICE = ROOT / "tests" / "data" / "claims_slice.jsonl"   # 30 annotated abstracts (issue #13)


def claims(text: str, method: str = "rules") -> list[dict]:
    return [c.to_dict() for c in extract_claims(text, method)]


# --- numbers that are not claims (the false positives) -----------------------------

@pytest.mark.parametrize("text", [
    # a baseline's own run times
    "Our solver finishes quickly, whereas the baseline needs 19K s and the reference code "
    "1,000 s.",
    # a confidence level
    "Differences among bounded retention policies fall within Wilson 95% CIs.",
    "The global false alarm rate is 17.4% (21/121; Wilson 95% CI: [11.6%, 25.1%]).",
    "We report Wilson 95% confidence intervals throughout.",
    # the trainable-parameter share of a method's setup
    "Our method fine-tunes fewer than 0.05% trainable parameters.",
    "By updating only the layer-norm parameters (approximately 0.003% of the model "
    "parameters), our method adapts at test time.",
    # a range quoted from prior work
    "Prior methods report speedups of 100-10Kx on small inputs. We propose a new solver.",
    # others' model sizes, sizes that are not better scores
    "It outperforms models with up to 72B parameters.",
    "It nearly matches the performance of models 50X larger on code generation.",
    # settings: a criterion, an alpha, cross-validation folds, a context length
    "Our dosimetric evaluation achieves a remarkable gamma passing rate with a 2%/2mm "
    "criterion.",
    "Our best model, trained with an augmentation factor of alpha = 0.20%, is robust.",
    "Our model outperforms existing methods under 10-fold cross-validation.",
    # a measurement, not a score; an increase of a cost is not a saving
    "We report a giant magnetoresistance reaching up to 1,150% under a field of 1 T.",
    "We find that agentic tasks consume 1000x more tokens than code chat.",
    # sizes and repeat rates are not factors
    r"Generating an $8192\times 8192$ image with our method takes an hour.",
    "Our chip classifies MNIST 41.8 million times a second.",
])
def test_not_claims(text: str) -> None:
    assert claims(text) == []


def test_a_setting_time_is_not_a_claim_but_the_result_is() -> None:
    text = ("Finally, 4-bit weight-only encoder quantization at the matched 560 ms streaming "
            "tier reduces the encoder footprint by about 3x.")
    got = claims(text)
    assert [(c["kind"], c["value"], c["unit"]) for c in got] == [("memory", 3, "x")]


def test_throughput_is_a_speedup_not_quality() -> None:
    (c,) = claims("Our system achieves 24% higher throughput than vLLM on A100.")
    assert (c["kind"], c["value"], c["unit"], c["subkind"]) == ("speedup", 24, "%",
                                                                "throughput")
    assert c["direction"] == "increase"
    assert (c["norm_unit"], c["norm_value"]) == ("x", pytest.approx(1.24))
    assert c["baseline"] == "vLLM" and c["condition"] == "on A100"


def test_a_cue_in_the_baselines_name_does_not_set_the_kind() -> None:
    text = ("Across four benchmarks, SeKV improves over the strongest semantic compression "
            "baseline by 5.9% on average while reducing GPU memory by 53.3% versus full KV "
            "caching at 128K context.")
    got = {c["value"]: c for c in claims(text)}
    assert got[5.9]["kind"] == "quality" and got[5.9]["norm_unit"] == "% gain"
    assert got[53.3]["kind"] == "memory" and got[53.3]["baseline"] == "full KV caching"
    assert 128000 not in got   # "at 128K context" is a condition
    assert got[53.3]["condition"] == "at 128K context"


# --- one convention per kind ---------------------------------------------------------------

def test_memory_savings_share_one_positive_scale() -> None:
    """A share kept, a percentage saved and a factor are all the fraction saved (positive)."""
    got = claims("Our cache retains only 6% of the KV cache, reduces memory by 38% and uses "
                 "4x less memory than H2O.")
    assert [(c["value"], c["unit"], c["norm_unit"]) for c in got] == [
        (6, "%", "saved"), (38, "%", "saved"), (4, "x", "saved")]
    assert [c["norm_value"] for c in got] == [pytest.approx(0.94), pytest.approx(0.38),
                                              pytest.approx(0.75)]
    assert [c["direction"] for c in got] == ["lower", "reduction", "reduction"]
    assert got[2]["baseline"] == "H2O"


def test_speedup_conventions() -> None:
    (ttft,) = claims("Our method cuts time to first token by 53% on InternVL3-2B.")
    assert ttft["value"] == 53 and ttft["direction"] == "reduction"
    assert ttft["norm_unit"] == "x" and ttft["norm_value"] == pytest.approx(1 / 0.47, rel=1e-5)
    assert ttft["subkind"] == "latency" and ttft["condition"] == "on InternVL3-2B"
    ms, x = claims("Our streaming decoder cuts latency to 12 ms per frame and is 3.1x faster.")
    assert (ms["unit"], ms["norm_unit"], ms["norm_value"]) == ("ms", "s", pytest.approx(-0.012))
    assert (x["norm_unit"], x["norm_value"]) == ("x", 3.1)


def test_quality_levels_and_gains_are_apart() -> None:
    got = {c["value"]: c for c in claims(
        "Our model reaches 91.2% accuracy and improves F1 by 2.1 points and BLEU by 3%.")}
    assert got[91.2]["norm_unit"] == "%" and got[91.2]["direction"] == "higher"
    assert got[2.1]["norm_unit"] == "points" and got[2.1]["direction"] == "increase"
    assert got[3]["norm_unit"] == "% gain"
    (fid,) = claims("Our generator attains an FID of 2.11 on ImageNet.")
    assert (fid["unit"], fid["direction"], fid["norm_value"]) == ("FID", "lower", -2.11)


def test_metric_values_after_a_colon_or_a_list() -> None:
    got = claims("Rigorous validation demonstrates high fidelity (MAE: 0.0130; RMSE: 0.0179). "
                 "Our model segments nuclei and cells well (0.77 and 0.63 mean IoU).")
    assert {(c["unit"], c["value"]) for c in got} >= {("MAE", 0.013), ("RMSE", 0.0179),
                                                      ("IoU", 0.63)}


# --- the learned model ---------------------------------------------------------------------

def test_learned_weights_load_and_score_candidates() -> None:
    assert learned.WEIGHTS and 0.0 < learned.THRESHOLD < 1.0
    text = ("Our method achieves a 2.7x speedup in decoding. Results are reported with "
            "Wilson 95% CIs.")
    cands = list(candidates(text))
    assert [c.n.value for c in cands] == [2.7, 95.0]
    good, ci = (learned.score(c.features) for c in cands)
    assert good >= learned.THRESHOLD > ci
    assert [(c.kind, c.value) for c in extract_claims(text, "learned")] == [("speedup", 2.7)]


def test_learned_and_rules_agree_on_clear_claims() -> None:
    text = "Our kernel is 3.2x faster and cuts memory by 20% on H100."
    assert ([(c["kind"], c["value"]) for c in claims(text, "learned")]
            == [(c["kind"], c["value"]) for c in claims(text)]
            == [("speedup", 3.2), ("memory", 20)])


# --- the evaluation scripts ----------------------------------------------------------------

def _run(script: str, *args: str) -> str:
    r = subprocess.run([sys.executable, str(ROOT / "bench" / script), *args],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    return r.stdout


def _overall(out: str, title: str) -> list[int]:
    block = out.split(title, 1)[1]
    line = next(ln for ln in block.splitlines() if ln.startswith("overall"))
    return [int(x) for x in line.split()[1:4]]


def test_claims_eval_reports_tuning_and_held_out_parts() -> None:
    out = _run("claims_eval.py", "--dev", str(SLICE), "--split", "20", "--n", "0")
    rows = [json.loads(line) for line in SLICE.open(encoding="utf-8")]
    for title, part in (("lines 1-20 (tuning)", rows[:20]),
                        ("lines 21-30 (old held out)", rows[20:]), ("(all)", rows)):
        s = score([([c.to_dict() for c in extract_claims(r["abstract"])], r["claims"])
                   for r in part])
        assert _overall(out, title) == [s.overall.tp, s.overall.fp, s.overall.fn], title
    assert "kind" in out and "P" in out


def test_claims_eval_scores_a_fresh_file_whole_and_hides_its_errors(tmp_path: Path) -> None:
    fresh = tmp_path / "claims_fresh.jsonl"
    fresh.write_text(SLICE.read_text(encoding="utf-8"), encoding="utf-8")
    out = _run("claims_eval.py", "--dev", str(fresh), "--split", "20", "--n", "0", "--errors")
    rows = [json.loads(line) for line in SLICE.open(encoding="utf-8")]
    s = score([([c.to_dict() for c in extract_claims(r["abstract"])], r["claims"]) for r in rows])
    assert _overall(out, "(fresh held out)") == [s.overall.tp, s.overall.fp, s.overall.fn]
    assert "(tuning)" not in out and "\nFP " not in out and "\nFN " not in out
    shown = _run("claims_eval.py", "--dev", str(fresh), "--n", "0", "--fresh-errors")
    assert ("\nFP " in shown or "\nFN " in shown) == (s.overall.fp + s.overall.fn > 0)


def test_claims_train_writes_weights_that_load(tmp_path: Path) -> None:
    out_file = tmp_path / "w.json"
    out = _run("claims_train.py", "--train", f"{SLICE}:1-30", "--l2", "10",
               "--out", str(out_file))
    assert "cross-validated" in out
    data = json.loads(out_file.read_text())
    assert {"bias", "threshold", "weights", "dim"} <= set(data)
    assert data["dim"] == learned.DIM and data["weights"]
    assert all(0 <= int(k) < learned.DIM for k in data["weights"])


def test_cli_method_option(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app

    f = tmp_path / "in.jsonl"
    f.write_text(json.dumps({"id": "a", "abstract": "Our kernel is 3.2x faster on H100."}) + "\n")
    for method in ("rules", "learned"):
        r = CliRunner().invoke(app, ["claims", "extract", str(f), "--json", "--method", method])
        assert r.exit_code == 0, r.output
        (c,) = json.loads(r.stdout)["claims"]
        assert (c["kind"], c["value"], c["norm_unit"], c["condition"]) == ("speedup", 3.2, "x",
                                                                          "on H100")
    r = CliRunner().invoke(app, ["claims", "extract", str(f), "--method", "magic"])
    assert r.exit_code == 2 and "rules or learned" in r.output


# --- migration 0008 and the stored facets --------------------------------------------------

def test_migration_backfills_dates_and_the_index_stores_facets(db_url: str) -> None:
    from sqlalchemy import inspect, text

    from paperfeed.index.claims import catch_up_claims
    from paperfeed.records import PaperRecord, validate
    from paperfeed.store import connect, open_store, upgrade, write_tx
    from paperfeed.store.write import write_records

    abstract = "Our kernel is 3.2x faster than FlashAttention on H100 and cuts memory by 20%."
    engine = connect(db_url)
    upgrade(engine, "0005")   # the schema before issue #13, with a claim stored by version 1
    with write_tx(engine) as conn:
        write_records(conn, [validate(PaperRecord(
            id="2601.00001v1", title="T", abstract=abstract, source="arxiv-api",
            announced="2026-01-05"))])
        conn.execute(text(
            'INSERT INTO paper_claims (paper_id, "position", paper_version, extractor_version, '
            'kind, "value", unit, what, "text", "start", "end") VALUES (\'2601.00001\', 0, 1, '
            "1, 'speedup', 3.2, 'x', 'faster', '3.2x faster', 13, 24)"))
    engine.dispose()

    engine = open_store(db_url)   # upgrades to head: 0008 adds the columns and back-fills dates
    cols = {c["name"] for c in inspect(engine).get_columns("paper_claims")}
    assert {"direction", "norm_value", "norm_unit", "subkind", "baseline", "condition",
            "announced"} <= cols
    indexes = {i["name"] for i in inspect(engine).get_indexes("paper_claims")}
    assert {"ix_paper_claims_norm", "ix_paper_claims_announced"} <= indexes
    with engine.connect() as conn:
        assert conn.execute(text("SELECT announced FROM paper_claims")).scalar_one()[:10] == (
            "2026-01-05")
    catch_up_claims(engine)   # the new extractor version recomputes the stored claims
    with engine.connect() as conn:
        rows = conn.execute(text(
            'SELECT kind, "value", direction, norm_value, norm_unit, baseline, "condition", '
            'announced, extractor_version FROM paper_claims ORDER BY "position"')).all()
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [("speedup", 3.2, "higher", "x"),
                                                        ("memory", 20.0, "reduction", "saved")]
    assert rows[0][3] == pytest.approx(3.2) and rows[1][3] == pytest.approx(0.2)
    assert rows[0][5] == "FlashAttention" and rows[0][6] == "on H100"
    assert all(r[7][:10] == "2026-01-05" and r[8] == EXTRACTOR_VERSION for r in rows)
    engine.dispose()


def test_pairs_of_results_and_x_vs_y_pairs() -> None:
    got = claims("Our model sets new state-of-the-art results. Representative gains include "
                 "+36.11%/+34.21% on DEG logFC-Spearman/Pearson over the second-best model.")
    assert {c["value"] for c in got} == {36.11, 34.21}
    got = claims("Furthermore, PAAG demonstrates a significant increase in generation success "
                 "rate (24.7% vs 4.7% in zinc finger, and 54.3% vs 22.0% in the immunoglobulin "
                 "domain) in comparison to the existing model.")
    assert sorted(c["value"] for c in got) == [24.7, 54.3]   # the baselines' 4.7% and 22.0% not
    got = claims("Our model segments nuclei and cells well (0.77 and 0.63 mean IOU).")
    assert [(c["unit"], c["value"]) for c in got] == [("IoU", 0.77), ("IoU", 0.63)]
