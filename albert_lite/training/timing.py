"""Timing a training step, one way for the whole book: the chapters' predictions, chapter 8's profile, the
GPU check and the benchmarks all build their step here and time it here.

CUDA runs asynchronously, so every timed call is bracketed by a synchronisation; the caller decides how
many warm-up calls to make (compilation, allocator, caches) and which statistic to report.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import torch

from .precision import autocast


def synchronize(device: torch.device | str) -> None:
    """Wait for the device's queued work (a no-op on a CPU)."""
    device = torch.device(device)
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def training_step(model: torch.nn.Module, batch: dict[str, torch.Tensor] | Callable[[], dict[str, torch.Tensor]],
                  precision: str = "fp32", optimizer: torch.optim.Optimizer | None = None,
                  forward: Callable[..., Any] | None = None) -> Callable[[], torch.Tensor]:
    """One optimizer step of ``model`` on ``batch`` (forward under autocast, backward, step), as a function
    returning the loss. ``batch`` may be a function that draws the next batch (a loader's, masking included), so
    that the time of drawing it is counted. ``forward`` replaces the model's call (a ``torch.compile`` of it);
    fp16 gets a gradient scaler, as in training; the default optimizer is AdamW."""
    device = next(model.parameters()).device
    optimizer = optimizer or torch.optim.AdamW(model.parameters(), lr=1e-4)
    scaler = torch.amp.GradScaler(device.type, enabled=precision == "fp16")
    run = forward or model

    def step() -> torch.Tensor:
        inputs = batch() if callable(batch) else batch
        with autocast(device, precision):
            loss = run(**inputs).loss
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
        optimizer.zero_grad(set_to_none=True)
        return loss.detach()

    return step


def seconds_per_call(fn: Callable[[], object], device: torch.device | str, repeats: int, warmup: int = 0
                     ) -> list[float]:
    """Wall seconds of each of ``repeats`` calls of ``fn``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        synchronize(device)
        started = time.perf_counter()
        fn()
        synchronize(device)
        times.append(time.perf_counter() - started)
    return times
