"""Training the models of an experiment: one seed, one budget, side by side on a CPU's cores.

Every model of an experiment is trained by :func:`pretrain` from the same seed and data; :func:`train_and_measure`
runs the jobs (one per model) and adds the run line (scale, device, steps, wall time) the book prints under
each table.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pandas as pd
import torch

from ..config import AlbertConfig
from ..data import PreparedCorpus
from ..model import AlbertForPreTraining
from ..runtime import preserved_random_state
from ..training import TrainingConfig, TrainingResult, evaluate, train
from .experiment_settings import ExperimentSettings
from .runs import Job, run_jobs, worker_count


def pretrain(config: AlbertConfig, data: PreparedCorpus, task: str | None, s: ExperimentSettings,
             seed: int = 0, progress: bool = False,
             evaluations: int = 0) -> tuple[AlbertForPreTraining, TrainingResult]:
    """Train one model from the same seed and data as every other model of an experiment (``evaluations``
    times on the held-out pairs along the way, recorded in the result's history)."""
    with preserved_random_state():
        torch.manual_seed(seed)
        model = AlbertForPreTraining(config)
    every = max(1, s.steps // evaluations) if evaluations else None
    run = TrainingConfig(steps=s.steps, lr=s.lr, seed=seed, log_every=every or max(1, s.steps // 20),
                         eval_every=every, optimizer=s.optimizer)
    heldout = data.loader("heldout", task, s.batch_size) if evaluations else None
    result = train(model, data.loader("train", task, s.batch_size, seed), run, heldout_loader=heldout,
                   progress=progress)
    return model, result


def trained_on(result: TrainingResult) -> str:
    """Where and in which precision a model trained ("cpu, fp32"; bf16 on a CPU with AMX), for the run lines."""
    return f"{result.device}, {result.precision}"


def heldout_scores(model: AlbertForPreTraining, data: PreparedCorpus, task: str, batch_size: int) -> dict:
    """MLM accuracy on held-out documents and the sentence head's accuracy on ``task`` pairs."""
    return evaluate(model, data.loader("heldout", task, batch_size))


def run_line(scale: str, s: ExperimentSettings, device: str, wall: float, models: int) -> str:
    workers = min(models, worker_count())
    return (f"scale {scale}, corpus {s.corpus} ({s.max_documents or 'all'} documents), device {device}, "
            f"{models} models ({len(s.seeds)} seed(s) each) x {s.steps} steps of batch {s.batch_size} x "
            f"{s.seq_len} tokens, H={s.hidden_size}, wall time {wall:.0f} s"
            + (f" on {workers} processes side by side" if workers > 1 else ""))


def train_and_measure(row: Callable[..., dict], jobs: list[Job], data: PreparedCorpus, s: ExperimentSettings,
                      scale: str, desc: str, progress: bool, models: int | None = None) -> pd.DataFrame:
    """Train and measure every job (side by side on a CPU's cores), with the run line.

    ``row(job, data, s)`` gives one row, or several under ``"rows"``; either way with the ``"device"`` it
    trained on. ``models`` is the number of trained models the run line states (default: one per job).
    """
    started = time.perf_counter()
    results = run_jobs(row, jobs, {"data": data, "s": s}, progress, desc)
    device = results[0].get("device", "cpu")
    frame = pd.DataFrame([r for result in results for r in result.get("rows", [result])])
    frame = frame.drop(columns="device", errors="ignore")
    wall = time.perf_counter() - started
    frame.attrs["run"] = run_line(scale, s, device, wall, models or len(jobs))
    frame.attrs["wall s"] = wall  # set beside the chapter's prediction (sizing.compare_with_prediction)
    return frame

