"""Training: the settings, precision, data stream, metrics, the loop, optimizers, checkpoints, DDP."""

from .checkpoints import CheckpointError, load_checkpoint, load_pretrained, save_checkpoint
from .config import TrainingConfig
from .distributed import resolve_device
from .finetune import (
    chance_accuracy,
    classifier_from_pretrained,
    confusion_table,
    copy_encoder,
    evaluate_classifier,
    finetune,
    predict,
)
from .loop import TrainingResult, loss_weights, train
from .metrics import PRETRAINING_METRICS, evaluate, evaluation_mode, summarize
from .optimizers import OPTIMIZERS, Lamb, build_optimizer, linear_warmup_decay, warmup_decay_factor
from .precision import PRECISIONS, autocast, resolve_precision
from .stream import BatchStream, make_loader, move_to

__all__ = [
    "OPTIMIZERS", "PRECISIONS", "PRETRAINING_METRICS", "BatchStream", "CheckpointError", "Lamb", "TrainingConfig",
    "TrainingResult", "autocast", "build_optimizer", "chance_accuracy", "classifier_from_pretrained",
    "confusion_table", "copy_encoder", "evaluate", "evaluate_classifier", "evaluation_mode", "finetune",
    "linear_warmup_decay", "load_checkpoint", "load_pretrained", "loss_weights", "make_loader", "move_to", "predict",
    "resolve_device", "resolve_precision", "save_checkpoint", "summarize", "train", "warmup_decay_factor",
]
