"""Reading and writing the zoo's shipped models: weights in half precision, tokenizer, card, manifest."""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..data.pipeline import PreparedCorpus, split_corpus
from ..data.tokenizer import Tokenizer
from ..files import write_text_atomically
from ..training.checkpoints import (
    MANIFEST_FILE,
    CheckpointError,
    load_pretrained,
    save_checkpoint,
    sha256_of,
    verify_checkpoint,
)
from .recipes import ZOO_RECIPES

TOKENIZER_FILE, CARD_FILE = "tokenizer.model", "card.json"


def zoo_folder() -> Path:
    """Where the shipped models live: a folder of the package, one subfolder per model."""
    return Path(__file__).parent / "models"


def names(root: str | os.PathLike | None = None) -> list[str]:
    """The models that are shipped (trained and exported), in the recipes' order."""
    root = Path(root) if root is not None else zoo_folder()
    return [name for name in ZOO_RECIPES if (root / name / MANIFEST_FILE).exists()]


@dataclass
class ZooModel:
    model: torch.nn.Module
    tokenizer: Tokenizer
    card: dict[str, Any]


def load(name: str, device: str | torch.device = "cpu", root: str | os.PathLike | None = None) -> ZooModel:
    """The model ``name`` in float32 and eval mode, its tokenizer and its card, every file checked first."""
    if name not in ZOO_RECIPES:
        raise ValueError(f"no zoo model {name!r}: the zoo has {sorted(ZOO_RECIPES)}")
    folder = (Path(root) if root is not None else zoo_folder()) / name
    if not (folder / MANIFEST_FILE).exists():
        raise FileNotFoundError(f"the zoo model {name!r} is not shipped in {folder}: train and export it with "
                                f"`python -m albert_lite.zoo.train {name}`")
    verify_checkpoint(folder)  # every file, the tokenizer and the card included
    model = load_pretrained(folder, device).float()
    card = json.loads((folder / CARD_FILE).read_text())
    return ZooModel(model, Tokenizer.load(folder / TOKENIZER_FILE), card)


def corpus_of(name: str, tokenizer: Tokenizer) -> PreparedCorpus:
    """The training and held-out speeches of ``name``'s recipe, tokenized with its shipped tokenizer."""
    recipe = ZOO_RECIPES[name]
    train_docs, heldout_docs = split_corpus(recipe.corpus, recipe.max_documents, recipe.heldout_fraction, recipe.seed)
    return PreparedCorpus(recipe.corpus, train_docs, heldout_docs, tokenizer, recipe.seq_len)


def export(name: str, model: torch.nn.Module, tokenizer: Tokenizer, card: dict[str, Any],
           root: str | os.PathLike | None = None) -> Path:
    """Write ``name`` into the zoo (weights in float16 for size), replacing an older export atomically."""
    target = (Path(root) if root is not None else zoo_folder()) / name
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=target.parent))
    try:
        checkpoint = save_checkpoint(work / "export", copy.deepcopy(model).half(), int(card.get("steps_done", 0)))
        folder = work / name
        os.replace(checkpoint, folder)
        shutil.rmtree(work / "export")
        tokenizer.save(folder / TOKENIZER_FILE)
        write_text_atomically(folder / CARD_FILE, json.dumps(card, indent=1) + "\n")
        manifest = json.loads((folder / MANIFEST_FILE).read_text())
        for extra in (TOKENIZER_FILE, CARD_FILE):
            manifest["files"][extra] = {"bytes": (folder / extra).stat().st_size, "sha256": sha256_of(folder / extra)}
        write_text_atomically(folder / MANIFEST_FILE, json.dumps(manifest, indent=2) + "\n")
        verify_checkpoint(folder)
        old = work / "old"
        if target.exists():
            os.replace(target, old)
        os.replace(folder, target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    shutil.rmtree(work, ignore_errors=True)
    return target


__all__ = ["CheckpointError", "ZooModel", "corpus_of", "export", "load", "names", "zoo_folder"]
