"""How to train: every knob of the loop in one validated dataclass.

The command line's flags are generated from its fields (:func:`add_arguments`), so the two
can never disagree on a name, a type or a default.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from dataclasses import asdict, dataclass, field
from typing import Any

from ..config import check_int, check_positive_int
from .optimizers import OPTIMIZERS, default_warmup_steps
from .precision import PRECISIONS


@dataclass
class TrainingConfig:
    """How to train; the batch size is the DataLoader's (see :func:`make_loader`).

    ``warmup_steps=None`` uses the paper's proportion (1 step in 40). ``precision="auto"``
    picks bf16 autocast on GPUs that support it and on CPUs with AMX, fp16 with a gradient
    scaler on older GPUs, and float32 on Apple's MPS and on other CPUs. ``eval_every=None`` evaluates only at the end
    (when an eval loader is given). ``checkpoint_every=None`` with an ``out_dir`` writes one
    checkpoint at the end; ``keep_last`` checkpoints are kept (None keeps all).
    """

    steps: int = field(default=1000, metadata={"help": "optimizer steps in total"})
    lr: float = field(default=1e-3, metadata={"help": "peak learning rate (the paper: 0.00176 at batch 4096)"})
    warmup_steps: int | None = field(default=None, metadata={"help": "none: 1 step in 40, as the paper"})
    weight_decay: float = field(default=0.01, metadata={"help": "decoupled weight decay (not on biases, LayerNorm)"})
    optimizer: str = field(default="lamb", metadata={"help": "the optimizer", "choices": OPTIMIZERS})
    grad_clip: float | None = field(default=1.0, metadata={"help": "clip the global gradient norm (none: no clip)"})
    grad_accumulation: int = field(default=1, metadata={"help": "micro-batches per optimizer step"})
    log_every: int = field(default=10, metadata={"help": "steps per history row"})
    eval_every: int | None = field(default=None, metadata={"help": "none: evaluate at the end only"})
    eval_batches: int | None = field(default=None, metadata={"help": "held-out batches per evaluation (none: all)"})
    precision: str = field(default="auto", metadata={"help": "autocast precision", "choices": PRECISIONS})
    compile: bool = field(default=False, metadata={"help": "torch.compile the model"})
    seed: int = field(default=0, metadata={"help": "seeds the model, the data order and the masks"})
    checkpoint_every: int | None = field(default=None, metadata={"help": "none: one checkpoint at the end"})
    out_dir: str | None = field(default=None, metadata={"help": "folder for checkpoints"})
    keep_last: int | None = field(default=2, metadata={"help": "checkpoints kept on disk (none: all)"})
    device: str | None = field(default=None, metadata={"help": "cuda, cuda:1, mps or cpu (none: the best available)"})

    def __post_init__(self) -> None:
        for name in ("steps", "grad_accumulation", "log_every"):
            check_positive_int(name, getattr(self, name))
        for name in ("eval_every", "eval_batches", "checkpoint_every", "keep_last"):
            if getattr(self, name) is not None:
                check_positive_int(name, getattr(self, name))
        if self.warmup_steps is not None:
            check_int("warmup_steps", self.warmup_steps, 0, self.steps, " (the steps), or None")
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

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser | argparse._ArgumentGroup,
                      skip: tuple[str, ...] = ()) -> None:
        """One ``--flag`` per field (``grad_clip`` -> ``--grad-clip``), with its type, default and help.

        A field that may be None takes the word ``none``; a bool is a switch.
        """
        hints = typing.get_type_hints(cls)
        for f in dataclasses.fields(cls):
            if f.name in skip:
                continue
            flag = "--" + f.name.replace("_", "-")
            help_text = f.metadata.get("help", "")
            kind = hints[f.name]
            if kind is bool:
                parser.add_argument(flag, action="store_true", default=f.default, help=help_text)
                continue
            options = [a for a in typing.get_args(kind) if a is not type(None)]
            optional = isinstance(kind, types.UnionType) and type(None) in typing.get_args(kind)
            base = options[0] if optional else kind
            parser.add_argument(flag, type=_optional(base) if optional else base, default=f.default,
                                choices=f.metadata.get("choices"), help=help_text,
                                metavar=f.name.upper() if optional else None)

    @classmethod
    def from_arguments(cls, args: argparse.Namespace, **overrides: Any) -> TrainingConfig:
        """The config that parsed arguments (from :meth:`add_arguments`) describe."""
        values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if hasattr(args, f.name)}
        return cls(**{**values, **overrides})


def _optional(base: type):
    def parse(text: str):
        return None if text.strip().lower() == "none" else base(text)

    parse.__name__ = base.__name__  # argparse names the type in its error messages
    return parse
