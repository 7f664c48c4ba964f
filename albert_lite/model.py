"""ALBERT in one file: factorized embedding, a shared encoder, and the pretraining heads.

The encoder keeps BERT's post-LayerNorm block. What ALBERT changes is *which* weights a
layer uses: ``AlbertEncoder.plan`` lists, for every layer, the index of its attention block
and of its feed-forward block. Sharing is nothing more than several layers pointing at the
same index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint

from .config import AlbertConfig, sharing_plan
from .special_tokens import IGNORE_INDEX


def activation(name: str) -> Callable[[torch.Tensor], torch.Tensor]:
    """``gelu_new`` is the tanh approximation that BERT's and ALBERT's checkpoints use."""
    if name == "gelu_new":
        return lambda x: F.gelu(x, approximate="tanh")
    if name == "gelu":
        return F.gelu
    if name == "relu":
        return F.relu
    raise ValueError(f"hidden_act={name!r} is not allowed")


class AlbertEmbeddings(nn.Module):
    """Token, position and segment vectors live in the small space E, not in H."""

    def __init__(self, config: AlbertConfig):
        super().__init__()
        e = config.embedding_size
        self.word_embeddings = nn.Embedding(config.vocab_size, e)
        self.position_embeddings = nn.Embedding(config.max_position_embeddings, e)
        self.token_type_embeddings = nn.Embedding(config.type_vocab_size, e)
        self.layer_norm = nn.LayerNorm(e, eps=config.layer_norm_eps)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        seq_len = input_ids.shape[1]
        positions = torch.arange(seq_len, device=input_ids.device)
        x = self.word_embeddings(input_ids) + self.position_embeddings(positions) + self.token_type_embeddings(
            token_type_ids
        )
        return self.dropout(self.layer_norm(x))


class SelfAttention(nn.Module):
    """Multi-head self-attention with its residual connection and post-LayerNorm."""

    def __init__(self, config: AlbertConfig):
        super().__init__()
        h = config.hidden_size
        self.num_heads = config.num_heads
        self.query = nn.Linear(h, h)
        self.key = nn.Linear(h, h)
        self.value = nn.Linear(h, h)
        self.dense = nn.Linear(h, h)
        self.layer_norm = nn.LayerNorm(h, eps=config.layer_norm_eps)
        self.dropout_p = config.dropout
        self.dropout = nn.Dropout(config.dropout)

    def forward(
        self, x: torch.Tensor, attention_bias: torch.Tensor | None, queries: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Every position of ``x`` attends to all of ``x``; or, given ``queries`` (a subset of the
        positions, shape (B, Q, H)), only those attend, and only their outputs are computed."""
        queries = x if queries is None else queries
        q, k, v = self._heads(self.query(queries)), self._heads(self.key(x)), self._heads(self.value(x))
        context = F.scaled_dot_product_attention(
            q, k, v, attn_mask=attention_bias, dropout_p=self.dropout_p if self.training else 0.0
        )
        context = context.transpose(1, 2).reshape(queries.shape)
        return self.layer_norm(queries + self.dropout(self.dense(context)))

    def _heads(self, t: torch.Tensor) -> torch.Tensor:
        """(B, S, H) -> (B, heads, S, H / heads)."""
        batch, length, hidden = t.shape
        return t.view(batch, length, self.num_heads, hidden // self.num_heads).transpose(1, 2)

    def scores(self, x: torch.Tensor, attention_bias: torch.Tensor | None) -> torch.Tensor:
        """The scores (B, heads, S, S), q.k / sqrt(d) plus the bias, whose softmax :meth:`weights` is. The forward
        pass never forms them (the fused kernel does not need to); this is for looking."""
        q, k = self._heads(self.query(x)), self._heads(self.key(x))
        scores = q @ k.transpose(-1, -2) / q.shape[-1] ** 0.5
        return scores if attention_bias is None else scores + attention_bias

    def weights(self, x: torch.Tensor, attention_bias: torch.Tensor | None) -> torch.Tensor:
        """The attention weights (B, heads, S, S) that ``forward`` applies, without dropout: where each position
        looks."""
        return self.scores(x, attention_bias).softmax(-1)


class FeedForward(nn.Module):
    """Position-wise H -> 4H -> H network with its residual connection and post-LayerNorm."""

    def __init__(self, config: AlbertConfig):
        super().__init__()
        self.ffn = nn.Linear(config.hidden_size, config.intermediate_size)
        self.ffn_output = nn.Linear(config.intermediate_size, config.hidden_size)
        self.layer_norm = nn.LayerNorm(config.hidden_size, eps=config.layer_norm_eps)
        self.act = activation(config.hidden_act)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer_norm(x + self.dropout(self.ffn_output(self.act(self.ffn(x)))))


class AlbertEncoder(nn.Module):
    """L layers that draw their weights from as few distinct blocks as the sharing allows."""

    def __init__(self, config: AlbertConfig):
        super().__init__()
        self.plan = sharing_plan(config)
        num_attention = 1 + max(a for a, _ in self.plan)
        num_ffn = 1 + max(f for _, f in self.plan)
        self.attention = nn.ModuleList(SelfAttention(config) for _ in range(num_attention))
        self.ffn = nn.ModuleList(FeedForward(config) for _ in range(num_ffn))
        self.activation_checkpointing = False

    def forward(
        self,
        x: torch.Tensor,
        attention_bias: torch.Tensor | None,
        output_hidden_states: bool = False,
        last_layer_positions: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, ...] | None]:
        """``last_layer_positions`` (B, Q): compute the last layer only at these positions (the
        ones a head will read); every earlier layer, and the last layer's keys, use them all."""
        states = [x] if output_hidden_states else None
        last = len(self.plan) - 1
        for layer, (attention_index, ffn_index) in enumerate(self.plan):
            attention, ffn = self.attention[attention_index], self.ffn[ffn_index]
            queries, layer_bias = None, attention_bias
            if layer == last and last_layer_positions is not None:
                queries = x.gather(1, last_layer_positions[..., None].expand(-1, -1, x.shape[-1]))
                layer_bias = _rows_of(attention_bias, last_layer_positions)
            if self.activation_checkpointing and self.training:
                # Keep only the layer's input; recompute its inside during the backward pass.
                x = checkpoint(_layer, attention, ffn, x, layer_bias, queries, use_reentrant=False)
            else:
                x = _layer(attention, ffn, x, layer_bias, queries)
            if states is not None:
                states.append(x)
        return x, (tuple(states) if states is not None else None)


