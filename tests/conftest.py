import random

import pytest
import torch

from albert_lite import SHARING_MODES, AlbertConfig


def tiny_config(**changes) -> AlbertConfig:
    """A model small enough to build hundreds of times in a test."""
    base = dict(vocab_size=97, embedding_size=16, hidden_size=32, num_layers=4, num_heads=4,
                intermediate_size=48, max_position_embeddings=64)
    return AlbertConfig(**{**base, **changes})


def random_valid_configs(count: int, seed: int = 0) -> list[AlbertConfig]:
    """Random valid shapes covering every sharing mode and group size."""
    rng = random.Random(seed)
    configs = []
    for index in range(count):
        heads = rng.choice([1, 2, 4])
        layers = rng.choice([1, 2, 3, 4, 6])
        sharing = SHARING_MODES[index % len(SHARING_MODES)]
        divisors = [m for m in range(1, layers + 1) if layers % m == 0]
        hidden = heads * rng.choice([4, 8])
        configs.append(
            AlbertConfig(
                vocab_size=rng.randint(5, 200),
                embedding_size=rng.choice([4, 8, hidden]),
                hidden_size=hidden,
                num_layers=layers,
                num_heads=heads,
                intermediate_size=rng.choice([None, 12, 40]),
                max_position_embeddings=rng.choice([16, 32]),
                type_vocab_size=rng.choice([1, 2, 3]),
                sharing=sharing,
                group_size=rng.choice(divisors),
            )
        )
    return configs


@pytest.fixture(autouse=True)
def one_thread():
    """Tiny tensors: one thread is faster than two that wait for each other on a shared CPU."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture
def tiny():
    torch.manual_seed(0)
    return tiny_config()


class UnevenMasks(torch.utils.data.Dataset):
    """RandomTokenDataset examples with 1, 2 or 3 predicted tokens each (the other masked positions keep
    their [MASK] but carry no label), so batches hold different numbers of MLM targets."""

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return len(self.base)

    def set_epoch(self, epoch):
        self.base.set_epoch(epoch)

    def __getitem__(self, index):
        item = dict(self.base[index])
        labels = item["mlm_labels"].clone()
        targets = (labels != -100).nonzero().flatten()
        labels[targets[1 + index % 3:]] = -100
        item["mlm_labels"] = labels
        return item
