"""Exact parameter counts from the configuration alone, by component.

The formulas are the book's subject in chapters 1-3; the tests check that ``total`` equals
what PyTorch instantiates for every valid configuration.
"""

from __future__ import annotations

from .config import AlbertConfig, sharing_plan


def linear(n_in: int, n_out: int) -> int:
    """A dense layer: weight matrix plus bias."""
    return n_in * n_out + n_out


def layer_norm(width: int) -> int:
    """A LayerNorm: gain and bias."""
    return 2 * width


def factorized_embedding(v: int, e: int, h: int) -> int:
    """ALBERT's token embedding as the source article counts it: the V x E table and the E x H projection (BERT's
    is V x H), without positions, segments or LayerNorm."""
    return v * e + e * h


def attention_block(config: AlbertConfig) -> int:
    """Q, K, V and output projections plus the post-attention LayerNorm."""
    h = config.hidden_size
    return 4 * linear(h, h) + layer_norm(h)


def ffn_block(config: AlbertConfig) -> int:
    """H -> intermediate -> H plus the post-FFN LayerNorm."""
    h, i = config.hidden_size, config.intermediate_size
    return linear(h, i) + linear(i, h) + layer_norm(h)


def count_parameters(config: AlbertConfig, with_heads: bool = False) -> dict[str, int]:
    """Parameters by component; shared blocks are counted once per group that holds them.

    ``heads`` is the MLM head (dense H->E, LayerNorm, output bias; its decoder is tied to the
    word embeddings) plus the 2-way sentence head, included only when ``with_heads``.
    """
    e, h, v = config.embedding_size, config.hidden_size, config.vocab_size
    plan = sharing_plan(config)
    distinct_attention = len({a for a, _ in plan})
    distinct_ffn = len({f for _, f in plan})
    counts = {
        "embedding": (v + config.max_position_embeddings + config.type_vocab_size) * e + layer_norm(e),
        "projection": linear(e, h) if config.has_projection else 0,
        "attention": distinct_attention * attention_block(config),
        "ffn": distinct_ffn * ffn_block(config),
        "pooler": linear(h, h),
        "heads": linear(h, e) + layer_norm(e) + v + linear(h, 2) if with_heads else 0,
    }
    counts["total"] = sum(counts.values())
    return counts
