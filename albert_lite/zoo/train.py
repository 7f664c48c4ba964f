"""Train a zoo model in pieces that resume exactly, then measure it and export it into the package.

    python -m albert_lite.zoo.train albert-sotu --minutes 50     # one piece; run it again to go on
    python -m albert_lite.zoo.train albert-sotu --export         # measure the finished run and ship it

Each piece ends with a checkpoint under ``runs/zoo/<name>/pretrain`` and a line in ``pieces.json`` (wall
time and steps), so the card's tokens per second count only the time spent training. Run one process per
core (``OMP_NUM_THREADS=1``) under ``nice``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import torch

from ..data.pipeline import PreparedCorpus
from ..files import write_text_atomically
from ..model import AlbertForPreTraining, num_parameters
from ..training.checkpoints import load_checkpoint
from ..training.loop import train
from ..training.masked_lm import masked_lm_evidence, masked_predictions
from ..training.metrics import evaluate
from ..training.recipe import PretrainingRecipe
from .models import export
from .recipes import ZOO_RECIPES

RUNS = Path("runs/zoo")
EVAL_EVERY, EVAL_BATCHES, FINGERPRINT_BATCHES = 250, 20, 2


def _run_dir(name: str, runs: Path) -> Path:
    return runs / name


def _pieces(folder: Path) -> list[dict[str, Any]]:
    file = folder / "pieces.json"
    return json.loads(file.read_text()) if file.exists() else []


def _setup(recipe: PretrainingRecipe) -> tuple[PreparedCorpus, AlbertForPreTraining]:
    data = recipe.prepare()
    torch.manual_seed(recipe.seed)
    return data, AlbertForPreTraining(recipe.model_config(data.tokenizer.vocab_size))


def train_piece(name: str, minutes: float, runs: Path = RUNS, progress: bool = True) -> bool:
    """Train ``name`` for up to ``minutes`` from where it stopped; True when the recipe's steps are done."""
    recipe = ZOO_RECIPES[name]
    folder = _run_dir(name, runs)
    data, model = _setup(recipe)
    settings = recipe.training_config(log_every=25, eval_every=EVAL_EVERY, eval_batches=EVAL_BATCHES,
                                      checkpoint_every=EVAL_EVERY, keep_last=2, out_dir=str(folder / "pretrain"))
    resume = folder / "pretrain" if (folder / "pretrain" / "latest").exists() else None
    started = time.perf_counter()
    result = train(model, data.loader("train", recipe.task, recipe.batch_size, seed=recipe.seed), settings,
                   heldout_loader=data.loader("heldout", recipe.task, recipe.batch_size), resume_from=resume,
                   progress=progress, stop_after_s=60 * minutes)
    earlier = _pieces(folder)
    piece = {"first_step": earlier[-1]["last_step"] if earlier else 0, "last_step": result.steps_done,
             "precision": result.precision, "seconds": round(time.perf_counter() - started, 1), "device": result.device}
    pieces = [*earlier, piece]
    write_text_atomically(folder / "pieces.json", json.dumps(pieces, indent=1) + "\n")
    write_text_atomically(folder / "history.csv", result.history.to_csv(index=False))
    print(f"{name}: step {result.steps_done} of {recipe.steps}; {result.summary()}", flush=True)
    return result.finished


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _clean(value: Any) -> Any:
    return None if isinstance(value, float) and math.isnan(value) else value


def measure_and_export(name: str, runs: Path = RUNS) -> Path:
    """Evaluate the finished run on every held-out pair, write its card and ship it into the package."""
    recipe = ZOO_RECIPES[name]
    folder = _run_dir(name, runs)
    data, model = _setup(recipe)
    state = load_checkpoint(folder / "pretrain", model)
    if state["step"] < recipe.steps:
        raise RuntimeError(f"{name} stopped at step {state['step']} of {recipe.steps}: train it further first")
    model.eval()
    heldout = data.loader("heldout", recipe.task, recipe.batch_size)
    scores = evaluate(model, heldout)
    evidence = masked_lm_evidence(model, heldout, [example.input_ids for example in data.dataset(
        "train", recipe.task, seed=recipe.seed).examples], data.tokenizer.vocab_size, data.tokenizer.special_ids)
    first_batches = list(itertools.islice(heldout, FINGERPRINT_BATCHES))
    fingerprint = masked_predictions(model, first_batches).tolist()
    pieces = _pieces(folder)
    trainer = state["trainer"] or {}
    seconds = trainer.get("wall_time") or sum(piece["seconds"] for piece in pieces)  # training time, all pieces
    history = trainer.get("history", [])
    card = {
        "name": name, "recipe": recipe.to_dict(), "parameters": num_parameters(model),
        "vocab_size": data.tokenizer.vocab_size,
        "train_documents": len(data.train_docs), "heldout_documents": [doc.id for doc in data.heldout_docs],
        "steps_done": state["step"], "tokens": state["step"] * recipe.batch_size * recipe.seq_len,
        "training_seconds": seconds, "tokens_per_second": state["step"] * recipe.batch_size * recipe.seq_len / seconds,
        "device": pieces[-1]["device"] if pieces else "unknown",
        "precision": pieces[-1]["precision"] if pieces else "unknown",
        "pieces": pieces, "commit": _commit(), "torch": torch.__version__, "threads": torch.get_num_threads(),
        "heldout": {key: _clean(float(value)) for key, value in scores.items()},
        "mask_evidence": evidence.table().to_dict("records"),
        "fingerprint": {"batches": FINGERPRINT_BATCHES, "answers": fingerprint},
        "history": [{key: _clean(value) for key, value in row.items()} for row in history],
    }
    return export(name, model, data.tokenizer, card)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m albert_lite.zoo.train", description=__doc__.split("\n")[0])
    parser.add_argument("name", choices=sorted(ZOO_RECIPES))
    parser.add_argument("--minutes", type=float, default=60.0, help="length of this piece (default 60)")
    parser.add_argument("--runs", type=Path, default=RUNS, help="where runs are kept (default runs/zoo)")
    parser.add_argument("--export", action="store_true", help="measure the finished run and ship it")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.error("--minutes must be positive")
    if args.export:
        print(f"exported to {measure_and_export(args.name, args.runs)}")
        return 0
    finished = train_piece(args.name, args.minutes, args.runs, progress=not args.no_progress)
    if finished:
        print(f"exported to {measure_and_export(args.name, args.runs)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
