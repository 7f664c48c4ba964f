"""Pretraining examples with no text at all, whose answers are known by construction.

For tests, for timing, and for chapter 7's first look at the loop: a model that learns
anything learns these.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from ..config import AlbertConfig, check_int, check_positive_int
from ..special_tokens import IGNORE_INDEX
from .pretraining_dataset import collate


class RandomTokenDataset(Dataset):
    """Pretraining examples whose answers are known by construction, with no text at all.

    Each example counts upwards through the vocabulary from a random start (ids 5.., wrapping),
    cut into two segments A and B; with probability 0.5 they are swapped (sentence label 1),
    as in sentence-order prediction. ``num_masked`` tokens are replaced by [MASK] (id 4) and
    are the MLM targets, so both tasks are learnable. Randomness is a pure function of
    (seed, epoch, index): ``set_epoch`` draws new masks, like dynamic masking.
    Ids: 0 [PAD], 1 <unk>, 2 [CLS], 3 [SEP], 4 [MASK].
    """

    PAD, CLS, SEP, MASK, FIRST = 0, 2, 3, 4, 5

    def __init__(self, num_examples: int, seq_len: int = 16, vocab_size: int = 64, num_masked: int = 2, seed: int = 0):
        check_positive_int("num_examples", num_examples)
        if seq_len < 5:
            raise ValueError(f"seq_len={seq_len} is not allowed: it must be at least 5 ([CLS] A [SEP] B [SEP])")
        if vocab_size <= self.FIRST:
            raise ValueError(f"vocab_size={vocab_size} is not allowed: it must exceed {self.FIRST}")
        check_int("num_masked", num_masked, 0, seq_len - 3, " (seq_len - 3)")
        self.num_examples, self.seq_len, self.vocab_size = num_examples, seq_len, vocab_size
        self.num_masked, self.seed, self.epoch = num_masked, seed, 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.num_examples

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, self.epoch, index])
        n = self.seq_len - 3
        span = self.vocab_size - self.FIRST
        tokens = self.FIRST + (rng.integers(span) + np.arange(n)) % span
        cut = int(rng.integers(1, n))
        a, b = tokens[:cut], tokens[cut:]
        swapped = int(rng.integers(2))
        if swapped:
            a, b = b, a
        input_ids = np.concatenate([[self.CLS], a, [self.SEP], b, [self.SEP]])
        token_type_ids = np.concatenate([np.zeros(len(a) + 2, dtype=np.int64), np.ones(len(b) + 1, dtype=np.int64)])
        content = np.concatenate([1 + np.arange(len(a)), len(a) + 2 + np.arange(len(b))])
        masked = rng.choice(content, size=self.num_masked, replace=False)
        mlm_labels = np.full(self.seq_len, IGNORE_INDEX)
        mlm_labels[masked] = input_ids[masked]
        input_ids[masked] = self.MASK
        return {
            "input_ids": torch.as_tensor(input_ids, dtype=torch.long),
            "token_type_ids": torch.as_tensor(token_type_ids, dtype=torch.long),
            "attention_mask": torch.ones(self.seq_len, dtype=torch.long),
            "mlm_labels": torch.as_tensor(mlm_labels, dtype=torch.long),
            "sentence_labels": torch.tensor(swapped, dtype=torch.long),
        }


def synthetic_batch(
    config: AlbertConfig,
    batch: int,
    seq_len: int,
    masked_fraction: float = 0.15,
    device: torch.device | str | None = None,
    seed: int = 0,
) -> dict[str, torch.Tensor]:
    """One batch of :class:`RandomTokenDataset` examples for ``config``'s vocabulary: two segments,
    no padding, and ``round(masked_fraction * seq_len)`` predicted positions per sequence (at most
    ``seq_len - 3``)."""
    if not 0.0 <= masked_fraction <= 1.0:
        raise ValueError(f"masked_fraction={masked_fraction!r} is not allowed: it must be in [0, 1]")
    num_masked = min(round(masked_fraction * seq_len), seq_len - 3)
    examples = RandomTokenDataset(batch, seq_len, config.vocab_size, num_masked, seed)
    return {key: value.to(device or "cpu") for key, value in collate([examples[i] for i in range(batch)]).items()}
