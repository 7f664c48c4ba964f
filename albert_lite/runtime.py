"""Where and how repeatably: the device, seeding, and saving and restoring random state."""

from __future__ import annotations

import random
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import torch


def pick_device() -> torch.device:
    """CUDA if present, then Apple's MPS, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def check_device(name: str | torch.device | None) -> torch.device:
    """The device a name asks for, or ValueError saying why it cannot be had here (None: the best available)."""
    if name is None:
        return pick_device()
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"device {name!r} is not a device: choose cuda, cuda:N, mps or cpu") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {name!r} asks for CUDA, which this machine does not have: use cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"device {name!r} does not exist: this machine has {torch.cuda.device_count()} GPU(s)")
    elif device.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device {name!r} asks for Apple's MPS, which this machine does not have: use cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"device {name!r} is not supported: choose cuda, cuda:N, mps or cpu")
    return device


def seed_everything(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch so one machine gives the same numbers every run."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


Rng = np.random.Generator | random.Random


def as_generator(rng: Rng | int | None) -> np.random.Generator:
    """A NumPy generator from a generator, a ``random.Random`` or an int seed (None: fresh entropy)."""
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, random.Random):
        return np.random.default_rng(rng.getrandbits(64))
    if rng is None or isinstance(rng, int | np.integer):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, a random.Random or an int seed, got {type(rng).__name__}")


def capture_rng_state() -> dict[str, Any]:
    """Python, NumPy and PyTorch (CPU and CUDA) generator states as tensors, lists and numbers."""
    version, py_state, gauss_next = random.getstate()
    kind, keys, pos, has_gauss, cached_gaussian = np.random.get_state(legacy=True)
    return {
        "python": {"version": version, "state": list(py_state), "gauss_next": gauss_next},
        "numpy": {
            "kind": kind,
            "keys": torch.from_numpy(keys.astype(np.int64)),
            "pos": int(pos),
            "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian),
        },
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
    }


def restore_rng_state(state: dict[str, Any]) -> None:
    """Undo :func:`capture_rng_state`: the next random numbers are the ones the saved run drew next."""
    py = state["python"]
    random.setstate((py["version"], tuple(py["state"]), py["gauss_next"]))
    npy = state["numpy"]
    keys = npy["keys"].numpy().astype(np.uint32)
    np.random.set_state((npy["kind"], keys, npy["pos"], npy["has_gauss"], npy["cached_gaussian"]))
    torch.set_rng_state(state["torch"])
    if state["cuda"] and torch.cuda.is_available():
        if len(state["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(state["cuda"])
        else:
            warnings.warn(
                f"the checkpoint saved the random state of {len(state['cuda'])} GPU(s) and this machine has "
                f"{torch.cuda.device_count()}: GPU random numbers (dropout) will not repeat the original run's",
                stacklevel=2,
            )


@contextmanager
def preserved_random_state() -> Iterator[None]:
    """Seed and draw inside freely: the caller's Python, NumPy and PyTorch generators are as they were after."""
    state = capture_rng_state()
    try:
        yield
    finally:
        restore_rng_state(state)
