"""Examples plus masking, padded into batches: what ``AlbertForPreTraining(**batch)`` takes.

``build_pretraining_dataset`` is the one call from documents to a dataset: tokenize, pair
(:mod:`.sentence_pairs`), then mask on access (:mod:`.masking`), once (static) or every epoch
(dynamic).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ..special_tokens import IGNORE_INDEX, PAD_ID
from .documents import Document
from .masking import ngram_mask
from .sentence_pairs import PretrainingExample, make_sentence_pairs
from .tokenizer import Tokenizer

MASKING = ("static", "dynamic")


def pad_batch(batch: Sequence[dict[str, torch.Tensor]], pad_id: int = PAD_ID,
              padded: dict[str, int] | None = None) -> dict[str, torch.Tensor]:
    """Pad the token-level fields to the longest example and add the attention mask.

    ``input_ids`` is padded with ``pad_id``, ``token_type_ids`` with 0, and each field of
    ``padded`` with its value (``{"mlm_labels": -100}``); every other field is stacked.
    """
    if not batch:
        raise ValueError("cannot pad an empty batch")
    fill = {"input_ids": pad_id, "token_type_ids": 0, **(padded or {})}
    n, length = len(batch), max(len(item["input_ids"]) for item in batch)
    out = {key: torch.full((n, length), value, dtype=torch.long) for key, value in fill.items()}
    out["attention_mask"] = torch.zeros((n, length), dtype=torch.long)
    for row, item in enumerate(batch):
        k = len(item["input_ids"])
        for key in fill:
            out[key][row, :k] = item[key]
        out["attention_mask"][row, :k] = 1
    for key in sorted(batch[0].keys() - fill.keys() - {"attention_mask"}):
        if not all(key in item for item in batch):
            raise ValueError(f"a batch mixes examples with and without {key!r}")
        out[key] = torch.stack([item[key] for item in batch])
    return out


class PretrainingDataset(Dataset):
    """Examples plus masking: static (one fixed mask per example, like the original's
    pre-generated files) or dynamic (a new mask every epoch, call ``set_epoch``).

    The mask of example ``i`` comes from a generator seeded with ``(seed, epoch, i)``: it does
    not depend on the order of access or on DataLoader workers. ``tokenizer`` may be any
    object with ``word_start_table``, ``vocab_size``, ``mask_id`` and ``special_ids``.
    """

    def __init__(
        self,
        examples: Sequence[PretrainingExample],
        tokenizer,
        *,
        masking: str = "dynamic",
        seed: int = 0,
        mask_prob: float = 0.15,
        max_ngram: int = 3,
        max_predictions: int = 20,
    ):
        if masking not in MASKING:
            raise ValueError(f"masking={masking!r} is not allowed: choose one of {MASKING}")
        self.examples = list(examples)
        self.word_start_table = np.asarray(tokenizer.word_start_table, dtype=bool)
        self.vocab_size = int(tokenizer.vocab_size)
        self.mask_id = int(tokenizer.mask_id)
        self.special_ids = frozenset(int(i) for i in tokenizer.special_ids)
        self.pad_id = int(getattr(tokenizer, "pad_id", PAD_ID))
        self.masking, self.seed, self.epoch = masking, seed, 0
        self.mask_prob, self.max_ngram, self.max_predictions = mask_prob, max_ngram, max_predictions

    def set_epoch(self, epoch: int) -> None:
        """Dynamic masking draws new masks for every epoch; static masking ignores this."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        ex = self.examples[index]
        epoch = self.epoch if self.masking == "dynamic" else 0
        rng = np.random.default_rng([self.seed, epoch, index])
        masked, labels, _ = ngram_mask(
            ex.input_ids,
            self.word_start_table,
            rng=rng,
            mask_id=self.mask_id,
            vocab_size=self.vocab_size,
            special_ids=self.special_ids,
            mask_prob=self.mask_prob,
            max_ngram=self.max_ngram,
            max_predictions=self.max_predictions,
        )
        item = {
            "input_ids": torch.from_numpy(masked),
            "token_type_ids": torch.tensor(ex.token_type_ids, dtype=torch.long),
            "mlm_labels": torch.from_numpy(labels),
        }
        if ex.sentence_label is not None:
            item["sentence_labels"] = torch.tensor(ex.sentence_label, dtype=torch.long)
        return item


def collate(batch: Sequence[dict[str, torch.Tensor]], pad_id: int = PAD_ID) -> dict[str, torch.Tensor]:
    """Padded pretraining batch: the result feeds ``AlbertForPreTraining(**batch)`` as it is."""
    return pad_batch(batch, pad_id, {"mlm_labels": IGNORE_INDEX})


def tokenize_documents(docs: Sequence[Document], tokenizer: Tokenizer) -> list[list[list[int]]]:
    """Every sentence of every document, encoded in one batched SentencePiece call."""
    sentences = [s for d in docs for s in d.sentences]
    encoded = tokenizer.encode_batch(sentences)
    out, k = [], 0
    for d in docs:
        out.append(encoded[k : k + len(d.sentences)])
        k += len(d.sentences)
    return out


def build_pretraining_dataset(
    docs: Sequence[Document],
    tokenizer: Tokenizer,
    task: str | None,
    max_seq_len: int,
    *,
    short_seq_prob: float = 0.1,
    masking: str = "dynamic",
    seed: int = 0,
    mask_prob: float = 0.15,
    max_ngram: int = 3,
    max_predictions: int = 20,
    dupe_factor: int = 1,
) -> PretrainingDataset:
    """Documents to a ready ``PretrainingDataset``: tokenize, pair (``dupe_factor`` passes with
    different split points, as the original tool did), then mask on access."""
    if dupe_factor < 1:
        raise ValueError(f"dupe_factor must be >= 1, got {dupe_factor}")
    tokenized = tokenize_documents(docs, tokenizer)
    ids = [d.id for d in docs]
    examples: list[PretrainingExample] = []
    for k in range(dupe_factor):
        examples += make_sentence_pairs(
            tokenized,
            task,
            max_seq_len,
            short_seq_prob,
            np.random.default_rng([seed, k]),
            doc_ids=ids,
            cls_id=tokenizer.cls_id,
            sep_id=tokenizer.sep_id,
        )
    return PretrainingDataset(
        examples,
        tokenizer,
        masking=masking,
        seed=seed,
        mask_prob=mask_prob,
        max_ngram=max_ngram,
        max_predictions=max_predictions,
    )
