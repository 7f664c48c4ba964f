"""Checkpoints that survive a crash and resume a run exactly.

A checkpoint is a folder::

    out_dir/
      latest                  name of the newest complete checkpoint (replaced atomically)
      step-00001000/
        model.safetensors     the weights (safetensors: no code runs when loading)
        config.json           model class and AlbertConfig, enough to rebuild the model
        training_state.pt     optimizer, scheduler, grad scaler, RNG states, data position
        trainer.json          step, training settings and the history so far (readable)
        manifest.json         size and SHA-256 of every file above

Every checkpoint is written into a hidden temporary folder next to its final place, then
renamed into place, and only then does ``latest`` change (write a new file, rename it over
the old one). A crash at any moment leaves either the old checkpoint or the new one, never a
half-written one behind ``latest``. The manifest turns a file damaged later (a truncated
copy, a full disk) into a clear error that names the file.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError
from safetensors.torch import load_model, save_model
from torch import nn

from ..config import AlbertConfig
from ..model import MODEL_CLASSES

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
STATE_FILE = "training_state.pt"
TRAINER_FILE = "trainer.json"
MANIFEST_FILE = "manifest.json"
LATEST_FILE = "latest"
CHECKPOINT_PREFIX = "step-"
_TMP_PREFIX = ".tmp-"

class CheckpointError(ValueError):
    """A checkpoint file is missing, truncated or corrupt; the message names the file."""


# ----------------------------------------------------------------------------------------
# Writing
# ----------------------------------------------------------------------------------------


def _json_safe(value: Any) -> Any:
    """NaN and infinity are not JSON: store them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return _json_safe(value.item())
    return value


def _write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(_json_safe(data), indent=2, allow_nan=False) + "\n")


def _fsync(path: Path) -> None:
    """Push a file (or a folder's entries) to disk, so a rename never exposes unwritten data."""
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if path.is_dir() else 0)
    try:
        fd = os.open(path, flags)
    except OSError:  # some platforms cannot open folders; the rename is still atomic there
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_description(model: nn.Module) -> dict[str, Any]:
    """What :func:`load_pretrained` needs to rebuild ``model``: its class and its config."""
    name = type(model).__name__
    if name not in MODEL_CLASSES or not isinstance(getattr(model, "config", None), AlbertConfig):
        raise ValueError(f"cannot describe a {name} in a checkpoint: expected one of {tuple(MODEL_CLASSES)}")
    arguments = model.init_arguments() if hasattr(model, "init_arguments") else {}
    return {"model_class": name, "config": model.config.to_dict(), "arguments": arguments}


def checkpoint_name(step: int) -> str:
    return f"{CHECKPOINT_PREFIX}{step:08d}"


