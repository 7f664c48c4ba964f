"""Weights in and out of Hugging Face ``transformers``' ALBERT, name by name.

``transformers`` can only share *all* of a layer's weights within contiguous groups
(``num_hidden_groups``), one distinct layer per group (``inner_group_num`` = 1). That is what
this module converts; ``transformers`` itself is needed only when you call it.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from .config import AlbertConfig
from .model import AlbertForPreTraining, AlbertModel

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


def _require_transformers():
    try:
        import transformers
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError(
            "albert_lite.interop needs the `transformers` package: pip install transformers"
        ) from error
    return transformers


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
    return AlbertConfig(
        vocab_size=hf_config.vocab_size,
        embedding_size=hf_config.embedding_size,
        hidden_size=hf_config.hidden_size,
        num_layers=layers,
        num_heads=hf_config.num_attention_heads,
        intermediate_size=hf_config.intermediate_size,
        max_position_embeddings=hf_config.max_position_embeddings,
        type_vocab_size=hf_config.type_vocab_size,
        hidden_act=hf_config.hidden_act,
        dropout=hf_config.hidden_dropout_prob,
        layer_norm_eps=hf_config.layer_norm_eps,
        sharing="all",
        group_size=layers // groups,
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
    transformers = _require_transformers()
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


def _name_pairs(config: AlbertConfig) -> list[tuple[str, str]]:
    """(albert_lite name, transformers name) for every tensor of the encoder model."""
    pairs = []
    for ours, theirs in _EMBEDDING_NAMES.items():
        for kind in (("weight",) if "embeddings" in ours else ("weight", "bias")):
            pairs.append((f"embeddings.{ours}.{kind}", f"embeddings.{theirs}.{kind}"))
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


def _head_pairs() -> list[tuple[str, str]]:
    return [
        ("mlm_head.dense.weight", "predictions.dense.weight"),
        ("mlm_head.dense.bias", "predictions.dense.bias"),
        ("mlm_head.layer_norm.weight", "predictions.LayerNorm.weight"),
        ("mlm_head.layer_norm.bias", "predictions.LayerNorm.bias"),
        ("mlm_head.bias", "predictions.bias"),
        ("sentence_head.weight", "sop_classifier.classifier.weight"),
        ("sentence_head.bias", "sop_classifier.classifier.bias"),
    ]


def _is_pretraining(hf_model: nn.Module) -> bool:
    return hasattr(hf_model, "predictions") and hasattr(hf_model, "albert")


@torch.no_grad()
def from_transformers(hf_model: nn.Module) -> AlbertModel | AlbertForPreTraining:
    """Copy a ``transformers`` ``AlbertModel`` or ``AlbertForPreTraining`` into albert_lite."""
    config = config_from_transformers(hf_model.config)
    pretraining = _is_pretraining(hf_model)
    model = AlbertForPreTraining(config) if pretraining else AlbertModel(config)
    theirs = hf_model.state_dict()
    ours = model.state_dict()
    encoder_prefix = ("albert.", "albert.") if pretraining else ("", "")
    pairs = [(encoder_prefix[0] + a, encoder_prefix[1] + b) for a, b in _name_pairs(config)]
    if pretraining:
        pairs += _head_pairs()
    for our_name, their_name in pairs:
        ours[our_name].copy_(theirs[their_name])
    return model.eval()


@torch.no_grad()
def to_transformers(model: AlbertModel | AlbertForPreTraining) -> nn.Module:
    """The same weights in a ``transformers`` model of the matching class."""
    transformers = _require_transformers()
    pretraining = isinstance(model, AlbertForPreTraining)
    config = model.config
    hf_config = config_to_transformers(config)
    hf_model = (transformers.AlbertForPreTraining if pretraining else transformers.AlbertModel)(hf_config)
    theirs = hf_model.state_dict()
    ours = model.state_dict()
    prefix = "albert." if pretraining else ""
    pairs = [(prefix + a, prefix + b) for a, b in _name_pairs(config)]
    if pretraining:
        pairs += _head_pairs()
    for our_name, their_name in pairs:
        theirs[their_name].copy_(ours[our_name])
    if pretraining:  # transformers keeps the decoder bias as a second name for the same vector
        theirs["predictions.decoder.bias"].copy_(ours["mlm_head.bias"])
    hf_model.load_state_dict(theirs)
    if pretraining:
        hf_model.tie_weights()
    return hf_model.eval()
