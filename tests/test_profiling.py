"""The memory and speed profile on the CPU: documented columns and the relations chapter 8 teaches."""

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest
import torch

from albert_lite import AlbertConfig, AlbertForPreTraining, count_parameters, num_parameters
from albert_lite.chapters import profiling
from albert_lite.chapters.profiling import (
    COLUMNS,
    plot_memory,
    plot_ratios,
    profile_memory_and_speed,
    ratios,
    saved_activation_bytes,
    scaled_shapes,
    synthetic_batch,
)
from albert_lite.flops import flops

ALBERT = AlbertConfig(vocab_size=300, embedding_size=16, hidden_size=48, num_layers=4, num_heads=4)
BERT = ALBERT.replace(embedding_size=48, sharing="none")
BATCH, SEQ = 2, 16


@pytest.fixture(scope="module")
def table():
    torch.manual_seed(0)
    return profile_memory_and_speed({"albert": ALBERT, "bert": BERT}, BATCH, SEQ, device="cpu", repeats=1,
                                    progress=False)


def test_columns_and_attributes(table):
    assert list(table.columns) == list(COLUMNS)
    assert list(table["model"]) == ["albert", "bert"]
    assert table.attrs["device"] == "cpu"
    assert table.attrs["activation_method"] == "saved-tensor hooks"
    assert (table[["train_step_ms", "inference_ms", "tokens_per_s", "activation_peak_bytes"]] > 0).all().all()
    for _, row in table.iterrows():
        assert row["tokens_per_s"] == pytest.approx(BATCH * SEQ / (row["inference_ms"] / 1000))


def test_parameter_gradient_and_optimizer_bytes(table):
    rows = table.set_index("model")
    for name, config in (("albert", ALBERT), ("bert", BERT)):
        row = rows.loc[name]
        assert row["parameters"] == count_parameters(config, with_heads=True)["total"]
        assert row["parameters"] == num_parameters(AlbertForPreTraining(config))
        assert row["weight_bytes"] == 4 * row["parameters"]  # float32
        assert row["gradient_bytes"] == row["weight_bytes"]
        tensors = len(list(AlbertForPreTraining(config).parameters()))
        # AdamW: two moments per weight, plus one scalar step counter per tensor
        assert 2 * row["weight_bytes"] <= row["optimizer_bytes"] <= 2 * row["weight_bytes"] + 8 * tensors


def test_sharing_shrinks_weights_but_not_activations_or_flops(table):
    albert, bert = (table.set_index("model").loc[name] for name in ("albert", "bert"))
    assert albert["weight_bytes"] < bert["weight_bytes"] / 2
    assert albert["optimizer_bytes"] < bert["optimizer_bytes"] / 2
    # Same H and L: the saved activations differ only around the embedding (E vs H wide).
    assert 0.8 < albert["activation_peak_bytes"] / bert["activation_peak_bytes"] < 1.2
    assert albert["flops_per_token"] - bert["flops_per_token"] == flops(ALBERT, SEQ)["projection"]


def test_activation_bytes_grow_with_batch_and_shrink_with_checkpointing():
    torch.manual_seed(0)
    model = AlbertForPreTraining(ALBERT).train()
    one = saved_activation_bytes(model, synthetic_batch(ALBERT, 2, SEQ))
    two = saved_activation_bytes(model, synthetic_batch(ALBERT, 4, SEQ))
    assert 1.9 < two / one < 2.1
    assert all(p.grad is None for p in model.parameters())
    model.albert.activation_checkpointing = True
    checkpointed = saved_activation_bytes(model, synthetic_batch(ALBERT, 2, SEQ))
    # Only each layer's input (B x S x H floats) is kept inside the encoder.
    assert checkpointed < one / 3
    assert checkpointed >= ALBERT.num_layers * 2 * SEQ * ALBERT.hidden_size * 4


@pytest.mark.parametrize("optimizer, factor", [("sgd", 0), ("sgd-momentum", 1)])
def test_optimizer_state_follows_the_optimizer(optimizer, factor):
    result = profile_memory_and_speed({"albert": ALBERT}, 1, 8, device="cpu", repeats=1, optimizer=optimizer,
                                      progress=False)
    assert result["optimizer_bytes"].item() == factor * result["weight_bytes"].item()


