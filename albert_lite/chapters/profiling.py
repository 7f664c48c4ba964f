"""What a training step keeps in memory and how long it takes, measured model by model.

A training step holds four kinds of tensors: the weights, one gradient per weight, the
optimizer's state (AdamW: two more tensors per weight) and the activations saved by the
forward pass for the backward pass. Sharing shrinks the first three by the parameter ratio;
the activations depend on batch x sequence x width x depth, which sharing does not touch.
:func:`profile_memory_and_speed` measures all four, and the step and inference times.
"""

from __future__ import annotations

import gc
import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

if TYPE_CHECKING:
    from matplotlib.axes import Axes

from ..config import PRESETS, AlbertConfig, check_positive_int
from ..data.toy import synthetic_batch
from ..flops import flops
from ..model import AlbertForPreTraining
from ..runtime import pick_device, preserved_random_state, seed_everything
from ..statistics import beyond_noise
from ..training.optimizers import OPTIMIZERS, build_optimizer
from ..training.timing import seconds_per_call, training_step

COLUMNS = (
    "model", "parameters", "weight_bytes", "gradient_bytes", "optimizer_bytes", "activation_peak_bytes",
    "train_step_ms", "inference_ms", "tokens_per_s", "flops_per_token",
)


def scaled_shapes(names: Iterable[str] = PRESETS, factor: int = 8) -> dict[str, AlbertConfig]:
    """The paper's presets with every width divided by ``factor``: V, E, H and the FFN size.

    Depth and head count stay, so each head gets ``H / (heads * factor)`` dimensions. Ratios
    *between* models are kept: parameters and FLOPs per token both shrink by about
    ``factor**2`` for every model alike (divide the sequence length by ``factor`` too to keep
    attention's share). ``factor=1`` gives the true shapes. A CPU runs ``factor=4`` or 8 in
    seconds; the true shapes need a GPU.
    """
    check_positive_int("factor", factor)
    shapes = {}
    for name in names:
        full = AlbertConfig.from_preset(name)
        widths = {"embedding_size": full.embedding_size, "hidden_size": full.hidden_size}
        for field, width in widths.items():
            if width % factor or (field == "hidden_size" and (width // factor) % full.num_heads):
                raise ValueError(
                    f"factor={factor} does not divide {name}'s {field}={width} into whole heads: "
                    "choose a power of two up to 32"
                )
        shapes[name] = full.replace(
            vocab_size=round(full.vocab_size / factor),
            embedding_size=full.embedding_size // factor,
            hidden_size=full.hidden_size // factor,
            intermediate_size=full.intermediate_size // factor,
        )
    return shapes


def tensor_bytes(tensors: Iterable[object]) -> int:
    """Bytes of the tensors in ``tensors`` (other objects are skipped)."""
    return sum(t.numel() * t.element_size() for t in tensors if isinstance(t, torch.Tensor))


def optimizer_state_bytes(optimizer: torch.optim.Optimizer) -> int:
    """Bytes of every tensor the optimizer keeps between steps (moments, step counters)."""
    return sum(tensor_bytes(state.values()) for state in optimizer.state.values())


def saved_activation_bytes(model: torch.nn.Module, batch: Mapping[str, torch.Tensor]) -> int:
    """Bytes that autograd keeps for the backward pass after one forward pass.

    Every tensor saved for backward goes through a saved-tensor hook; we add up the distinct
    storages behind them, leaving out the weights (they exist anyway) and the batch itself.
    The count is deterministic and includes what activation checkpointing keeps (the layer
    inputs) while leaving out what it recomputes. It is the peak of a step up to transient
    buffers, which a CPU allocator does not report.
    """
    ignored = {p.untyped_storage().data_ptr() for p in model.parameters()}
    ignored |= {t.untyped_storage().data_ptr() for t in batch.values()}
    storages: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in ignored:
            storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        loss = model(**batch).loss
    loss.backward()  # frees what was saved
    model.zero_grad(set_to_none=True)
    return sum(storages.values())


def _cuda_activation_bytes(model: torch.nn.Module, batch: Mapping[str, torch.Tensor], device: torch.device) -> int:
    """Peak allocated memory of forward + backward minus what was there before (weights,
    gradients, optimizer state, batch): activations plus the backward pass's temporaries."""
    for p in model.parameters():  # keep gradients allocated so they count as static memory
        if p.grad is None:
            p.grad = torch.zeros_like(p)
    torch.cuda.synchronize(device)
    static = torch.cuda.memory_allocated(device)
    torch.cuda.reset_peak_memory_stats(device)
    model(**batch).loss.backward()
    torch.cuda.synchronize(device)
    peak = torch.cuda.max_memory_allocated(device)
    model.zero_grad(set_to_none=True)
    return peak - static


def _timed(fn: Callable[[], object], device: torch.device, repeats: int) -> float:
    """Median wall time of ``fn`` in milliseconds (after the caller's warm-up)."""
    return 1000 * statistics.median(seconds_per_call(fn, device, repeats))


def profile_memory_and_speed(
    configs: Mapping[str, AlbertConfig],
    batch: int,
    seq_len: int,
    *,
    device: torch.device | str | None = None,
    repeats: int = 3,
    optimizer: str = "adamw",
    progress: bool = True,
    masked_fraction: float = 0.15,
    activation_checkpointing: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """One row per model: memory of a pretraining step and its speed on ``device``.

    Columns (bytes are float32 unless the model says otherwise):

    - ``parameters``: distinct parameters of ``AlbertForPreTraining`` (shared ones once).
    - ``weight_bytes``, ``gradient_bytes``: bytes of the parameters and of their gradients.
    - ``optimizer_bytes``: bytes of the optimizer's state after one step (``optimizer``).
    - ``activation_peak_bytes``: on CUDA, ``torch.cuda.max_memory_allocated`` during forward +
      backward minus the memory allocated before it (weights, gradients, optimizer state,
      batch); elsewhere, the bytes of the tensors autograd saves for backward, counted with
      saved-tensor hooks (:func:`saved_activation_bytes`). ``df.attrs["activation_method"]``
      says which was used.
    - ``train_step_ms``: median time of forward + backward + optimizer step over ``repeats``
      steps after one warm-up step.
    - ``inference_ms``: median time of the encoder's forward pass (``model.albert``, eval mode,
      no gradients); ``tokens_per_s``: ``batch * seq_len`` tokens over that time.
    - ``flops_per_token``: analytical forward FLOPs per token of the encoder
      (``flops(config, seq_len)["total"]``, multiply-add = 2).

    The batch has ``round(masked_fraction * seq_len)`` predicted positions per sequence and
    random tokens (speed and memory do not depend on the token values).
    """
    check_positive_int("repeats", repeats)
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer={optimizer!r} is not allowed: choose one of {OPTIMIZERS}")
    if not configs:
        raise ValueError("configs is empty: pass a mapping of model name -> AlbertConfig")
    device = torch.device(device) if device is not None else pick_device()
    method = "cuda.max_memory_allocated" if device.type == "cuda" else "saved-tensor hooks"
    rows = []
    for name, config in tqdm(configs.items(), desc="profiling", disable=not progress):
        if not isinstance(config, AlbertConfig):
            raise ValueError(f"configs[{name!r}] is a {type(config).__name__}, not an AlbertConfig")
        with preserved_random_state():
            seed_everything(seed)
            rows.append({"model": name, **_profile_one(
                config, batch, seq_len, device, repeats, optimizer, masked_fraction, activation_checkpointing, seed
            )})
        gc.collect()
        if device.type == "cuda":
            torch.cuda.empty_cache()
    table = pd.DataFrame(rows, columns=list(COLUMNS))
    table.attrs.update(
        device=str(device), activation_method=method, batch=batch, seq_len=seq_len, optimizer=optimizer,
        repeats=repeats, activation_checkpointing=activation_checkpointing,
    )
    return table


def _encoder_pass(model: AlbertForPreTraining, inputs: Mapping[str, torch.Tensor]) -> Callable[[], object]:
    """The encoder's forward pass on a pretraining batch, in eval mode (no dropout) and with no gradients: what
    inference costs. The model's own mode is restored afterwards, so training steps can be timed between calls."""
    encoder_inputs = {k: inputs[k] for k in ("input_ids", "token_type_ids", "attention_mask")}

    def infer() -> object:
        training = model.training
        model.eval()
        try:
            with torch.inference_mode():
                return model.albert(**encoder_inputs)
        finally:
            model.train(training)

    return infer


def _profile_one(
    config: AlbertConfig, batch: int, seq_len: int, device: torch.device, repeats: int, optimizer: str,
    masked_fraction: float, activation_checkpointing: bool, seed: int,
) -> dict[str, float]:
    """The figures of one model (every column but ``model``)."""
    model = AlbertForPreTraining(config, activation_checkpointing=activation_checkpointing).to(device).train()
    inputs = synthetic_batch(config, batch, seq_len, masked_fraction, device, seed)
    opt = build_optimizer(model, optimizer, lr=1e-4)

    model(**inputs).loss.backward()  # warm-up step: creates the gradients and the optimizer state
    gradient_bytes = tensor_bytes(p.grad for p in model.parameters())
    opt.step()
    opt.zero_grad(set_to_none=True)

    if device.type == "cuda":
        activation_bytes = _cuda_activation_bytes(model, inputs, device)
    else:
        activation_bytes = saved_activation_bytes(model, inputs)

    train_ms = _timed(training_step(model, inputs, optimizer=opt), device, repeats)

    model.eval()
    infer = _encoder_pass(model, inputs)
    infer()  # warm-up
    inference_ms = _timed(infer, device, repeats)

    return {
        "parameters": sum(p.numel() for p in model.parameters()),
        "weight_bytes": tensor_bytes(model.parameters()),
        "gradient_bytes": gradient_bytes,
        "optimizer_bytes": optimizer_state_bytes(opt),
        "activation_peak_bytes": activation_bytes,
        "train_step_ms": train_ms,
        "inference_ms": inference_ms,
        "tokens_per_s": batch * seq_len / (inference_ms / 1000),
        "flops_per_token": flops(config, seq_len)["total"],
    }


def interleaved_speed(
    models: Mapping[str, AlbertConfig | tuple[AlbertConfig, bool]],
    batch: int,
    seq_len: int,
    *,
    rounds: int = 10,
    device: torch.device | str | None = None,
    masked_fraction: float = 0.15,
    seed: int = 0,
) -> pd.DataFrame:
    """Training-step and inference times of several models, measured in ``rounds`` rounds that time every model
    once each, in turn: a machine that slows down for a while slows every model alike, and each round gives one
    paired ratio. A value of ``models`` is a config, or ``(config, activation_checkpointing)``.

    One row per (round, model): ``train_step_ms`` (forward, backward, AdamW step) and ``inference_ms`` (the
    encoder's forward pass, no gradients), after one warm-up of each.
    """
    check_positive_int("rounds", rounds)
    device = torch.device(device) if device is not None else pick_device()
    steps, passes = {}, {}
    with preserved_random_state():
        seed_everything(seed)
        for name, spec in models.items():
            config, checkpointing = spec if isinstance(spec, tuple) else (spec, False)
            model = AlbertForPreTraining(config, activation_checkpointing=checkpointing).to(device).train()
            inputs = synthetic_batch(config, batch, seq_len, masked_fraction, device, seed)
            steps[name] = training_step(model, inputs, optimizer=build_optimizer(model, "adamw", lr=1e-4))
            steps[name]()  # warm-up: gradients and optimizer state
            passes[name] = _encoder_pass(model, inputs)
            passes[name]()
        rows = []
        for round_ in range(rounds):
            for name in models:
                train_ms = 1000 * seconds_per_call(steps[name], device, 1)[0]
                inference_ms = 1000 * seconds_per_call(passes[name], device, 1)[0]
                rows.append({"round": round_, "model": name, "train_step_ms": train_ms, "inference_ms": inference_ms})
    frame = pd.DataFrame(rows)
    frame.attrs.update(device=str(device), batch=batch, seq_len=seq_len, rounds=rounds)
    return frame


def speed_ratio(speeds: pd.DataFrame, faster: str, slower: str, column: str = "train_step_ms") -> dict[str, float]:
    """How many times as fast ``faster`` runs as ``slower``: the geometric mean over rounds of the paired ratio
    (``slower``'s time over ``faster``'s in the same round), its spread (the lowest and highest round), and
    whether it differs from 1 beyond the noise (3 standard errors of the mean log ratio over rounds)."""
    times = speeds.pivot(index="round", columns="model", values=column)
    logs = np.log(times[slower] / times[faster])
    mean, error = float(logs.mean()), float(logs.std(ddof=1) / np.sqrt(len(logs))) if len(logs) > 1 else math.nan
    return {"ratio": math.exp(mean), "lowest": float(np.exp(logs.min())), "highest": float(np.exp(logs.max())),
            "rounds": len(logs), "beyond noise": beyond_noise(mean, error)}


def describe_speed_ratio(found: dict[str, float], faster: str, slower: str, what: str) -> str:
    """One line: the ratio, its spread over rounds, and whether it is beyond the noise."""
    if not found["beyond noise"]:
        verdict = "within the noise: no measurable difference"
    else:
        verdict = "beyond the noise"
    return (f"{faster} against {slower}, {what}: {found['ratio']:.2f}x as fast (rounds from {found['lowest']:.2f}x to "
            f"{found['highest']:.2f}x, {found['rounds']} rounds), {verdict}")


def ratios(table: pd.DataFrame, baseline: str, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Each model's figures divided by the ``baseline`` model's (1.0 on the baseline row)."""
    columns = list(columns or [c for c in COLUMNS if c != "model"])
    names = list(table["model"])
    if baseline not in names:
        raise ValueError(f"baseline={baseline!r} is not a model of the table: choose one of {names}")
    indexed = table.set_index("model")[columns].astype(float)
    return indexed / indexed.loc[baseline]


_MEMORY_PARTS = {
    "weight_bytes": "weights",
    "gradient_bytes": "gradients",
    "optimizer_bytes": "optimizer state",
    "activation_peak_bytes": "activations",
}


def plot_memory(table: pd.DataFrame, ax: Axes | None = None, title: str | None = None) -> Axes:
    """Stacked bars of a training step's memory per model: weights, gradients, optimizer, activations."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.5 + 0.5 * len(table)))
    mib = table.set_index("model")[list(_MEMORY_PARTS)].rename(columns=_MEMORY_PARTS) / 2**20
    mib.plot.barh(stacked=True, ax=ax)
    ax.invert_yaxis()
    ax.set_xlabel("memory of one training step (MiB)")
    ax.set_ylabel("model")
    ax.set_title(title or f"Where a training step's memory goes ({table.attrs.get('device', '')})")
    return ax


def plot_ratios(table: pd.DataFrame, baseline: str, columns: Iterable[str] | None = None, ax: Axes | None = None,
                title: str | None = None) -> Axes:
    """Grouped bars: each model's figures relative to ``baseline``, on a log scale."""
    import matplotlib.pyplot as plt

    columns = list(columns or ["parameters", "activation_peak_bytes", "flops_per_token", "train_step_ms",
                               "inference_ms"])
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4))
    ratios(table, baseline, columns).plot.bar(ax=ax, logy=True, rot=0)
    ax.axhline(1.0, color="black", linewidth=0.8)
    ax.set_xlabel("model")
    ax.set_ylabel(f"relative to {baseline} (log scale)")
    ax.set_title(title or f"What sharing changes, relative to {baseline}")
    return ax
