import pytest
import torch
import transformers

from albert_lite import AlbertConfig, AlbertForPreTraining, AlbertModel
from albert_lite.interop import config_from_transformers, from_transformers, to_transformers

from .conftest import tiny_config

CONFIGS = [
    tiny_config(),
    tiny_config(num_layers=4, group_size=2),
    tiny_config(num_layers=6, group_size=2, num_heads=2),
    tiny_config(num_layers=3, group_size=1, embedding_size=8),
    tiny_config(num_layers=2, hidden_act="gelu"),
]


def inputs(config: AlbertConfig, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, config.vocab_size, (3, 12), generator=g)
    types = torch.randint(0, 2, (3, 12), generator=g)
    mask = torch.ones(3, 12, dtype=torch.long)
    mask[1, 8:] = 0
    return ids, types, mask


def max_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    return (a - b).abs().max().item()


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: f"L{c.num_layers}-M{c.group_size}-{c.hidden_act}")
def test_encoder_parity_both_directions(config):
    torch.manual_seed(1)
    ours = AlbertModel(config).eval()
    theirs = to_transformers(ours)
    assert theirs.config.num_hidden_groups == config.num_groups
    ids, types, mask = inputs(config)
    with torch.no_grad():
        a = ours(ids, types, mask)
        b = theirs(input_ids=ids, token_type_ids=types, attention_mask=mask)
    keep = mask.bool()
    assert max_diff(a.last_hidden_state[keep], b.last_hidden_state[keep]) <= 1e-5
    assert max_diff(a.pooled_output, b.pooler_output) <= 1e-5

    back = from_transformers(theirs)
    with torch.no_grad():
        c = back(ids, types, mask)
    assert max_diff(c.last_hidden_state, a.last_hidden_state) == 0.0


@pytest.mark.parametrize("config", CONFIGS[:3], ids=lambda c: f"L{c.num_layers}-M{c.group_size}")
def test_pretraining_parity_logits_and_losses(config):
    torch.manual_seed(2)
    hf_config = transformers.AlbertConfig(
        vocab_size=config.vocab_size, embedding_size=config.embedding_size, hidden_size=config.hidden_size,
        num_hidden_layers=config.num_layers, num_hidden_groups=config.num_groups,
        num_attention_heads=config.num_heads, intermediate_size=config.intermediate_size,
        max_position_embeddings=config.max_position_embeddings, classifier_dropout_prob=0.0,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )
    theirs = transformers.AlbertForPreTraining(hf_config).eval()
    ours = from_transformers(theirs)
    assert isinstance(ours, AlbertForPreTraining)
    ids, types, mask = inputs(config)
    labels = torch.full_like(ids, -100)
    labels[:, 2] = ids[:, 2]
    labels[0, 5] = ids[0, 5]
    order = torch.tensor([0, 1, 1])
    with torch.no_grad():
        a_full = ours(ids, types, mask)
        a = ours(ids, types, mask, mlm_labels=labels, sentence_labels=order)
        b = theirs(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=labels,
                   sentence_order_label=order)
    assert max_diff(a_full.mlm_logits, b.prediction_logits) <= 1e-5
    assert max_diff(a.mlm_logits, b.prediction_logits[labels != -100]) <= 1e-5
    assert max_diff(a.sentence_logits, b.sop_logits) <= 1e-5
    assert abs(a.loss.item() - b.loss.item()) <= 1e-5

    again = to_transformers(ours)
    with torch.no_grad():
        c = again(input_ids=ids, token_type_ids=types, attention_mask=mask)
    assert max_diff(c.prediction_logits, b.prediction_logits) <= 1e-6


def test_unsupported_conversions_explain_themselves():
    with pytest.raises(ValueError, match="sharing='attention'"):
        to_transformers(AlbertModel(tiny_config(sharing="attention")))
    with pytest.raises(ValueError, match="embedding_size == hidden_size"):
        to_transformers(AlbertModel(tiny_config(embedding_size=32)))
    with pytest.raises(ValueError, match="inner_group_num=2"):
        config_from_transformers(transformers.AlbertConfig(inner_group_num=2))
