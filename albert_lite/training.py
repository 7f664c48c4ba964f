"""The pretraining loop, written to be read.

One optimizer step is: take ``grad_accumulation`` micro-batches, run the model on each under
autocast, add up the gradients, clip them, let LAMB (or AdamW) step, and move the learning rate
along its warm-up/decay schedule. Everything else here exists to make that loop *repeatable*:
the data order is a pure function of (seed, epoch), and a checkpoint stores the optimizer, the
schedule, the random generators and the position in the data, so that a resumed run takes the
same steps an uninterrupted one would have taken.

Batches are dicts whose keys are the model's forward arguments (``model(**batch)``):
``input_ids, token_type_ids, attention_mask, mlm_labels, sentence_labels`` for
:class:`~albert_lite.model.AlbertForPreTraining`, or ``input_ids, ..., labels`` for
:class:`~albert_lite.model.AlbertForSequenceClassification`.
"""

from __future__ import annotations

import math
import time
import warnings
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, DistributedSampler
from tqdm.auto import tqdm

from . import checkpoint as ckpt
from .config import check_positive_int
from .distributed import DistributedContext, all_gather_objects, all_reduce_sum, barrier, get_context
from .model import IGNORE_INDEX, AlbertForPreTraining, PreTrainingOutput
from .optim import OPTIMIZERS, build_optimizer, default_warmup_steps, linear_warmup_decay
from .runtime import check_device, seed_everything

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
PRETRAINING_METRICS = ("loss", "mlm_loss", "sentence_loss", "mlm_accuracy", "sentence_accuracy")


# ----------------------------------------------------------------------------------------
# Settings
# ----------------------------------------------------------------------------------------


@dataclass
class TrainingConfig:
    """How to train; the batch size is the DataLoader's (see :func:`make_loader`).

    ``warmup_steps=None`` uses the paper's proportion (1 step in 40). ``precision="auto"``
    picks bf16 autocast on GPUs that support it, fp16 with a gradient scaler on older GPUs,
    and float32 on Apple's MPS and on CPUs. ``eval_every=None`` evaluates only at the end
    (when an eval loader is given). ``checkpoint_every=None`` with an ``out_dir`` writes one
    checkpoint at the end; ``keep_last`` checkpoints are kept (None keeps all).
    """

    steps: int = 1000
    lr: float = 1e-3
    warmup_steps: int | None = None
    weight_decay: float = 0.01
    optimizer: str = "lamb"
    grad_clip: float | None = 1.0
    grad_accumulation: int = 1
    log_every: int = 10
    eval_every: int | None = None
    eval_batches: int | None = None
    precision: str = "auto"
    compile: bool = False
    seed: int = 0
    checkpoint_every: int | None = None
    out_dir: str | None = None
    keep_last: int | None = 2
    device: str | None = None

    def __post_init__(self) -> None:
        for name in ("steps", "grad_accumulation", "log_every"):
            check_positive_int(name, getattr(self, name))
        for name in ("eval_every", "eval_batches", "checkpoint_every", "keep_last"):
            if getattr(self, name) is not None:
                check_positive_int(name, getattr(self, name))
        if self.warmup_steps is not None and (
            isinstance(self.warmup_steps, bool) or not isinstance(self.warmup_steps, int)
            or not 0 <= self.warmup_steps <= self.steps
        ):
            raise ValueError(f"warmup_steps={self.warmup_steps!r} is not allowed: use None or 0..steps={self.steps}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0):
            raise ValueError(f"lr={self.lr!r} is not allowed: it must be > 0")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay={self.weight_decay!r} is not allowed: it must be >= 0")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"grad_clip={self.grad_clip!r} is not allowed: use None or a value > 0")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer={self.optimizer!r} is not allowed: choose one of {OPTIMIZERS}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision={self.precision!r} is not allowed: choose one of {PRECISIONS}")
        if self.checkpoint_every is not None and self.out_dir is None:
            raise ValueError("checkpoint_every is set but out_dir is None: say where checkpoints go")

    @property
    def warmup(self) -> int:
        return default_warmup_steps(self.steps) if self.warmup_steps is None else self.warmup_steps

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# ----------------------------------------------------------------------------------------
# Device and precision
# ----------------------------------------------------------------------------------------


