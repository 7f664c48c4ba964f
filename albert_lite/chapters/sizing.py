"""How long each chapter trains, predicted from its FLOPs before it runs.

Every training run of a chapter is listed here from the settings the chapter itself uses
(``albert_lite.chapters.experiment_settings`` and the experiments' own lists of models), so a change of
settings changes the prediction. A run's work is steps x batch x sequence length x the FLOPs of one
training step per token (:func:`albert_lite.flops.training_flops`). Dividing by a throughput gives seconds: for a Colab
T4 a stated, conservative figure; for the machine at hand one measured on a few timed steps.
Data preparation and evaluation are not counted: :data:`SETUP_ALLOWANCE_S` is kept for them.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch

from ..config import AlbertConfig
from ..flops import flops, training_flops
from ..runtime import pick_device
from .ablations import depth_variants, embedding_variants, sharing_variants
from .experiment_settings import (
    ExperimentSettings,
    finetuning_recipe,
    pretraining_recipe,
    roomy_pairs_settings,
    settings,
    smoothness_settings,
    sop_vs_nsp_settings,
)
from .runs import worker_count
from .scale import get_scale
from .sentence_tasks import TABLE_5_MODELS
from .smoothness import FIGURE_1_MODELS

# FLOP/s that a training step sustains, conservatively. The T4 peaks at 65 TFLOP/s in fp16 on its
# tensor cores; a small Transformer's step reaches a fraction of that (small matrices, optimizer,
# LayerNorm and GELU, which count no FLOPs here but take time).
SUSTAINED_FLOPS = {"T4": 6e12, "A100": 40e12, "H100": 100e12}
# Dense 16-bit tensor-core peak in TFLOP/s (bf16, or fp16 where the GPU has no bf16, as the T4), by a
# substring of torch.cuda.get_device_name(); the denominator of MFU.
PEAK_16BIT_TFLOPS = (
    ("H100 PCIe", 756.0), ("H100", 989.4), ("H200", 989.4), ("A100", 312.0), ("L40S", 362.0),
    ("L4", 121.0), ("A10G", 70.0), ("A10", 125.0), ("T4", 65.0), ("V100", 125.0),
)
CHAPTER_BUDGET_S = 600.0  # what a reader waits for one chapter at the full scale on a T4
SETUP_ALLOWANCE_S = 120.0  # corpus, tokenizer and evaluation: outside the FLOP count
CHAPTERS = (
    "01_bert_in_one_notebook", "02_factorized_embedding", "03_cross_layer_sharing", "04_tokenizer",
    "05_pretraining_tasks", "06_sop_vs_nsp", "07_pretraining", "08_memory_and_speed", "09_finetuning",
    "10_real_checkpoints",
)


def peak_flops(device_name: str) -> float | None:
    """The 16-bit tensor-core peak of a GPU named ``device_name`` in FLOP/s, or None when it is not listed."""
    for key, tflops in PEAK_16BIT_TFLOPS:
        if key in device_name:
            return tflops * 1e12
    return None


@dataclass(frozen=True)
class Workload:
    """One training run: a shape, a budget, and what one token costs (pretraining or fine-tuning)."""

    name: str
    config: AlbertConfig
    steps: int
    batch_size: int
    seq_len: int
    pretraining: bool = True

    @property
    def flops_per_token(self) -> float:
        if self.pretraining:
            return training_flops(self.config, self.seq_len)
        return 3 * flops(self.config, self.seq_len)["total"]  # a classifier: encoder and pooler, 3x forward

    @property
    def flops(self) -> float:
        return self.steps * self.batch_size * self.seq_len * self.flops_per_token


def _ablation_workloads(title: str, variants: list[tuple[dict, dict]], s: ExperimentSettings):
    return [Workload(f"{title}: {changes}, seed {seed}", s.model_config(s.vocab_size, **changes), s.steps,
                     s.batch_size, s.seq_len) for changes, _ in variants for seed in s.seeds]


# The chapters whose models train through chapters.runs, side by side on a CPU's cores.
PARALLEL_CHAPTERS = ("02_factorized_embedding", "03_cross_layer_sharing", "06_sop_vs_nsp")


def chapter_workloads(chapter: str, scale: str | None = None) -> list[Workload]:
    """The training runs of ``chapter`` (a notebook's file stem) at ``scale``; empty for chapters that do not train."""
    if chapter not in CHAPTERS:
        raise ValueError(f"chapter={chapter!r} is not known: choose one of {CHAPTERS}")
    scale = scale or get_scale()
    s = settings(scale)
    if chapter == "02_factorized_embedding":
        _, roomy = roomy_pairs_settings(scale)
        return (_ablation_workloads("Table 3", embedding_variants(s), s)
                + _ablation_workloads("pairs with room", [(dict(sharing="all"), {})], roomy))
    if chapter == "03_cross_layer_sharing":
        smooth = smoothness_settings(s, scale)
        figure1 = [(dict(sharing=sharing), {}) for _, sharing in FIGURE_1_MODELS]
        return (_ablation_workloads("Table 4", sharing_variants(s), s)
                + _ablation_workloads("Table 11", depth_variants(s), s)
                + _ablation_workloads("Figure 1", figure1, smooth))
    if chapter == "06_sop_vs_nsp":
        _, table5 = sop_vs_nsp_settings(scale)
        return [Workload(f"Table 5: {name}, seed {seed}", table5.model_config(table5.vocab_size), table5.steps,
                         table5.batch_size, table5.seq_len)
                for seed in table5.seeds for name, _ in TABLE_5_MODELS]
    recipe = pretraining_recipe(scale)
    pretrain = Workload("pretraining (chapter 7's recipe)", recipe.model_config(), recipe.steps, recipe.batch_size,
                        recipe.seq_len)
    if chapter == "07_pretraining":
        return [pretrain]
    if chapter == "09_finetuning":
        tune = finetuning_recipe(scale)
        bert = recipe.model_config(embedding_size=recipe.hidden_size, sharing="none")
        runs = [pretrain, Workload("pretraining the BERT-shaped model", bert, recipe.steps, recipe.batch_size,
                                   recipe.seq_len)]
        for name, config in (("ALBERT", pretrain.config), ("ALBERT from scratch", pretrain.config), ("BERT", bert)):
            runs += [Workload(f"fine-tuning {name}, seed {seed}", config, tune["steps"], tune["batch_size"],
                              tune["max_len"], pretraining=False) for seed in tune["seeds"]]
        return runs
    return []


def chapter_flops(chapter: str, scale: str | None = None) -> float:
    return sum(run.flops for run in chapter_workloads(chapter, scale))


def predicted_seconds(chapter: str, scale: str | None = None, device: str = "T4") -> float:
    """Training seconds of ``chapter`` on ``device`` at its sustained throughput (:data:`SUSTAINED_FLOPS`)."""
    return chapter_flops(chapter, scale) / SUSTAINED_FLOPS[device]


def measure_flop_rate(workload: Workload, device: torch.device | str | None = None, steps: int = 3) -> float:
    """FLOP/s of ``workload``'s training step on ``device`` in the precision training picks there, timed over
    ``steps`` steps after one warm-up."""
    from ..data.toy import synthetic_batch
    from ..model import AlbertForPreTraining
    from ..training import resolve_precision
    from ..training.timing import seconds_per_call, training_step

    device = torch.device(device) if device is not None else pick_device()
    model = AlbertForPreTraining(workload.config).to(device)
    batch = synthetic_batch(workload.config, workload.batch_size, workload.seq_len, device=device)
    batch.pop("attention_mask")  # no padding: the faster path, as in training
    precision = resolve_precision("auto", device)  # what training picks: bf16/fp16 on a GPU, bf16 on an AMX CPU
    seconds = statistics.median(seconds_per_call(training_step(model, batch, precision), device, steps, warmup=1))
    return workload.batch_size * workload.seq_len * workload.flops_per_token / seconds


def describe_prediction(chapter: str, scale: str | None = None, calibrate: bool = True) -> dict:
    """The prediction a chapter prints before it trains: FLOPs, seconds on a T4, and seconds here (measured)."""
    scale = scale or get_scale()
    runs = chapter_workloads(chapter, scale)
    total = sum(run.flops for run in runs)
    here = None
    if calibrate and runs:
        biggest = max(runs, key=lambda run: run.flops_per_token)
        rate = measure_flop_rate(biggest, steps=2 if scale == "tiny" else 3)
        # The experiments train their models side by side, one per process (chapters.runs).
        workers = min(worker_count(), len(runs)) if chapter in PARALLEL_CHAPTERS else 1
        here = {"device": pick_device().type, "flop_rate": rate, "seconds": total / rate / workers, "workers": workers}
    return {"chapter": chapter, "scale": scale, "runs": len(runs), "flops": total,
            "t4_seconds": total / SUSTAINED_FLOPS["T4"], "here": here}


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.1f} min"


def prediction_line(prediction: dict) -> str:
    """One printed line for :func:`describe_prediction`'s result."""
    line = (f"{prediction['chapter']} at the {prediction['scale']} scale: {prediction['runs']} training run(s), "
            f"{prediction['flops'] / 1e15:.3g} PFLOP; predicted {_duration(prediction['t4_seconds'])} of training "
            f"on a Colab T4 (at {SUSTAINED_FLOPS['T4'] / 1e12:.0f} TFLOP/s)")
    here = prediction["here"]
    if here is not None:
        side = f" on {here['workers']} processes side by side" if here.get("workers", 1) > 1 else ""
        line += (f", {_duration(here['seconds'])} here ({here['device']}{side}, measured "
                 f"{here['flop_rate'] / 1e12:.3g} TFLOP/s over a few steps per process)")
    return line
