"""Mixed precision: bf16 or fp16 autocast where the hardware supports it, float32 master weights."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext

import torch

PRECISIONS = ("auto", "fp32", "bf16", "fp16")


def resolve_precision(precision: str, device: torch.device) -> str:
    """"auto" -> bf16 on Ampere or newer GPUs, fp16 on older ones (T4, V100), fp32 elsewhere."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision={precision!r} is not allowed: choose one of {PRECISIONS}")
    bf16_gpu = device.type == "cuda" and torch.cuda.get_device_capability(device) >= (8, 0)
    if precision == "auto":
        if device.type == "cuda":
            return "bf16" if bf16_gpu else "fp16"
        return "fp32"
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
