"""Checkpoints: exact resume after a crash, atomic writes, clear errors for damaged files."""

import json
import random

import numpy as np
import pytest
import torch

from albert_lite import AlbertConfig, AlbertForPreTraining, AlbertForSequenceClassification
from albert_lite.data import RandomTokenDataset, make_loader
from albert_lite.runtime import capture_rng_state, restore_rng_state
from albert_lite.training import TrainingConfig, train
from albert_lite.training import checkpoints as ckpt
from albert_lite.training.checkpoints import CheckpointError, load_checkpoint, load_pretrained, save_checkpoint

# Dropout on, so that resuming must also restore the random generators exactly.
CONFIG = AlbertConfig(
    vocab_size=64, embedding_size=16, hidden_size=32, num_layers=2, num_heads=2, max_position_embeddings=16,
    dropout=0.1,
)




class Crash(Exception):
    pass


class CrashingDataset(RandomTokenDataset):
    """Fails when asked for more than ``budget`` examples, like a machine dying mid-run."""

    def __init__(self, *args, budget=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.budget = budget

    def __getitem__(self, index):
        if self.budget is not None:
            if self.budget == 0:
                raise Crash("simulated crash")
            self.budget -= 1
        return super().__getitem__(index)


def model():
    torch.manual_seed(0)
    return AlbertForPreTraining(CONFIG)


def loader(budget=None):
    # 20 examples, batches of 4: 5 batches per epoch, so 12 steps (x2 accumulation) span epochs.
    return make_loader(CrashingDataset(20, seq_len=12, vocab_size=64, num_masked=2, budget=budget), 4, seed=7)


def settings(out_dir, **overrides):
    base = dict(steps=12, lr=1e-2, warmup_steps=1, log_every=1, seed=7, grad_accumulation=2,
                out_dir=str(out_dir), checkpoint_every=2, keep_last=None)
    return TrainingConfig(**{**base, **overrides})


def test_resume_after_a_crash_equals_uninterrupted_training(tmp_path):
    whole_model = model()
    whole = train(whole_model, loader(), settings(tmp_path / "whole"), progress=False)

    # Dies while fetching the first batch of step 8 (7 steps x 2 micro-batches x 4 examples done);
    # the last checkpoint is step 6, in the middle of the third epoch.
    with pytest.raises(Crash):
        train(model(), loader(budget=7 * 2 * 4), settings(tmp_path / "run"), progress=False)
    assert (tmp_path / "run" / "latest").read_text().strip() == "step-00000006"

    torch.manual_seed(123)  # whatever happened since must not matter
    random.seed(5)
    resumed_model = AlbertForPreTraining(CONFIG)  # fresh weights: all come from the checkpoint
    resumed = train(resumed_model, loader(), settings(tmp_path / "run"), resume_from=tmp_path / "run", progress=False)

    columns = ["step", "loss", "mlm_loss", "sentence_loss", "mlm_accuracy", "sentence_accuracy", "lr", "grad_norm"]
    assert list(resumed.history["step"]) == list(range(1, 13))
    np.testing.assert_allclose(resumed.history[columns], whole.history[columns], rtol=0, atol=1e-6)
    for p, q in zip(whole_model.parameters(), resumed_model.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-6)


def test_resume_with_nothing_left_to_do_returns_the_history(tmp_path):
    train(model(), loader(), settings(tmp_path, steps=4), progress=False)
    again = train(model(), loader(), settings(tmp_path, steps=4), resume_from=tmp_path, progress=False)
    assert list(again.history["step"]) == [1, 2, 3, 4]


def test_training_state_loads_with_weights_only_and_weights_reload(tmp_path):
    trained = model()
    result = train(trained, loader(), settings(tmp_path, steps=2), progress=False)
    folder = result.checkpoint
    assert folder == tmp_path / "step-00000002"
    state = torch.load(folder / "training_state.pt", weights_only=True)
    assert state["step"] == 2 and state["data"] == {"epoch": 0, "position": 4}
    assert set(state) >= {"optimizer", "scheduler", "scaler", "rng"}
    described = json.loads((folder / "config.json").read_text())
    assert described["model_class"] == "AlbertForPreTraining" and described["config"]["hidden_size"] == 32
    info = json.loads((folder / "trainer.json").read_text())
    assert info["step"] == 2 and len(info["history"]) == 2 and info["training_config"]["seed"] == 7

    reloaded = load_pretrained(tmp_path)
    assert not reloaded.training
    trained.eval()
    batch = {k: v for k, v in next(iter(loader())).items()}
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**batch).mlm_logits, trained(**batch).mlm_logits, rtol=0, atol=0)


def test_classifier_round_trip(tmp_path):
    torch.manual_seed(0)
    classifier = AlbertForSequenceClassification(CONFIG, num_labels=3, classifier_dropout=0.25)
    save_checkpoint(tmp_path, classifier, step=0)
    reloaded = load_pretrained(tmp_path)
    assert isinstance(reloaded, AlbertForSequenceClassification) and reloaded.num_labels == 3
    assert reloaded.classifier_dropout == 0.25
    for p, q in zip(classifier.parameters(), reloaded.parameters(), strict=True):
        assert torch.equal(p, q)


