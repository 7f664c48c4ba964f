"""The analytical FLOP counts against PyTorch's own counter, component by component.

``FlopCounterMode`` counts matrix products (mm, addmm, bmm, and the fused attention kernels
it has formulas for). Its CPU build has no formula for the CPU flash-attention kernel, so the
measurement runs attention on the math backend, where Q K^T and A V are plain bmm calls.
With that, the analytical counts match the counter exactly (up to float rounding).
"""

import re

import pytest
import torch
from torch.nn.attention import SDPBackend, sdpa_kernel
from torch.utils.flop_counter import FlopCounterMode

from albert_lite import AlbertConfig, AlbertForPreTraining, AlbertModel
from albert_lite.flops import flops, training_flops
from albert_lite.model import read_positions

BATCH, SEQ = 2, 12
CONFIGS = {
    "albert": AlbertConfig(vocab_size=97, embedding_size=8, hidden_size=32, num_layers=3, num_heads=4),
    "bert": AlbertConfig(vocab_size=97, embedding_size=24, hidden_size=24, num_layers=2, num_heads=3,
                         sharing="none"),
    "groups": AlbertConfig(vocab_size=50, embedding_size=8, hidden_size=16, num_layers=4, num_heads=2,
                           intermediate_size=40, sharing="attention", group_size=2),
}
# Module names -> component; a shared block's name collects every layer that calls it.
PATTERNS = {
    "projection": r"(albert\.)?projection",
    "attention": r"(albert\.)?encoder\.attention\.\d+",
    "ffn": r"(albert\.)?encoder\.ffn\.\d+",
    "pooler": r"(albert\.)?pooler",
    "heads": r"mlm_head|sentence_head",
}


def measured_by_component(model: torch.nn.Module, run) -> tuple[dict[str, float], int]:
    """FLOPs the counter saw, summed by component; module names start with the root class."""
    counter = FlopCounterMode(display=False)
    with sdpa_kernel(SDPBackend.MATH), counter:
        run()
    by_component = dict.fromkeys(PATTERNS, 0)
    for name, ops in counter.get_flop_counts().items():
        inner = name.partition(".")[2]
        for component, pattern in PATTERNS.items():
            if re.fullmatch(pattern, inner):
                by_component[component] += sum(ops.values())
    return by_component, counter.get_total_flops()


def batch_for(config: AlbertConfig, n_masked: int):
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(0, config.vocab_size, (BATCH, SEQ), generator=generator)
    labels = torch.full_like(ids, -100)
    labels.view(-1)[torch.randperm(BATCH * SEQ, generator=generator)[:n_masked]] = 3
    return ids, labels


@pytest.mark.parametrize("name", list(CONFIGS))
def test_pretraining_forward_matches_counter_by_component(name):
    config = CONFIGS[name]
    torch.manual_seed(0)
    model = AlbertForPreTraining(config).eval()
    ids, labels = batch_for(config, n_masked=5)
    measured, total = measured_by_component(
        model, lambda: model(ids, attention_mask=torch.ones_like(ids), mlm_labels=labels,
                             sentence_labels=torch.tensor([0, 1]))
    )
    # The last layer runs only at [CLS] and the masked positions (padded to the fullest sequence).
    q = read_positions(labels != -100).shape[1]
    assert q < SEQ
    expected = flops(config, SEQ, with_heads=True, masked_fraction=5 / (BATCH * SEQ), last_layer_positions=q)
    tokens = BATCH * SEQ
    for component, count in measured.items():
        assert expected[component] * tokens == pytest.approx(count, rel=1e-12, abs=1e-6), component
    assert expected["total"] * tokens == pytest.approx(total, rel=1e-12)
    assert sum(measured.values()) == total  # no product outside the named components
    assert expected["embedding"] == 0


def test_encoder_alone_and_every_position_scored():
    config = CONFIGS["albert"]
    torch.manual_seed(0)
    encoder = AlbertModel(config).eval()
    ids, _ = batch_for(config, 0)
    _, total = measured_by_component(encoder, lambda: encoder(ids))
    assert flops(config, SEQ)["total"] * BATCH * SEQ == pytest.approx(total, rel=1e-12)
    assert flops(config, SEQ)["heads"] == 0

    model = AlbertForPreTraining(config).eval()  # no labels: the MLM head scores every position
    measured, _ = measured_by_component(model, lambda: model(ids))
    assert flops(config, SEQ, with_heads=True)["heads"] * BATCH * SEQ == pytest.approx(measured["heads"], rel=1e-12)


def test_training_step_is_three_forward_passes():
    config = CONFIGS["groups"]
    torch.manual_seed(0)
    model = AlbertForPreTraining(config).train()
    ids, labels = batch_for(config, n_masked=4)

    def step():
        model(ids, mlm_labels=labels, sentence_labels=torch.tensor([1, 0])).loss.backward()

    _, total = measured_by_component(model, step)
    q = read_positions(labels != -100).shape[1]
    assert training_flops(config, SEQ, 4 / (BATCH * SEQ), last_layer_positions=q) * BATCH * SEQ == pytest.approx(
        total, rel=1e-12
    )


def test_last_layer_at_fewer_positions_saves_its_share():
    config = AlbertConfig.from_preset("albert-base")
    full, part = flops(config, 128), flops(config, 128, last_layer_positions=20)
    h, i = config.hidden_size, config.intermediate_size
    # Keys and values still at all 128 positions; the rest of the last layer at 20 of them.
    assert full["ffn"] - part["ffn"] == pytest.approx((108 / 128) * 4 * h * i)
    assert full["attention"] - part["attention"] == pytest.approx((108 / 128) * (4 * h * h + 4 * 128 * h))
    assert flops(config, 128, last_layer_positions=128) == full


def test_only_attention_and_pooler_depend_on_sequence_length():
    config = AlbertConfig.from_preset("albert-base")
    short, long = flops(config, 128), flops(config, 512)
    for component in ("embedding", "projection", "ffn"):
        assert short[component] == long[component]
    h, layers = config.hidden_size, config.num_layers
    assert long["attention"] - short["attention"] == 4 * layers * h * (512 - 128)
    assert short["pooler"] == 4 * long["pooler"]


def test_sharing_leaves_flops_unchanged_except_the_projection():
    albert = AlbertConfig.from_preset("albert-base")
    bert = AlbertConfig.from_preset("bert-base")
    a, b = flops(albert, 128), flops(bert, 128)
    assert b["projection"] == 0
    assert a["total"] - b["total"] == a["projection"] == 2 * 128 * 768
    assert flops(albert.replace(sharing="none"), 128) == a


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(seq_len=0), "seq_len"),
        (dict(seq_len=8, masked_fraction=1.5), "masked_fraction"),
        (dict(seq_len=8.0), "seq_len"),
        (dict(seq_len=8, last_layer_positions=9), "last_layer_positions"),
        (dict(seq_len=8, last_layer_positions=0), "last_layer_positions"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        flops(CONFIGS["albert"], **kwargs)