def save_checkpoint(
    out_dir: str | os.PathLike,
    model: nn.Module,
    step: int,
    training_state: dict[str, Any] | None = None,
    trainer_info: dict[str, Any] | None = None,
    keep_last: int | None = None,
) -> Path:
    """Write ``out_dir/step-XXXXXXXX`` atomically, point ``out_dir/latest`` at it, return its path.

    ``training_state`` (optimizer, scheduler, RNG, ...) must hold only tensors, dicts, lists,
    strings, numbers and None, so that it loads with ``torch.load(weights_only=True)``.
    ``keep_last`` deletes all but the newest checkpoints (None keeps everything).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    final = out / checkpoint_name(step)
    tmp = Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{final.name}-", dir=out))
    try:
        os.chmod(tmp, 0o755)
        save_model(model, str(tmp / WEIGHTS_FILE))
        _write_json(tmp / CONFIG_FILE, model_description(model))
        files = [WEIGHTS_FILE, CONFIG_FILE]
        if training_state is not None:
            torch.save({"step": step, **training_state}, tmp / STATE_FILE)
            files.append(STATE_FILE)
        if trainer_info is not None:
            _write_json(tmp / TRAINER_FILE, {"step": step, **trainer_info})
            files.append(TRAINER_FILE)
        manifest = {name: {"bytes": (tmp / name).stat().st_size, "sha256": sha256_of(tmp / name)} for name in files}
        _write_json(tmp / MANIFEST_FILE, {"format": 1, "step": step, "files": manifest})
        for name in [*files, MANIFEST_FILE]:
            _fsync(tmp / name)
        _fsync(tmp)
        old = None
        if final.exists():  # saving the same step again (e.g. after a resume): move the old one aside first
            old = out / f"{_TMP_PREFIX}old-{final.name}-{os.getpid()}"
            os.replace(final, old)
        os.replace(tmp, final)
        _fsync(out)
        _write_latest(out, final.name)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _remove_leftovers(out, keep_last, final.name)
    return final


def _write_latest(out: Path, name: str) -> None:
    pointer = out / f"{LATEST_FILE}.tmp-{os.getpid()}"
    pointer.write_text(name + "\n")
    _fsync(pointer)
    os.replace(pointer, out / LATEST_FILE)
    _fsync(out)


def list_checkpoints(out_dir: str | os.PathLike) -> list[Path]:
    """Complete checkpoints in ``out_dir``, oldest first."""
    out = Path(out_dir)
    if not out.is_dir():
        return []
    found = [p for p in out.iterdir() if p.is_dir() and p.name.startswith(CHECKPOINT_PREFIX)]
    return sorted((p for p in found if (p / MANIFEST_FILE).exists()), key=lambda p: p.name)


def _remove_leftovers(out: Path, keep_last: int | None, current: str) -> None:
    """Delete temporary folders left by a crash, and checkpoints beyond ``keep_last``."""
    for path in out.iterdir():
        if path.is_dir() and path.name.startswith(_TMP_PREFIX):
            shutil.rmtree(path, ignore_errors=True)
    if keep_last is not None and keep_last > 0:
        # Only older steps are candidates: later ones belong to some other run in the same folder.
        checkpoints = [p for p in list_checkpoints(out) if p.name <= current]
        for path in checkpoints[:-keep_last]:
            shutil.rmtree(path, ignore_errors=True)


# ----------------------------------------------------------------------------------------
# Reading
# ----------------------------------------------------------------------------------------


def resolve_checkpoint(path: str | os.PathLike) -> Path:
    """A checkpoint folder itself, or the one that ``path/latest`` names."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"checkpoint path {path} does not exist")
    if not path.is_dir():
        raise FileNotFoundError(f"checkpoint path {path} is not a folder: pass a checkpoint folder or its out_dir")
    pointer = path / LATEST_FILE
    if pointer.exists():
        name = pointer.read_text().strip()
        target = path / name
        # The pointer names a folder inside the run, never a path out of it ("..", "/tmp", ...).
        inside = not ("/" in name or "\\" in name) and target.resolve().parent == path.resolve()
        if not name.startswith(CHECKPOINT_PREFIX) or not inside or not target.is_dir():
            raise CheckpointError(f"{pointer} names {name!r}, which is not a checkpoint folder in {path}")
        return target
    if (path / MANIFEST_FILE).exists() or (path / WEIGHTS_FILE).exists():
        return path
    raise FileNotFoundError(
        f"no checkpoint in {path}: expected a '{LATEST_FILE}' file (an out_dir) or '{WEIGHTS_FILE}' (a checkpoint)"
    )


def _read_manifest(folder: Path) -> dict[str, Any]:
    file = folder / MANIFEST_FILE
    if not file.exists():
        raise CheckpointError(f"{file} is missing: the checkpoint is incomplete")
    try:
        manifest = json.loads(file.read_text())
        files = manifest["files"]
        if not isinstance(files, dict):
            raise TypeError("'files' is not a mapping")
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{file} is corrupt or truncated ({error})") from error
    return files


