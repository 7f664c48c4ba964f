"""Losses and accuracies as sums, so that micro-batches, log windows and processes simply add up.

What a batch adds to the totals depends on the task, not on the loop: :class:`PretrainingMetrics` and
:class:`ClassificationMetrics` each say how many predictions a batch holds (the loss weights), what it
adds to the sums, and how sums become means. :func:`metrics_for` finds the one a model trains with.

Masked-LM accuracy is split by what the model sees at the target. BERT's 80/10/10 rule shows [MASK] at
80% of the targets, the original token at 10% (the model only has to copy it) and a random token at 10%.
Only the first measures the use of context; the accuracy over all targets (the paper's) is mostly
copying while a model is young.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from ..distributed import all_reduce_sum
from ..special_tokens import IGNORE_INDEX, MASK_ID
from .precision import autocast, resolve_precision
from .stream import move_to

# What the model sees at a masked-LM target: [MASK], the original token, or a random one.
SEEN = ("mask", "kept", "random")
PRETRAINING_METRICS = ("loss", "mlm_loss", "sentence_loss", "mlm_mask_accuracy", "mlm_accuracy", "sentence_accuracy")


@contextmanager
def evaluation_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Dropout off and no gradients inside; the model's own train/eval mode restored afterwards."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield model
    finally:
        model.train(was_training)


def add_sums(totals: dict[str, torch.Tensor], stats: dict[str, torch.Tensor]) -> None:
    """Add one batch's statistics into running totals (in place)."""
    for key, value in stats.items():
        totals[key] = totals[key] + value if key in totals else value.clone()


def reduce_sums(totals: dict[str, torch.Tensor]) -> dict[str, float]:
    """Sum the totals over all processes and bring them to the CPU (one transfer)."""
    keys = sorted(totals)
    values = all_reduce_sum(torch.stack([totals[k] for k in keys]))
    return dict(zip(keys, values.cpu().tolist(), strict=True))


def _ratio(sums: dict[str, float], num: str, den: str) -> float:
    return sums[num] / sums[den] if sums.get(den) else math.nan


def _count(value: float | int, device: torch.device) -> torch.Tensor:
    return torch.tensor(float(value), device=device)


