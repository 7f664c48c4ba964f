"""albert_lite: a small, readable ALBERT in PyTorch, built for the ALBERT book."""

from .checkpoint import load_pretrained
from .config import PRESETS, SHARING_MODES, AlbertConfig
from .model import (
    AlbertForPreTraining,
    AlbertForSequenceClassification,
    AlbertModel,
    AlbertOutput,
    PreTrainingOutput,
    num_parameters,
    sharing_plan,
)
from .optim import Lamb, build_optimizer, linear_warmup_decay
from .params import count_parameters
from .runtime import by_scale, describe_runtime, get_scale, pick_device, seed_everything
from .training import TrainingConfig, TrainingResult, evaluate, make_loader, train

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "SHARING_MODES",
    "AlbertConfig",
    "AlbertForPreTraining",
    "AlbertForSequenceClassification",
    "AlbertModel",
    "AlbertOutput",
    "Lamb",
    "TrainingConfig",
    "TrainingResult",
    "PreTrainingOutput",
    "build_optimizer",
    "by_scale",
    "count_parameters",
    "describe_runtime",
    "evaluate",
    "get_scale",
    "linear_warmup_decay",
    "load_pretrained",
    "make_loader",
    "num_parameters",
    "pick_device",
    "seed_everything",
    "sharing_plan",
    "train",
]
