"""What a trained encoder's frozen [CLS] features know, read by a logistic-regression probe.

A sentence head can fail while the information is there; a probe fitted on the frozen features tells the
two apart.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader

from ..data import PreparedCorpus
from ..model import IGNORE_INDEX, AlbertForPreTraining
from .experiment_settings import ExperimentSettings
from .readings import sentence_head_diagnostics
from .training_runs import heldout_scores


@torch.no_grad()
def pooled_features(model: AlbertForPreTraining, loader: DataLoader,
                    limit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Frozen [CLS] features of unmasked pairs (masked tokens put back) and their labels."""
    model.eval()
    device = next(model.parameters()).device
    features, labels, seen = [], [], 0
    for batch in loader:
        ids = torch.where(batch["mlm_labels"] != IGNORE_INDEX, batch["mlm_labels"], batch["input_ids"])
        out = model.albert(ids.to(device), batch["token_type_ids"].to(device), batch["attention_mask"].to(device))
        features.append(out.pooled_output.float().cpu())
        labels.append(batch["sentence_labels"])
        seen += len(ids)
        if limit is not None and seen >= limit:
            break
    x, y = torch.cat(features), torch.cat(labels)
    return (x[:limit], y[:limit]) if limit is not None else (x, y)


def probe_accuracy(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor,
                   steps: int = 300, weight_decay: float = 1e-3) -> float:
    """Accuracy of a logistic-regression probe fitted on frozen features (standardised)."""
    return (probe_predictions(train_x, train_y, test_x, 2, steps, weight_decay) == test_y).float().mean().item()


def probe_predictions(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, num_classes: int,
                      steps: int = 300, weight_decay: float = 1e-3) -> torch.Tensor:
    """The classes a (multinomial) logistic regression fitted on standardised features predicts for ``test_x``."""
    mean, std = train_x.mean(0), train_x.std(0) + 1e-6
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    generator = torch.Generator().manual_seed(0)
    probe = torch.nn.Linear(train_x.shape[1], num_classes)
    torch.nn.init.normal_(probe.weight, std=0.01, generator=generator)
    torch.nn.init.zeros_(probe.bias)
    optimizer = torch.optim.Adam(probe.parameters(), lr=1e-2, weight_decay=weight_decay)
    for _ in range(steps):
        optimizer.zero_grad()
        torch.nn.functional.cross_entropy(probe(train_x), train_y).backward()
        optimizer.step()
    with torch.no_grad():
        return probe(test_x).argmax(-1)


def sentence_task_measures(model, data: PreparedCorpus, task: str, s: ExperimentSettings) -> dict:
    """Both measurements of one task: the model's own sentence head (the paper's) and a probe on its
    frozen [CLS] features (the information, whatever the head learned), with the head's diagnostics."""
    scores = heldout_scores(model, data, task, s.batch_size)
    train_x, train_y = pooled_features(model, data.loader("train", task, s.batch_size, seed=1), s.probe_examples)
    test_x, test_y = pooled_features(model, data.loader("heldout", task, s.batch_size))
    name = task.upper()
    return {f"{name} head %": 100 * scores["sentence_accuracy"],
            f"{name} probe %": 100 * probe_accuracy(train_x, train_y, test_x, test_y),
            **sentence_head_diagnostics(scores, task)}