def _common(output: Any, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    if output.loss is None:
        raise ValueError(f"the model returned no loss: the batch must carry labels (it has {sorted(batch)})")
    one = torch.ones((), device=output.loss.device)
    return {"batches": one, "sequences": one * batch["input_ids"].shape[0], "loss": output.loss.detach().float()}


class PretrainingMetrics:
    """Masked LM (per target, split by what the model sees there) and the sentence head (per pair)."""

    def label_counts(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """How many predictions each loss term of this batch averages over (masked tokens, pairs)."""
        counts = {}
        if "mlm_labels" in batch:
            counts["mlm"] = (batch["mlm_labels"] != IGNORE_INDEX).sum().float()
        if "sentence_labels" in batch:
            counts["sentence"] = torch.tensor(float(batch["sentence_labels"].numel()))
        return counts

    def statistics(self, output: Any, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """What this batch adds to the running sums behind the logged losses and accuracies."""
        stats = _common(output, batch)
        device = stats["loss"].device
        zero = torch.zeros((), device=device)
        labels = batch.get("mlm_labels")
        if output.mlm_loss is not None and labels is not None:
            selected = labels != IGNORE_INDEX
            targets, shown = labels[selected], batch["input_ids"][selected]
            logits = output.mlm_logits.float()
            correct = logits.argmax(-1) == targets
            stats.update(mlm_loss=output.mlm_loss.detach().float() * targets.numel(),
                         mlm_tokens=_count(targets.numel(), device), mlm_correct=correct.sum().float())
            masked = shown == MASK_ID
            kept = (shown == targets) & ~masked
            for name, where in zip(SEEN, (masked, kept, ~masked & ~kept), strict=True):
                stats[f"mlm_{name}_tokens"] = where.sum().float()
                stats[f"mlm_{name}_correct"] = (correct & where).sum().float()
            stats["mlm_mask_loss"] = (F.cross_entropy(logits[masked], targets[masked], reduction="sum").detach()
                                      if masked.any() else zero)
        else:
            stats.update({key: zero for key in ("mlm_loss", "mlm_tokens", "mlm_correct", "mlm_mask_loss")})
            stats.update({f"mlm_{name}_{what}": zero for name in SEEN for what in ("tokens", "correct")})
        sentence = batch.get("sentence_labels")
        if output.sentence_loss is not None and sentence is not None:
            predicted = output.sentence_logits.argmax(-1)
            # A head stuck on one class scores the share of that label: the last two make it visible.
            stats.update(sentence_loss=output.sentence_loss.detach().float() * sentence.numel(),
                         sentence_examples=_count(sentence.numel(), device),
                         sentence_correct=(predicted == sentence).sum().float(),
                         sentence_label_1=(sentence == 1).sum().float(),
                         sentence_predicted_1=(predicted == 1).sum().float())
        else:
            stats.update({key: zero for key in ("sentence_loss", "sentence_examples", "sentence_correct",
                                                "sentence_label_1", "sentence_predicted_1")})
        return stats

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        """Means from sums. ``loss`` is the sum of the terms' means: the loss of all the batches taken as one,
        which is what the optimizer step minimises (see ``loop.loss_weights``)."""
        metrics = {"mlm_loss": _ratio(sums, "mlm_loss", "mlm_tokens"),
                   "sentence_loss": _ratio(sums, "sentence_loss", "sentence_examples"),
                   "mlm_accuracy": _ratio(sums, "mlm_correct", "mlm_tokens"),
                   "mlm_mask_loss": _ratio(sums, "mlm_mask_loss", "mlm_mask_tokens"),
                   "sentence_accuracy": _ratio(sums, "sentence_correct", "sentence_examples")}
        for name in SEEN:
            metrics[f"mlm_{name}_accuracy"] = _ratio(sums, f"mlm_{name}_correct", f"mlm_{name}_tokens")
        terms = [metrics[k] for k in ("mlm_loss", "sentence_loss") if not math.isnan(metrics[k])]
        metrics["loss"] = sum(terms) if terms else math.nan
        return metrics

    def counts(self, sums: dict[str, float]) -> dict[str, float]:
        """The n behind each accuracy, and the sentence head's label balance and answers."""
        out = {}
        if sums.get("mlm_tokens"):
            out["mlm_tokens"] = sums["mlm_tokens"]
            out.update({f"mlm_{name}_tokens": sums[f"mlm_{name}_tokens"] for name in SEEN})
        if sums.get("sentence_examples"):
            pairs = sums["sentence_examples"]
            out.update(sentence_examples=pairs, sentence_label_1_share=sums["sentence_label_1"] / pairs,
                       sentence_predicted_1_share=sums["sentence_predicted_1"] / pairs)
        return out


class ClassificationMetrics:
    """A classifier's loss and accuracy, per example."""

    def label_counts(self, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """How many predictions the loss of this batch averages over."""
        return {"classification": torch.tensor(float(batch["labels"].numel()))} if "labels" in batch else {}

    def statistics(self, output: Any, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """What this batch adds to the running sums behind the logged loss and accuracy."""
        stats = _common(output, batch)
        labels = batch["labels"]
        stats.update(examples=_count(labels.numel(), labels.device),
                     classification_loss=output.loss.detach().float() * labels.numel(),
                     correct=(output.logits.argmax(-1) == labels).sum().float())
        return stats

    def summarize(self, sums: dict[str, float]) -> dict[str, float]:
        return {"loss": _ratio(sums, "classification_loss", "examples"),
                "accuracy": _ratio(sums, "correct", "examples")}

    def counts(self, sums: dict[str, float]) -> dict[str, float]:
        return {}


# The metrics of every trainable model class, by name (the names of albert_lite.MODEL_CLASSES).
TASK_METRICS: dict[str, PretrainingMetrics | ClassificationMetrics] = {
    "AlbertForPreTraining": PretrainingMetrics(),
    "AlbertForSequenceClassification": ClassificationMetrics(),
}


def metrics_for(model: nn.Module) -> PretrainingMetrics | ClassificationMetrics:
    """The metrics a model trains and is evaluated with (through DDP and torch.compile wrappers)."""
    inner = getattr(model, "module", model)
    inner = getattr(inner, "_orig_mod", inner)
    for cls in type(inner).__mro__:  # a subclass trains with its base class's metrics
        if cls.__name__ in TASK_METRICS:
            return TASK_METRICS[cls.__name__]
    raise ValueError(f"{type(inner).__name__} has no training metrics: trainable models are {sorted(TASK_METRICS)}")


def evaluate(
    model: nn.Module,
    loader: DataLoader,
    device: str | torch.device | None = None,
    precision: str = "auto",
    max_batches: int | None = None,
) -> dict[str, float]:
    """Losses and accuracies over a loader, with the n behind each.

    For pretraining: ``mlm_mask_accuracy`` at the targets that show [MASK] (where the context must do the
    work), ``mlm_kept_accuracy`` and ``mlm_random_accuracy`` at the others, ``mlm_accuracy`` over all of them
    (the paper's), and the sentence head's accuracy over pairs. Under torchrun each process evaluates its
    shard of the loader and the totals are summed.
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    precision = resolve_precision(precision, device)
    task = metrics_for(model)
    totals: dict[str, torch.Tensor] = {}
    with evaluation_mode(model):
        for index, batch in enumerate(loader):
            if max_batches is not None and index >= max_batches:
                break
            batch = move_to(batch, device)
            with autocast(device, precision):
                output = model(**batch)
            add_sums(totals, task.statistics(output, batch))
    if not totals:
        raise ValueError("the evaluation loader yields no batches: is the dataset empty?")
    sums = reduce_sums(totals)
    return {**task.summarize(sums), "examples": sums["sequences"], **task.counts(sums)}
