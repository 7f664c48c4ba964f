"""albert_lite: a small, readable ALBERT in PyTorch, built for the ALBERT book."""

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
from .params import count_parameters
from .runtime import by_scale, describe_runtime, get_scale, pick_device, seed_everything

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "SHARING_MODES",
    "AlbertConfig",
    "AlbertForPreTraining",
    "AlbertForSequenceClassification",
    "AlbertModel",
    "AlbertOutput",
    "PreTrainingOutput",
    "by_scale",
    "count_parameters",
    "describe_runtime",
    "get_scale",
    "num_parameters",
    "pick_device",
    "seed_everything",
    "sharing_plan",
]
