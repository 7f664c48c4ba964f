"""The training loop: it learns, it is reproducible, and its data order, accumulation and metrics are right."""

import math

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
from torch.utils.data import DataLoader, Dataset

from albert_lite import AlbertConfig, AlbertForPreTraining, AlbertForSequenceClassification
from albert_lite.data import RandomTokenDataset, make_loader
from albert_lite.data import collate as collate_pretraining
from albert_lite.training import (
    BatchStream,
    TrainingConfig,
    evaluate,
    loss_weights,
    resolve_precision,
    train,
)
from albert_lite.training import precision as precision_module

from .conftest import UnevenMasks

CONFIG = AlbertConfig(
    vocab_size=64, embedding_size=16, hidden_size=32, num_layers=2, num_heads=2, max_position_embeddings=16
)


HISTORY_COLUMNS = ["step", "loss", "mlm_loss", "sentence_loss", "mlm_accuracy", "sentence_accuracy", "lr"]


def fresh_model(seed=0, config=CONFIG):
    torch.manual_seed(seed)
    return AlbertForPreTraining(config)


def run(steps=6, seed=0, batch_size=8, examples=32, model_seed=0, **overrides):
    dataset = RandomTokenDataset(examples, seq_len=12, vocab_size=64, num_masked=2)
    loader = make_loader(dataset, batch_size, seed=seed)
    settings = dict(steps=steps, lr=1e-2, log_every=1, seed=seed, warmup_steps=2)
    model = fresh_model(model_seed)
    result = train(model, loader, TrainingConfig(**{**settings, **overrides}), progress=False)
    return model, result


def test_config_refuses_bad_values():
    for bad in (dict(precision="fp8"), dict(optimizer="rmsprop"), dict(steps=0), dict(grad_accumulation=0),
                dict(warmup_steps=20, steps=10), dict(checkpoint_every=5), dict(lr=-1.0), dict(grad_clip=0.0)):
        with pytest.raises(ValueError, match=next(iter(bad))):
            TrainingConfig(**bad)
    assert TrainingConfig(steps=400).warmup == 10  # the paper's 1 in 40


def test_precision_choice_on_cpu(monkeypatch):
    cpu = torch.device("cpu")
    monkeypatch.setattr(precision_module, "cpu_has_amx", lambda: False)
    assert resolve_precision("auto", cpu) == "fp32"
    monkeypatch.setattr(precision_module, "cpu_has_amx", lambda: True)
    assert resolve_precision("auto", cpu) == "bf16"
    assert resolve_precision("bf16", cpu) == "bf16"
    with pytest.raises(ValueError, match="fp16"):
        resolve_precision("fp16", cpu)


def test_amx_is_read_from_the_cpu_flags(tmp_path):
    sapphire = tmp_path / "amx"
    sapphire.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16 amx_bf16 amx_tile amx_int8\n")
    cascade = tmp_path / "avx512"
    cascade.write_text("processor\t: 0\nflags\t\t: fpu avx512f avx512_bf16\nbugs\t\t: amx_bf16_made_up\n")
    assert precision_module.cpu_has_amx(sapphire)
    assert not precision_module.cpu_has_amx(cascade)
    assert not precision_module.cpu_has_amx(tmp_path / "missing")


