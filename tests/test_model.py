import pytest
import torch

from albert_lite import (
    AlbertConfig,
    AlbertForPreTraining,
    AlbertForSequenceClassification,
    AlbertModel,
    count_parameters,
    sharing_plan,
)
from albert_lite.model import distance_bias, read_positions
from albert_lite.training.optimizers import build_optimizer

from .conftest import tiny_config


def batch(config: AlbertConfig, size: int = 3, seq_len: int = 10, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, config.vocab_size, (size, seq_len), generator=g)
    types = torch.randint(0, config.type_vocab_size, (size, seq_len), generator=g)
    mask = torch.ones(size, seq_len, dtype=torch.long)
    mask[0, seq_len - 3:] = 0
    return ids, types, mask


def test_shapes_and_hidden_states(tiny):
    model = AlbertModel(tiny).eval()
    ids, types, mask = batch(tiny)
    out = model(ids, types, mask, output_hidden_states=True)
    assert out.last_hidden_state.shape == (3, 10, tiny.hidden_size)
    assert out.pooled_output.shape == (3, tiny.hidden_size)
    assert len(out.hidden_states) == tiny.num_layers + 1
    assert all(h.shape == (3, 10, tiny.hidden_size) for h in out.hidden_states)
    assert torch.equal(out.hidden_states[-1], out.last_hidden_state)
    assert model(ids).hidden_states is None


def test_no_projection_when_embedding_equals_hidden():
    model = AlbertModel(tiny_config(embedding_size=32))
    assert model.projection is None
    assert model(torch.zeros(1, 4, dtype=torch.long)).last_hidden_state.shape == (1, 4, 32)