def test_a_crash_while_saving_leaves_the_previous_checkpoint(tmp_path, monkeypatch):
    net = model()
    save_checkpoint(tmp_path, net, step=1, training_state={"x": torch.ones(2)})

    def broken_save(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ckpt.torch, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(tmp_path, net, step=2, training_state={"x": torch.ones(2)})
    assert (tmp_path / "latest").read_text().strip() == "step-00000001"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["latest", "step-00000001"]
    load_pretrained(tmp_path)


def test_keep_last_and_saving_the_same_step_twice(tmp_path):
    net = model()
    for step in (1, 2, 3, 3):
        save_checkpoint(tmp_path, net, step=step, keep_last=2)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["step-00000002", "step-00000003"]
    assert ckpt.resolve_checkpoint(tmp_path).name == "step-00000003"
    # A new run in the same folder: it is warned, and the other run's later checkpoint survives pruning.
    with pytest.warns(UserWarning, match="already holds checkpoints"):
        train(model(), loader(), settings(tmp_path, steps=2, checkpoint_every=1, keep_last=1), progress=False)
    assert [p.name for p in ckpt.list_checkpoints(tmp_path)] == ["step-00000002", "step-00000003"]
    assert ckpt.resolve_checkpoint(tmp_path).name == "step-00000002"


@pytest.mark.parametrize("name", ["model.safetensors", "training_state.pt", "config.json", "trainer.json"])
def test_truncated_file_gives_an_error_naming_it(tmp_path, name):
    train(model(), loader(), settings(tmp_path, steps=2), progress=False)
    file = tmp_path / "step-00000002" / name
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 2])
    with pytest.raises(CheckpointError, match=name):
        train(model(), loader(), settings(tmp_path, steps=4), resume_from=tmp_path, progress=False)


def test_corrupt_bytes_and_broken_pointers(tmp_path):
    save_checkpoint(tmp_path, model(), step=5, training_state={"x": torch.ones(3)})
    weights = tmp_path / "step-00000005" / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[-3] ^= 0xFF  # same size, one flipped byte
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="model.safetensors is corrupt"):
        load_pretrained(tmp_path)

    (tmp_path / "step-00000005" / "manifest.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="manifest.json"):
        load_pretrained(tmp_path)

    (tmp_path / "latest").write_text("step-00000009\n")
    with pytest.raises(CheckpointError, match="latest"):
        load_pretrained(tmp_path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_pretrained(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no checkpoint"):
        load_pretrained(tmp_path / "empty")


def test_a_different_model_is_refused(tmp_path):
    save_checkpoint(tmp_path, model(), step=1)
    other = AlbertForPreTraining(CONFIG.replace(hidden_size=16))
    with pytest.raises(CheckpointError, match="different model"):
        load_checkpoint(tmp_path, other)


def test_rng_state_round_trip():
    state = capture_rng_state()
    first = (random.random(), np.random.rand(), torch.rand(2))
    restore_rng_state(state)
    second = (random.random(), np.random.rand(), torch.rand(2))
    assert first[0] == second[0] and first[1] == second[1] and torch.equal(first[2], second[2])


@pytest.mark.parametrize("pointer", ["..", ".", "../step-00000001", "/tmp", "step-00000001/.."])
def test_a_pointer_never_leads_out_of_the_run_folder(tmp_path, pointer):
    run = tmp_path / "run"
    save_checkpoint(run, model(), step=1)
    save_checkpoint(tmp_path / "elsewhere", model(), step=1)
    (tmp_path / "step-00000001").mkdir()  # a checkpoint-looking folder beside the run, not in it
    (run / "latest").write_text(pointer + "\n")
    with pytest.raises(CheckpointError, match="not a checkpoint folder"):
        ckpt.resolve_checkpoint(run)


def test_resuming_on_another_number_of_gpus_says_so(monkeypatch):
    state = capture_rng_state()
    state["cuda"] = [torch.zeros(16, dtype=torch.uint8)]  # saved on one GPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: pytest.fail("must not be restored"))
    with pytest.warns(UserWarning, match="1 GPU"):
        restore_rng_state(state)


def test_a_description_names_a_registered_class_and_its_arguments():
    description = ckpt.model_description(AlbertForSequenceClassification(CONFIG, num_labels=4))
    assert description["model_class"] == "AlbertForSequenceClassification"
    assert description["arguments"] == {"num_labels": 4, "classifier_dropout": 0.1}
    with pytest.raises(CheckpointError, match="model_class='Mystery'"):
        ckpt.build_model({**description, "model_class": "Mystery"})
    with pytest.raises(CheckpointError, match="cannot build"):
        ckpt.build_model({**description, "arguments": {"num_labels": 1}})
    with pytest.raises(ValueError, match="cannot describe"):
        ckpt.model_description(torch.nn.Linear(2, 2))