def verify_checkpoint(folder: str | os.PathLike, names: list[str] | None = None) -> None:
    """Check sizes and SHA-256 sums against the manifest; raise :class:`CheckpointError` naming a bad file."""
    folder = Path(folder)
    files = _read_manifest(folder)
    for name in names if names is not None else list(files):
        file = folder / name
        if name not in files:
            raise CheckpointError(f"{file} is not listed in {folder / MANIFEST_FILE}")
        if not file.exists():
            raise CheckpointError(f"{file} is missing: the checkpoint is incomplete")
        expected = files[name]
        size = file.stat().st_size
        if size != expected["bytes"]:
            raise CheckpointError(f"{file} is truncated or damaged: {size} bytes, expected {expected['bytes']}")
        if sha256_of(file) != expected["sha256"]:
            raise CheckpointError(f"{file} is corrupt: its SHA-256 does not match {folder / MANIFEST_FILE}")


def _read_json(file: Path) -> Any:
    try:
        return json.loads(file.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{file} is missing: the checkpoint is incomplete") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise CheckpointError(f"{file} is corrupt or truncated ({error})") from error


def _load_weights(model: nn.Module, file: Path, device: str | torch.device = "cpu") -> None:
    try:
        load_model(model, str(file), strict=True, device=str(device))
    except SafetensorError as error:
        raise CheckpointError(f"{file} is corrupt or truncated ({error})") from error
    except RuntimeError as error:  # names or shapes differ from the model's
        raise CheckpointError(f"{file} does not fit this model: {error}") from error


def build_model(description: dict[str, Any]) -> nn.Module:
    """A freshly initialised model of the class and config that ``description`` names."""
    name = description.get("model_class")
    if name not in MODEL_CLASSES:
        raise CheckpointError(f"model_class={name!r} is not known: expected one of {tuple(MODEL_CLASSES)}")
    try:
        return MODEL_CLASSES[name](AlbertConfig(**description["config"]), **description.get("arguments", {}))
    except (TypeError, ValueError) as error:
        raise CheckpointError(f"the checkpoint's description cannot build a {name}: {error}") from None


def load_pretrained(path: str | os.PathLike, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the model saved in a checkpoint (or in an out_dir's latest one), in eval mode."""
    folder = resolve_checkpoint(path)
    verify_checkpoint(folder, [WEIGHTS_FILE, CONFIG_FILE])
    model = build_model(_read_json(folder / CONFIG_FILE))
    _load_weights(model, folder / WEIGHTS_FILE)
    return model.to(device).eval()


def load_checkpoint(
    path: str | os.PathLike, model: nn.Module, map_location: str | torch.device = "cpu"
) -> dict[str, Any]:
    """Load the weights into ``model`` and return the rest: training state, trainer info, folder.

    The returned dict has ``step``, ``training_state`` (None if the checkpoint has none),
    ``trainer`` (the trainer.json content, or None) and ``path``.
    """
    folder = resolve_checkpoint(path)
    verify_checkpoint(folder)
    saved = _read_json(folder / CONFIG_FILE)
    expected = model_description(model)
    if saved != json.loads(json.dumps(expected)):
        raise CheckpointError(
            f"{folder / CONFIG_FILE} describes a different model: saved {saved}, this model is {expected}"
        )
    _load_weights(model, folder / WEIGHTS_FILE, device=next(model.parameters()).device)
    state = None
    if (folder / STATE_FILE).exists():
        try:
            state = torch.load(folder / STATE_FILE, map_location=map_location, weights_only=True)
        except Exception as error:  # zip errors, unpickling refusals: all mean the file is unusable
            raise CheckpointError(f"{folder / STATE_FILE} is corrupt or truncated ({error})") from error
    trainer = _read_json(folder / TRAINER_FILE) if (folder / TRAINER_FILE).exists() else None
    step = _read_json(folder / MANIFEST_FILE).get("step")
    return {"step": step, "training_state": state, "trainer": trainer, "path": folder}