def test_training_learns_and_records_history():
    # A handful of fixed examples (a list: no set_epoch, so no new masks) seen again and again.
    source = RandomTokenDataset(8, seq_len=12, vocab_size=64, num_masked=2)
    dataset = [source[i] for i in range(8)]
    loader = make_loader(dataset, 8)
    model = fresh_model()
    heldout_loader = make_loader(dataset, 4, shuffle=False, drop_last=False)
    config = TrainingConfig(steps=40, lr=1e-2, optimizer="adamw", log_every=5, eval_every=20, warmup_steps=4)
    result = train(model, loader, config, heldout_loader=heldout_loader, progress=False)
    h = result.history
    assert list(h["step"]) == [5, 10, 15, 20, 25, 30, 35, 40]
    assert set(HISTORY_COLUMNS) <= set(h.columns)
    assert {"heldout_loss", "heldout_mlm_accuracy", "heldout_sentence_accuracy"} <= set(h.columns)
    assert h["heldout_loss"].notna().sum() == 2  # steps 20 and 40
    assert h["loss"].iloc[-1] < 0.6 * h["loss"].iloc[0]
    assert result.final_eval["mlm_accuracy"] > 0.3
    assert h["mlm_loss"].iloc[-1] + h["sentence_loss"].iloc[-1] == pytest.approx(h["loss"].iloc[-1], rel=1e-5)
    assert result.wall_time > 0 and result.device == "cpu" and result.precision == "fp32"
    assert "40 steps on cpu" in result.summary()
    fig = result.plot()
    assert len(fig.axes) == 2 and fig.axes[0].get_ylabel() and fig.axes[1].get_xlabel() == "optimizer step"


def test_bf16_autocast_on_cpu_trains():
    _, result = run(steps=2, precision="bf16")
    assert result.precision == "bf16" and result.history["loss"].notna().all()


def test_learning_rate_column_follows_the_schedule():
    _, result = run(steps=6, warmup_steps=2)
    # warm-up 2 of 6 steps at peak 1e-2: 0.5, 1, then (6 - s) / 4 for s = 2..5
    assert list(result.history["lr"]) == pytest.approx([5e-3, 1e-2, 1e-2, 7.5e-3, 5e-3, 2.5e-3])


def test_same_seed_same_run_and_other_seed_other_data():
    model_a, a = run(steps=5, seed=3)
    model_b, b = run(steps=5, seed=3)
    _, c = run(steps=5, seed=4)
    assert a.history["loss"].tolist() == b.history["loss"].tolist()
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        assert torch.equal(p, q)
    assert a.history["loss"].tolist() != c.history["loss"].tolist()


def test_gradient_accumulation_equals_the_large_batch():
    # Every example has the same number of masked tokens, so the mean of two half-batch
    # losses is the loss of the whole batch, and the steps must agree.
    big, _ = run(steps=4, batch_size=8)
    accumulated, result = run(steps=4, batch_size=4, grad_accumulation=2)
    for p, q in zip(big.parameters(), accumulated.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)
    assert len(result.history) == 4


def test_grad_clip_bounds_the_update_norm_logged():
    _, result = run(steps=3, grad_clip=1e-3)
    assert (result.history["grad_norm"] > 1e-3).all()  # the norm before clipping is what is logged


def test_grad_clip_changes_the_training_and_a_loose_clip_does_not():
    """Clipping rescales each step's gradient by a different factor, which even Adam's moments feel."""
    unclipped, _ = run(steps=4, grad_clip=None)
    clipped, _ = run(steps=4, grad_clip=1e-3)
    loose, _ = run(steps=4, grad_clip=1e9)
    assert any(not torch.allclose(p, q, atol=1e-6) for p, q in zip(clipped.parameters(), unclipped.parameters(),
                                                                    strict=True))
    for p, q in zip(loose.parameters(), unclipped.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=0)


class EpochRecorder(Dataset):
    """Returns (epoch, index) so the order of examples can be read off the batches."""

    def __init__(self, n):
        self.n, self.epoch, self.epochs_seen = n, 0, []

    def set_epoch(self, epoch):
        self.epoch = epoch
        self.epochs_seen.append(epoch)

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"epoch": torch.tensor(self.epoch), "index": torch.tensor(i)}


def read(stream, count):
    return [(int(b["epoch"][0]), b["index"].tolist()) for b in (next(stream) for _ in range(count))]


def test_batch_stream_loops_over_epochs_with_fresh_shuffles():
    dataset = EpochRecorder(6)
    stream = BatchStream(DataLoader(dataset, batch_size=3, shuffle=True), seed=0)
    batches = read(stream, 6)  # three epochs of two batches
    assert [e for e, _ in batches] == [0, 0, 1, 1, 2, 2]
    assert dataset.epochs_seen == [0, 1, 2]
    orders = [batches[i][1] + batches[i + 1][1] for i in (0, 2, 4)]
    assert all(sorted(order) == list(range(6)) for order in orders)
    assert len({tuple(order) for order in orders}) > 1
    assert stream.state() == {"epoch": 2, "position": 2}


