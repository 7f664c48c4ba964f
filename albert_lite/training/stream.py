"""Data for the loop: endless, resumable, and in the same order on every run.

The data order is a pure function of (seed, epoch), so a resumed run replays exactly the
batches an uninterrupted one would have seen.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader


def move_to(batch: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    return {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}


def epoch_seed(seed: int, epoch: int) -> int:
    """A different, fixed shuffling seed for every (seed, epoch)."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1)[0])


class BatchStream:
    """Batches from a DataLoader forever, epoch after epoch, starting at (epoch, position).

    Before each epoch it fixes the shuffle to ``epoch_seed(seed, epoch)`` (or calls the
    sampler's ``set_epoch``, as DistributedSampler wants) and calls the dataset's
    ``set_epoch`` if it has one, so dynamic masking draws new masks each epoch. Resuming at
    ``position`` replays the epoch's first batches and drops them. (With
    ``persistent_workers=True`` the workers would keep an old copy of the dataset's epoch.)
    """

    def __init__(self, loader: DataLoader, seed: int = 0, epoch: int = 0, position: int = 0):
        self.loader, self.seed = loader, seed
        self.epoch, self.position = epoch, 0
        self._iterator = None
        for _ in range(position):
            next(self)

    def _start_epoch(self) -> None:
        sampler = self.loader.sampler
        if hasattr(sampler, "set_epoch"):
            sampler.set_epoch(self.epoch)
        elif hasattr(sampler, "generator"):
            sampler.generator = torch.Generator().manual_seed(epoch_seed(self.seed, self.epoch))
        if self.loader.generator is not None:
            self.loader.generator.manual_seed(epoch_seed(self.seed + 1, self.epoch))
        if hasattr(self.loader.dataset, "set_epoch"):
            self.loader.dataset.set_epoch(self.epoch)
        self._iterator = iter(self.loader)

    def __iter__(self):
        return self

    def __next__(self) -> dict[str, torch.Tensor]:
        while True:
            if self._iterator is None:
                self._start_epoch()
            try:
                batch = next(self._iterator)
            except StopIteration:
                if self.position == 0:
                    raise ValueError("the training loader yields no batches: is the dataset empty?") from None
                self.epoch, self.position, self._iterator = self.epoch + 1, 0, None
                continue
            self.position += 1
            return batch

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    @property
    def progress(self) -> float:
        """Epochs done, as a fraction when the loader knows its length."""
        try:
            return self.epoch + self.position / len(self.loader)
        except TypeError:
            return float(self.epoch)
