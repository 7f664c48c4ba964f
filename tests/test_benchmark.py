"""The benchmark script runs end to end at tiny shapes; its timings are not asserted, its losses are."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "benchmarks" / "train_step.py"


def test_quick_benchmark_runs_and_losses_agree(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--threads", "1", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "DISAGREE" not in result.stdout
    assert "median ratio transformers/albert_lite" in result.stdout
    record = json.loads(out.read_text())
    assert record["losses_agree"] is True
    assert record["loss_albert_lite"] == pytest.approx(record["loss_transformers"], rel=1e-5)
    assert record["encoder_max_abs_diff"] < 1e-4
    # warm-up + timed steps, in lockstep: the same updates give the same losses, and the loss falls
    ours, theirs = record["step_losses_albert_lite"], record["step_losses_transformers"]
    assert len(ours) == len(theirs) == 1 + record["repeats"]
    assert ours == pytest.approx(theirs, rel=1e-5)
    assert ours[-1] < ours[0]
    for part in ("training", "inference"):
        assert record[part]["median_ratio"] > 0
        assert len(record[part]["albert_lite_all_ms"]) == record["repeats"]


def load_script():
    spec = importlib.util.spec_from_file_location("train_step", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("argv, message", [
    (["--quick", "--seq-len", "0"], "--seq-len must be at least 1"),
    (["--repeats", "0"], "--repeats must be at least 1"),
    (["--warmup", "-1"], "--warmup must be at least 0"),
])
def test_benchmark_rejects_bad_arguments(argv, message, capsys):
    with pytest.raises(SystemExit) as error:
        load_script().parse_args(argv)
    assert error.value.code != 0
    assert message in capsys.readouterr().err


def test_quick_defaults_and_overrides():
    script = load_script()
    quick = script.parse_args(["--quick"])
    assert (quick.batch, quick.seq_len, quick.repeats) == (2, 32, 2)
    full = script.parse_args([])
    assert (full.preset, full.batch, full.seq_len, full.repeats, full.mask_prob) == ("albert-base", 8, 128, 5, 0.15)
    assert script.parse_args(["--quick", "--batch", "3"]).batch == 3


def test_learning_per_minute_reports_every_mark_beside_the_unigram_baseline(tmp_path):
    out = tmp_path / "learning.json"
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "learning_per_minute.py"), "--minutes", "0.03", "--json", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    records = json.loads(out.read_text())
    assert [r["recipe"] for r in records] == ["chapter 7", "plain zoo", "bias"]
    for record in records:
        assert [round(m["minutes"], 3) for m in record["marks"]] == [0.01, 0.02, 0.03]
        assert all(0 <= m["mask_accuracy"] <= 1 and m["mask_n"] > 0 for m in record["marks"])
        assert 0 < record["unigram_accuracy"] < 1
        steps = [m["steps"] for m in record["marks"]]
        assert steps == sorted(steps) and steps[0] > 0
    assert "unigram baseline" in result.stdout
