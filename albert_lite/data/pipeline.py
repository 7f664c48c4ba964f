"""Corpus -> split by document -> tokenizer -> pretraining datasets and loaders, built one way.

The command line, the experiments and the fine-tuning chapter all start from a
:class:`PreparedCorpus`, so they split, tokenize, pair and mask with the same defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache, partial

from torch.utils.data import DataLoader

from .corpora import load_corpus
from .documents import Document, split_documents
from .loaders import make_loader
from .pretraining_dataset import MASKING, PretrainingDataset, build_pretraining_dataset, collate
from .tokenizer import Tokenizer, train_tokenizer

HELDOUT_FRACTION = 0.2  # of the documents, kept out of the tokenizer and of training
DUPE_FACTOR = 2  # passes over the training documents, each with new split points


@dataclass
class PreparedCorpus:
    """Documents split by document, a tokenizer trained on the training part, and datasets.

    Training data is masked anew every epoch (``masking="dynamic"``) from ``dupe_factor``
    pairings; held-out data is paired once and masked once, so every evaluation sees the same.
    """

    name: str
    train_docs: list[Document]
    heldout_docs: list[Document]
    tokenizer: Tokenizer
    seq_len: int
    masking: str = "dynamic"
    dupe_factor: int = DUPE_FACTOR
    _datasets: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.masking not in MASKING:
            raise ValueError(f"masking={self.masking!r} is not allowed: choose one of {MASKING}")

    def dataset(self, split: str, task: str | None, seed: int = 0) -> PretrainingDataset:
        """Pairs for ``task`` from the ``train`` or ``heldout`` documents (built once, then reused)."""
        if split not in ("train", "heldout"):
            raise ValueError(f"split={split!r} is not allowed: use 'train' or 'heldout'")
        key = (split, task, seed)
        if key not in self._datasets:
            training = split == "train"
            self._datasets[key] = build_pretraining_dataset(
                self.train_docs if training else self.heldout_docs, self.tokenizer, task, self.seq_len,
                masking=self.masking if training else "static", seed=seed,
                dupe_factor=self.dupe_factor if training else 1,
            )
        return self._datasets[key]

    def loader(self, split: str, task: str | None, batch_size: int, seed: int = 0,
               num_workers: int = 0) -> DataLoader:
        """Shuffled full batches for ``train``; every held-out example in order for ``heldout``."""
        training = split == "train"
        return make_loader(self.dataset(split, task, seed), batch_size, shuffle=training, seed=seed,
                           collate_fn=partial(collate, pad_id=self.tokenizer.pad_id), drop_last=training,
                           num_workers=num_workers)


def split_corpus(corpus: str | os.PathLike, max_documents: int | None = None,
                 heldout_fraction: float = HELDOUT_FRACTION, seed: int = 0) -> tuple[list[Document], list[Document]]:
    """Load a corpus and split it by whole documents: (training documents, held-out documents)."""
    docs = load_corpus(corpus, max_documents=max_documents, seed=seed)
    return split_documents(docs, heldout_fraction, seed=seed)


def corpus_tokenizer(train_docs: list[Document], vocab_size: int, seed: int = 0) -> Tokenizer:
    """The tokenizer every pipeline trains: SentencePiece unigram on the training documents only.

    ``hard_vocab_limit=False``: a small corpus may not fill ``vocab_size`` pieces, and then gets fewer.
    """
    return train_tokenizer(train_docs, vocab_size, seed=seed, hard_vocab_limit=False)


@lru_cache(maxsize=4)
def prepare_corpus(corpus: str, max_documents: int | None, vocab_size: int, seq_len: int,
                   heldout_fraction: float = HELDOUT_FRACTION, seed: int = 0) -> PreparedCorpus:
    """Load, split by document and train the tokenizer on the training part, once per notebook (cached)."""
    train_docs, heldout_docs = split_corpus(corpus, max_documents, heldout_fraction, seed)
    tokenizer = corpus_tokenizer(train_docs, vocab_size, seed)
    return PreparedCorpus(str(corpus), train_docs, heldout_docs, tokenizer, seq_len)
