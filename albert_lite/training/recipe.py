"""A pretraining recipe: the corpus, the model's shape and the training budget, written once.

Chapter 7's and chapter 9's runs, the model zoo and the sizing of every chapter all read recipes, and a
recipe becomes an :class:`~albert_lite.config.AlbertConfig`, a :class:`TrainingConfig` and a
:class:`~albert_lite.data.PreparedCorpus` in exactly one place: here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from ..config import AlbertConfig
from ..data.pipeline import HELDOUT_FRACTION, PreparedCorpus, prepare_corpus
from .config import TrainingConfig


@dataclass(frozen=True)
class PretrainingRecipe:
    """Everything one pretraining run is made of, apart from where it runs.

    ``tokens`` counts what the model reads: steps x batch x sequence length (padding included).
    """

    corpus: str = "sotu"
    max_documents: int | None = None
    heldout_fraction: float = HELDOUT_FRACTION
    vocab_size: int = 8000
    seq_len: int = 128
    embedding_size: int = 64
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    sharing: str = "all"
    initializer_range: float = 0.02
    local_attention: bool = False
    task: str | None = "sop"
    optimizer: str = "lamb"
    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int | None = None
    weight_decay: float = 0.01
    seed: int = 0

    def model_config(self, vocab_size: int | None = None, **changes: Any) -> AlbertConfig:
        """The model's shape; ``vocab_size`` is the tokenizer's (a small corpus may give fewer pieces)."""
        shape = dict(vocab_size=vocab_size or self.vocab_size, embedding_size=self.embedding_size,
                     hidden_size=self.hidden_size, num_layers=self.num_layers, num_heads=self.num_heads,
                     max_position_embeddings=self.seq_len, sharing=self.sharing,
                     initializer_range=self.initializer_range, local_attention=self.local_attention)
        return AlbertConfig(**{**shape, **changes})

    def training_config(self, **changes: Any) -> TrainingConfig:
        """How to train: the budget and the optimizer; ``changes`` add the rest (evaluation, checkpoints...)."""
        settings = dict(steps=self.steps, lr=self.lr, optimizer=self.optimizer, warmup_steps=self.warmup_steps,
                        weight_decay=self.weight_decay, seed=self.seed)
        return TrainingConfig(**{**settings, **changes})

    def prepare(self) -> PreparedCorpus:
        """The corpus split by document, with its tokenizer (cached: a second call costs nothing)."""
        return prepare_corpus(self.corpus, self.max_documents, self.vocab_size, self.seq_len, self.heldout_fraction,
                              seed=self.seed)

    @property
    def tokens(self) -> int:
        return self.steps * self.batch_size * self.seq_len

    def replace(self, **changes: Any) -> PretrainingRecipe:
        unknown = sorted(set(changes) - {f.name for f in fields(self)})
        if unknown:
            raise ValueError(f"PretrainingRecipe has no field(s) {unknown}")
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