def _rows_of(bias: torch.Tensor | None, positions: torch.Tensor) -> torch.Tensor | None:
    """The rows of a per-query bias (B or 1, heads, S, S) for the queries at ``positions`` (B, Q); a bias that is
    the same for every query (B, 1, 1, S) applies as it is."""
    if bias is None or bias.shape[-2] == 1:
        return bias
    batch, queries = positions.shape
    bias = bias.expand(batch, -1, -1, -1)
    return bias.gather(2, positions[:, None, :, None].expand(-1, bias.shape[1], -1, bias.shape[-1]))


def _layer(
    attention: SelfAttention,
    ffn: FeedForward,
    x: torch.Tensor,
    bias: torch.Tensor | None,
    queries: torch.Tensor | None = None,
) -> torch.Tensor:
    return ffn(attention(x, bias, queries))


@dataclass
class AlbertOutput:
    """``hidden_states[0]`` enters layer 0; ``hidden_states[i + 1]`` leaves layer i."""

    last_hidden_state: torch.Tensor
    pooled_output: torch.Tensor
    hidden_states: tuple[torch.Tensor, ...] | None = None


class AlbertModel(nn.Module):
    """Embedding in E, projection to H (absent when E == H), shared encoder, tanh pooler."""

    def __init__(self, config: AlbertConfig, activation_checkpointing: bool = False):
        super().__init__()
        self.config = config
        self.embeddings = AlbertEmbeddings(config)
        self.projection = nn.Linear(config.embedding_size, config.hidden_size) if config.has_projection else None
        self.encoder = AlbertEncoder(config)
        self.pooler = nn.Linear(config.hidden_size, config.hidden_size)
        self.activation_checkpointing = activation_checkpointing
        self.apply(lambda module: init_weights(module, config.initializer_range))

    @property
    def activation_checkpointing(self) -> bool:
        """Trade compute for memory: recompute each layer's activations in the backward pass."""
        return self.encoder.activation_checkpointing

    @activation_checkpointing.setter
    def activation_checkpointing(self, value: bool) -> None:
        self.encoder.activation_checkpointing = bool(value)

    def score_bias(self, attention_mask: torch.Tensor | None, seq_len: int, dtype: torch.dtype,
                   device: torch.device) -> torch.Tensor | None:
        """What every layer adds to its attention scores: a large negative number at padding, and with
        ``local_attention`` the distance penalty; None when there is nothing to add."""
        bias = attention_bias(attention_mask, dtype)
        if not self.config.local_attention:
            return bias
        local = distance_bias(self.config.num_heads, seq_len, dtype, device)[None]
        return local if bias is None else bias + local

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        output_hidden_states: bool = False,
        last_layer_positions: torch.Tensor | None = None,
    ) -> AlbertOutput:
        """``last_layer_positions`` (B, Q), whose first column must be 0 ([CLS], which the pooler
        reads): ``last_hidden_state`` then holds only those Q positions, with the same values there."""
        if input_ids.dim() != 2:
            raise ValueError(f"input_ids must have shape (batch, seq_len), got {tuple(input_ids.shape)}")
        if input_ids.shape[1] > self.config.max_position_embeddings:
            raise ValueError(
                f"sequence length {input_ids.shape[1]} exceeds max_position_embeddings="
                f"{self.config.max_position_embeddings}"
            )
        if last_layer_positions is not None and (
            last_layer_positions.dim() != 2 or (last_layer_positions[:, 0] != 0).any()
        ):
            raise ValueError("last_layer_positions must have shape (batch, Q) with 0 ([CLS], read by the pooler) "
                             "first in every row")
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        x = self.embeddings(input_ids, token_type_ids)
        if self.projection is not None:
            x = self.projection(x)
        bias = self.score_bias(attention_mask, input_ids.shape[1], x.dtype, x.device)
        x, states = self.encoder(x, bias, output_hidden_states, last_layer_positions)
        pooled = torch.tanh(self.pooler(x[:, 0]))
        return AlbertOutput(x, pooled, states)


