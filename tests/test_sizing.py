"""Each chapter's full scale fits a Colab T4's ten minutes by its FLOPs, counted on the runs really trained."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pandas as pd
import pytest

from albert_lite import AlbertForPreTraining
from albert_lite.chapters import ablations, experiment_settings, probes, sentence_tasks, sizing, smoothness
from albert_lite.flops import training_flops

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("chapter", sizing.CHAPTERS)
def test_every_chapter_fits_the_t4_budget_at_the_full_scale(chapter):
    predicted = sizing.predicted_seconds(chapter, "full", "T4")
    assert predicted <= sizing.CHAPTER_BUDGET_S - sizing.SETUP_ALLOWANCE_S, f"{chapter}: {predicted:.0f} s"


def test_the_training_chapters_do_train_at_the_full_scale():
    for chapter in ("02_factorized_embedding", "03_cross_layer_sharing", "06_sop_vs_nsp", "07_pretraining",
                    "09_finetuning"):
        assert sizing.predicted_seconds(chapter, "full") > 60, chapter


def test_a_workload_is_steps_times_tokens_times_flops_per_token():
    run = sizing.chapter_workloads("07_pretraining", "full")[0]
    recipe = experiment_settings.pretraining_recipe("full")
    assert run.flops == recipe.steps * recipe.batch_size * recipe.seq_len * training_flops(run.config,
                                                                                                    run.seq_len)


@pytest.mark.parametrize("experiment, chapter, share", [
    ("embedding_ablation", "02_factorized_embedding", "Table 3"),
    ("sentence_order_with_room", "02_factorized_embedding", "pairs with room"),
    ("sharing_ablation", "03_cross_layer_sharing", "Table 4"),
    ("depth_at_equal_params", "03_cross_layer_sharing", "Table 11"),
    ("layer_smoothness", "03_cross_layer_sharing", "Figure 1"),
    ("sop_vs_nsp", "06_sop_vs_nsp", None),
])
def test_workloads_are_the_runs_the_experiments_train(monkeypatch, experiment, chapter, share):
    """Record what each experiment really trains (shape, steps, batch, length) and compare with the sizing."""
    trained = []

    def fake_pretrain(config, data, task, s, seed=0, progress=False, evaluations=0):
        trained.append((config.to_dict(), s.steps, s.batch_size, s.seq_len))
        history = pd.DataFrame([{"step": s.steps, "heldout_sentence_examples": 8.0,
                                             "heldout_sentence_accuracy": 0.5, "heldout_sentence_label_1_share": 0.5,
                                             "heldout_sentence_predicted_1_share": 0.5, "heldout_mlm_accuracy": 0.0}])
        result = SimpleNamespace(wall_time=0.0, device="cpu", precision="fp32", history=history)
        return AlbertForPreTraining(config), result

    monkeypatch.setenv("ALBERT_LITE_WORKERS", "1")  # in this process, where the stand-ins are
    scores = {"mlm_accuracy": 0.0, "mlm_mask_accuracy": 0.0, "mlm_mask_tokens": 8.0, "sentence_accuracy": 0.5,
              "mlm_loss": 0.0, "sentence_examples": 8.0,
              "mlm_tokens": 8.0, "sentence_label_1_share": 0.5, "sentence_predicted_1_share": 0.5}
    for module in (ablations, sentence_tasks, smoothness, probes):  # each looks the stand-ins up in its own names
        for name, stand_in in (("pretrain", fake_pretrain), ("heldout_scores", lambda *a, **k: scores),
                               ("probe_accuracy", lambda *a, **k: 0.5)):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, stand_in)
    monkeypatch.setattr(smoothness, "transition_distances", lambda *a, **k: pd.DataFrame(
        {"layer": [1], "input norm": [1.0], "L2 distance": [0.0], "cosine similarity": [1.0],
         "angle (degrees)": [0.0]}))
    experiment_module = {"embedding_ablation": ablations, "sharing_ablation": ablations,
                         "depth_at_equal_params": ablations, "sentence_order_with_room": sentence_tasks,
                         "layer_smoothness": smoothness, "sop_vs_nsp": sentence_tasks}[experiment]
    getattr(experiment_module, experiment)(scale="tiny", progress=False)
    planned = [w for w in sizing.chapter_workloads(chapter, "tiny") if share is None or w.name.startswith(share)]
    as_planned = [({**w.config.to_dict(), "vocab_size": 0}, w.steps, w.batch_size, w.seq_len) for w in planned]
    as_trained = [({**c, "vocab_size": 0}, steps, batch, seq) for c, steps, batch, seq in trained]
    assert as_trained == as_planned


def test_unknown_chapters_are_refused():
    with pytest.raises(ValueError, match="chapter"):
        sizing.chapter_workloads("11_nothing")


def test_a_calibrated_prediction_measures_this_machine():
    prediction = sizing.describe_prediction("07_pretraining", "tiny")
    here, measured = prediction["here"], prediction["here"]["measured"]
    (timing,) = measured["timings"]
    assert prediction["runs"] == 1 and here["flop_rate"] > 0 and timing["heldout batches"] > 0
    run = sizing.chapter_workloads("07_pretraining", "tiny")[0]
    expected = run.steps * timing["step"] + run.heldout_passes * timing["heldout batches"] * timing["heldout batch"]
    assert here["seconds"] == pytest.approx(expected) and measured["start-up"] == 0.0
    line = sizing.prediction_line(prediction)
    assert "Colab T4" in line and "here (cpu" in line
    assert sizing.describe_prediction("01_bert_in_one_notebook", "full")["flops"] == 0


def test_every_shape_of_a_chapter_is_timed_once():
    runs = sizing.chapter_workloads("03_cross_layer_sharing", "tiny")
    measured = sizing.measure_here(runs, workers=1, steps=1)
    shapes = {(r.config, r.batch_size, r.seq_len) for r in runs}
    assert len(measured["timings"]) == len(runs) and 1 < len(shapes) < len(runs)  # seeds share their shape
    by_shape = {}
    for run, timing in zip(runs, measured["timings"], strict=True):
        assert by_shape.setdefault((run.config, run.batch_size, run.seq_len), timing) == timing
        assert timing["step"] > 0 and timing["heldout batches"] > 0


def test_the_prediction_shares_runs_over_workers_and_adds_the_start_up():
    runs = sizing.chapter_workloads("06_sop_vs_nsp", "tiny")
    timing = {"step": 0.01, "heldout batch": 0.002, "heldout batches": 10}
    measured = {"timings": [timing] * len(runs), "start-up": 4.0}
    per_run = runs[0].steps * 0.01 + runs[0].heldout_passes * 10 * 0.002  # every Table 5 run has one shape
    assert sizing.predicted_here(runs, measured, workers=2) == pytest.approx(len(runs) * per_run / 2 + 4.0)
    assert sizing.predicted_here(runs, {**measured, "start-up": 0.0}, workers=1) == pytest.approx(len(runs) * per_run)


def test_measured_and_predicted_are_compared():
    prediction = {"here": {"seconds": 100.0}}
    assert "1.20 (within 30%)" in sizing.compare_with_prediction(prediction, 120.0)
    assert "1.40 (off by more than 30%)" in sizing.compare_with_prediction(prediction, 140.0)
    assert "0.60 (off by more than 30%)" in sizing.compare_with_prediction(prediction, 60.0)


def test_peak_flops_by_device_name():
    assert sizing.peak_flops("Tesla T4") == 65e12
    assert sizing.peak_flops("NVIDIA H100 PCIe") == 756e12
    assert sizing.peak_flops("Some GPU") is None


def test_gpu_check_dry_run_writes_the_report(tmp_path):
    # The script bounds itself (a kernel that does not answer within a minute fails the chapter with that message);
    # the subprocess limit is only a last resort, well above the script's own.
    command = [sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--dry-run", "--out", str(tmp_path),
               "--chapters", "07_pretraining", "--time-limit", "300"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=420, cwd=ROOT)
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the dry run outlived its own 300 s limit: {(error.stdout or b'')[-2000:]!r}")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert isinstance(report["device"], str) and set(report["chapters"]) == {"07_pretraining"}
    row = report["chapters"]["07_pretraining"]
    assert row["flops"] == pytest.approx(sizing.chapter_flops("07_pretraining", "full"))
    assert row["predicted_s"]["T4"] == pytest.approx(row["flops"] / sizing.SUSTAINED_FLOPS["T4"], rel=1e-3)
    assert row["status"] == "ok" and row["seconds"] > 0 and row["peak_memory_gb"] is None
    assert "bf16" in report["benchmark"]["variants"]
    assert "| 07_pretraining |" in (tmp_path / "gpu_check.md").read_text()


def test_gpu_check_without_a_gpu_says_so_in_one_line(tmp_path):
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "gpu_check.py"), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2 and "--dry-run" in done.stderr and "Traceback" not in done.stderr
