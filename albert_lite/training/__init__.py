"""Training: the settings, precision, data stream, metrics, the loop, optimizers, checkpoints, DDP."""

from ..distributed import resolve_device
from .checkpoints import CheckpointError, load_checkpoint, load_pretrained, save_checkpoint
from .config import TrainingConfig
from .finetune import (
    chance_accuracy,
    classifier_from_pretrained,
    confusion_table,
    copy_encoder,
    finetune,
    predict,
)
from .loop import TrainingResult, loss_weights, train
from .metrics import PRETRAINING_METRICS, evaluate, evaluation_mode, metrics_for
from .optimizers import OPTIMIZERS, Lamb, build_optimizer, linear_warmup_decay, warmup_decay_factor
from .precision import PRECISIONS, autocast, resolve_precision
from .stream import BatchStream, move_to

__all__ = [
    "OPTIMIZERS", "PRECISIONS", "PRETRAINING_METRICS", "BatchStream", "CheckpointError", "Lamb", "TrainingConfig",
    "TrainingResult", "autocast", "build_optimizer", "chance_accuracy", "classifier_from_pretrained",
    "confusion_table", "copy_encoder", "evaluate", "evaluation_mode", "finetune",
    "linear_warmup_decay", "load_checkpoint", "load_pretrained", "loss_weights", "move_to", "predict",
    "resolve_device", "metrics_for", "resolve_precision", "save_checkpoint", "train", "warmup_decay_factor",
]