def test_padding_does_not_change_real_tokens(tiny):
    model = AlbertModel(tiny).eval()
    ids, types, _ = batch(tiny, size=1, seq_len=6)
    short = model(ids, types).last_hidden_state
    padded_ids = torch.cat([ids, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    padded_types = torch.cat([types, torch.zeros(1, 4, dtype=torch.long)], dim=1)
    mask = torch.tensor([[1] * 6 + [0] * 4])
    long = model(padded_ids, padded_types, mask).last_hidden_state
    torch.testing.assert_close(long[:, :6], short, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize(
    "sharing, group_size, expected",
    [
        ("all", 4, [(0, 0)] * 4),
        ("all", 2, [(0, 0), (0, 0), (1, 1), (1, 1)]),
        ("attention", 4, [(0, 0), (0, 1), (0, 2), (0, 3)]),
        ("ffn", 2, [(0, 0), (1, 0), (2, 1), (3, 1)]),
        ("none", 2, [(0, 0), (1, 1), (2, 2), (3, 3)]),
    ],
)
def test_sharing_plan(sharing, group_size, expected):
    assert sharing_plan(tiny_config(sharing=sharing, group_size=group_size)) == expected


@pytest.mark.parametrize("sharing", ["none", "all", "attention", "ffn"])
def test_shared_modules_are_the_same_tensors_and_others_are_not(sharing):
    model = AlbertModel(tiny_config(sharing=sharing))
    encoder = model.encoder
    attention_weights = [encoder.attention[a].query.weight for a, _ in encoder.plan]
    ffn_weights = [encoder.ffn[f].ffn.weight for _, f in encoder.plan]
    shares_attention = sharing in ("all", "attention")
    shares_ffn = sharing in ("all", "ffn")
    assert all((w is attention_weights[0]) == shares_attention for w in attention_weights[1:])
    assert all((w is ffn_weights[0]) == shares_ffn for w in ffn_weights[1:])
    assert sum(p.numel() for p in model.parameters()) == count_parameters(model.config)["total"]


@pytest.mark.parametrize("sharing", ["all", "attention", "ffn"])
def test_the_optimizer_moves_a_shared_tensor_once(sharing):
    """build_optimizer walks the modules, and a shared block sits under every layer: it must be held once.

    On AdamW's first step (no weight decay) every element with a gradient moves by lr; a tensor held twice
    would be stepped twice and move by about 2 lr.
    """
    torch.manual_seed(0)
    config = tiny_config(sharing=sharing)
    model = AlbertModel(config)
    optimizer = build_optimizer(model, "adamw", lr=1e-3, weight_decay=0.0, eps=1e-12)
    held = [p for group in optimizer.param_groups for p in group["params"]]
    assert len(held) == len({id(p) for p in held})
    assert sum(p.numel() for p in held) == count_parameters(config)["total"]
    ids, types, mask = batch(config)
    hidden = model(ids, types, mask).last_hidden_state
    (hidden * torch.randn(hidden.shape, generator=torch.Generator().manual_seed(1))).sum().backward()
    block = model.encoder.attention[0] if sharing in ("all", "attention") else model.encoder.ffn[0]
    shared = next(block.parameters())
    before, moved = shared.detach().clone(), shared.grad.abs() > 1e-6
    optimizer.step()
    torch.testing.assert_close((before - shared.detach()).abs()[moved], torch.full((int(moved.sum()),), 1e-3),
                               rtol=1e-3, atol=1e-7)


def test_shared_gradient_sums_layer_contributions():
    """Untying the shared block into L copies gives per-layer gradients that add up to the shared one."""
    torch.manual_seed(0)
    shared_cfg = tiny_config(sharing="all", num_layers=3)
    shared = AlbertModel(shared_cfg)
    untied = AlbertModel(shared_cfg.replace(sharing="none"))
    with torch.no_grad():
        for name, tensor in untied.state_dict().items():
            prefix, block, _layer, rest = (name.split(".", 3) + ["", "", ""])[:4]
            source = f"{prefix}.{block}.0.{rest}" if prefix == "encoder" else name
            tensor.copy_(shared.state_dict()[source])
    ids, types, mask = batch(shared_cfg)
    for model in (shared, untied):
        model(ids, types, mask).last_hidden_state.sum().backward()
    per_layer = sum(untied.encoder.attention[i].value.weight.grad for i in range(3))
    torch.testing.assert_close(shared.encoder.attention[0].value.weight.grad, per_layer, atol=1e-5, rtol=1e-4)


def test_pretraining_losses_and_masked_only_logits(tiny):
    torch.manual_seed(0)
    model = AlbertForPreTraining(tiny)
    ids, types, mask = batch(tiny)
    labels = torch.full_like(ids, -100)
    labels[0, 1] = 5
    labels[2, 4] = 7
    out = model(ids, types, mask, mlm_labels=labels, sentence_labels=torch.tensor([0, 1, 0]))
    assert out.mlm_logits.shape == (2, tiny.vocab_size)
    assert out.sentence_logits.shape == (3, 2)
    torch.testing.assert_close(out.loss, out.mlm_loss + out.sentence_loss)
    full = model(ids, types, mask).mlm_logits
    assert full.shape == (3, 10, tiny.vocab_size)
    torch.testing.assert_close(out.mlm_logits, full[labels != -100])
    expected = torch.nn.functional.cross_entropy(full[labels != -100], labels[labels != -100])
    torch.testing.assert_close(out.mlm_loss, expected)
    out.loss.backward()
    assert model.albert.embeddings.word_embeddings.weight.grad is not None


def test_read_positions_lists_cls_then_the_masked_positions_in_order():
    selected = torch.tensor([[False, False, True, False, True], [False, True, False, False, False],
                             [True, False, False, False, True]])
    positions = read_positions(selected)
    assert positions.shape == (3, 3)  # [CLS] + the fullest row's two masked positions
    assert positions[0].tolist() == [0, 2, 4]
    assert positions[1, :2].tolist() == [0, 1] and not selected[1, positions[1, 2]]  # filler is never read
    assert positions[2, :2].tolist() == [0, 4]  # a masked position 0 is listed once


@pytest.mark.parametrize("checkpointing, local", [(False, False), (True, False), (False, True)])
def test_last_layer_at_read_positions_changes_nothing(tiny, checkpointing, local):
    """The pretraining forward runs the last layer only where the heads read; asking for every
    hidden state runs it everywhere. Loss, logits and every gradient must be the same (with a distance bias,
    each read position keeps its own row of it)."""
    torch.manual_seed(0)
    tiny = tiny.replace(local_attention=local, initializer_range=0.3)  # scores large enough for the bias to matter
    model = AlbertForPreTraining(tiny, activation_checkpointing=checkpointing).train()
    ids, types, mask = batch(tiny, size=4)
    labels = torch.full_like(ids, -100)
    labels[0, [1, 4, 5]] = 5
    labels[2, 3] = 7
    labels[3, 0] = 2  # even a masked [CLS] position
    sentence = torch.tensor([0, 1, 0, 1])
    results = []
    for everywhere in (False, True):
        model.zero_grad(set_to_none=True)
        out = model(ids, types, mask, mlm_labels=labels, sentence_labels=sentence, output_hidden_states=everywhere)
        out.loss.backward()
        results.append((out, {n: p.grad.clone() for n, p in model.named_parameters()}))
    (part, part_grads), (full, full_grads) = results
    torch.testing.assert_close(part.mlm_logits, full.mlm_logits)
    torch.testing.assert_close(part.sentence_logits, full.sentence_logits)
    torch.testing.assert_close(part.loss, full.loss)
    for name, grad in full_grads.items():
        torch.testing.assert_close(part_grads[name], grad, msg=name)


def test_mlm_decoder_is_tied_to_word_embeddings(tiny):
    model = AlbertForPreTraining(tiny)
    ids, types, mask = batch(tiny)
    labels = torch.full_like(ids, -100)
    labels[1, 2] = 3
    model(ids, types, mask, mlm_labels=labels).loss.backward()
    grad = model.albert.embeddings.word_embeddings.weight.grad
    # Rows of tokens absent from the input still get a gradient, through the tied decoder.
    absent = sorted(set(range(tiny.vocab_size)) - set(ids.flatten().tolist()))
    assert grad[absent].abs().sum() > 0


def test_no_masked_position_gives_zero_mlm_loss(tiny):
    model = AlbertForPreTraining(tiny)
    ids, types, mask = batch(tiny)
    out = model(ids, types, mask, mlm_labels=torch.full_like(ids, -100))
    assert out.mlm_loss.item() == 0.0


def test_sequence_classification(tiny):
    model = AlbertForSequenceClassification(tiny, num_labels=3)
    ids, types, mask = batch(tiny)
    output = model(ids, types, mask, labels=torch.tensor([0, 1, 2]))
    assert output.logits.shape == (3, 3) and output.loss.ndim == 0
    assert model(ids, types, mask).loss is None
    with pytest.raises(ValueError, match="num_labels=1"):
        AlbertForSequenceClassification(tiny, num_labels=1)


def test_activation_checkpointing_gives_same_gradients(tiny):
    torch.manual_seed(0)
    plain = AlbertModel(tiny)
    checkpointed = AlbertModel(tiny, activation_checkpointing=True)
    checkpointed.load_state_dict(plain.state_dict())
    ids, types, mask = batch(tiny)
    for model in (plain, checkpointed):
        model.train()
        model(ids, types, mask).last_hidden_state.sum().backward()
    for (name, a), b in zip(plain.named_parameters(), checkpointed.parameters(), strict=True):
        torch.testing.assert_close(a.grad, b.grad, msg=name)


def test_bad_inputs_are_refused(tiny):
    model = AlbertModel(tiny)
    with pytest.raises(ValueError, match="batch, seq_len"):
        model(torch.zeros(5, dtype=torch.long))
    with pytest.raises(ValueError, match="max_position_embeddings=64"):
        model(torch.zeros(1, 65, dtype=torch.long))


def test_last_layer_positions_must_start_with_cls(tiny):
    model = AlbertModel(tiny)
    ids, types, mask = batch(tiny)
    good = torch.tensor([[0, 2, 3]] * ids.shape[0])
    assert model(ids, types, mask, last_layer_positions=good).last_hidden_state.shape[1] == 3
    with pytest.raises(ValueError, match="0 \\(\\[CLS\\]"):
        model(ids, types, mask, last_layer_positions=torch.tensor([[1, 2, 3]] * ids.shape[0]))


@pytest.mark.parametrize("name", ["AlbertForPreTraining", "AlbertForSequenceClassification"])
def test_every_trainable_model_keeps_the_output_contract(tiny, name):
    """The loop reads .loss and .loss_terms, and the task metrics of the model's class, nothing else."""
    from albert_lite import MODEL_CLASSES
    from albert_lite.training.metrics import metrics_for

    torch.manual_seed(0)
    ids, types, mask = batch(tiny)
    if name == "AlbertForPreTraining":
        model = MODEL_CLASSES[name](tiny)
        labels = torch.full_like(ids, -100)
        labels[:, 2] = ids[:, 2]
        inputs = dict(input_ids=ids, token_type_ids=types, attention_mask=mask, mlm_labels=labels,
                      sentence_labels=torch.tensor([0, 1, 0]))
    else:
        model = MODEL_CLASSES[name](tiny, num_labels=3)
        inputs = dict(input_ids=ids, token_type_ids=types, attention_mask=mask, labels=torch.tensor([0, 1, 2]))
    output = model(**inputs)
    assert output.logits is not None and output.loss.ndim == 0
    torch.testing.assert_close(output.loss, sum(output.loss_terms.values()))
    task = metrics_for(model)
    assert set(task.label_counts(inputs)) == set(output.loss_terms)
    assert set(model.label_keys) <= set(inputs)
    stats = task.statistics(output, inputs)
    assert stats["sequences"].item() == 3


def test_the_distance_bias_penalises_each_head_by_its_own_slope():
    bias = distance_bias(num_heads=4, seq_len=5, dtype=torch.float32)
    assert bias.shape == (4, 5, 5)
    assert bias[0, 2].tolist() == pytest.approx([-0.5, -0.25, 0.0, -0.25, -0.5])  # slope 2^-2, both sides
    assert bias[3, 0, 4].item() == pytest.approx(-4 * 2.0 ** -8)


def test_local_attention_changes_the_output_and_is_refused_by_transformers(tiny):
    torch.manual_seed(0)
    plain = AlbertModel(tiny.replace(initializer_range=0.3)).eval()
    local = AlbertModel(tiny.replace(initializer_range=0.3, local_attention=True)).eval()
    local.load_state_dict(plain.state_dict())
    ids, types, mask = batch(tiny)
    assert not torch.allclose(plain(ids, types, mask).last_hidden_state, local(ids, types, mask).last_hidden_state)
    with pytest.raises(ValueError, match="local_attention"):
        from albert_lite.interop.convert import config_to_transformers
        config_to_transformers(tiny.replace(local_attention=True))
    with pytest.raises(ValueError, match="local_attention"):
        tiny.replace(local_attention="yes")
