"""Forward FLOPs per token, by component, from the configuration alone.

Convention: one multiply-add counts as 2 FLOPs, and only matrix products are counted (the
dense layers, the attention scores Q K^T and the weighted sum A V). Bias additions, LayerNorm,
GELU, softmax and residual additions cost O(H) per token against O(H^2) for the products, so
they are left out, as ``torch.utils.flop_counter.FlopCounterMode`` leaves them out; the tests
check these formulas against that counter exactly. Embedding lookups are table reads: 0 FLOPs.

Why per token: sharing changes how many weights exist, not how many times each is used. Every
layer still multiplies every token by its (shared) matrices, so ALBERT-base costs what
BERT-base costs, plus its small E -> H projection. The backward pass costs twice the forward
one (a gradient for the input and one for the weight of every product), so a training step is
about 3x the forward FLOPs.
"""

from __future__ import annotations

from .config import AlbertConfig, check_positive_int


def flops(
    config: AlbertConfig,
    seq_len: int,
    with_heads: bool = False,
    masked_fraction: float | None = None,
    last_layer_positions: int | None = None,
) -> dict[str, float]:
    """Forward FLOPs per token by component, plus ``total``.

    - ``embedding``: 0 (lookups).
    - ``projection``: E -> H, ``2 E H`` (0 when E == H, as in BERT).
    - ``attention``: per layer, Q, K, V and output projections ``4 * 2 H^2`` plus the
      products Q K^T and A V, ``2 * 2 S H``: the only part that grows with ``seq_len`` (S).
    - ``ffn``: per layer ``2 * 2 H I`` (H -> I -> H).
    - ``pooler``: ``2 H^2`` once per sequence, shared out over its S tokens.
    - ``heads`` (only with ``with_heads``): the MLM head, ``2 H E + 2 E V`` for every token it
      scores, and the 2-way sentence head, ``2 * 2 H`` per sequence. ``masked_fraction`` is the
      share of positions the MLM head scores (``None``: every position, as without labels;
      0.15 for a pretraining batch in which albert_lite scores masked positions only).

    ``last_layer_positions`` (Q): the last layer computes its keys and values at all S positions
    but everything else only at Q of them, as ``AlbertForPreTraining`` does when the heads read
    [CLS] and the masked positions alone (Q = 1 + the most masked positions of a sequence in the
    batch, ``read_positions``). ``None``: every layer runs at every position.
    """
    check_positive_int("seq_len", seq_len)
    if masked_fraction is not None and not 0.0 <= masked_fraction <= 1.0:
        raise ValueError(f"masked_fraction={masked_fraction!r} is not allowed: it must be in [0, 1] or None")
    e, h, v = config.embedding_size, config.hidden_size, config.vocab_size
    i, layers, s = config.intermediate_size, config.num_layers, seq_len
    if last_layer_positions is not None:
        check_positive_int("last_layer_positions", last_layer_positions)
        if last_layer_positions > s:
            raise ValueError(f"last_layer_positions={last_layer_positions} is not allowed: it exceeds seq_len={s}")
    q = s if last_layer_positions is None else last_layer_positions
    scored = 1.0 if masked_fraction is None else masked_fraction
    # Keys and values at every position; queries, output projection, Q K^T and A V at `queries` of them.
    attention_layer = lambda queries: 2 * 2 * h * h + queries / s * (2 * 2 * h * h + 2 * 2 * s * h)
    counts = {
        "embedding": 0.0,
        "projection": float(2 * e * h) if config.has_projection else 0.0,
        "attention": (layers - 1) * attention_layer(s) + attention_layer(q),
        "ffn": (layers - 1 + q / s) * 2 * 2 * h * i,
        "pooler": 2 * h * h / s,
        "heads": scored * (2 * h * e + 2 * e * v) + 2 * 2 * h / s if with_heads else 0.0,
    }
    counts["total"] = sum(counts.values())
    return counts


def training_flops(
    config: AlbertConfig, seq_len: int, masked_fraction: float | None = 0.15, last_layer_positions: int | None = None
) -> float:
    """FLOPs per token of one pretraining step (forward + backward, heads included): 3x forward."""
    return 3 * flops(config, seq_len, True, masked_fraction, last_layer_positions)["total"]
