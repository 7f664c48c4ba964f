"""LAMB against its update rule computed by hand, the no-decay groups, and the schedule."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from albert_lite import AlbertConfig, AlbertForPreTraining
from albert_lite.training.optimizers import (
    Lamb,
    build_optimizer,
    linear_warmup_decay,
    parameter_groups,
    warmup_decay_factor,
)


def reference_lamb(w, grads, lr, b1, b2, eps, wd, bias_correction=True, trust=True):
    """The LAMB rule in float64 NumPy, one parameter tensor, one gradient per step."""
    w = np.array(w, dtype=np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(grads, start=1):
        g = np.array(g, dtype=np.float64)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = (m / (1 - b1**t), v / (1 - b2**t)) if bias_correction else (m, v)
        u = m_hat / (np.sqrt(v_hat) + eps) + wd * w
        w_norm, u_norm = np.sqrt((w * w).sum()), np.sqrt((u * u).sum())
        r = w_norm / u_norm if (trust and w_norm > 0 and u_norm > 0) else 1.0
        w = w - lr * r * u
    return w


@pytest.mark.parametrize("bias_correction", [True, False])
def test_lamb_matches_hand_computed_steps(bias_correction):
    torch.manual_seed(0)
    w0 = torch.randn(3, 4)
    b0 = torch.randn(4)
    grads_w = [torch.randn(3, 4) for _ in range(3)]
    grads_b = [torch.randn(4) for _ in range(3)]
    w = nn.Parameter(w0.clone().double())
    b = nn.Parameter(b0.clone().double())
    opt = Lamb(
        [{"params": [w], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0, "trust_ratio": False}],
        lr=0.05, betas=(0.9, 0.99), eps=1e-6, bias_correction=bias_correction,
    )
    for gw, gb in zip(grads_w, grads_b, strict=True):
        w.grad, b.grad = gw.double(), gb.double()
        opt.step()
    expected_w = reference_lamb(w0.numpy(), [g.numpy() for g in grads_w], 0.05, 0.9, 0.99, 1e-6, 0.1, bias_correction)
    expected_b = reference_lamb(
        b0.numpy(), [g.numpy() for g in grads_b], 0.05, 0.9, 0.99, 1e-6, 0.0, bias_correction, trust=False
    )
    np.testing.assert_allclose(w.detach().numpy(), expected_w, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), expected_b, rtol=1e-10, atol=1e-12)


def test_lamb_first_step_by_hand_on_two_numbers():
    # w = (3, 4), g = (1, -1), no decay. Step 1 with bias correction: m_hat = g, v_hat = g^2,
    # so u = g / (|g| + eps) ~ (1, -1); ||w|| = 5, ||u|| = sqrt(2): w -= lr * 5 / sqrt(2) * u.
    w = nn.Parameter(torch.tensor([3.0, 4.0], dtype=torch.float64))
    w.grad = torch.tensor([1.0, -1.0], dtype=torch.float64)
    Lamb([w], lr=0.1, eps=1e-12).step()
    step = 0.1 * 5 / math.sqrt(2)
    torch.testing.assert_close(w.detach(), torch.tensor([3.0 - step, 4.0 + step], dtype=torch.float64))


def test_lamb_moves_every_tensor_by_lr_times_its_norm():
    # Without weight decay the trust ratio makes ||delta w|| = lr * ||w||, whatever the gradient's scale.
    torch.manual_seed(1)
    tensors = [nn.Parameter(torch.randn(5, 7) * scale) for scale in (0.01, 1.0, 30.0)]
    before = [t.detach().clone() for t in tensors]
    for t, scale in zip(tensors, (1e3, 1.0, 1e-4), strict=True):
        t.grad = torch.randn_like(t) * scale
    Lamb(tensors, lr=0.01, weight_decay=0.0).step()
    for t, b in zip(tensors, before, strict=True):
        torch.testing.assert_close((t.detach() - b).norm(), 0.01 * b.norm(), rtol=1e-5, atol=0)


def test_trust_ratio_is_one_when_a_norm_is_zero():
    zero_weight = nn.Parameter(torch.zeros(4))
    zero_weight.grad = torch.tensor([1.0, -2.0, 0.5, 0.0])
    frozen = nn.Parameter(torch.ones(3))
    frozen.grad = torch.zeros(3)  # update u = 0 (no decay): ratio 1 and nothing moves
    opt = Lamb([zero_weight, frozen], lr=0.1, eps=1e-8)
    opt.step()
    assert opt.state[zero_weight]["trust_ratio"].item() == 1.0
    assert opt.state[frozen]["trust_ratio"].item() == 1.0
    g = torch.tensor([1.0, -2.0, 0.5, 0.0])
    torch.testing.assert_close(zero_weight.detach(), -0.1 * g / (g.abs() + 1e-8))
    torch.testing.assert_close(frozen.detach(), torch.ones(3))


def test_lamb_rejects_bad_hyperparameters():
    p = [nn.Parameter(torch.ones(2))]
    with pytest.raises(ValueError, match="lr"):
        Lamb(p, lr=0.0)
    with pytest.raises(ValueError, match="betas"):
        Lamb(p, betas=(1.0, 0.9))
    with pytest.raises(ValueError, match="weight_decay"):
        Lamb(p, weight_decay=-1.0)


def tiny_model(sharing="all"):
    config = AlbertConfig(
        vocab_size=50, embedding_size=8, hidden_size=16, num_layers=2, num_heads=2, sharing=sharing,
        max_position_embeddings=16,
    )
    return AlbertForPreTraining(config)


def test_layernorm_and_biases_get_no_weight_decay():
    model = tiny_model()
    decay, no_decay = parameter_groups(model, weight_decay=0.01)
    assert decay["weight_decay"] == 0.01 and no_decay["weight_decay"] == 0.0
    norms = {id(p) for m in model.modules() if isinstance(m, nn.LayerNorm) for p in m.parameters()}
    for name, param in model.named_parameters():
        in_no_decay = any(param is q for q in no_decay["params"])
        should = id(param) in norms or name.endswith("bias")
        assert in_no_decay == should, name
    # Every distinct parameter exactly once (sharing makes several layers use one tensor).
    ids = [id(p) for p in decay["params"] + no_decay["params"]]
    assert len(ids) == len(set(ids)) == len(list(model.parameters()))
    assert "mlm_head.bias" in no_decay["names"] and "albert.embeddings.word_embeddings.weight" in decay["names"]


@pytest.mark.parametrize("name", ["lamb", "adamw"])
def test_build_optimizer(name):
    model = tiny_model(sharing="none")
    opt = build_optimizer(model, name, lr=1e-3, weight_decay=0.01)
    assert [g["weight_decay"] for g in opt.param_groups] == [0.01, 0.0]
    assert isinstance(opt, Lamb if name == "lamb" else torch.optim.AdamW)
    if name == "lamb":  # as the original ALBERT code: no trust ratio on LayerNorm and bias tensors
        assert [g["trust_ratio"] for g in opt.param_groups] == [True, False]
    with pytest.raises(ValueError, match="optimizer='rmsprop'"):
        build_optimizer(model, "rmsprop")


def test_lamb_trains_a_small_model():
    torch.manual_seed(0)
    model = tiny_model()
    opt = build_optimizer(model, "lamb", lr=0.02, weight_decay=0.0)
    input_ids = torch.randint(5, 50, (4, 12))
    labels = torch.full_like(input_ids, -100)
    labels[:, 3] = input_ids[:, 3]
    batch = dict(input_ids=input_ids, mlm_labels=labels, sentence_labels=torch.tensor([0, 1, 0, 1]))
    first = model(**batch).loss.item()
    for _ in range(30):
        opt.zero_grad()
        model(**batch).loss.backward()
        opt.step()
    assert model(**batch).loss.item() < 0.7 * first


def test_warmup_then_linear_decay():
    # warm-up 4, total 10: 1/4, 2/4, 3/4, 1, then (10 - s) / 6 for s = 4..9.
    expected = [0.25, 0.5, 0.75, 1.0, 1.0, 5 / 6, 4 / 6, 3 / 6, 2 / 6, 1 / 6]
    assert [warmup_decay_factor(s, 4, 10) for s in range(10)] == pytest.approx(expected)
    p = nn.Parameter(torch.ones(1))
    opt = torch.optim.SGD([p], lr=2.0)
    scheduler = linear_warmup_decay(opt, warmup_steps=4, total_steps=10)
    seen = []
    for _ in range(10):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    assert seen == pytest.approx([2.0 * f for f in expected])
    assert min(seen) > 0


def test_schedule_without_warmup_and_bad_values():
    assert warmup_decay_factor(0, 0, 5) == 1.0
    opt = torch.optim.SGD([nn.Parameter(torch.ones(1))], lr=1.0)
    with pytest.raises(ValueError, match="warmup_steps"):
        linear_warmup_decay(opt, warmup_steps=11, total_steps=10)
    with pytest.raises(ValueError, match="total_steps"):
        linear_warmup_decay(opt, warmup_steps=0, total_steps=0)


@pytest.mark.parametrize("name", ["adamw", "lamb"])
def test_a_tied_tensor_is_held_once(name):
    """A tensor reachable from two modules (tied weights) is one parameter: one group, one update."""
    embedding = torch.nn.Embedding(10, 4)
    output = torch.nn.Linear(4, 10, bias=False)
    output.weight = embedding.weight
    model = torch.nn.ModuleDict({"embedding": embedding, "output": output})
    optimizer = build_optimizer(model, name, lr=1e-3)
    held = [p for group in optimizer.param_groups for p in group["params"]]
    assert len(held) == 1 and held[0] is embedding.weight
