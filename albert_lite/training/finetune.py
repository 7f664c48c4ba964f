"""Fine-tuning: a classifier whose encoder starts from a pretrained ALBERT, trained by the same loop.

The usual recipe (BERT's and ALBERT's): put ``[CLS] text [SEP]`` through the encoder, classify
the pooled ``[CLS]`` vector, train everything with a small learning rate. The data lives in
:mod:`albert_lite.data.classification`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader

from ..data.classification import ClassificationData
from ..model import AlbertForPreTraining, AlbertForSequenceClassification, AlbertModel
from .checkpoints import load_pretrained
from .config import TrainingConfig
from .loop import TrainingResult, train
from .metrics import evaluation_mode
from .stream import move_to


def classifier_from_pretrained(
    pretrained: AlbertForPreTraining | AlbertModel | str | os.PathLike, num_labels: int,
    classifier_dropout: float = 0.1,
) -> AlbertForSequenceClassification:
    """A classifier whose encoder (embeddings, layers, pooler) is a copy of a pretrained one.

    ``pretrained`` is a model or a checkpoint folder (read with
    :func:`~albert_lite.training.checkpoints.load_pretrained`). The pretraining heads are left behind;
    the new linear classifier starts from scratch.
    """
    if isinstance(pretrained, (str, os.PathLike)):
        pretrained = load_pretrained(pretrained)
    encoder = pretrained.albert if isinstance(pretrained, AlbertForPreTraining) else pretrained
    if not isinstance(encoder, AlbertModel):
        raise TypeError(
            f"cannot take an encoder from a {type(pretrained).__name__}: pass an AlbertForPreTraining, "
            "an AlbertModel or a checkpoint folder"
        )
    model = AlbertForSequenceClassification(encoder.config, num_labels, classifier_dropout)
    copy_encoder(model, encoder)
    return model.to(next(encoder.parameters()).device)


def copy_encoder(classifier: AlbertForSequenceClassification, encoder: AlbertModel | AlbertForPreTraining) -> None:
    """Overwrite ``classifier.albert`` with the weights of ``encoder`` (same config required)."""
    if isinstance(encoder, AlbertForPreTraining):
        encoder = encoder.albert
    if classifier.config != encoder.config:
        ours, theirs = classifier.config.to_dict(), encoder.config.to_dict()
        differences = {k: (theirs[k], ours[k]) for k in ours if ours[k] != theirs[k]}
        raise ValueError(f"the encoders have different configs (pretrained, classifier): {differences}")
    classifier.albert.load_state_dict(encoder.state_dict())


def finetune(
    model: AlbertForSequenceClassification,
    data: ClassificationData,
    steps: int,
    batch_size: int = 32,
    lr: float = 1e-4,
    optimizer: str = "adamw",
    seed: int = 0,
    progress: bool = True,
    test: bool = True,
    **settings,
) -> TrainingResult:
    """Train all of ``model`` on ``data.train`` with :func:`albert_lite.training.loop.train`, then test.

    The learning-rate schedule is the pretraining one (linear warm-up, linear decay); the
    result's ``final_eval`` holds the test accuracy. ``test=False`` leaves the held-out set alone, for a
    caller that scores it itself (with :func:`predict`) and need not read it twice. Extra ``settings`` go to
    TrainingConfig.
    """
    if not isinstance(model, AlbertForSequenceClassification):
        raise TypeError(f"finetune trains an AlbertForSequenceClassification, not a {type(model).__name__}")
    if model.num_labels != data.num_labels:
        raise ValueError(f"the model predicts {model.num_labels} classes but the data has {data.num_labels}")
    if len(data.train) < batch_size:
        raise ValueError(f"batch_size={batch_size} is larger than the training set ({len(data.train)} examples)")
    config = TrainingConfig(steps=steps, lr=lr, optimizer=optimizer, seed=seed,
                            log_every=settings.pop("log_every", max(1, steps // 20)), **settings)
    return train(model, data.loader("train", batch_size, seed), config,
                 heldout_loader=data.loader("heldout", batch_size) if test else None, progress=progress)


@torch.no_grad()
def predict(model: AlbertForSequenceClassification, loader: DataLoader) -> tuple[np.ndarray, np.ndarray, float]:
    """True labels, predicted labels and the summed cross-entropy over every example of ``loader``."""
    device = next(model.parameters()).device
    labels, predictions, loss_sum = [], [], 0.0
    with evaluation_mode(model):
        for batch in loader:
            batch = move_to(batch, device)
            logits = model(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]).logits
            loss_sum += F.cross_entropy(logits.float(), batch["labels"], reduction="sum").item()
            labels.append(batch["labels"].cpu())
            predictions.append(logits.argmax(-1).cpu())
    if not labels:
        raise ValueError("the loader yields no batches: is the dataset empty?")
    return torch.cat(labels).numpy(), torch.cat(predictions).numpy(), loss_sum


def confusion_table(model: AlbertForSequenceClassification, loader: DataLoader,
                    label_names: Sequence[str]) -> pd.DataFrame:
    """Rows: the true class; columns: the predicted class; cells: counts."""
    labels, predictions, _ = predict(model, loader)
    counts = Counter(zip(labels.tolist(), predictions.tolist(), strict=True))
    k = len(label_names)
    table = [[counts.get((t, p), 0) for p in range(k)] for t in range(k)]
    return pd.DataFrame(table, index=pd.Index(label_names, name="true"),
                        columns=pd.Index(label_names, name="predicted"))


def chance_accuracy(num_labels: int) -> float:
    """What guessing scores on balanced classes."""
    if num_labels < 2:
        raise ValueError(f"num_labels={num_labels} is not allowed: at least 2")
    return 1.0 / num_labels
