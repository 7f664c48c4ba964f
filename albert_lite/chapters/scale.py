"""The book's one scale switch, and the line each chapter prints first.

``ALBERT_LITE_SCALE`` = tiny | small | full sets how much every chapter trains; :func:`by_scale` picks a
value for the current scale, and :func:`glue` hands a number to the rendered prose (myst-nb).
"""

from __future__ import annotations

import os
from typing import TypeVar

import torch

from ..runtime import pick_device

T = TypeVar("T")
SCALES = ("tiny", "small", "full")


def get_scale() -> str:
    """``ALBERT_LITE_SCALE`` if set (tiny | small | full); otherwise full on a GPU, small on a CPU."""
    value = os.environ.get("ALBERT_LITE_SCALE", "").strip().lower()
    if not value:
        return "full" if pick_device().type == "cuda" else "small"
    if value not in SCALES:
        raise ValueError(f"ALBERT_LITE_SCALE={value!r} is not allowed: choose one of {SCALES}")
    return value


def describe_runtime() -> str:
    """One line a chapter prints first: the scale, the device, and how to change them."""
    device = pick_device()
    name = torch.cuda.get_device_name(0) if device.type == "cuda" else device.type.upper()
    return (
        f"albert_lite scale: {get_scale()} | device: {name} | torch {torch.__version__}. "
        "Set ALBERT_LITE_SCALE=tiny|small|full before importing to change the scale; "
        "on Colab choose Runtime > Change runtime type > GPU for the full scale."
    )


def by_scale(tiny: T, small: T, full: T, scale: str | None = None) -> T:
    """Pick the value for the current scale: ``steps = by_scale(tiny=20, small=300, full=5000)``."""
    return {"tiny": tiny, "small": small, "full": full}[scale or get_scale()]


def glue(name: str, value: object) -> None:
    """Hand ``value`` to the rendered book's prose under ``name`` (myst-nb's glue); nothing where myst-nb is absent."""
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # Colab and plain Jupyter: the prose that reads it is not rendered there
        return
    myst_glue(name, value, display=False)