def test_scaled_shapes_divide_widths_and_keep_depth():
    shapes = scaled_shapes(factor=8)
    assert set(shapes) == {"bert-base", "bert-large", "albert-base", "albert-large", "albert-xlarge",
                           "albert-xxlarge"}
    for name, small in shapes.items():
        full = AlbertConfig.from_preset(name)
        assert (small.hidden_size, small.embedding_size) == (full.hidden_size // 8, full.embedding_size // 8)
        assert small.intermediate_size == full.intermediate_size // 8
        assert small.vocab_size == 3750
        assert (small.num_layers, small.num_heads, small.sharing) == (full.num_layers, full.num_heads, full.sharing)
    assert scaled_shapes(["albert-base"], factor=1)["albert-base"] == AlbertConfig.from_preset("albert-base")
    with pytest.raises(ValueError, match="factor"):
        scaled_shapes(factor=3)
    with pytest.raises(ValueError, match="factor"):
        scaled_shapes(factor=0)


def test_ratios_and_plots(table):
    relative = ratios(table, "bert", ["parameters", "flops_per_token"])
    assert relative.loc["bert"].tolist() == [1.0, 1.0]
    assert relative.loc["albert", "parameters"] < 0.5
    with pytest.raises(ValueError, match="baseline"):
        ratios(table, "gpt")
    ax = plot_memory(table)
    assert ax.get_xlabel() and ax.get_title() and len(ax.patches) == 8  # 2 models x 4 parts
    ax = plot_ratios(table, "bert")
    assert ax.get_ylabel() == "relative to bert (log scale)"


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(optimizer="lion"), "optimizer"),
        (dict(repeats=0), "repeats"),
        (dict(configs={}), "configs"),
        (dict(configs={"x": "albert-base"}), "AlbertConfig"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    arguments = dict(configs={"albert": ALBERT}, batch=1, seq_len=8, device="cpu", progress=False)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=match):
        profile_memory_and_speed(**arguments)


def test_interleaved_speed_times_every_model_in_every_round():
    tiny = AlbertConfig(vocab_size=60, embedding_size=8, hidden_size=16, num_layers=2, num_heads=2,
                        max_position_embeddings=16)
    speeds = profiling.interleaved_speed({"a": tiny, "b": (tiny, True)}, 2, 16, rounds=3, device="cpu")
    assert speeds["round"].tolist() == [0, 0, 1, 1, 2, 2] and speeds["model"].tolist() == ["a", "b"] * 3
    assert (speeds[["train_step_ms", "inference_ms"]] > 0).all().all()


def test_speed_ratios_are_paired_by_round_and_judged_against_their_noise():
    def frame(fast, slow):
        return pd.DataFrame([{"round": r, "model": m, "train_step_ms": t}
                             for r, (f, s) in enumerate(zip(fast, slow, strict=True)) for m, t in (("a", f), ("b", s))])
    steady = profiling.speed_ratio(frame([100, 50, 100], [200, 100, 200]), "a", "b")  # the machine halves, both alike
    assert steady["ratio"] == pytest.approx(2.0) and steady["beyond noise"]
    assert (steady["lowest"], steady["highest"], steady["rounds"]) == (pytest.approx(2.0), pytest.approx(2.0), 3)
    noisy = profiling.speed_ratio(frame([100, 100, 100, 100], [120, 85, 115, 90]), "a", "b")
    assert not noisy["beyond noise"] and noisy["lowest"] == pytest.approx(0.85)
    assert "within the noise" in profiling.describe_speed_ratio(noisy, "a", "b", "training step")
    assert "2.00x as fast" in profiling.describe_speed_ratio(steady, "a", "b", "training step")


def test_an_inference_pass_runs_without_dropout_and_leaves_training_mode_alone():
    config = AlbertConfig(vocab_size=60, embedding_size=8, hidden_size=16, num_layers=2, num_heads=2,
                          max_position_embeddings=16, dropout=0.5)
    model = AlbertForPreTraining(config).train()
    inputs = profiling.synthetic_batch(config, 2, 16, 0.15, "cpu", 0)
    infer = profiling._encoder_pass(model, inputs)
    first, second = infer().last_hidden_state, infer().last_hidden_state
    assert torch.equal(first, second) and model.training  # dropout off during the pass, train mode after it