def attention_bias(attention_mask: torch.Tensor | None, dtype: torch.dtype) -> torch.Tensor | None:
    """(B, S) mask of 1 = token, 0 = padding -> additive (B, 1, 1, S) bias; None keeps every key."""
    if attention_mask is None:
        return None
    keep = attention_mask[:, None, None, :].to(torch.bool)
    return torch.zeros(keep.shape, dtype=dtype, device=keep.device).masked_fill(~keep, torch.finfo(dtype).min)


def distance_bias(num_heads: int, seq_len: int, dtype: torch.dtype, device: torch.device | None = None) -> torch.Tensor:
    """(heads, S, S) biases -slope_h * |i - j| with slopes 2^(-8 (h + 1) / heads), as ALiBi's (Press et al., 2022) but
    on both sides: the first head looks mostly at a word's neighbours, the last at the whole sequence."""
    slopes = 2.0 ** (-8.0 * torch.arange(1, num_heads + 1, device=device, dtype=torch.float32) / num_heads)
    positions = torch.arange(seq_len, device=device, dtype=torch.float32)
    distance = (positions[None, :] - positions[:, None]).abs()
    return (-slopes[:, None, None] * distance).to(dtype)


def init_weights(module: nn.Module, std: float) -> None:
    """BERT's initialisation: N(0, 0.02) weights, zero biases, unit LayerNorm."""
    if isinstance(module, (nn.Linear, nn.Embedding)):
        nn.init.normal_(module.weight, mean=0.0, std=std)
        if getattr(module, "bias", None) is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class MaskedLMHead(nn.Module):
    """H -> E, activation, LayerNorm, then scores against the (tied) word embeddings."""

    def __init__(self, config: AlbertConfig):
        super().__init__()
        self.dense = nn.Linear(config.hidden_size, config.embedding_size)
        self.act = activation(config.hidden_act)
        self.layer_norm = nn.LayerNorm(config.embedding_size, eps=config.layer_norm_eps)
        self.bias = nn.Parameter(torch.zeros(config.vocab_size))

    def forward(self, hidden: torch.Tensor, word_embeddings: torch.Tensor) -> torch.Tensor:
        # The decoder is tied: it reuses the V x E word-embedding matrix, so it adds no weights.
        return F.linear(self.layer_norm(self.act(self.dense(hidden))), word_embeddings, self.bias)


@dataclass
class PreTrainingOutput:
    """``mlm_logits`` covers every position, or only the masked ones when labels were given
    (then row j scores ``mlm_labels[mlm_labels != -100][j]``).

    ``loss_terms`` holds each loss that was computed, as a mean over its own predictions
    (masked tokens for ``"mlm"``, pairs for ``"sentence"``); ``loss`` is their sum.
    """

    mlm_logits: torch.Tensor
    sentence_logits: torch.Tensor
    loss_terms: dict[str, torch.Tensor]
    hidden_states: tuple[torch.Tensor, ...] | None = None

    @property
    def logits(self) -> torch.Tensor:
        return self.mlm_logits

    @property
    def loss(self) -> torch.Tensor | None:
        return sum(self.loss_terms.values()) if self.loss_terms else None

    @property
    def mlm_loss(self) -> torch.Tensor | None:
        return self.loss_terms.get("mlm")

    @property
    def sentence_loss(self) -> torch.Tensor | None:
        return self.loss_terms.get("sentence")


@dataclass
class ClassifierOutput:
    """Scores per class; ``loss_terms["classification"]`` (mean cross-entropy) when labels were given."""

    logits: torch.Tensor
    loss_terms: dict[str, torch.Tensor]

    @property
    def loss(self) -> torch.Tensor | None:
        return self.loss_terms.get("classification")


