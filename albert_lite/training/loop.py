"""The training loop, written to be read.

One optimizer step is: take ``grad_accumulation`` micro-batches, run the model on each under
autocast, add up the gradients, clip them, let LAMB (or AdamW) step, and move the learning rate
along its warm-up/decay schedule. Everything else here exists to make that loop *repeatable*:
the data order is a pure function of (seed, epoch), and a checkpoint stores the optimizer, the
schedule, the random generators and the position in the data, so that a resumed run takes the
same steps an uninterrupted one would have taken.

Batches are dicts whose keys are the model's forward arguments (``model(**batch)``), and every
model returns an output with ``.loss``, ``.logits`` and ``.loss_terms``; what a batch adds to the logged
sums comes from the model's task metrics (:func:`.metrics.metrics_for`): the loop knows no model class.
"""

from __future__ import annotations

import math
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import LambdaLR
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from ..runtime import capture_rng_state, preserved_random_state, restore_rng_state, seed_everything

if TYPE_CHECKING:
    from matplotlib.figure import Figure

from ..distributed import all_gather_objects, all_reduce_sum, barrier, get_context, resolve_device
from . import checkpoints as ckpt
from .config import TrainingConfig
from .metrics import PRETRAINING_METRICS, add_sums, evaluate, metrics_for, reduce_sums
from .optimizers import build_optimizer, linear_warmup_decay
from .precision import autocast, resolve_precision
from .stream import BatchStream, move_to


@dataclass
class TrainingResult:
    """What a run produced: the history (one row per logged step), timings and the last evaluation."""

    history: pd.DataFrame
    wall_time: float
    steps: int
    device: str
    precision: str
    final_eval: dict[str, float] | None = None
    checkpoint: Path | None = None
    config: dict[str, Any] = field(default_factory=dict)
    steps_done: int | None = None  # fewer than ``steps`` when a time limit stopped the run (resume it to go on)

    @property
    def finished(self) -> bool:
        return self.steps_done is None or self.steps_done >= self.steps

    def summary(self) -> str:
        line = f"{self.steps} steps on {self.device} ({self.precision}) in {self.wall_time:.1f} s"
        last = self.history.dropna(subset=["loss"]).tail(1)
        if len(last):
            line += f"; final training loss {last['loss'].iloc[0]:.3f}"
        if self.final_eval:
            line += ", held-out " + ", ".join(
                f"{k} {v:.3f}" for k, v in self.final_eval.items() if k.endswith("accuracy") and not math.isnan(v)
            )
        return line

    def plot(self, title: str | None = None) -> Figure:
        """Loss curves on the left, accuracy curves on the right; returns the matplotlib Figure."""
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        h = self.history
        for column, style in (("loss", "-"), ("mlm_loss", "--"), ("sentence_loss", ":")):
            if column in h and h[column].notna().any():
                left.plot(h["step"], h[column], style, label=f"train {column}")
            if f"heldout_{column}" in h and h[f"heldout_{column}"].notna().any():
                rows = h[h[f"heldout_{column}"].notna()]
                left.plot(rows["step"], rows[f"heldout_{column}"], "o" + style, label=f"held-out {column}")
        for column, style in (("mlm_accuracy", "-"), ("sentence_accuracy", "--"), ("accuracy", "-")):
            if column in h and h[column].notna().any():
                right.plot(h["step"], h[column], style, label=f"train {column}")
            if f"heldout_{column}" in h and h[f"heldout_{column}"].notna().any():
                rows = h[h[f"heldout_{column}"].notna()]
                right.plot(rows["step"], rows[f"heldout_{column}"], "o" + style, label=f"held-out {column}")
        left.set(xlabel="optimizer step", ylabel="cross-entropy loss", title="Loss")
        right.set(xlabel="optimizer step", ylabel="accuracy", title="Accuracy", ylim=(0, 1))
        for ax in (left, right):
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
        fig.suptitle(title or self.summary(), fontsize=10)
        fig.tight_layout()
        return fig


