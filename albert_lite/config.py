"""The one object that describes an ALBERT (or BERT) shape.

Every other part of the package reads its sizes from an :class:`AlbertConfig`, and every
invalid combination is refused here, once, with a message that names the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Any

SHARING_MODES = ("none", "all", "attention", "ffn")
ACTIVATIONS = ("gelu_new", "gelu", "relu")

# The paper's Table 1 shapes (FFN = 4H, V = 30000, 512 positions, 2 token types).
_PRESETS: dict[str, dict[str, Any]] = {
    "bert-base": dict(embedding_size=768, hidden_size=768, num_layers=12, num_heads=12, sharing="none"),
    "bert-large": dict(embedding_size=1024, hidden_size=1024, num_layers=24, num_heads=16, sharing="none"),
    "albert-base": dict(embedding_size=128, hidden_size=768, num_layers=12, num_heads=12, sharing="all"),
    "albert-large": dict(embedding_size=128, hidden_size=1024, num_layers=24, num_heads=16, sharing="all"),
    "albert-xlarge": dict(embedding_size=128, hidden_size=2048, num_layers=24, num_heads=16, sharing="all"),
    "albert-xxlarge": dict(embedding_size=128, hidden_size=4096, num_layers=12, num_heads=64, sharing="all"),
}
PRESETS = tuple(_PRESETS)


def check_int(name: str, value: Any, low: int = 1, high: int | None = None, note: str = "") -> None:
    """ValueError naming ``name`` unless ``value`` is an int in ``low..high`` (True is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        span = "a positive integer" if (low, high) == (1, None) else (
            f"an integer of at least {low}" if high is None else f"an integer in {low}..{high}")
        raise ValueError(f"{name}={value!r} is not allowed: it must be {span}{note}")


def check_positive_int(name: str, value: Any) -> None:
    """ValueError naming ``name`` unless ``value`` is a positive int."""
    check_int(name, value)


@dataclass(frozen=True)
class AlbertConfig:
    """Sizes and choices of an ALBERT encoder; BERT is the case E == H, sharing "none".

    ``group_size`` is M: layers 0..M-1 form group 0, M..2M-1 group 1, and so on. Each group
    holds one copy of the shared part, so L / M copies exist. ``None`` means M = L (one group).
    Frozen: a config is checked once, when it is made, and :meth:`replace` makes a new one.
    """

    vocab_size: int = 30000
    embedding_size: int = 128
    hidden_size: int = 768
    num_layers: int = 12
    num_heads: int = 12
    intermediate_size: int | None = None  # None means 4 * hidden_size, as in the paper
    max_position_embeddings: int = 512
    type_vocab_size: int = 2
    hidden_act: str = "gelu_new"
    dropout: float = 0.0
    layer_norm_eps: float = 1e-12
    sharing: str = "all"
    group_size: int | None = None
    initializer_range: float = 0.02
    # Not ALBERT's: a fixed bias -slope * |i - j| on every head's attention scores (symmetric ALiBi), so that
    # attention starts near each position. Chapter 7 shows why a small model needs it to find a word's neighbours.
    local_attention: bool = False
    # The fields given as None, whose values follow the shape (4H, L) here and in replace().
    _derived: frozenset[str] = field(default=frozenset(), init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        derived = {name for name in ("intermediate_size", "group_size") if getattr(self, name) is None}
        if self.intermediate_size is None:
            object.__setattr__(self, "intermediate_size", 4 * self.hidden_size)
        if self.group_size is None:
            object.__setattr__(self, "group_size", self.num_layers)
        object.__setattr__(self, "_derived", frozenset(derived))
        self._validate()

    def _validate(self) -> None:
        """Raise ``ValueError`` naming the field, its value and what is allowed."""
        for name in (
            "vocab_size", "embedding_size", "hidden_size", "num_layers", "num_heads",
            "intermediate_size", "max_position_embeddings", "type_vocab_size", "group_size",
        ):
            check_positive_int(name, getattr(self, name))
        if self.hidden_size % self.num_heads:
            raise ValueError(
                f"hidden_size={self.hidden_size} is not divisible by num_heads={self.num_heads}: "
                "each head gets hidden_size / num_heads dimensions, so choose num_heads among "
                f"the divisors of {self.hidden_size}"
            )
        if self.sharing not in SHARING_MODES:
            raise ValueError(f"sharing={self.sharing!r} is not allowed: choose one of {SHARING_MODES}")
        if self.hidden_act not in ACTIVATIONS:
            raise ValueError(f"hidden_act={self.hidden_act!r} is not allowed: choose one of {ACTIVATIONS}")
        if self.sharing != "none" and self.num_layers % self.group_size:
            raise ValueError(
                f"group_size={self.group_size} does not divide num_layers={self.num_layers}: "
                "groups of M layers need L to be a multiple of M"
            )
        if not isinstance(self.local_attention, bool):
            raise ValueError(f"local_attention={self.local_attention!r} is not allowed: it must be True or False")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout={self.dropout!r} is not allowed: it must be in [0, 1)")
        if not self.layer_norm_eps > 0:
            raise ValueError(f"layer_norm_eps={self.layer_norm_eps!r} is not allowed: it must be > 0")

    @property
    def num_groups(self) -> int:
        """How many copies of the shared part exist (L / M; L when nothing is shared)."""
        return self.num_layers if self.sharing == "none" else self.num_layers // self.group_size

    @property
    def has_projection(self) -> bool:
        """ALBERT maps E to H with a matrix; when E == H there is nothing to map (BERT)."""
        return self.embedding_size != self.hidden_size

    def group_of_layer(self, layer: int) -> int:
        """The group whose shared weights layer ``layer`` uses (contiguous blocks of M)."""
        return layer if self.sharing == "none" else layer // self.group_size

    @classmethod
    def from_preset(cls, name: str, **overrides: Any) -> AlbertConfig:
        """A shape from the paper's Table 1, e.g. ``from_preset("albert-base")``."""
        if name not in _PRESETS:
            raise ValueError(f"preset={name!r} is not known: choose one of {PRESETS}")
        return cls(**{**_PRESETS[name], **overrides})

    def replace(self, **changes: Any) -> AlbertConfig:
        """A copy with some fields changed (and checked again).

        A field that was given explicitly keeps its value; one left to its default (None)
        follows the new shape: ``intermediate_size`` stays 4H, ``group_size`` stays L.
        """
        unknown = sorted(set(changes) - {f.name for f in fields(self) if f.init})
        if unknown:
            raise ValueError(f"AlbertConfig has no field(s) {unknown}")
        return replace(self, **{**{name: None for name in self._derived}, **changes})

    def to_dict(self) -> dict[str, Any]:
        """Every field with its value (the derived ones included), as stored in checkpoints."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.init}


def sharing_plan(config: AlbertConfig) -> list[tuple[int, int]]:
    """For each layer, (index of its attention block, index of its FFN block).

    "all" shares both within each group of M layers, "attention" only the attention block,
    "ffn" only the feed-forward block, "none" nothing: one block of each kind per layer.
    """
    plan = []
    for layer in range(config.num_layers):
        group = config.group_of_layer(layer)
        attention_index = group if config.sharing in ("all", "attention") else layer
        ffn_index = group if config.sharing in ("all", "ffn") else layer
        plan.append((attention_index, ffn_index))
    return plan
