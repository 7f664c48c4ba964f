"""LAMB written out, and the optimizer and learning-rate schedule ALBERT pretrains with.

ALBERT trains with LAMB (You et al., 2020): Adam's per-coordinate direction, then one
rescaling per parameter tensor (the "trust ratio" ||w|| / ||update||) so that every layer moves
by a similar *relative* amount. That is what lets the paper use batches of 4096.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from functools import partial

import torch
from torch import nn
from torch.optim.lr_scheduler import LambdaLR

from ..config import check_int, check_positive_int

OPTIMIZERS = ("lamb", "adamw", "adam", "sgd", "sgd-momentum")


class Lamb(torch.optim.Optimizer):
    """LAMB. For each parameter tensor ``w`` with gradient ``g``, at step ``t``::

        m = b1 * m + (1 - b1) * g                      Adam's first moment
        v = b2 * v + (1 - b2) * g**2                   Adam's second moment
        m_hat = m / (1 - b1**t); v_hat = v / (1 - b2**t)   bias correction (if enabled)
        u = m_hat / (sqrt(v_hat) + eps) + weight_decay * w    decoupled weight decay
        r = ||w|| / ||u||, or 1 when either norm is 0          the trust ratio
        w = w - lr * r * u

    A parameter group with ``trust_ratio=False`` uses r = 1 (plain AdamW-style step), which is
    what the original ALBERT code does for LayerNorm and bias tensors. ``bias_correction=False``
    reproduces that code's Adam moments, which are not bias-corrected.
    """

    def __init__(
        self,
        params: Iterable[torch.Tensor] | Iterable[dict],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-6,
        weight_decay: float = 0.0,
        trust_ratio: bool = True,
        bias_correction: bool = True,
    ):
        if not lr > 0:
            raise ValueError(f"lr={lr!r} is not allowed: it must be > 0")
        if not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"betas={betas!r} is not allowed: both must be in [0, 1)")
        if not eps > 0:
            raise ValueError(f"eps={eps!r} is not allowed: it must be > 0")
        if weight_decay < 0:
            raise ValueError(f"weight_decay={weight_decay!r} is not allowed: it must be >= 0")
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
            trust_ratio=trust_ratio, bias_correction=bias_correction,
        )
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for w in group["params"]:
                if w.grad is None:
                    continue
                g = w.grad
                if g.is_sparse:
                    raise ValueError("Lamb does not support sparse gradients")
                state = self.state[w]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(w, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(w, memory_format=torch.preserve_format)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(g, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(g, g, value=1 - beta2)

                if group["bias_correction"]:
                    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
                else:
                    m_hat, v_hat = m, v
                update = m_hat / (v_hat.sqrt() + group["eps"])
                if group["weight_decay"]:
                    update.add_(w, alpha=group["weight_decay"])

                if group["trust_ratio"]:
                    w_norm, u_norm = w.norm(), update.norm()
                    # No .item(): the choice stays on the device, so a GPU never waits for the CPU.
                    ratio = torch.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm, torch.ones_like(w_norm))
                else:
                    ratio = torch.ones((), device=w.device, dtype=w.dtype)
                state["trust_ratio"] = ratio  # kept so a chapter can plot it per layer
                w.add_(update * ratio, alpha=-group["lr"])
        return loss


def is_no_decay(module: nn.Module, param_name: str) -> bool:
    """LayerNorm weights and every bias are left out of weight decay (and of the trust ratio)."""
    return isinstance(module, nn.LayerNorm) or param_name == "bias"


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two groups: weights that decay, and LayerNorm/bias tensors that do not.

    A tensor shared by several layers is one parameter and lands in one group once.
    """
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    decay_names: list[str] = []
    no_decay_names: list[str] = []
    seen: set[int] = set()
    for module_name, module in model.named_modules():
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            full_name = f"{module_name}.{name}" if module_name else name
            if is_no_decay(module, name):
                no_decay.append(param)
                no_decay_names.append(full_name)
            else:
                decay.append(param)
                decay_names.append(full_name)
    return [
        {"params": decay, "weight_decay": weight_decay, "names": decay_names},
        {"params": no_decay, "weight_decay": 0.0, "names": no_decay_names},
    ]


def build_optimizer(
    model: nn.Module,
    name: str = "lamb",
    lr: float = 1e-3,
    weight_decay: float = 0.01,
    betas: tuple[float, float] = (0.9, 0.999),
    eps: float = 1e-6,
    adapt_no_decay: bool = False,
    bias_correction: bool = True,
) -> torch.optim.Optimizer:
    """LAMB (ALBERT's choice), AdamW, or for comparison Adam and SGD (plain or with momentum 0.9);
    no weight decay on LayerNorm weights and biases.

    ``adapt_no_decay=False`` also keeps LAMB's trust ratio off those tensors, as the original
    ALBERT code does: a zero-initialised bias would otherwise barely move once its norm is small.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"optimizer={name!r} is not allowed: choose one of {OPTIMIZERS}")
    groups = parameter_groups(model, weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr, betas=betas, eps=eps)
    if name in ("sgd", "sgd-momentum"):
        return torch.optim.SGD(groups, lr=lr, momentum=0.9 if name == "sgd-momentum" else 0.0)
    groups[0]["trust_ratio"] = True
    groups[1]["trust_ratio"] = adapt_no_decay
    return Lamb(groups, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, bias_correction=bias_correction)


def warmup_decay_factor(step: int, warmup_steps: int, total_steps: int) -> float:
    """The multiplier of the peak learning rate for optimizer step ``step`` (counted from 0).

    It rises linearly to 1 over ``warmup_steps`` steps, then falls linearly towards 0 at
    ``total_steps``; no step is taken with a learning rate of exactly 0.
    """
    if step < warmup_steps:
        return (step + 1) / warmup_steps
    return max(0.0, (total_steps - step) / max(1, total_steps - warmup_steps))


def linear_warmup_decay(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int) -> LambdaLR:
    """Linear warm-up then linear decay, as ALBERT (3,125 warm-up steps of 125,000)."""
    check_positive_int("total_steps", total_steps)
    check_int("warmup_steps", warmup_steps, 0, total_steps, " (total_steps)")
    factor = partial(warmup_decay_factor, warmup_steps=warmup_steps, total_steps=total_steps)
    return LambdaLR(optimizer, factor)


def default_warmup_steps(total_steps: int) -> int:
    """The paper's proportion: 3,125 warm-up steps of 125,000 is 1 in 40."""
    return max(1, math.ceil(total_steps / 40))