def _wrap_for_training(model: nn.Module, batch: dict, device: torch.device,
                       config: TrainingConfig) -> tuple[nn.Module, DistributedDataParallel | None]:
    """DistributedDataParallel under torchrun, then torch.compile if asked: (the module to call, the DDP
    module whose ``no_sync`` skips the all-reduce of a micro-batch, or None)."""
    ddp = None
    if get_context().enabled:
        # A head that gets no loss (e.g. the sentence head in MLM-only training) gets no
        # gradient; DDP must then be told to look for parameters that took no part.
        unused = not set(model.label_keys) <= set(batch)
        model = ddp = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None, find_unused_parameters=unused
        )
    if config.compile:
        model = torch.compile(model)
    return model, ddp


def loss_weights(model: nn.Module, micro_batches: list[dict[str, torch.Tensor]]) -> list[dict[str, float]]:
    """For each micro-batch, the weight of each loss term in the optimizer step's loss.

    Each term is a mean over its own predictions (masked tokens, pairs, examples), and batches
    hold different numbers of them. Weighting micro-batch i's mean by n_i / N (N summed over
    the step's micro-batches and all processes) makes the step's gradient that of one mean
    over every prediction of the global batch, whatever the accumulation or the number of
    processes. DDP averages gradients over processes, so the weights carry the world size.
    """
    task = metrics_for(model)
    counts = [task.label_counts(batch) for batch in micro_batches]
    names = sorted({name for c in counts for name in c})
    if not names:
        return [{} for _ in micro_batches]
    device = micro_batches[0]["input_ids"].device
    local = torch.stack([torch.stack([c[n].to(device).float() for c in counts if n in c]).sum() for n in names])
    totals = dict(zip(names, all_reduce_sum(local).tolist(), strict=True))
    world = get_context().world_size
    return [{n: world * float(c[n]) / totals[n] if totals[n] else 0.0 for n in c} for c in counts]


def _weighted_loss(output: Any, weights: dict[str, float]) -> torch.Tensor:
    return sum(term * weights[name] for name, term in output.loss_terms.items())


