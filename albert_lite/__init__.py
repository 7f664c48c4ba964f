"""albert_lite: a small, readable ALBERT in PyTorch, built for the ALBERT book.

The core is flat: ``config`` (the shape and its sharing plan), ``model``, ``params`` and
``flops``. Around it: ``data`` (text to batches), ``training`` (the loop and what it needs),
``interop`` (Hugging Face transformers), ``chapters`` (the book's experiments and widgets)
and ``pretrain`` (the command line).
"""

from .config import PRESETS, SHARING_MODES, AlbertConfig, sharing_plan
from .data.loaders import make_loader
from .model import (
    MODEL_CLASSES,
    AlbertForPreTraining,
    AlbertForSequenceClassification,
    AlbertModel,
    AlbertOutput,
    ClassifierOutput,
    PreTrainingOutput,
    num_parameters,
)
from .params import count_parameters
from .runtime import pick_device, seed_everything
from .training import (
    Lamb,
    TrainingConfig,
    TrainingResult,
    build_optimizer,
    evaluate,
    linear_warmup_decay,
    load_pretrained,
    train,
)

__version__ = "0.1.0"

__all__ = [
    "MODEL_CLASSES",
    "PRESETS",
    "SHARING_MODES",
    "AlbertConfig",
    "AlbertForPreTraining",
    "AlbertForSequenceClassification",
    "AlbertModel",
    "AlbertOutput",
    "ClassifierOutput",
    "Lamb",
    "PreTrainingOutput",
    "TrainingConfig",
    "TrainingResult",
    "build_optimizer",
    "count_parameters",
    "evaluate",
    "linear_warmup_decay",
    "load_pretrained",
    "make_loader",
    "num_parameters",
    "pick_device",
    "seed_everything",
    "sharing_plan",
    "train",
]
