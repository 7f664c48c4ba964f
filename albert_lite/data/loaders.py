"""Datasets to DataLoaders the same way everywhere: the batch size is the global batch, split over processes."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from ..config import check_positive_int
from ..distributed import get_context


def make_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool = True,
    seed: int = 0,
    collate_fn: Callable[[list], dict[str, torch.Tensor]] | None = None,
    drop_last: bool = True,
    num_workers: int = 0,
) -> DataLoader:
    """A DataLoader whose ``batch_size`` is the *global* batch, split evenly over processes.

    It always uses a DistributedSampler (with one replica when not distributed), so one
    process and N processes see the same global batches in the same order.
    """
    context = get_context()
    check_positive_int("batch_size", batch_size)
    if batch_size % context.world_size:
        raise ValueError(
            f"batch_size={batch_size} does not divide over {context.world_size} processes: "
            f"use a multiple of {context.world_size}"
        )
    sampler = DistributedSampler(
        dataset, num_replicas=context.world_size, rank=context.rank, shuffle=shuffle, seed=seed, drop_last=drop_last
    )
    return DataLoader(
        dataset,
        batch_size=batch_size // context.world_size,
        sampler=sampler,
        collate_fn=collate_fn,
        drop_last=drop_last,
        num_workers=num_workers,
    )
