"""DistributedDataParallel on CPU (gloo, 2 processes) takes the same steps as one process with the same global batch."""

import os
import socket

import pytest
import torch
import torch.multiprocessing as mp
from safetensors.torch import load_file, save_file

from albert_lite import AlbertConfig, AlbertForPreTraining
from albert_lite.data import RandomTokenDataset, make_loader
from albert_lite.distributed import DistributedContext, get_context, init_distributed
from albert_lite.training import TrainingConfig, train

from .conftest import UnevenMasks

CONFIG = AlbertConfig(
    vocab_size=64, embedding_size=16, hidden_size=32, num_layers=2, num_heads=2, max_position_embeddings=16
)


GLOBAL_BATCH = 8
# 24 examples: 3 global batches per epoch, so 4 steps cross into a second epoch.
TRAINING = dict(steps=4, lr=1e-2, warmup_steps=1, log_every=1, seed=11)


def build():
    torch.manual_seed(0)
    # 1, 2 or 3 MLM targets per example: the two processes' halves of a batch hold different numbers of them.
    dataset = UnevenMasks(RandomTokenDataset(24, seq_len=12, vocab_size=64, num_masked=3, seed=3))
    return AlbertForPreTraining(CONFIG), dataset


def worker(rank: int, world_size: int, port: int, out: str, checkpoint_dir: str) -> None:
    torch.set_num_threads(1)
    os.environ.update(
        RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world_size), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port)
    )
    context = init_distributed()
    assert context == get_context() and context.world_size == world_size and context.backend == "gloo"
    model, dataset = build()
    if rank == 1:  # DDP must start every process from rank 0's weights
        with torch.no_grad():
            next(model.parameters()).add_(1.0)
    loader = make_loader(dataset, GLOBAL_BATCH, seed=11)
    assert loader.batch_size == GLOBAL_BATCH // world_size
    result = train(model, loader, TrainingConfig(**TRAINING, out_dir=checkpoint_dir), progress=False)
    tensors = {name: p.detach().clone() for name, p in model.state_dict().items()}
    tensors["loss"] = torch.tensor(result.history["loss"].to_numpy())
    save_file(tensors, f"{out}/rank{rank}.safetensors")
    torch.distributed.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_single_process_context_without_torchrun(monkeypatch):
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    assert init_distributed() == DistributedContext() and get_context().is_main and not get_context().enabled


def test_bad_environment_is_named(monkeypatch):
    monkeypatch.setenv("WORLD_SIZE", "two")
    with pytest.raises(ValueError, match="WORLD_SIZE"):
        init_distributed()


def test_two_gloo_processes_match_one_process(tmp_path):
    model, dataset = build()
    single = train(model, make_loader(dataset, GLOBAL_BATCH, seed=11), TrainingConfig(**TRAINING), progress=False)

    # fork: the children inherit the imported modules, which keeps this test short.
    args = (2, free_port(), str(tmp_path), str(tmp_path / "ddp"))
    mp.start_processes(worker, args=args, nprocs=2, join=True, start_method="fork")
    rank0, rank1 = load_file(tmp_path / "rank0.safetensors"), load_file(tmp_path / "rank1.safetensors")
    # The logged loss is the loss of the global batch, although the halves hold different numbers of targets.
    torch.testing.assert_close(rank0["loss"], torch.tensor(single.history["loss"].to_numpy()), rtol=1e-5, atol=1e-6)
    for name, param in model.state_dict().items():
        torch.testing.assert_close(rank0[name], param, rtol=1e-4, atol=1e-5, msg=f"{name} differs from one process")
        assert torch.equal(rank0[name], rank1[name]), f"{name} differs between ranks"
    # Only rank 0 writes the checkpoint, once, and it holds both processes' generator states.
    state = torch.load(tmp_path / "ddp" / "step-00000004" / "training_state.pt", weights_only=True)
    assert len(state["rng"]) == 2
