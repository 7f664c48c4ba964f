"""Mixed precision: bf16 or fp16 autocast where the hardware supports it, float32 master weights."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from functools import cache
from pathlib import Path

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
CPU_FLAGS_FILE = Path("/proc/cpuinfo")


@cache
def cpu_has_amx(cpuinfo: Path = CPU_FLAGS_FILE) -> bool:
    """Whether the CPU multiplies bf16 matrices in AMX tiles (Intel Sapphire Rapids and newer).

    Only there is bf16 autocast faster than float32 on a CPU; with AVX-512 bf16 alone it is slower
    (benchmarks/README.md). Read from the kernel's flag list, so it is False off Linux.
    """
    try:
        text = cpuinfo.read_text()
    except OSError:
        return False
    return any(line.startswith("flags") and "amx_bf16" in line.split() for line in text.splitlines())


def resolve_precision(precision: str, device: torch.device) -> str:
    """"auto" -> bf16 on Ampere or newer GPUs and on CPUs with AMX, fp16 on older GPUs (T4, V100), fp32 elsewhere."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not allowed: choose one of {PRECISIONS}")
    bf16_gpu = device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0)
    if precision == "auto":
        if device.type == "cuda":
            return "bf16" if bf16_gpu else "fp16"
        return "bf16" if device.type == "cpu" and cpu_has_amx() else "fp32"
    if precision == "fp16" and device.type != "cuda":
        raise ValueError(f"precision='fp16' needs a CUDA GPU (device is {device.type}): use 'fp32' or 'bf16'")
    if precision == "bf16" and device.type == "cuda" and not bf16_gpu:
        name = torch.cuda.get_device_name(device)
        raise ValueError(f"precision='bf16' needs an Ampere or newer GPU, not {name}: use 'fp16'")
    if precision == "bf16" and device.type not in ("cuda", "cpu"):
        raise ValueError(f"precision='bf16' is not supported on {device.type}: use 'fp32'")
    return precision


def autocast(device: torch.device, precision: str) -> AbstractContextManager:
    """Matrix products in bf16/fp16 where it is safe, float32 master weights throughout."""
    if precision == "fp32":
        return nullcontext()
    dtype = torch.bfloat16 if precision == "bf16" else torch.float16
    return torch.autocast(device_type=device.type, dtype=dtype)
