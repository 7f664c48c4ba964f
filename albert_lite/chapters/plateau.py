"""Why a small model stays on the unigram plateau: the scale of its initial weights, measured.

Chapter 7's models fill every [MASK] with the most frequent pieces for as long as the book trains them.
The decisive measurement uses a task where the answer is known and only the context gives it: the
counting sequences of :class:`~albert_lite.data.RandomTokenDataset` (a masked number is its left
neighbour plus one). A model at the plateau scores about 1/V there; a model that reads its neighbour
scores far above. The same small model is trained from weights drawn at BERT's 0.02 and at larger
scales, with LAMB and with AdamW, for the same steps.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import pandas as pd
import torch

from ..config import AlbertConfig
from ..data import RandomTokenDataset, make_loader
from ..data.pretraining_dataset import collate
from ..model import AlbertForPreTraining
from ..runtime import preserved_random_state
from ..statistics import NOISE_FACTOR, standard_error
from ..training import TrainingConfig, train
from .scale import by_scale

INITIALIZER_RANGES = (0.02, 0.05, 0.1)
OPTIMIZERS = (("lamb", 1e-2), ("adamw", 1e-3))
VOCAB, SEQ_LEN, MASKED, BATCH = 200, 32, 4, 32


def _model(initializer_range: float) -> AlbertForPreTraining:
    return AlbertForPreTraining(AlbertConfig(
        vocab_size=VOCAB, embedding_size=32, hidden_size=64, num_layers=2, num_heads=2,
        max_position_embeddings=SEQ_LEN, sharing="none", initializer_range=initializer_range))


def initialisation_grid(steps: int | None = None, seed: int = 0) -> pd.DataFrame:
    """Held-out [MASK] accuracy against steps, one curve per (initial scale, optimizer)."""
    steps = steps or by_scale(tiny=100, small=1000, full=2000)
    train_set = RandomTokenDataset(4096, SEQ_LEN, VOCAB, num_masked=MASKED, seed=seed)
    heldout = make_loader(RandomTokenDataset(512, SEQ_LEN, VOCAB, num_masked=MASKED, seed=seed + 1), 64,
                          shuffle=False, collate_fn=collate)
    rows, started = [], time.perf_counter()
    for optimizer, lr in OPTIMIZERS:
        for scale in INITIALIZER_RANGES:
            with preserved_random_state():
                torch.manual_seed(seed)
                model = _model(scale)
                settings = TrainingConfig(steps=steps, lr=lr, optimizer=optimizer, warmup_steps=steps // 10,
                                          log_every=max(1, steps // 10), eval_every=max(1, steps // 10),
                                          seed=seed, precision="fp32")
                result = train(model, make_loader(train_set, BATCH, shuffle=True, seed=seed, collate_fn=collate,
                                                  drop_last=True), settings, heldout_loader=heldout, progress=False)
            curve = result.history.dropna(subset=["heldout_mlm_mask_accuracy"])
            for _, point in curve.iterrows():
                accuracy, n = 100 * point["heldout_mlm_mask_accuracy"], int(point["heldout_mlm_mask_tokens"])
                rows.append({"optimizer": f"{optimizer} {lr:g}", "initializer_range": scale,
                             "step": int(point["step"]), "[MASK] acc %": accuracy, "n": n,
                             "± s.e.": standard_error(accuracy, n)})
    frame = pd.DataFrame(rows)
    frame.attrs["run"] = (f"{len(OPTIMIZERS) * len(INITIALIZER_RANGES)} models of H = 64, E = 32, L = 2 on "
                          f"counting sequences (V = {VOCAB}, {SEQ_LEN} tokens, {MASKED} masks each), {steps} steps "
                          f"of batch {BATCH}, seed {seed}, fp32, {time.perf_counter() - started:.0f} s")
    return frame


def chance_accuracy() -> float:
    """What a model that ignores the context scores here, in %: the targets are spread evenly over the pieces."""
    return 100 / (VOCAB - RandomTokenDataset.FIRST)


def describe_grid(frame: pd.DataFrame) -> str:
    """Which (optimizer, scale) pairs left chance by NOISE_FACTOR standard errors at the last step."""
    last = frame[frame["step"] == frame["step"].max()]
    chance = chance_accuracy()
    lines = []
    for optimizer, rows in last.groupby("optimizer", sort=False):
        left = rows[rows["[MASK] acc %"] - chance > NOISE_FACTOR * rows["± s.e."]]
        stayed = rows.drop(left.index)
        parts = []
        if len(left):
            parts.append("left the plateau from initial scale " + ", ".join(
                f"{r['initializer_range']:g} ({r['[MASK] acc %']:.1f}% ± {r['± s.e.']:.1f})"
                for _, r in left.iterrows()))
        if len(stayed):
            parts.append("did not rise above chance from " + ", ".join(
                f"{r['initializer_range']:g} ({r['[MASK] acc %']:.1f}%)" for _, r in stayed.iterrows()))
        smallest = rows.loc[rows["initializer_range"].idxmin()]
        best = rows.loc[rows["[MASK] acc %"].idxmax()]
        if best["initializer_range"] != smallest["initializer_range"]:
            parts.append(f"initial scale {best['initializer_range']:g} ends "
                         f"{best['[MASK] acc %'] / max(smallest['[MASK] acc %'], 1e-9):.1f} times as high as "
                         f"{smallest['initializer_range']:g}")
        lines.append(f"{optimizer}, step {int(rows['step'].iloc[0])}: " + "; ".join(parts))
    lines.append(f"(chance {chance:.1f}%; 'left' means above it by more than {NOISE_FACTOR:g} standard errors, "
                 f"n = {int(last['n'].iloc[0])} held-out masks)")
    return "\n".join(lines)


def plot_grid(frame: pd.DataFrame):
    """One panel per optimizer: [MASK] accuracy against steps, one line per initial scale, chance dashed."""
    import matplotlib.pyplot as plt

    optimizers = list(dict.fromkeys(frame["optimizer"]))
    fig, axes = plt.subplots(1, len(optimizers), figsize=(5.5 * len(optimizers), 3.8), sharey=True, squeeze=False)
    for ax, optimizer in zip(axes[0], optimizers, strict=True):
        for scale, rows in frame[frame["optimizer"] == optimizer].groupby("initializer_range"):
            ax.errorbar(rows["step"], rows["[MASK] acc %"], yerr=rows["± s.e."], marker="o", ms=3, capsize=2,
                        label=f"initial scale {scale:g}")
        ax.axhline(chance_accuracy(), color="black", ls="--", lw=1, label="chance (context ignored)")
        ax.set(title=optimizer, xlabel="step", ylabel="held-out accuracy at [MASK] (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(frame.attrs.get("run", ""), fontsize=8)
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- where a trained model looks

NEIGHBOUR_FACTOR = 2.0  # a head "looks at" an offset when it puts at least twice the uniform weight there


def offset_weights(weights: torch.Tensor, keep: torch.Tensor) -> dict[str, float]:
    """Attention weights ``(B, heads, S, S)`` of one layer, on real tokens (``keep``: (B, S), 1 = token): for
    each head, the mean weight a token puts on its left neighbour, on itself and on its right neighbour, each as
    a multiple of the uniform weight 1/n (n = the real tokens of its sequence). 1 everywhere means the layer
    averages its input, blind to position. Returns the largest multiple over heads for each offset."""
    keep = keep.bool()
    lengths = keep.sum(1).float()  # (B,)
    out = {}
    for name, offset in (("left neighbour", -1), ("itself", 0), ("right neighbour", 1)):
        diagonal = weights.diagonal(offset, dim1=-2, dim2=-1)  # (B, heads, S - |offset|): row i, column i + offset
        rows = torch.arange(diagonal.shape[-1]) + max(0, -offset)
        valid = keep[:, rows] & keep[:, rows + offset]  # both ends real tokens
        multiple = diagonal * lengths[:, None, None]
        per_head = (multiple * valid[:, None]).sum((0, 2)) / valid.sum().clamp_min(1)
        out[name] = float(per_head.max())
    return out


@torch.no_grad()
def where_layers_look(model: AlbertForPreTraining, batches) -> pd.DataFrame:
    """Per layer of ``model`` (in eval mode), on ``batches``: the largest multiple of the uniform weight that any
    head puts on the left neighbour, on the token itself and on the right neighbour (:func:`offset_weights`)."""
    model.eval()
    encoder = model.albert
    totals: dict[int, dict[str, float]] = {}
    for batch in batches:
        keep = batch["attention_mask"]
        # hidden_states[i] is what enters layer i: the weights are those the layer applies to it.
        states = encoder(batch["input_ids"], batch["token_type_ids"], keep, output_hidden_states=True).hidden_states
        bias = encoder.score_bias(keep, keep.shape[1], states[0].dtype, states[0].device)
        for layer, (a, _) in enumerate(encoder.encoder.plan):
            found = offset_weights(encoder.encoder.attention[a].weights(states[layer], bias), keep)
            for key, value in found.items():
                totals.setdefault(layer, {}).setdefault(key, 0.0)
                totals[layer][key] += value
    rows = [{"layer": layer, **{f"{key} x uniform": value / len(batches) for key, value in found.items()}}
            for layer, found in totals.items()]
    return pd.DataFrame(rows)


def describe_where_layers_look(frame: pd.DataFrame, name: str, at_start: pd.DataFrame | None = None) -> str:
    """Whether any head of any layer singles out a neighbour (at least NEIGHBOUR_FACTOR times the uniform weight);
    with ``at_start`` (the same measure on the untrained model), how much of that the model had before training."""
    columns = ["left neighbour x uniform", "right neighbour x uniform"]
    best = frame[columns].max().max()
    if best >= NEIGHBOUR_FACTOR:
        layer = int(frame.loc[frame[columns].max(axis=1).idxmax(), "layer"])
        line = (f"{name}: a head of layer {layer} puts {best:.1f} times the uniform weight on a neighbour: "
                "the model looks at where its neighbours are.")
    else:
        line = (f"{name}: no head of any layer puts more than {best:.2f} times the uniform weight on either neighbour "
                f"(a head that looks at a neighbour puts at least {NEIGHBOUR_FACTOR:g} times): the model has not "
                "singled out a word's neighbours, and without them a [MASK] has only the frequencies and the speech's "
                "words, averaged, to go on.")
    if at_start is not None:
        start = at_start[columns].max().max()
        change = "raised" if best > start else "lowered"
        line += (f" Untrained, with the same attention bias and random weights, it put {start:.1f} times: training "
                 f"{change} it.")
    return line


def sustained_crossing(tokens: Sequence[float], accuracy: Sequence[float], level: float) -> float | None:
    """The tokens read at the first evaluation from which the curve stays above ``level`` to its end, or None.

    One evaluation above the line can be noise (each reads a few hundred pairs); staying above cannot be a
    single lucky draw."""
    above = [value > level for value in accuracy]
    if not above or not above[-1]:
        return None
    first = len(above) - 1
    while first > 0 and above[first - 1]:
        first -= 1
    return float(tokens[first])


def describe_learning_curves(curves: dict[str, pd.DataFrame], neighbour_percent: float, paper_tokens: float,
                             final: dict[str, tuple[float, float, bool]] | None = None) -> str:
    """Per model (a frame of ``tokens`` and ``[MASK] acc %``): from how many tokens on it stays above the neighbour
    table (``neighbour_percent``, measured on the curve's own pairs), or how far below it ends; how far its run is
    from the paper's pretraining; and, with ``final`` (model minus neighbour table on every held-out pair: points,
    standard error, beyond the noise), the verdict that decides, since a curve reads a few speeches only."""
    lines = []
    for name, curve in curves.items():
        tokens, accuracy = curve["tokens"].tolist(), curve["[MASK] acc %"].tolist()
        crossed = sustained_crossing(tokens, accuracy, neighbour_percent)
        run = (f"its run read {tokens[-1] / 1e6:.1f}M tokens, "
               f"{paper_tokens / tokens[-1]:,.0f} times fewer than the paper's")
        if crossed is None:
            below = neighbour_percent - accuracy[-1]
            line = f"{name}: on the curve's pairs, ends {below:.1f} points below the neighbour table; {run}."
        else:
            line = (f"{name}: on the curve's pairs, above the neighbour table from {crossed / 1e6:.1f}M tokens on; "
                    f"{run}.")
        if final is not None:
            d, se, beyond = final[name]
            verdict = ("above it" if d > 0 else "below it") if beyond else "within the noise of it"
            line += f" On every held-out pair: {d:+.1f} ± {se:.1f} points, {verdict}."
        lines.append(line)
    return "\n".join(lines)
