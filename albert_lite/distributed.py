"""Several processes, one model: the few helpers that PyTorch's DistributedDataParallel needs.

``torchrun --nproc_per_node=N`` starts N copies of a script and tells each one who it is
through environment variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).
Each copy trains on its own slice of every batch; DDP averages the gradients, so all copies
take the same optimizer step. Without those variables everything here is a no-op and the
code runs as one ordinary process.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist

from .runtime import check_device


@dataclass(frozen=True)
class DistributedContext:
    """Who this process is: rank ``rank`` of ``world_size``, GPU ``local_rank`` on its machine."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    backend: str | None = None

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Only the main process prints, draws progress bars and writes checkpoints."""
        return self.rank == 0


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} is not an integer") from None


def init_distributed(backend: str | None = None) -> DistributedContext:
    """Join the process group described by torchrun's environment variables.

    The backend is NCCL when CUDA is available and gloo (which runs on CPUs) otherwise.
    With WORLD_SIZE unset or 1 nothing is initialised and a single-process context is returned.
    """
    world_size = _env_int("WORLD_SIZE", 1)
    if world_size <= 1:
        return DistributedContext()
    if not dist.is_initialized():
        rank, local_rank = _env_int("RANK", 0), _env_int("LOCAL_RANK", 0)
        backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
        if backend == "nccl":
            torch.cuda.set_device(local_rank)
        dist.init_process_group(backend=backend, init_method="env://", rank=rank, world_size=world_size)
    return get_context()


def get_context() -> DistributedContext:
    """The context of the running process group, or the single-process one."""
    if not (dist.is_available() and dist.is_initialized()):
        return DistributedContext()
    return DistributedContext(
        rank=dist.get_rank(),
        world_size=dist.get_world_size(),
        local_rank=_env_int("LOCAL_RANK", 0),
        backend=dist.get_backend(),
    )


def barrier() -> None:
    """Wait for every process (nothing to wait for in a single process)."""
    if get_context().enabled:
        dist.barrier()


def all_reduce_sum(tensor: torch.Tensor) -> torch.Tensor:
    """Sum a tensor over all processes, in place, and return it."""
    if get_context().enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def all_gather_objects(obj: object) -> list:
    """Every process's ``obj``, as a list indexed by rank (``[obj]`` in a single process)."""
    context = get_context()
    if not context.enabled:
        return [obj]
    gathered = [None] * context.world_size
    dist.all_gather_object(gathered, obj)
    return gathered


def cleanup_distributed() -> None:
    """Leave the process group (call once at the end of a torchrun script)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def resolve_device(
    requested: str | torch.device | None = None, context: DistributedContext | None = None
) -> torch.device:
    """The requested device, else CUDA, MPS or CPU; under torchrun each process takes its own GPU."""
    context = context or get_context()
    device = check_device(requested)  # ValueError naming the problem: "gpu", CUDA on a machine without it, ...
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", context.local_rank if context.enabled else torch.cuda.current_device())
    return device