def test_batch_stream_order_depends_on_seed_only_and_resumes():
    def batches(seed, torch_seed, **start):
        torch.manual_seed(torch_seed)  # the global generator must not matter
        stream = BatchStream(DataLoader(EpochRecorder(8), batch_size=2, shuffle=True), seed=seed, **start)
        return read(stream, 10 - 4 * bool(start))

    full = batches(0, 1)
    assert full == batches(0, 2)
    assert full != batches(1, 1)
    assert batches(0, 5, epoch=1, position=0) == full[4:]  # 4 batches per epoch


def test_evaluate_counts_masked_tokens_and_pairs():
    model = fresh_model().eval()
    dataset = RandomTokenDataset(12, seq_len=12, vocab_size=64, num_masked=3)
    loader = make_loader(dataset, 4, shuffle=False, drop_last=False)
    model.train()
    metrics = evaluate(model, loader)
    assert model.training  # left as it was
    correct = total = pair_correct = 0
    with torch.no_grad():
        model.eval()
        for batch in loader:
            out = model(**batch)
            targets = batch["mlm_labels"][batch["mlm_labels"] != -100]
            correct += (out.mlm_logits.argmax(-1) == targets).sum().item()
            total += targets.numel()
            pair_correct += (out.sentence_logits.argmax(-1) == batch["sentence_labels"]).sum().item()
    assert total == 36
    assert metrics["mlm_accuracy"] == pytest.approx(correct / total)
    assert metrics["sentence_accuracy"] == pytest.approx(pair_correct / 12)
    assert metrics["examples"] == 12


def test_mlm_only_batches_train_and_leave_sentence_metrics_empty():
    dataset = RandomTokenDataset(16, seq_len=12, vocab_size=64, num_masked=2)

    def collate(items):
        batch = torch.utils.data.default_collate(items)
        del batch["sentence_labels"]
        return batch

    loader = make_loader(dataset, 8, collate_fn=collate)
    result = train(fresh_model(), loader, TrainingConfig(steps=2, log_every=1), progress=False)
    assert result.history["sentence_accuracy"].isna().all()
    assert result.history["mlm_loss"].notna().all()


def test_classifier_trains_with_the_same_loop():
    torch.manual_seed(0)
    x = torch.randint(5, 64, (16, 10))
    labels = (x[:, 1] > 34).long()
    items = [{"input_ids": x[i], "labels": labels[i]} for i in range(16)]
    loader = make_loader(items, 8)
    model = AlbertForSequenceClassification(CONFIG, num_labels=2, classifier_dropout=0.0)
    result = train(model, loader, TrainingConfig(steps=3, log_every=1, optimizer="adamw"), progress=False)
    assert "accuracy" in result.history and result.history["loss"].notna().all()
    assert math.isfinite(evaluate(model, loader)["accuracy"])


def test_empty_loader_is_refused():
    with pytest.raises(ValueError, match="no batches"):
        train(fresh_model(), DataLoader([], batch_size=2), TrainingConfig(steps=1), progress=False)


def test_evaluation_reports_the_sentence_heads_balance_and_answers():
    model, _ = run(steps=2)
    dataset = RandomTokenDataset(24, seq_len=12, vocab_size=64, num_masked=2)
    scores = evaluate(model, make_loader(dataset, 8, shuffle=False, drop_last=False))
    labels = torch.tensor([dataset[i]["sentence_labels"] for i in range(24)]).float()
    assert scores["sentence_examples"] == 24
    assert scores["sentence_label_1_share"] == pytest.approx(labels.mean().item())
    assert 0.0 <= scores["sentence_predicted_1_share"] <= 1.0