def _history_frame(rows: dict[int, dict[str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame([rows[step] for step in sorted(rows)])
    if frame.empty:
        frame = pd.DataFrame(columns=["step", *PRETRAINING_METRICS, "lr"])
    front = [c for c in ("step", "epoch", *PRETRAINING_METRICS, "accuracy", "lr", "grad_norm", "time_s") if c in frame]
    return frame[front + [c for c in frame.columns if c not in front]]


def _optimizers(model: nn.Module, config: TrainingConfig, precision: str, device: torch.device):
    optimizer = build_optimizer(model, config.optimizer, config.lr, config.weight_decay)
    scheduler = linear_warmup_decay(optimizer, config.warmup, config.steps)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    return optimizer, scheduler, scaler


def optimizer_step(model: nn.Module, optimizer: torch.optim.Optimizer, scheduler: LambdaLR,
                   scaler: torch.amp.GradScaler, grad_clip: float | None) -> tuple[torch.Tensor, float]:
    """Clip the gradients' global norm, step, move the schedule on; returns (norm before clipping, lr used)."""
    scaler.unscale_(optimizer)
    grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip if grad_clip is not None else math.inf)
    lr = optimizer.param_groups[0]["lr"]
    scaler.step(optimizer)
    scaler.update()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return grad_norm, lr


@dataclass
class TrainingRun:
    """Everything one training run carries from step to step, and what it does at each.

    :func:`train` makes one (:func:`start_run`) and calls :meth:`step`, :meth:`log`,
    :meth:`evaluate` and :meth:`save` on schedule.
    """

    model: nn.Module
    config: TrainingConfig
    device: torch.device
    precision: str
    optimizer: torch.optim.Optimizer
    scheduler: Any
    scaler: torch.amp.GradScaler
    batches: BatchStream
    start_step: int = 0
    rows: dict[int, dict[str, float]] = field(default_factory=dict)
    time_before: float = 0.0
    started: float = field(default_factory=time.perf_counter)
    window: dict[str, torch.Tensor] = field(default_factory=dict)
    step_model: nn.Module | None = None
    ddp: DistributedDataParallel | None = None

    @property
    def task(self):
        """What a batch adds to the logged sums (:func:`.metrics.metrics_for`)."""
        return metrics_for(self.model)

    def elapsed(self) -> float:
        return self.time_before + time.perf_counter() - self.started

    def step(self) -> float:
        """One optimizer step over ``grad_accumulation`` micro-batches; returns the learning rate used."""
        micro_batches = [move_to(next(self.batches), self.device) for _ in range(self.config.grad_accumulation)]
        if self.step_model is None:
            self.step_model, self.ddp = _wrap_for_training(self.model, micro_batches[0], self.device, self.config)
        weights = loss_weights(self.model, micro_batches)
        for index, batch in enumerate(micro_batches):
            # Gradients add up in .grad; under DDP only the last micro-batch averages them across processes.
            last = index == len(micro_batches) - 1
            with self.ddp.no_sync() if self.ddp is not None and not last else nullcontext():
                with autocast(self.device, self.precision):
                    output = self.step_model(**batch)
                self.scaler.scale(_weighted_loss(output, weights[index])).backward()
            add_sums(self.window, self.task.statistics(output, batch))
        grad_norm, lr = optimizer_step(self.model, self.optimizer, self.scheduler, self.scaler, self.config.grad_clip)
        add_sums(self.window, {"grad_norm": grad_norm.detach().float(),
                               "optimizer_steps": torch.ones((), device=self.device)})
        return lr

    def log(self, step: int, lr: float) -> dict[str, float]:
        """Turn the window's sums into one history row (means over every process)."""
        sums, self.window = reduce_sums(self.window), {}
        row = self.rows.setdefault(step, {"step": step})
        row.update(epoch=self.batches.progress, **self.task.summarize(sums), lr=lr)
        row.update(grad_norm=sums["grad_norm"] / sums["optimizer_steps"], time_s=self.elapsed())
        return row

    def evaluate(self, step: int, loader: DataLoader) -> dict[str, float]:
        metrics = evaluate(self.model, loader, self.device, self.precision, self.config.eval_batches)
        self.rows.setdefault(step, {"step": step}).update({f"heldout_{k}": v for k, v in metrics.items()})
        return metrics

    def save(self, step: int) -> Path | None:
        """A checkpoint with everything an exact resume needs; every process takes part."""
        context = get_context()
        rng = all_gather_objects(capture_rng_state())  # every process's generators
        path = None
        if context.is_main:
            state = {"optimizer": self.optimizer.state_dict(), "scheduler": self.scheduler.state_dict(),
                     "scaler": self.scaler.state_dict(), "rng": rng, "data": self.batches.state()}
            info = {"training_config": self.config.to_dict(), "wall_time": self.elapsed(),
                    "history": list(_history_frame(self.rows).to_dict("records")) if self.rows else []}
            path = ckpt.save_checkpoint(self.config.out_dir, self.model, step, state, info,
                                        keep_last=self.config.keep_last)
        barrier()
        return path


def start_run(model: nn.Module, train_loader: DataLoader, config: TrainingConfig,
           resume_from: str | Path | None) -> TrainingRun:
    """A fresh run (seeded), or the state of the checkpoint ``resume_from`` put back in place."""
    context = get_context()
    device = resolve_device(config.device, context)
    precision = resolve_precision(config.precision, device)
    model.to(device).train()
    optimizer, scheduler, scaler = _optimizers(model, config, precision, device)
    if resume_from is None:
        if config.out_dir is not None and context.is_main and ckpt.list_checkpoints(config.out_dir):
            warnings.warn(
                f"out_dir {config.out_dir} already holds checkpoints; this new run will write over them "
                "(pass resume_from=out_dir to continue the earlier run instead)",
                stacklevel=3,
            )
        seed_everything(config.seed + context.rank)
        return TrainingRun(model, config, device, precision, optimizer, scheduler, scaler,
                           BatchStream(train_loader, seed=config.seed))
    restored = ckpt.load_checkpoint(resume_from, model)
    state = restored["training_state"]
    if state is None:
        raise ckpt.CheckpointError(f"{restored['path']} holds weights only: there is no training state to resume")
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    scaler.load_state_dict(state["scaler"])
    trainer = restored["trainer"] or {}
    rows = {row["step"]: {k: math.nan if v is None else v for k, v in row.items()}
            for row in trainer.get("history", [])}
    batches = BatchStream(train_loader, seed=config.seed, **state["data"])  # replays the batches already used
    rng = state["rng"]  # one state per process
    restore_rng_state(rng[context.rank] if len(rng) == context.world_size else rng[0])  # after the replay
    return TrainingRun(model, config, device, precision, optimizer, scheduler, scaler, batches,
                       start_step=state["step"], rows=rows, time_before=trainer.get("wall_time", 0.0))


def train(
    model: nn.Module,
    train_loader: DataLoader,
    config: TrainingConfig,
    heldout_loader: DataLoader | None = None,
    resume_from: str | Path | None = None,
    progress: bool = True,
    stop_after_s: float | None = None,
) -> TrainingResult:
    """Train ``model`` for ``config.steps`` optimizer steps (in total, counting resumed ones).

    ``resume_from`` is a checkpoint folder or an ``out_dir`` (its latest checkpoint); the run
    then continues exactly where that one stopped. ``stop_after_s`` trains in pieces: after that many
    seconds the run writes a checkpoint and returns (``result.finished`` is False), and a call with
    ``resume_from`` goes on with the same schedule. The run seeds the global generators it uses; the
    caller's generators are left as they were.
    """
    if stop_after_s is not None and config.out_dir is None:
        raise ValueError("stop_after_s needs config.out_dir: a run stopped for time must leave a checkpoint")
    with preserved_random_state():
        run = start_run(model, train_loader, config, resume_from)
        final_eval, last_checkpoint, steps = None, None, config.steps
        done = run.start_step
        bar = tqdm(total=steps, initial=run.start_step, desc="training",
                   disable=not (progress and get_context().is_main))
        try:
            for step in range(run.start_step + 1, steps + 1):
                lr = run.step()
                done = step
                bar.update(1)
                out_of_time = stop_after_s is not None and _agreed(time.perf_counter() - run.started > stop_after_s)
                if step % config.log_every == 0 or step == steps or out_of_time:
                    bar.set_postfix(_postfix(run.log(step, lr)), refresh=False)
                if heldout_loader is not None and (step == steps or _every(step, config.eval_every)):
                    final_eval = run.evaluate(step, heldout_loader)
                if config.out_dir is not None and (step == steps or _every(step, config.checkpoint_every)
                                                   or out_of_time):
                    last_checkpoint = run.save(step)
                if out_of_time:
                    break
        finally:
            bar.close()
        if heldout_loader is not None and final_eval is None and run.start_step >= steps:
            final_eval = evaluate(model, heldout_loader, run.device, run.precision, config.eval_batches)
    device = run.device
    return TrainingResult(
        history=_history_frame(run.rows),
        wall_time=time.perf_counter() - run.started,
        steps=steps,
        device=str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        precision=run.precision,
        final_eval=final_eval,
        checkpoint=last_checkpoint,
        config=config.to_dict(),
        steps_done=done,
    )


def _agreed(flag: bool) -> bool:
    """True when any process says so (every process then stops at the same step)."""
    return bool(all_reduce_sum(torch.tensor(float(flag))).item() > 0)


def _every(step: int, interval: int | None) -> bool:
    return interval is not None and step % interval == 0


def _postfix(row: dict[str, float]) -> dict[str, str]:
    names = {"loss": "loss", "mlm_mask_accuracy": "mask_acc", "sentence_accuracy": "sent_acc", "accuracy": "acc"}
    return {short: f"{row[key]:.3f}" for key, short in names.items() if key in row and not math.isnan(row[key])}
