"""Losses and accuracies as sums, so that micro-batches, log windows and processes simply add up.

Each model output knows what one batch adds to the totals (``output.statistics(batch)``);
:func:`summarize` turns the sums into means, :func:`evaluate` runs a model over a loader.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn
from torch.utils.data import DataLoader

from .distributed import all_reduce_sum
from .precision import autocast, resolve_precision
from .stream import move_to

PRETRAINING_METRICS = ("loss", "mlm_loss", "sentence_loss", "mlm_accuracy", "sentence_accuracy")

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


def _add(totals: dict[str, torch.Tensor], stats: dict[str, torch.Tensor]) -> None:
    for key, value in stats.items():
        totals[key] = totals[key] + value if key in totals else value.clone()


def _reduce(totals: dict[str, torch.Tensor]) -> dict[str, float]:
    """Sum the totals over all processes and bring them to the CPU (one transfer)."""
    keys = sorted(totals)
    values = all_reduce_sum(torch.stack([totals[k] for k in keys]))
    return dict(zip(keys, values.cpu().tolist(), strict=True))


def summarize(sums: dict[str, float]) -> dict[str, float]:
    """Means from sums: the MLM loss and accuracy per masked token, sentence ones per pair, a
    classifier's per example. ``loss`` is the sum of those means: the loss of all the batches
    taken as one, which is what the optimizer step minimises (see ``loop.loss_weights``)."""

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
        terms = [metrics[k] for k in ("mlm_loss", "sentence_loss") if not math.isnan(metrics[k])]
        metrics["loss"] = sum(terms) if terms else math.nan
    if "examples" in sums:
        metrics.update(loss=ratio("classification_loss", "examples"), accuracy=ratio("correct", "examples"))
    return metrics


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
    totals: dict[str, torch.Tensor] = {}
    with evaluation_mode(model):
        for index, batch in enumerate(loader):
            if max_batches is not None and index >= max_batches:
                break
            batch = move_to(batch, device)
            with autocast(device, precision):
                output = model(**batch)
            _add(totals, output.statistics(batch))
    if not totals:
        raise ValueError("the evaluation loader yields no batches: is the dataset empty?")
    sums = _reduce(totals)
    metrics = {**summarize(sums), "examples": sums["sequences"]}
    if sums.get("mlm_tokens"):  # the n behind the masked-LM accuracy
        metrics["mlm_tokens"] = sums["mlm_tokens"]
    if sums.get("sentence_examples"):  # the sentence head's n, label balance and answers
        pairs = sums["sentence_examples"]
        metrics.update(sentence_examples=pairs, sentence_label_1_share=sums["sentence_label_1"] / pairs,
                       sentence_predicted_1_share=sums["sentence_predicted_1"] / pairs)
    return metrics
