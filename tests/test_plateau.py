"""Chapter 7's plateau measurement: the grid's shape and the reading generated from it."""

import pandas as pd
import pytest
import torch

from albert_lite import AlbertConfig, AlbertForPreTraining
from albert_lite.chapters import plateau
from albert_lite.model import SelfAttention, attention_bias


def _frame(last):
    rows = []
    for (optimizer, scale), accuracy in last.items():
        for step, value in ((10, 0.5), (20, accuracy)):
            rows.append({"optimizer": optimizer, "initializer_range": scale, "step": step, "[MASK] acc %": value,
                         "n": 2048, "± s.e.": plateau.standard_error(value, 2048)})
    return pd.DataFrame(rows)


def test_the_reading_names_who_left_chance_and_who_did_not():
    text = plateau.describe_grid(_frame({("lamb 0.01", 0.02): 0.6, ("lamb 0.01", 0.1): 25.0,
                                         ("adamw 0.001", 0.02): 0.4, ("adamw 0.001", 0.1): 30.0}))
    lamb, adamw, note = text.split("\n")
    assert lamb.startswith("lamb 0.01, step 20: left the plateau from initial scale 0.1 (25.0%")
    assert "did not rise above chance from 0.02 (0.6%)" in lamb
    assert "0.1 (30.0%" in adamw and "0.02 (0.4%)" in adamw
    assert "initial scale 0.1 ends 41.7 times as high as 0.02" in lamb
    assert "chance 0.5%" in note and "n = 2048" in note


def test_a_small_run_fills_the_grid():
    frame = plateau.initialisation_grid(steps=4)
    assert len(frame) == len(plateau.OPTIMIZERS) * len(plateau.INITIALIZER_RANGES) * 4
    assert set(frame["initializer_range"]) == set(plateau.INITIALIZER_RANGES)
    assert (frame["n"] == 512 * plateau.MASKED).all()
    assert "4 steps" in frame.attrs["run"]


def test_offset_weights_read_the_neighbours_as_multiples_of_uniform():
    keep = torch.tensor([[1, 1, 1, 1, 0, 0]])  # 4 real tokens, 2 of padding
    left = torch.zeros(1, 2, 6, 6)
    for i in range(1, 4):
        left[0, 0, i, i - 1] = 1.0  # head 0 looks only at the left neighbour
    left[0, 1, :, :4] = 0.25  # head 1 averages the 4 real tokens
    found = plateau.offset_weights(left, keep)
    assert found["left neighbour"] == pytest.approx(4.0)  # all the weight, n = 4 times the uniform 1/4
    assert found["itself"] == pytest.approx(1.0) and found["right neighbour"] == pytest.approx(1.0)  # head 1
    uniform = torch.full((1, 1, 6, 6), 0.25)
    assert plateau.offset_weights(uniform, keep) == pytest.approx(
        {"left neighbour": 1.0, "itself": 1.0, "right neighbour": 1.0})


def test_the_weights_looked_at_are_the_ones_the_layer_applies():
    torch.manual_seed(0)
    config = AlbertConfig(vocab_size=50, embedding_size=16, hidden_size=32, num_layers=1, num_heads=4,
                          max_position_embeddings=8, initializer_range=0.3)
    attention = SelfAttention(config).eval()
    x = torch.randn(2, 8, 32)
    bias = attention_bias(torch.tensor([[1] * 8, [1] * 5 + [0] * 3]), x.dtype)
    weights = attention.weights(x, bias)
    context = (weights @ attention._heads(attention.value(x))).transpose(1, 2).reshape(x.shape)
    expected = attention.layer_norm(x + attention.dense(context))
    assert torch.allclose(attention(x, bias), expected, atol=1e-5)
    assert torch.allclose(weights[1, :, :, 5:], torch.zeros(1)) and weights.sum(-1).allclose(torch.ones(1))


def test_where_layers_look_reads_every_layer_and_names_a_blind_model():
    torch.manual_seed(0)
    config = AlbertConfig(vocab_size=50, embedding_size=16, hidden_size=32, num_layers=3, num_heads=2,
                          max_position_embeddings=8, initializer_range=0.02)
    model = AlbertForPreTraining(config)
    ids = torch.randint(5, 50, (2, 8))
    batch = {"input_ids": ids, "token_type_ids": torch.zeros_like(ids), "attention_mask": torch.ones_like(ids)}
    frame = plateau.where_layers_look(model, [batch])
    assert frame["layer"].tolist() == [0, 1, 2]
    assert (frame.drop(columns="layer") - 1).abs().max().max() < 0.2  # at 0.02 attention starts uniform
    assert "no head of any layer" in plateau.describe_where_layers_look(frame, "fresh")
    frame.loc[1, "left neighbour x uniform"] = 3.0
    assert "layer 1 puts 3.0 times" in plateau.describe_where_layers_look(frame, "fresh")
    # The distance bias makes a fresh model look at its neighbours: where_layers_look sees the bias, too.
    local = AlbertForPreTraining(config.replace(num_heads=4, max_position_embeddings=32, local_attention=True))
    ids = torch.randint(5, 50, (2, 32))
    longer = {"input_ids": ids, "token_type_ids": torch.zeros_like(ids), "attention_mask": torch.ones_like(ids)}
    at_start = plateau.where_layers_look(local, [longer])
    assert at_start["left neighbour x uniform"].min() > 2  # the steepest head's slope is 1/4 per position
    text = plateau.describe_where_layers_look(frame, "trained", at_start)
    assert f"it put {at_start[['left neighbour x uniform', 'right neighbour x uniform']].max().max():.1f} times" in text
    assert ("training raised it" in text) == (3.0 > at_start["left neighbour x uniform"].max())


def test_a_curve_crosses_a_line_only_when_it_stays_above_it():
    tokens = [1e5, 2e5, 3e5, 4e5, 5e5]
    assert plateau.sustained_crossing(tokens, [1, 5, 2, 6, 7], 4) == 4e5  # the lucky 5 at 2e5 does not count
    assert plateau.sustained_crossing(tokens, [5, 5, 5, 5, 5], 4) == 1e5
    assert plateau.sustained_crossing(tokens, [1, 5, 6, 7, 3], 4) is None  # ends below


def test_the_learning_curve_reading_says_how_far_from_the_baseline_and_the_paper():
    curves = {"up": pd.DataFrame({"tokens": [1e6, 2e6, 4e6], "[MASK] acc %": [5.0, 19.0, 21.0]}),
              "flat": pd.DataFrame({"tokens": [1e6, 2e6, 4e6], "[MASK] acc %": [5.0, 6.0, 7.0]})}
    up, flat = plateau.describe_learning_curves(curves, 18.0, 4e9).splitlines()
    assert up == "up: on the curve's pairs, above the neighbour table from 2.0M tokens on; its run read 4.0M " \
                 "tokens, 1,000 times fewer than the paper's."
    assert flat.startswith("flat: on the curve's pairs, ends 11.0 points below the neighbour table")
    # The verdict on every held-out pair decides, and may disagree with a curve read on a few speeches.
    up, flat = plateau.describe_learning_curves(curves, 18.0, 4e9, {"up": (-0.7, 0.4, False),
                                                                    "flat": (-11.0, 0.4, True)}).splitlines()
    assert up.endswith("On every held-out pair: -0.7 ± 0.4 points, within the noise of it.")
    assert flat.endswith("On every held-out pair: -11.0 ± 0.4 points, below it.")
