"""The command line, end to end on the synthetic corpus with a tiny model."""

import subprocess
import sys

import pandas as pd
import pytest

from albert_lite.data.tokenizer import Tokenizer
from albert_lite.pretrain import build_parser, main
from albert_lite.training.checkpoints import load_pretrained

TINY = [
    "--corpus", "synthetic", "--max-documents", "30", "--vocab-size", "90", "--embedding-size", "16",
    "--hidden-size", "32", "--num-layers", "2", "--num-heads", "2", "--seq-len", "48", "--batch-size", "8",
    "--eval-batches", "2", "--log-every", "1", "--no-progress",
]


def test_help_runs_as_a_module():
    done = subprocess.run(
        [sys.executable, "-m", "albert_lite.pretrain", "--help"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    for option in ("--preset", "--corpus", "--steps", "--out", "--resume", "--task", "--sharing", "--batch-size"):
        assert option in done.stdout


def test_runs_writes_a_checkpoint_and_resumes_exactly(tmp_path, capsys):
    whole, part = tmp_path / "whole", tmp_path / "part"
    assert main([*TINY, "--steps", "6", "--checkpoint-every", "3", "--keep-last", "3", "--out", str(whole)]) == 0
    assert "6 steps on cpu" in capsys.readouterr().out
    assert (whole / "latest").read_text().strip() == "step-00000006"
    assert {"tokenizer.model", "history.csv", "curves.png", "run.json", "step-00000003"} <= {
        p.name for p in whole.iterdir()
    }
    model = load_pretrained(whole)
    assert model.config.hidden_size == 32 and model.config.num_layers == 2 and model.config.sharing == "all"
    assert model.config.vocab_size == Tokenizer.load(whole / "tokenizer.model").vocab_size

    # Resume from the middle checkpoint into another folder: steps 4..6 must repeat exactly.
    resumed = main([*TINY, "--steps", "6", "--out", str(part), "--resume", str(whole / "step-00000003")])
    assert resumed == 0
    a, b = pd.read_csv(whole / "history.csv"), pd.read_csv(part / "history.csv")
    assert list(b["step"]) == [1, 2, 3, 4, 5, 6]
    columns = ["loss", "mlm_loss", "sentence_loss", "mlm_accuracy", "sentence_accuracy", "lr"]
    pd.testing.assert_frame_equal(a[columns], b[columns], rtol=1e-6, atol=1e-6)


def test_mlm_only_and_nsp_tasks_run(tmp_path):
    assert main([*TINY, "--steps", "1", "--task", "none", "--sharing", "none", "--out", str(tmp_path / "m")]) == 0
    assert pd.read_csv(tmp_path / "m" / "history.csv")["sentence_accuracy"].isna().all()
    assert main([*TINY, "--steps", "1", "--task", "nsp", "--out", str(tmp_path / "n")]) == 0


def test_bad_arguments_are_reported(tmp_path, capsys):
    assert main([*TINY, "--steps", "2", "--grad-accumulation", "3", "--out", str(tmp_path)]) == 2
    assert "--grad-accumulation" in capsys.readouterr().err
    assert main([*TINY, "--steps", "2", "--out", str(tmp_path / "none"), "--resume"]) == 2
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--out", "x", "--preset", "gpt-2"])


@pytest.mark.parametrize("device, message", [("gpu", "is not a device"), ("cuda", "does not have"),
                                             ("cuda:7", "does not"), ("tpu", "not a device")])
def test_an_unusable_device_is_one_line_and_nothing_is_written(tmp_path, capsys, device, message, monkeypatch):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main([*TINY, "--steps", "1", "--device", device, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_out_naming_a_file_is_refused(tmp_path, capsys):
    file = tmp_path / "notes.txt"
    file.write_text("keep me")
    assert main([*TINY, "--steps", "1", "--out", str(file)]) == 2
    assert "is a file" in capsys.readouterr().err and file.read_text() == "keep me"


def test_a_rerun_never_separates_checkpoints_from_their_tokenizer(tmp_path, capsys):
    out = tmp_path / "run"
    assert main([*TINY, "--steps", "1", "--out", str(out)]) == 0
    before = (out / "tokenizer.model").read_bytes()
    assert main([*TINY, "--steps", "1", "--vocab-size", "80", "--out", str(out)]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (out / "tokenizer.model").read_bytes() == before


def test_every_training_setting_is_a_flag_with_the_configs_default():
    """The flags come from TrainingConfig's fields: no field without a flag, no default that differs."""
    import dataclasses

    from albert_lite.training import TrainingConfig

    parser = build_parser()
    defaults = vars(parser.parse_args(["--out", "x"]))
    for field in dataclasses.fields(TrainingConfig):
        if field.name == "out_dir":  # the CLI's --out
            continue
        assert field.name in defaults, f"TrainingConfig.{field.name} has no flag"
        assert defaults[field.name] == field.default, f"--{field.name} defaults to {defaults[field.name]!r}"
    args = parser.parse_args(["--out", "x", "--grad-clip", "none", "--eval-batches", "3", "--compile",
                              "--warmup-steps", "None"])
    config = TrainingConfig.from_arguments(args, out_dir="x")
    assert config.grad_clip is None and config.eval_batches == 3 and config.compile and config.warmup_steps is None
    with pytest.raises(SystemExit):
        parser.parse_args(["--out", "x", "--grad-clip", "tight"])


def test_the_corpus_help_lists_the_registry():
    from albert_lite.data import CORPORA

    help_text = build_parser().format_help()
    for name in CORPORA:
        assert name in help_text