def resolve_device(
    requested: str | torch.device | None = None, context: DistributedContext | None = None
) -> torch.device:
    """The requested device, else CUDA, MPS or CPU; under torchrun each process takes its own GPU."""
    context = context or get_context()
    device = check_device(requested)  # ValueError naming the problem: "gpu", CUDA on a machine without it, ...
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", context.local_rank if context.enabled else torch.cuda.current_device())
    return device


def resolve_precision(precision: str, device: torch.device) -> str:
    """"auto" -> bf16 on Ampere or newer GPUs, fp16 on older ones (T4, V100), fp32 elsewhere."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not allowed: choose one of {PRECISIONS}")
    bf16_gpu = device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0)
    if precision == "auto":
        if device.type == "cuda":
            return "bf16" if bf16_gpu else "fp16"
        return "fp32"
    if precision == "fp16" and device.type != "cuda":
        raise ValueError(f"precision='fp16' needs a CUDA GPU (device is {device.type}): use 'fp32' or 'bf16'")
    if precision == "bf16" and device.type == "cuda" and not bf16_gpu:
        name = torch.cuda.get_device_name(device)
        raise ValueError(f"precision='bf16' needs an Ampere or newer GPU, not {name}: use 'fp16'")
    if precision == "bf16" and device.type not in ("cuda", "cpu"):
        raise ValueError(f"precision='bf16' is not supported on {device.type}: use 'fp32'")
    return precision


def autocast(device: torch.device, precision: str):
    """Matrix products in bf16/fp16 where it is safe, float32 master weights throughout."""
    if precision == "fp32":
        return nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)


def move_to(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


# ----------------------------------------------------------------------------------------
# Data: endless, resumable, the same order on every run
# ----------------------------------------------------------------------------------------


def epoch_seed(seed: int, epoch: int) -> int:
    """A different, fixed shuffling seed for every (seed, epoch)."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


class BatchStream:
    """Batches from a DataLoader forever, epoch after epoch, starting at (epoch, position).

    Before each epoch it fixes the shuffle to ``epoch_seed(seed, epoch)`` (or calls the
    sampler's ``set_epoch``, as DistributedSampler wants) and calls the dataset's
    ``set_epoch`` if it has one, so dynamic masking draws new masks each epoch. Resuming at
    ``position`` replays the epoch's first batches and drops them. (With
    ``persistent_workers=True`` the workers would keep an old copy of the dataset's epoch.)
    """

    def __init__(self, loader: DataLoader, seed: int = 0, epoch: int = 0, position: int = 0):
        self.loader, self.seed = loader, seed
        self.epoch, self.position = epoch, 0
        self._iterator = None
        for _ in range(position):
            next(self)

    def _start_epoch(self) -> None:
        sampler = self.loader.sampler
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(self.epoch)
        elif hasattr(sampler, "generator"):
            sampler.generator = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch))
        if self.loader.generator is not None:
            self.loader.generator.manual_seed(epoch_seed(self.seed + 1, self.epoch))
        if hasattr(self.loader.dataset, "set_epoch"):
            self.loader.dataset.set_epoch(self.epoch)
        self._iterator = iter(self.loader)

    def __iter__(self):
        return self

    def __next__(self) -> dict[str, torch.Tensor]:
        while True:
            if self._iterator is None:
                self._start_epoch()
            try:
                batch = next(self._iterator)
            except StopIteration:
                if self.position == 0:
                    raise ValueError("the training loader yields no batches: is the dataset empty?") from None
                self.epoch, self.position, self._iterator = self.epoch + 1, 0, None
                continue
            self.position += 1
            return batch

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    @property
    def progress(self) -> float:
        """Epochs done, as a fraction when the loader knows its length."""
        try:
            return self.epoch + self.position / len(self.loader)
        except TypeError:
            return float(self.epoch)


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    collate_fn=None,
    drop_last: bool = True,
    num_workers: int = 0,
) -> DataLoader:
    """A DataLoader whose ``batch_size`` is the *global* batch, split evenly over processes.

    It always uses a DistributedSampler (with one replica when not distributed), so one
    process and N processes see the same global batches in the same order.
    """
    context = get_context()
    check_positive_int("batch_size", batch_size)
    if batch_size % context.world_size:
        raise ValueError(
            f"batch_size={batch_size} does not divide over {context.world_size} processes: "
            f"use a multiple of {context.world_size}"
        )
    sampler = DistributedSampler(
        dataset, num_replicas=context.world_size, rank=context.rank, shuffle=shuffle, seed=seed, drop_last=drop_last
    )
    return DataLoader(
        dataset,
        batch_size=batch_size // context.world_size,
        sampler=sampler,
        collate_fn=collate_fn,
        drop_last=drop_last,
        num_workers=num_workers,
    )