class AlbertForPreTraining(nn.Module):
    """ALBERT with its two pretraining heads: masked LM and a 2-way sentence-pair task (SOP or NSP)."""

    label_keys = ("mlm_labels", "sentence_labels")

    def __init__(self, config: AlbertConfig, activation_checkpointing: bool = False):
        super().__init__()
        self.config = config
        self.albert = AlbertModel(config, activation_checkpointing)
        self.mlm_head = MaskedLMHead(config)
        self.sentence_head = nn.Linear(config.hidden_size, 2)
        self.dropout = nn.Dropout(config.dropout)
        for module in (self.mlm_head.dense, self.mlm_head.layer_norm, self.sentence_head):
            init_weights(module, config.initializer_range)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        mlm_labels: torch.Tensor | None = None,
        sentence_labels: torch.Tensor | None = None,
        output_hidden_states: bool = False,
    ) -> PreTrainingOutput:
        # The heads read [CLS] and the ~15% masked positions only, so with labels the last layer runs
        # only there (everywhere when every layer's hidden states are asked for), and the
        # vocabulary is scored only where a token is to be predicted.
        selected = None if mlm_labels is None else mlm_labels != IGNORE_INDEX
        positions = None if selected is None or output_hidden_states else read_positions(selected)
        out = self.albert(input_ids, token_type_ids, attention_mask, output_hidden_states, positions)
        word_embeddings = self.albert.embeddings.word_embeddings.weight
        losses = {}
        if selected is not None:
            rows = selected if positions is None else selected.gather(1, positions)
            mlm_logits = self.mlm_head(out.last_hidden_state[rows], word_embeddings)
            targets = mlm_labels[selected]
            losses["mlm"] = (
                F.cross_entropy(mlm_logits.float(), targets) if targets.numel() else mlm_logits.sum() * 0.0
            )
        else:
            mlm_logits = self.mlm_head(out.last_hidden_state, word_embeddings)
        sentence_logits = self.sentence_head(self.dropout(out.pooled_output))
        if sentence_labels is not None:
            losses["sentence"] = F.cross_entropy(sentence_logits.float(), sentence_labels)
        return PreTrainingOutput(mlm_logits, sentence_logits, losses, out.hidden_states)


def read_positions(selected: torch.Tensor) -> torch.Tensor:
    """(B, S) True where a head reads -> (B, Q) positions: 0 ([CLS]), then the selected ones in
    order; rows with fewer than Q are filled with unselected positions (computed, never read)."""
    keep = selected.clone()
    keep[:, 0] = True
    seq_len = keep.shape[1]
    # Sort by (not kept, position): the kept positions come first, in their original order.
    order = (~keep).long() * seq_len + torch.arange(seq_len, device=keep.device)
    return order.argsort(dim=1)[:, : int(keep.sum(1).max())]


class AlbertForSequenceClassification(nn.Module):
    """Fine-tuning head: dropout and a linear layer on the pooled [CLS] vector."""

    label_keys = ("labels",)

    def __init__(self, config: AlbertConfig, num_labels: int, classifier_dropout: float = 0.1):
        super().__init__()
        if num_labels < 2:
            raise ValueError(f"num_labels={num_labels} is not allowed: a classifier needs at least 2")
        self.config = config
        self.num_labels = num_labels
        self.classifier_dropout = classifier_dropout
        self.albert = AlbertModel(config)
        self.dropout = nn.Dropout(classifier_dropout)
        self.classifier = nn.Linear(config.hidden_size, num_labels)
        init_weights(self.classifier, config.initializer_range)

    def forward(
        self,
        input_ids: torch.Tensor,
        token_type_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> ClassifierOutput:
        pooled = self.albert(input_ids, token_type_ids, attention_mask).pooled_output
        logits = self.classifier(self.dropout(pooled))
        losses = {"classification": F.cross_entropy(logits.float(), labels)} if labels is not None else {}
        return ClassifierOutput(logits, losses)


    def init_arguments(self) -> dict[str, int | float]:
        """What a checkpoint must store, beyond the config, to build this model again."""
        return {"num_labels": self.num_labels, "classifier_dropout": self.classifier_dropout}


def num_parameters(model: nn.Module) -> int:
    """Distinct parameters: a shared or tied tensor is counted once, as PyTorch stores it."""
    return sum(p.numel() for p in model.parameters())


# Every model class a checkpoint can hold, by name: the loop and the checkpoints know no other.
MODEL_CLASSES: dict[str, type[nn.Module]] = {
    cls.__name__: cls for cls in (AlbertModel, AlbertForPreTraining, AlbertForSequenceClassification)
}
