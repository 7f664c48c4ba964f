"""Documents of ordered sentences: the raw material of MLM, NSP and SOP.

Sentence-order prediction needs to know which sentence follows which, and next-sentence
prediction needs documents to draw negatives from, so every corpus is a list of ``Document``
objects, each an ordered list of sentences. Corpora are loaded through :mod:`.corpora`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Document:
    """One document: an id, its sentences in order, and whatever the source knows about it.

    ``metadata["paragraph_starts"]`` (when present) holds the index of the first sentence of
    every paragraph, so paragraph-level tasks can rebuild paragraphs without a second split.
    """

    id: str
    sentences: list[str]
    metadata: dict = field(default_factory=dict)

    @property
    def paragraphs(self) -> list[list[str]]:
        """The sentences grouped by paragraph (one paragraph when the source has none)."""
        starts = list(self.metadata.get("paragraph_starts") or [0])
        ends = starts[1:] + [len(self.sentences)]
        return [self.sentences[s:e] for s, e in zip(starts, ends, strict=True) if e > s]

    def __len__(self) -> int:
        return len(self.sentences)


def split_documents(
    docs: Sequence[Document], heldout_fraction: float, seed: int = 0
) -> tuple[list[Document], list[Document]]:
    """Split by whole documents, so no held-out sentence (or its neighbours) is seen in training."""
    if not 0.0 < heldout_fraction < 1.0:
        raise ValueError(f"heldout_fraction must be strictly between 0 and 1, got {heldout_fraction!r}")
    if len(docs) < 2:
        raise ValueError(f"splitting needs at least 2 documents, got {len(docs)}")
    n_heldout = min(len(docs) - 1, max(1, round(len(docs) * heldout_fraction)))
    heldout_idx = set(np.random.default_rng(seed).permutation(len(docs))[:n_heldout].tolist())
    train = [d for i, d in enumerate(docs) if i not in heldout_idx]
    heldout = [d for i, d in enumerate(docs) if i in heldout_idx]
    return train, heldout


def corpus_stats(docs: Sequence[Document]) -> dict:
    """Documents, sentences and words: the numbers a chapter prints after loading."""
    n_sent = sum(len(d.sentences) for d in docs)
    n_words = sum(len(s.split()) for d in docs for s in d.sentences)
    return {"documents": len(docs), "sentences": n_sent, "words": n_words}


def sample_documents(docs: list[Document], max_documents: int | None, seed: int) -> list[Document]:
    if max_documents is None or max_documents >= len(docs):
        return docs
    keep = sorted(np.random.default_rng(seed).choice(len(docs), size=max_documents, replace=False).tolist())
    return [docs[i] for i in keep]


def check_usable(docs: Iterable[Document], name: str) -> None:
    docs = list(docs)
    if not docs:
        raise ValueError(f"corpus {name!r} has no documents")
    if not any(len(d.sentences) >= 2 for d in docs):
        raise ValueError(
            f"corpus {name!r} has no document with 2 or more sentences: sentence-pair tasks (NSP, SOP) need "
            "documents of several sentences (one sentence per line, a blank line between documents)"
        )