# ----------------------------------------------------------------------------------------
# Metrics: sums, so that micro-batches, log windows and processes simply add up
# ----------------------------------------------------------------------------------------


def batch_statistics(output: Any, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """What one batch adds to the running totals behind the logged losses and accuracies."""
    loss = output.loss if isinstance(output, PreTrainingOutput) else output[1]
    if loss is None:
        raise ValueError(f"the model returned no loss: the batch must carry labels (it has {sorted(batch)})")
    device = loss.device
    zero = torch.zeros((), device=device)
    sequences = float(batch["input_ids"].shape[0])
    stats = {"batches": torch.ones((), device=device), "sequences": torch.tensor(sequences, device=device)}
    stats["loss"] = loss.detach().float()
    if isinstance(output, PreTrainingOutput):
        mlm_labels = batch.get("mlm_labels")
        if output.mlm_loss is not None and mlm_labels is not None:
            targets = mlm_labels[mlm_labels != IGNORE_INDEX]
            count = torch.tensor(float(targets.numel()), device=device)
            stats["mlm_loss"] = output.mlm_loss.detach().float() * count
            stats["mlm_tokens"] = count
            stats["mlm_correct"] = (output.mlm_logits.argmax(-1) == targets).sum().float()
        else:
            stats.update(mlm_loss=zero, mlm_tokens=zero, mlm_correct=zero)
        sentence_labels = batch.get("sentence_labels")
        if output.sentence_loss is not None and sentence_labels is not None:
            count = torch.tensor(float(sentence_labels.numel()), device=device)
            stats["sentence_loss"] = output.sentence_loss.detach().float() * count
            stats["sentence_examples"] = count
            predicted = output.sentence_logits.argmax(-1)
            stats["sentence_correct"] = (predicted == sentence_labels).sum().float()
            # A head stuck on one class scores the share of that label: these two make it visible.
            stats["sentence_label_1"] = (sentence_labels == 1).sum().float()
            stats["sentence_predicted_1"] = (predicted == 1).sum().float()
        else:
            stats.update(sentence_loss=zero, sentence_examples=zero, sentence_correct=zero, sentence_label_1=zero,
                         sentence_predicted_1=zero)
    else:  # a classifier: (logits, loss)
        labels = batch["labels"]
        stats["examples"] = torch.tensor(float(labels.numel()), device=device)
        stats["correct"] = (output[0].argmax(-1) == labels).sum().float()
    return stats


def _add(totals: dict[str, torch.Tensor], stats: dict[str, torch.Tensor]) -> None:
    for key, value in stats.items():
        totals[key] = totals[key] + value if key in totals else value.clone()


def _reduce(totals: dict[str, torch.Tensor]) -> dict[str, float]:
    """Sum the totals over all processes and bring them to the CPU (one transfer)."""
    keys = sorted(totals)
    values = all_reduce_sum(torch.stack([totals[k] for k in keys]))
    return dict(zip(keys, values.cpu().tolist(), strict=True))


def summarize(sums: dict[str, float]) -> dict[str, float]:
    """Means from sums: the MLM loss and accuracy per masked token, sentence ones per pair."""

    def ratio(num: str, den: str) -> float:
        return sums[num] / sums[den] if sums.get(den) else math.nan

    metrics = {"loss": ratio("loss", "batches")}
    if "mlm_tokens" in sums:
        metrics.update(
            mlm_loss=ratio("mlm_loss", "mlm_tokens"),
            sentence_loss=ratio("sentence_loss", "sentence_examples"),
            mlm_accuracy=ratio("mlm_correct", "mlm_tokens"),
            sentence_accuracy=ratio("sentence_correct", "sentence_examples"),
        )
    if "examples" in sums:
        metrics["accuracy"] = ratio("correct", "examples")
    return metrics


@torch.no_grad()
def evaluate(
    model: nn.Module,
    loader: DataLoader,
    device: str | torch.device | None = None,
    precision: str = "auto",
    max_batches: int | None = None,
) -> dict[str, float]:
    """Losses and accuracies over a loader: MLM accuracy over masked tokens, sentence accuracy over pairs.

    Under torchrun each process evaluates its shard of the loader and the totals are summed.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    precision = resolve_precision(precision, device)
    was_training = model.training
    model.eval()
    totals: dict[str, torch.Tensor] = {}
    try:
        for index, batch in enumerate(loader):
            if max_batches is not None and index >= max_batches:
                break
            batch = move_to(batch, device)
            with autocast(device, precision):
                output = model(**batch)
            _add(totals, batch_statistics(output, batch))
    finally:
        model.train(was_training)
    if not totals:
        raise ValueError("the evaluation loader yields no batches: is the dataset empty?")
    sums = _reduce(totals)
    metrics = {**summarize(sums), "examples": sums["sequences"]}
    if sums.get("sentence_examples"):  # the sentence head's n, label balance and answers
        pairs = sums["sentence_examples"]
        metrics.update(sentence_examples=pairs, sentence_label_1_share=sums["sentence_label_1"] / pairs,
                       sentence_predicted_1_share=sums["sentence_predicted_1"] / pairs)
    return metrics


# ----------------------------------------------------------------------------------------
# The result
# ----------------------------------------------------------------------------------------


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

    def plot(self, title: str | None = None):
        """Loss curves on the left, accuracy curves on the right; returns the matplotlib Figure."""
        import matplotlib.pyplot as plt

        fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
        h = self.history
        for column, style in (("loss", "-"), ("mlm_loss", "--"), ("sentence_loss", ":")):
            if column in h and h[column].notna().any():
                left.plot(h["step"], h[column], style, label=f"train {column}")
            if f"eval_{column}" in h and h[f"eval_{column}"].notna().any():
                rows = h[h[f"eval_{column}"].notna()]
                left.plot(rows["step"], rows[f"eval_{column}"], "o" + style, label=f"held-out {column}")
        for column, style in (("mlm_accuracy", "-"), ("sentence_accuracy", "--"), ("accuracy", "-")):
            if column in h and h[column].notna().any():
                right.plot(h["step"], h[column], style, label=f"train {column}")
            if f"eval_{column}" in h and h[f"eval_{column}"].notna().any():
                rows = h[h[f"eval_{column}"].notna()]
                right.plot(rows["step"], rows[f"eval_{column}"], "o" + style, label=f"held-out {column}")
        left.set(xlabel="optimizer step", ylabel="cross-entropy loss", title="Loss")
        right.set(xlabel="optimizer step", ylabel="accuracy", title="Accuracy", ylim=(0, 1))
        for ax in (left, right):
            ax.grid(alpha=0.3)
            if ax.get_legend_handles_labels()[0]:
                ax.legend(fontsize=8)
        fig.suptitle(title or self.summary(), fontsize=10)
        fig.tight_layout()
        return fig


# ----------------------------------------------------------------------------------------
# The loop
# ----------------------------------------------------------------------------------------


def _wrap_for_training(model: nn.Module, batch: dict, device: torch.device, config: TrainingConfig) -> nn.Module:
    """DistributedDataParallel under torchrun, then torch.compile if asked."""
    if get_context().enabled:
        # A head that gets no loss (e.g. the sentence head in MLM-only training) gets no
        # gradient; DDP must then be told to look for parameters that took no part.
        unused = isinstance(model, AlbertForPreTraining) and not {"mlm_labels", "sentence_labels"} <= set(batch)
        model = DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None, find_unused_parameters=unused
        )
    if config.compile:
        model = torch.compile(model)
    return model


def _history_frame(rows: dict[int, dict[str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame([rows[step] for step in sorted(rows)])
    if frame.empty:
        frame = pd.DataFrame(columns=["step", *PRETRAINING_METRICS, "lr"])
    front = [c for c in ("step", "epoch", *PRETRAINING_METRICS, "accuracy", "lr", "grad_norm", "time_s") if c in frame]
    return frame[front + [c for c in frame.columns if c not in front]]


def _load_training_state(path, model, optimizer, scheduler, scaler) -> tuple[dict[str, Any], dict[str, Any]]:
    """Put a checkpoint's weights and optimizer, schedule and scaler states in place."""
    restored = ckpt.load_checkpoint(path, model)
    state = restored["training_state"]
    if state is None:
        raise ckpt.CheckpointError(f"{restored['path']} holds weights only: there is no training state to resume")
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    scaler.load_state_dict(state["scaler"])
    trainer = restored["trainer"] or {}
    trainer.setdefault("history", [])
    return state, trainer


def train(
    model: nn.Module,
    train_loader: DataLoader,
    config: TrainingConfig,
    eval_loader: DataLoader | None = None,
    resume_from: str | Path | None = None,
    progress: bool = True,
) -> TrainingResult:
    """Train ``model`` for ``config.steps`` optimizer steps (in total, counting resumed ones).

    ``resume_from`` is a checkpoint folder or an ``out_dir`` (its latest checkpoint); the run
    then continues exactly where that one stopped.
    """
    context = get_context()
    device = resolve_device(config.device, context)
    precision = resolve_precision(config.precision, device)
    model.to(device).train()

    optimizer = build_optimizer(model, config.optimizer, config.lr, config.weight_decay)
    scheduler = linear_warmup_decay(optimizer, config.warmup, config.steps)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")

    if resume_from is None:
        if config.out_dir is not None and context.is_main and ckpt.list_checkpoints(config.out_dir):
            warnings.warn(
                f"out_dir {config.out_dir} already holds checkpoints; this new run will write over them "
                "(pass resume_from=out_dir to continue the earlier run instead)",
                stacklevel=2,
            )
        seed_everything(config.seed + context.rank)
        start_step, rows, time_before = 0, {}, 0.0
        batches = BatchStream(train_loader, seed=config.seed)
    else:
        state, trainer = _load_training_state(resume_from, model, optimizer, scheduler, scaler)
        start_step, time_before = state["step"], trainer.get("wall_time", 0.0)
        rows = {row["step"]: {k: math.nan if v is None else v for k, v in row.items()} for row in trainer["history"]}
        batches = BatchStream(train_loader, seed=config.seed, **state["data"])  # replays the batches already used
        rng = state["rng"]  # one state per process
        ckpt.restore_rng_state(rng[context.rank] if len(rng) == context.world_size else rng[0])  # after the replay

    step_model: nn.Module | None = None
    window: dict[str, torch.Tensor] = {}
    last_checkpoint: Path | None = None
    final_eval: dict[str, float] | None = None
    started = time.perf_counter()

    def save(step: int) -> Path | None:
        rng = all_gather_objects(ckpt.capture_rng_state())  # every process's generators
        path = None
        if context.is_main:
            state = {
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict(),
                "rng": rng,
                "data": batches.state(),
            }
            info = {
                "training_config": config.to_dict(),
                "wall_time": time_before + time.perf_counter() - started,
                "history": list(_history_frame(rows).to_dict("records")) if rows else [],
            }
            path = ckpt.save_checkpoint(config.out_dir, model, step, state, info, keep_last=config.keep_last)
        barrier()
        return path

    bar = tqdm(total=config.steps, initial=start_step, desc="training", disable=not (progress and context.is_main))
    try:
        for step in range(start_step + 1, config.steps + 1):
            # 1. Forward and backward over the micro-batches; gradients add up in .grad.
            for micro in range(config.grad_accumulation):
                batch = move_to(next(batches), device)
                if step_model is None:
                    step_model = _wrap_for_training(model, batch, device, config)
                last = micro == config.grad_accumulation - 1
                # Under DDP, only the last micro-batch needs to average gradients across processes.
                ddp = isinstance(step_model, DistributedDataParallel)
                with step_model.no_sync() if ddp and not last else nullcontext():
                    with autocast(device, precision):
                        output = step_model(**batch)
                    stats = batch_statistics(output, batch)
                    scaler.scale(_loss(output) / config.grad_accumulation).backward()
                _add(window, stats)

            # 2. Clip, step, schedule.
            scaler.unscale_(optimizer)
            max_norm = config.grad_clip if config.grad_clip is not None else math.inf
            grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
            _add(window, {"grad_norm": grad_norm.detach().float(), "optimizer_steps": torch.ones((), device=device)})
            lr = optimizer.param_groups[0]["lr"]
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            bar.update(1)

            # 3. Log, evaluate, checkpoint.
            if step % config.log_every == 0 or step == config.steps:
                sums = _reduce(window)
                window = {}
                row = rows.setdefault(step, {"step": step})
                row.update(epoch=batches.progress, **summarize(sums), lr=lr)
                row.update(grad_norm=sums["grad_norm"] / sums["optimizer_steps"])
                row.update(time_s=time_before + time.perf_counter() - started)
                bar.set_postfix(_postfix(row), refresh=False)
            if eval_loader is not None and (
                step == config.steps or (config.eval_every is not None and step % config.eval_every == 0)
            ):
                final_eval = evaluate(model, eval_loader, device, precision, config.eval_batches)
                rows.setdefault(step, {"step": step}).update({f"eval_{k}": v for k, v in final_eval.items()})
            if config.out_dir is not None and (
                step == config.steps or (config.checkpoint_every is not None and step % config.checkpoint_every == 0)
            ):
                last_checkpoint = save(step)
    finally:
        bar.close()

    if eval_loader is not None and final_eval is None and start_step >= config.steps:
        final_eval = evaluate(model, eval_loader, device, precision, config.eval_batches)
    return TrainingResult(
        history=_history_frame(rows),
        wall_time=time.perf_counter() - started,
        steps=config.steps,
        device=str(device) if device.type != "cuda" else torch.cuda.get_device_name(device),
        precision=precision,
        final_eval=final_eval,
        checkpoint=last_checkpoint,
        config=config.to_dict(),
    )


def _loss(output: Any) -> torch.Tensor:
    return output.loss if isinstance(output, PreTrainingOutput) else output[1]


def _postfix(row: dict[str, float]) -> dict[str, str]:
    names = {"loss": "loss", "mlm_accuracy": "mlm_acc", "sentence_accuracy": "sent_acc", "accuracy": "acc"}
    return {short: f"{row[key]:.3f}" for key, short in names.items() if key in row and not math.isnan(row[key])}


# ----------------------------------------------------------------------------------------
# A toy dataset with known answers, for tests and timing
# ----------------------------------------------------------------------------------------


class RandomTokenDataset(Dataset):
    """Pretraining examples whose answers are known by construction, with no text at all.

    Each example counts upwards through the vocabulary from a random start (ids 5.., wrapping),
    cut into two segments A and B; with probability 0.5 they are swapped (sentence label 1),
    as in sentence-order prediction. ``num_masked`` tokens are replaced by [MASK] (id 4) and
    are the MLM targets, so both tasks are learnable. Randomness is a pure function of
    (seed, epoch, index): ``set_epoch`` draws new masks, like dynamic masking.
    Ids: 0 [PAD], 1 <unk>, 2 [CLS], 3 [SEP], 4 [MASK].
    """

    PAD, CLS, SEP, MASK, FIRST = 0, 2, 3, 4, 5

    def __init__(self, num_examples: int, seq_len: int = 16, vocab_size: int = 64, num_masked: int = 2, seed: int = 0):
        if seq_len < 5:
            raise ValueError(f"seq_len={seq_len} is not allowed: it must be at least 5 ([CLS] A [SEP] B [SEP])")
        if vocab_size <= self.FIRST:
            raise ValueError(f"vocab_size={vocab_size} is not allowed: it must exceed {self.FIRST}")
        if not 0 < num_masked <= seq_len - 3:
            raise ValueError(f"num_masked={num_masked} is not allowed: it must be in 1..{seq_len - 3}")
        self.num_examples, self.seq_len, self.vocab_size = num_examples, seq_len, vocab_size
        self.num_masked, self.seed, self.epoch = num_masked, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_examples

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        n = self.seq_len - 3
        span = self.vocab_size - self.FIRST
        tokens = self.FIRST + (rng.integers(span) + np.arange(n)) % span
        cut = int(rng.integers(1, n))
        a, b = tokens[:cut], tokens[cut:]
        swapped = int(rng.integers(2))
        if swapped:
            a, b = b, a
        input_ids = np.concatenate([[self.CLS], a, [self.SEP], b, [self.SEP]])
        token_type_ids = np.concatenate([np.zeros(len(a) + 2, dtype=np.int64), np.ones(len(b) + 1, dtype=np.int64)])
        content = np.concatenate([1 + np.arange(len(a)), len(a) + 2 + np.arange(len(b))])
        masked = rng.choice(content, size=self.num_masked, replace=False)
        mlm_labels = np.full(self.seq_len, IGNORE_INDEX)
        mlm_labels[masked] = input_ids[masked]
        input_ids[masked] = self.MASK
        return {
            "input_ids": torch.as_tensor(input_ids, dtype=torch.long),
            "token_type_ids": torch.as_tensor(token_type_ids, dtype=torch.long),
            "attention_mask": torch.ones(self.seq_len, dtype=torch.long),
            "mlm_labels": torch.as_tensor(mlm_labels, dtype=torch.long),
            "sentence_labels": torch.tensor(swapped, dtype=torch.long),
        }
