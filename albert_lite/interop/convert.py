"""Weights in and out of Hugging Face ``transformers``' ALBERT, and in from its BERT, name by name.

``transformers`` can only share *all* of a layer's weights within contiguous groups
(``num_hidden_groups``), one distinct layer per group (``inner_group_num`` = 1). That is what
this module converts. A ``transformers`` BERT is the case E == H with nothing shared, so it
converts too (one way). Every tensor of the source must find its place and every tensor of the
albert_lite model must be filled: a name left over on either side is an error, never silence.
``transformers`` itself is needed only when you call it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from ..config import AlbertConfig
from ..model import AlbertForPreTraining, AlbertModel
from ..online import require

# albert_lite name inside one block -> transformers name inside albert_layers.0
_ATTENTION_NAMES = {
    "query": "attention.query", "key": "attention.key", "value": "attention.value",
    "dense": "attention.dense", "layer_norm": "attention.LayerNorm",
}
_FFN_NAMES = {"ffn": "ffn", "ffn_output": "ffn_output", "layer_norm": "full_layer_layer_norm"}
_EMBEDDING_NAMES = {
    "word_embeddings": "word_embeddings", "position_embeddings": "position_embeddings",
    "token_type_embeddings": "token_type_embeddings", "layer_norm": "LayerNorm",
}


def config_from_transformers(hf_config: Any) -> AlbertConfig:
    """The albert_lite config of a ``transformers.AlbertConfig`` (all-shared, with groups)."""
    if getattr(hf_config, "inner_group_num", 1) != 1:
        raise ValueError(
            f"inner_group_num={hf_config.inner_group_num} is not supported: albert_lite gives each group "
            "one layer, as every released ALBERT checkpoint does"
        )
    layers, groups = hf_config.num_hidden_layers, hf_config.num_hidden_groups
    if layers % groups:
        raise ValueError(f"num_hidden_groups={groups} does not divide num_hidden_layers={layers}")
    if hf_config.embedding_size == hf_config.hidden_size:
        raise ValueError(
            "embedding_size == hidden_size: transformers keeps an E->H matrix there, albert_lite has none "
            "(as BERT); convert a model with embedding_size != hidden_size"
        )
    return AlbertConfig(**_shared_fields(hf_config), embedding_size=hf_config.embedding_size, sharing="all",
                        group_size=layers // groups)


def _shared_fields(hf_config: Any) -> dict[str, Any]:
    """The fields that ALBERT's and BERT's transformers configurations name alike."""
    return dict(
        vocab_size=hf_config.vocab_size, hidden_size=hf_config.hidden_size, num_layers=hf_config.num_hidden_layers,
        num_heads=hf_config.num_attention_heads, intermediate_size=hf_config.intermediate_size,
        max_position_embeddings=hf_config.max_position_embeddings, type_vocab_size=hf_config.type_vocab_size,
        hidden_act=hf_config.hidden_act, dropout=hf_config.hidden_dropout_prob, layer_norm_eps=hf_config.layer_norm_eps,
    )


def config_to_transformers(config: AlbertConfig) -> Any:
    """A ``transformers.AlbertConfig`` with the same shape; only sharing "all" can be expressed."""
    if config.sharing != "all":
        raise ValueError(
            f"sharing={config.sharing!r} cannot be expressed in transformers, which shares all of a "
            "layer's weights within groups: use sharing='all'"
        )
    if not config.has_projection:
        raise ValueError("embedding_size == hidden_size has no E->H matrix in albert_lite; transformers needs one")
    if config.local_attention:
        raise ValueError("local_attention=True biases attention by distance, which transformers' ALBERT cannot "
                         "express: its exported model would compute something else")
    transformers = require("transformers", "albert_lite.interop")
    return transformers.AlbertConfig(
        vocab_size=config.vocab_size,
        embedding_size=config.embedding_size,
        hidden_size=config.hidden_size,
        num_hidden_layers=config.num_layers,
        num_hidden_groups=config.num_groups,
        num_attention_heads=config.num_heads,
        intermediate_size=config.intermediate_size,
        inner_group_num=1,
        hidden_act=config.hidden_act,
        hidden_dropout_prob=config.dropout,
        attention_probs_dropout_prob=config.dropout,
        max_position_embeddings=config.max_position_embeddings,
        type_vocab_size=config.type_vocab_size,
        layer_norm_eps=config.layer_norm_eps,
    )


def _embedding_pairs() -> list[tuple[str, str]]:
    """The embedding tables and their LayerNorm, named alike in ALBERT and BERT."""
    return [(f"embeddings.{ours}.{kind}", f"embeddings.{theirs}.{kind}") for ours, theirs in _EMBEDDING_NAMES.items()
            for kind in (("weight",) if "embeddings" in ours else ("weight", "bias"))]


def _name_pairs(config: AlbertConfig) -> list[tuple[str, str]]:
    """(albert_lite name, transformers name) for every tensor of the encoder model."""
    pairs = _embedding_pairs()
    for kind in ("weight", "bias"):
        pairs.append((f"projection.{kind}", f"encoder.embedding_hidden_mapping_in.{kind}"))
        pairs.append((f"pooler.{kind}", f"pooler.{kind}"))
        for group in range(config.num_groups):
            prefix = f"encoder.albert_layer_groups.{group}.albert_layers.0"
            for ours, theirs in _ATTENTION_NAMES.items():
                pairs.append((f"encoder.attention.{group}.{ours}.{kind}", f"{prefix}.{theirs}.{kind}"))
            for ours, theirs in _FFN_NAMES.items():
                pairs.append((f"encoder.ffn.{group}.{ours}.{kind}", f"{prefix}.{theirs}.{kind}"))
    return pairs


def _head_pairs(transform: str, bias: str, sentence: str) -> list[tuple[str, str]]:
    """The MLM head (dense, LayerNorm, output bias; the decoder is tied) and the 2-way sentence head."""
    modules = [("mlm_head.dense", f"{transform}.dense"), ("mlm_head.layer_norm", f"{transform}.LayerNorm"),
               ("sentence_head", sentence)]
    return [(f"{ours}.{kind}", f"{theirs}.{kind}") for ours, theirs in modules for kind in ("weight", "bias")] + [
        ("mlm_head.bias", bias)]


ALBERT_HEADS = _head_pairs("predictions", "predictions.bias", "sop_classifier.classifier")
BERT_HEADS = _head_pairs("cls.predictions.transform", "cls.predictions.bias", "cls.seq_relationship")


def bert_config_from_transformers(hf_config: Any) -> AlbertConfig:
    """The albert_lite config of a ``transformers.BertConfig``: E == H, sharing "none"."""
    if getattr(hf_config, "position_embedding_type", "absolute") != "absolute":
        raise ValueError(f"position_embedding_type={hf_config.position_embedding_type!r} is not supported: "
                         "albert_lite has absolute position embeddings only")
    return AlbertConfig(**_shared_fields(hf_config), embedding_size=hf_config.hidden_size, sharing="none")


def _bert_name_pairs(config: AlbertConfig) -> list[tuple[str, str]]:
    """(albert_lite name, transformers BERT name) for every tensor of the encoder model."""
    pairs = _embedding_pairs()
    blocks = {
        "attention.{i}.query": "layer.{i}.attention.self.query",
        "attention.{i}.key": "layer.{i}.attention.self.key",
        "attention.{i}.value": "layer.{i}.attention.self.value",
        "attention.{i}.dense": "layer.{i}.attention.output.dense",
        "attention.{i}.layer_norm": "layer.{i}.attention.output.LayerNorm",
        "ffn.{i}.ffn": "layer.{i}.intermediate.dense",
        "ffn.{i}.ffn_output": "layer.{i}.output.dense",
        "ffn.{i}.layer_norm": "layer.{i}.output.LayerNorm",
    }
    for layer in range(config.num_layers):
        for ours, theirs in blocks.items():
            for kind in ("weight", "bias"):
                pairs.append((f"encoder.{ours.format(i=layer)}.{kind}", f"encoder.{theirs.format(i=layer)}.{kind}"))
    pairs += [(f"pooler.{kind}", f"pooler.dense.{kind}") for kind in ("weight", "bias")]
    return pairs


# Source tensors that are not weights of their own: index buffers, and second names that transformers
# keeps for tensors copied under their first name (the decoder is tied to the word embeddings).
_ALIASES = ("embeddings.position_ids", "embeddings.token_type_ids", "predictions.decoder.weight",
            "predictions.decoder.bias", "cls.predictions.decoder.weight", "cls.predictions.decoder.bias")


def _copy_all(ours: dict[str, torch.Tensor], theirs: dict[str, torch.Tensor], pairs: list[tuple[str, str]]) -> None:
    """Copy every pair, refusing a source tensor with no destination or a destination with no source."""
    missing = sorted(b for _, b in pairs if b not in theirs)
    unfilled = sorted(set(ours) - {a for a, _ in pairs})
    used = {b for _, b in pairs}
    unexpected = sorted(name for name in theirs if name not in used and not name.endswith(_ALIASES))
    if missing or unfilled or unexpected:
        raise ValueError(
            "the source does not map onto albert_lite tensor for tensor: "
            + "; ".join(f"{what}: {names[:6]}{' ...' if len(names) > 6 else ''}" for what, names in (
                ("missing in the source", missing), ("left unfilled", unfilled), ("unexpected", unexpected))
                if names)
        )
    for our_name, their_name in pairs:
        if ours[our_name].shape != theirs[their_name].shape:
            raise ValueError(f"{their_name} has shape {tuple(theirs[their_name].shape)}, "
                             f"{our_name} needs {tuple(ours[our_name].shape)}")
        ours[our_name].copy_(theirs[their_name])


@torch.no_grad()
def from_transformers(hf_model: nn.Module) -> AlbertModel | AlbertForPreTraining:
    """Copy a ``transformers`` ALBERT or BERT into albert_lite.

    ``AlbertModel`` and ``BertModel`` give an :class:`AlbertModel`; ``AlbertForPreTraining`` and
    ``BertForPreTraining`` (MLM and sentence heads) give an :class:`AlbertForPreTraining`. A BERT
    becomes E == H with sharing "none". Every tensor is accounted for, or ``ValueError`` says which.
    """
    model_type = getattr(hf_model.config, "model_type", None)
    if model_type not in ("albert", "bert"):
        raise ValueError(f"from_transformers converts ALBERT and BERT models, got model_type={model_type!r}")
    bert = model_type == "bert"
    config = bert_config_from_transformers(hf_model.config) if bert else config_from_transformers(hf_model.config)
    base = "bert" if bert else "albert"
    heads = ("cls.predictions.bias", "cls.seq_relationship.weight") if bert else (
        "predictions.bias", "sop_classifier.classifier.weight")
    names = set(hf_model.state_dict())
    pretraining = hasattr(hf_model, base) and all(head in names for head in heads)
    if hasattr(hf_model, base) and not pretraining:
        raise ValueError(f"{type(hf_model).__name__} is not supported: convert its .{base} (the encoder) or a "
                         f"{'Bert' if bert else 'Albert'}ForPreTraining, whose heads albert_lite has")
    model = AlbertForPreTraining(config) if pretraining else AlbertModel(config)
    pairs = _bert_name_pairs(config) if bert else _name_pairs(config)
    if pretraining:
        pairs = [(f"albert.{a}", f"{base}.{b}") for a, b in pairs] + (BERT_HEADS if bert else ALBERT_HEADS)
    _copy_all(model.state_dict(), hf_model.state_dict(), pairs)
    return model.eval()


@torch.no_grad()
def to_transformers(model: AlbertModel | AlbertForPreTraining) -> nn.Module:
    """The same weights in a ``transformers`` model of the matching class."""
    transformers = require("transformers", "albert_lite.interop")
    pretraining = isinstance(model, AlbertForPreTraining)
    config = model.config
    hf_config = config_to_transformers(config)
    hf_model = (transformers.AlbertForPreTraining if pretraining else transformers.AlbertModel)(hf_config)
    theirs = hf_model.state_dict()
    ours = model.state_dict()
    prefix = "albert." if pretraining else ""
    pairs = [(prefix + a, prefix + b) for a, b in _name_pairs(config)]
    if pretraining:
        pairs += ALBERT_HEADS
    for our_name, their_name in pairs:
        theirs[their_name].copy_(ours[our_name])
    if pretraining:  # transformers keeps the decoder bias as a second name for the same vector
        theirs["predictions.decoder.bias"].copy_(ours["mlm_head.bias"])
    hf_model.load_state_dict(theirs)
    if pretraining:
        hf_model.tie_weights()
    return hf_model.eval()
