"""How long each chapter trains, predicted from its FLOPs before it runs.

Every training run of a chapter is listed here from the settings the chapter itself uses
(``albert_lite.chapters.experiment_settings`` and the experiments' own lists of models), so a change of
settings changes the prediction. A run's work is steps x batch x sequence length x the FLOPs of one
training step per token (:func:`albert_lite.flops.training_flops`). Dividing by a throughput gives seconds: for a Colab
T4 a stated, conservative figure. For the machine at hand the prediction is measured as the chapter will run:
a few steps on the chapter's own batches, drawn through its loader (the masking is done there, and on a small
model it costs a third of a step), one thread per process with as many processes side by side as the chapter
starts, plus the pool's start-up and the held-out passes each run makes. The T4's seconds count FLOPs only:
:data:`SETUP_ALLOWANCE_S` is kept there for data preparation and evaluation.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..config import AlbertConfig
from ..data.pipeline import PreparedCorpus
from ..flops import flops, training_flops
from ..runtime import pick_device
from .ablations import depth_variants, embedding_variants, sharing_variants
from .experiment_settings import (
    ExperimentSettings,
    finetuning_recipe,
    prepare,
    pretraining_recipe,
    roomy_pairs_settings,
    settings,
    short_pairs_settings,
    smoothness_settings,
    sop_vs_nsp_settings,
)
from .runs import Job, run_jobs, worker_count
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
    """One training run: a shape, a budget, and what one token costs (pretraining or fine-tuning); for timing it
    here, the data it reads (a function, so that listing runs prepares nothing) and how many held-out passes it
    makes (its final measurement and the evaluations along the way)."""

    name: str
    config: AlbertConfig
    steps: int
    batch_size: int
    seq_len: int
    pretraining: bool = True
    data: Callable[[], PreparedCorpus] | None = field(default=None, compare=False, repr=False)
    task: str | None = "sop"
    heldout_passes: float = 1.0

    @property
    def flops_per_token(self) -> float:
        if self.pretraining:
            return training_flops(self.config, self.seq_len)
        return 3 * flops(self.config, self.seq_len)["total"]  # a classifier: encoder and pooler, 3x forward

    @property
    def flops(self) -> float:
        return self.steps * self.batch_size * self.seq_len * self.flops_per_token


def _ablation_workloads(title: str, variants: list[tuple[dict, dict]], s: ExperimentSettings,
                        heldout_passes: float = 1.0):
    return [Workload(f"{title}: {changes}, seed {seed}", s.model_config(s.vocab_size, **changes), s.steps,
                     s.batch_size, s.seq_len, data=lambda: prepare(s), heldout_passes=heldout_passes)
            for changes, _ in variants for seed in s.seeds]


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
                + _ablation_workloads("pairs with room", [(dict(sharing="all"), {})], roomy, heldout_passes=8)
                + _ablation_workloads("pairs with room (the short pairs, as many steps)", [(dict(sharing="all"), {})],
                                      short_pairs_settings(scale), heldout_passes=8))
    if chapter == "03_cross_layer_sharing":
        smooth = smoothness_settings(s, scale)
        figure1 = [(dict(sharing=sharing), {}) for _, sharing in FIGURE_1_MODELS]
        return (_ablation_workloads("Table 4", sharing_variants(s), s)
                + _ablation_workloads("Table 11", depth_variants(s), s)
                + _ablation_workloads("Figure 1", figure1, smooth, heldout_passes=2))
    if chapter == "06_sop_vs_nsp":
        _, table5 = sop_vs_nsp_settings(scale)
        # Each model is measured once on held-out pairs and read by two probes (training and held-out pairs).
        return [Workload(f"Table 5: {name}, seed {seed}", table5.model_config(table5.vocab_size), table5.steps,
                         table5.batch_size, table5.seq_len, data=lambda: prepare(table5), heldout_passes=5)
                for seed in table5.seeds for name, _ in TABLE_5_MODELS]
    recipe = pretraining_recipe(scale)
    pretrain = Workload("pretraining (chapter 7's recipe)", recipe.model_config(), recipe.steps, recipe.batch_size,
                        recipe.seq_len, data=recipe.prepare)
    if chapter == "07_pretraining":
        return [pretrain]
    if chapter == "09_finetuning":
        tune = finetuning_recipe(scale)
        bert = recipe.model_config(embedding_size=recipe.hidden_size, sharing="none")
        runs = [pretrain, Workload("pretraining the BERT-shaped model", bert, recipe.steps, recipe.batch_size,
                                   recipe.seq_len, data=recipe.prepare)]
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


def _time_workload(job: Job, shapes: list[Workload], data: list[PreparedCorpus | None], steps: int) -> dict:
    """In the process (and with the threads) a chapter's run would have: seconds per training step of the shape
    ``job.labels["shape"]`` on its own batches, drawn through its loader, and per held-out batch; and the seconds
    this job kept its process busy."""
    from ..data.toy import synthetic_batch
    from ..model import AlbertForPreTraining
    from ..training import evaluate, resolve_precision
    from ..training.timing import seconds_per_call, training_step

    started = time.perf_counter()
    workload, corpus = shapes[job.labels["shape"]], data[job.labels["shape"]]
    device = pick_device()
    model = AlbertForPreTraining(workload.config).to(device)
    if corpus is not None and workload.pretraining:
        batches = iter(corpus.loader("train", workload.task, workload.batch_size, seed=job.seed))
        heldout = corpus.loader("heldout", workload.task, workload.batch_size)
        draw = lambda: {k: v.to(device) for k, v in next(batches).items()}  # noqa: E731
    else:  # fine-tuning: a classifier's step costs about what the encoder's pretraining step costs
        batch = synthetic_batch(workload.config, workload.batch_size, workload.seq_len, device=device)
        batch.pop("attention_mask")
        heldout, draw = None, lambda: batch  # noqa: E731
    precision = resolve_precision("auto", device)
    step = statistics.median(seconds_per_call(training_step(model, draw, precision), device, steps, warmup=1))
    per_heldout_batch, heldout_batches = 0.0, 0
    if heldout is not None:
        heldout_batches = len(heldout)
        probe = min(3, heldout_batches)
        before = time.perf_counter()
        evaluate(model, heldout, max_batches=probe)
        per_heldout_batch = (time.perf_counter() - before) / max(1, probe)
    return {"shape": job.labels["shape"], "step": step, "heldout batch": per_heldout_batch,
            "heldout batches": heldout_batches, "busy": time.perf_counter() - started}


def measure_here(runs: Sequence[Workload], workers: int = 1, steps: int = 3) -> dict:
    """Time ``runs`` as their chapter runs them: every distinct shape (model, batch, length, data) on a few steps
    of its own batches, in ``workers`` processes side by side (one thread each), or in this process when 1.

    Returns ``{"timings": one dict per run (seconds per step and per held-out batch, held-out batches),
    "start-up": the pool's start-up seconds}``.
    """
    corpora = [run.data() if run.data is not None else None for run in runs]
    keys = [(run.config, run.batch_size, run.seq_len, run.pretraining, run.task, id(corpus))
            for run, corpus in zip(runs, corpora, strict=True)]
    distinct = list(dict.fromkeys(keys))
    first = [keys.index(key) for key in distinct]
    shapes = [replace(runs[i], data=None) for i in first]
    data = [corpora[i] for i in first]
    # At least one job per worker, so that the timed steps share the machine as the chapter's runs will.
    jobs = [Job(shapes[k % len(shapes)].config, None, 0, {"shape": k % len(shapes)})
            for k in range(max(len(shapes), workers))]
    started = time.perf_counter()
    results = run_jobs(_time_workload, jobs, {"shapes": shapes, "data": data, "steps": steps}, progress=False)
    wall = time.perf_counter() - started
    per_shape = []
    for k in range(len(shapes)):
        mine = [r for r in results if r["shape"] == k]
        per_shape.append({"step": statistics.median(r["step"] for r in mine),
                          "heldout batch": statistics.median(r["heldout batch"] for r in mine),
                          "heldout batches": mine[0]["heldout batches"]})
    start_up = max(0.0, wall - sum(r["busy"] for r in results) / workers) if workers > 1 else 0.0
    return {"timings": [per_shape[distinct.index(key)] for key in keys], "start-up": start_up}


def predicted_here(runs: Sequence[Workload], measured: dict, workers: int) -> float:
    """Seconds on the machine at hand: every run's steps and held-out passes at the rates measured for its shape
    (:func:`measure_here`), shared out over ``workers`` processes, plus the pool's start-up."""
    total = 0.0
    for run, timing in zip(runs, measured["timings"], strict=True):
        total += run.steps * timing["step"] + run.heldout_passes * timing["heldout batches"] * timing["heldout batch"]
    return total / workers + measured["start-up"]


def describe_prediction(chapter: str, scale: str | None = None, calibrate: bool = True) -> dict:
    """The prediction a chapter prints before it trains: FLOPs, seconds on a T4, and seconds here (measured as the
    chapter runs, :func:`measure_here`)."""
    scale = scale or get_scale()
    runs = chapter_workloads(chapter, scale)
    total = sum(run.flops for run in runs)
    here = None
    if calibrate and runs:
        # The experiments train their models side by side, one per process (chapters.runs).
        workers = min(worker_count(), len(runs)) if chapter in PARALLEL_CHAPTERS else 1
        measured = measure_here(runs, workers, steps=2 if scale == "tiny" else 5)
        busy = sum(run.steps * timing["step"] for run, timing in zip(runs, measured["timings"], strict=True))
        here = {"device": pick_device().type, "flop_rate": total / busy,
                "seconds": predicted_here(runs, measured, workers), "workers": workers, "measured": measured}
    return {"chapter": chapter, "scale": scale, "runs": len(runs), "flops": total,
            "t4_seconds": total / SUSTAINED_FLOPS["T4"], "here": here}


def compare_with_prediction(prediction: dict, measured_seconds: float) -> str:
    """The line a chapter prints after training: predicted and measured seconds here, side by side."""
    here = prediction["here"]
    if here is None:
        return f"measured {_duration(measured_seconds)} (no prediction was measured here)"
    ratio = measured_seconds / here["seconds"]
    verdict = "within 30%" if abs(ratio - 1) <= 0.3 else "off by more than 30%"
    return (f"predicted {_duration(here['seconds'])} here, measured {_duration(measured_seconds)}: "
            f"measured / predicted = {ratio:.2f} ({verdict})")


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
        line += (f", {_duration(here['seconds'])} here ({here['device']}{side}, every run's shape timed on a few "
                 f"steps of its own batches: {here['flop_rate'] / 1e12:.3g} TFLOP/s per process on average; "
                 "evaluation and start-up included)")
    return line
