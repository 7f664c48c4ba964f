"""Many small models trained side by side: one job per model, one process per CPU core.

An experiment of the book trains a dozen small models that share nothing but their data. On a
CPU each model uses one core best (its matrices are small), so the jobs run in a pool of
worker processes, one per core (``ALBERT_LITE_WORKERS`` sets another number; 1 runs them in
this process). Every job seeds its own model and data order, so a job gives the same numbers
whichever process runs it. On a GPU the jobs run one after the other in this process.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import torch
from tqdm.auto import tqdm

from ..config import AlbertConfig
from ..runtime import pick_device


@dataclass(frozen=True)
class Job:
    """One model to train and measure: its shape, its sentence task, its seed, and the row's labels."""

    config: AlbertConfig
    task: str | None
    seed: int = 0
    labels: dict[str, Any] = field(default_factory=dict)


def worker_count() -> int:
    """Processes for a batch of jobs: ``ALBERT_LITE_WORKERS`` if set, else one per CPU core (1 on a GPU)."""
    setting = os.environ.get("ALBERT_LITE_WORKERS", "").strip()
    if setting:
        if not setting.isdigit() or int(setting) < 1:
            raise ValueError(f"ALBERT_LITE_WORKERS={setting!r} is not allowed: use a positive integer")
        return int(setting)
    if pick_device().type != "cpu":
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


# What every job of a pool shares, set once per worker process.
_SHARED: dict[str, Any] = {}


def _start_worker(shared: dict[str, Any]) -> None:
    torch.set_num_threads(1)
    _SHARED.update(shared)


def _run_in_worker(run: Callable[..., dict], job: Job) -> dict:
    return run(job, **_SHARED)


def run_jobs(run: Callable[..., dict], jobs: Sequence[Job], shared: dict[str, Any], progress: bool = True,
             desc: str = "") -> list[dict]:
    """``run(job, **shared)`` for every job, in a pool of processes where that helps; results in job order.

    ``run`` must be a module-level function (the workers import it by name) and ``shared`` must pickle.
    """
    workers = min(len(jobs), worker_count())
    bar = tqdm(total=len(jobs), desc=desc, disable=not progress)
    try:
        if workers <= 1:
            results = []
            for job in jobs:
                results.append(run(job, **shared))
                bar.update(1)
            return results
        # spawn, not fork: a forked copy of a process that has used OpenMP threads can hang.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                 initargs=(shared,)) as pool:
            futures = [pool.submit(_run_in_worker, run, job) for job in jobs]
            for future in futures:
                future.add_done_callback(lambda _: bar.update(1))
            return [future.result() for future in futures]
    finally:
        bar.close()