def test_an_unusable_device_is_refused_by_train_itself(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    for device, message in (("gpu", "is not a device"), ("cuda", "does not have")):
        with pytest.raises(ValueError, match=message):
            run(steps=2, device=device)


def uneven_dataset(examples=16):
    return UnevenMasks(RandomTokenDataset(examples, seq_len=12, vocab_size=64, num_masked=3, seed=5))


def test_accumulation_over_uneven_masks_takes_the_step_of_the_whole_batch():
    """Micro-batches with different numbers of masked tokens: the accumulated step must equal one step on
    the whole batch (a mean over every masked token), not a mean of the micro-batches' means."""
    dataset = uneven_dataset()
    counts = [int((dataset[i]["mlm_labels"] != -100).sum()) for i in range(len(dataset))]
    assert len(set(counts)) == 3  # 1, 2 and 3 targets: the micro-batches differ
    settings = dict(steps=3, lr=0.5, warmup_steps=0, optimizer="sgd", grad_clip=None, log_every=1, seed=2)
    models, results = [], []
    for micro_batch, accumulation in ((8, 1), (4, 2), (2, 4)):
        model = fresh_model(0)
        results.append(train(model, make_loader(dataset, micro_batch, seed=1),
                             TrainingConfig(**settings, grad_accumulation=accumulation), progress=False))
        models.append(model)
    for model in models[1:]:
        for (name, p), q in zip(models[0].named_parameters(), model.parameters(), strict=True):
            torch.testing.assert_close(p, q, rtol=1e-5, atol=1e-6, msg=f"{name} differs under accumulation")
    for result in results[1:]:  # the logged loss is the whole batch's loss too
        torch.testing.assert_close(torch.tensor(result.history["loss"].to_numpy()),
                                   torch.tensor(results[0].history["loss"].to_numpy()), rtol=1e-5, atol=1e-6)


def test_loss_weights_are_each_micro_batch_share_of_the_predictions():
    model = fresh_model(0)
    dataset = uneven_dataset(4)
    micro = [collate_pretraining([dataset[0], dataset[1]]), collate_pretraining([dataset[2], dataset[3]])]
    weights = loss_weights(model, micro)
    # targets per example: 1, 2, 3, 1 -> 3 and 4 of 7 masked tokens; pairs: 2 and 2 of 4
    assert weights == [{"mlm": 3 / 7, "sentence": 0.5}, {"mlm": 4 / 7, "sentence": 0.5}]


def test_training_leaves_the_callers_random_generators_alone():
    import random

    import numpy as np

    model = fresh_model(0)
    loader = make_loader(RandomTokenDataset(16, seq_len=12, vocab_size=64, num_masked=2), 8)
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    expected = (torch.rand(3), np.random.rand(3), random.random())
    torch.manual_seed(123)
    np.random.seed(123)
    random.seed(123)
    train(model, loader, TrainingConfig(steps=2, log_every=1), progress=False)
    after = (torch.rand(3), np.random.rand(3), random.random())
    assert torch.equal(expected[0], after[0]) and (expected[1] == after[1]).all() and expected[2] == after[2]


def test_the_step_unscales_before_clipping_under_a_grad_scaler():
    """fp16 training scales the loss by a large factor; clipping must see the true gradient norm."""
    from albert_lite.training.loop import optimizer_step
    from albert_lite.training.optimizers import build_optimizer, linear_warmup_decay

    weight = torch.nn.Parameter(torch.zeros(4))
    model = torch.nn.Module()
    model.weight = weight
    optimizer = build_optimizer(model, "sgd", lr=1.0, weight_decay=0.0)
    scheduler = linear_warmup_decay(optimizer, 0, 10)
    scaler = torch.amp.GradScaler("cpu", init_scale=1024.0)
    target = torch.tensor([3.0, 4.0, 0.0, 0.0])  # gradient of -(w . target): norm 5
    scaler.scale(-(weight * target).sum()).backward()
    grad_norm, _ = optimizer_step(model, optimizer, scheduler, scaler, grad_clip=1.0)
    assert grad_norm.item() == pytest.approx(5.0)  # the unscaled norm, not 5 x 1024
    torch.testing.assert_close(weight.detach(), target / 5.0)  # a step of length 1 (the clip), lr 1
