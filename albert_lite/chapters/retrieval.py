"""The book's offline test of a sentence encoder: find a paragraph's second half from its first.

A model that understands text puts a paragraph's two halves near each other; chapters 2, 3 and 10 measure
how often a first half's nearest second half (among all of them) is its own, for a trained BERT, the same
BERT with random weights, a factorized or shared copy, and a bag of words.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F

from ..model import AlbertModel


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The average of the real tokens' vectors, L2-normalised: how all-MiniLM-L6-v2 embeds a sentence."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
    return F.normalize(pooled, dim=-1)


@torch.no_grad()
def sentence_embeddings(model: AlbertModel, tokenizer: Any, sentences: Sequence[str], batch_size: int = 64,
                        max_length: int = 128) -> torch.Tensor:
    """(len(sentences), H) unit vectors; cosine similarity between them is a dot product."""
    if isinstance(sentences, str):
        raise TypeError("sentence_embeddings takes a list of sentences, got one string")
    device = next(model.parameters()).device
    chunks = []
    for start in range(0, len(sentences), batch_size):
        batch = tokenizer(list(sentences[start:start + batch_size]), padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt").to(device)
        out = model(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"])
        chunks.append(mean_pool(out.last_hidden_state, batch["attention_mask"]).float().cpu())
    return torch.cat(chunks) if chunks else torch.empty(0, model.config.hidden_size)


def paragraph_halves(docs: Sequence[Any], limit: int, seed: int = 0) -> list[tuple[str, str]]:
    """(first half, second half) of up to ``limit`` paragraphs with two sentences or more, drawn at random.

    The book's offline test of a sentence encoder: a model that understands text finds a
    paragraph's own second half among all second halves from its first half.
    """
    return paragraph_halves_by_document(docs, limit, seed)[0]


def paragraph_halves_by_document(docs: Sequence[Any], limit: int, seed: int = 0
                                 ) -> tuple[list[tuple[str, str]], list[str]]:
    """:func:`paragraph_halves` and the id of the document each paragraph comes from: paragraphs of one speech
    share its topic, so errors on them are clustered by document."""
    found = [((" ".join(p[: len(p) // 2]), " ".join(p[len(p) // 2:])), doc.id) for doc in docs
             for p in doc.paragraphs if len(p) >= 2]
    order = torch.randperm(len(found), generator=torch.Generator().manual_seed(seed)).tolist()[:limit]
    return [found[i][0] for i in order], [found[i][1] for i in order]


def retrieval_hits(queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
    """Per query, 1.0 where its most similar key (dot product) is the key at its own index, else 0.0."""
    if queries.shape != keys.shape:
        raise ValueError(f"queries {tuple(queries.shape)} and keys {tuple(keys.shape)} must pair up one to one")
    return (queries @ keys.T).argmax(1).eq(torch.arange(len(queries))).float()


def retrieval_accuracy(queries: torch.Tensor, keys: torch.Tensor) -> float:
    """Share of queries whose most similar key (dot product) is the key at their own index."""
    return retrieval_hits(queries, keys).mean().item()
