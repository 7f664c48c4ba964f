"""How far each layer moves its input (the paper's Figure 1): L2 distance and cosine similarity between a
layer's input and output, for shared and not-shared models.
"""

from __future__ import annotations

import itertools

import pandas as pd
import torch

from ..data import PreparedCorpus
from ..model import IGNORE_INDEX, AlbertForPreTraining, AlbertModel
from ..runtime import preserved_random_state
from .experiment_settings import ExperimentSettings, prepare, scale_and_settings, smoothness_settings
from .runs import Job
from .training_runs import pretrain, train_and_measure, trained_on


@torch.no_grad()
def transition_distances(model: AlbertForPreTraining | AlbertModel, batch: dict) -> pd.DataFrame:
    """Per layer: mean L2 distance and angle between each real token's input and output vectors, and the mean
    norm of the input (the first layer's, the projected embedding, is at another scale than the others')."""
    model.eval()
    device = next(model.parameters()).device
    mask = batch["attention_mask"].to(device).bool()
    encoder = model.albert if isinstance(model, AlbertForPreTraining) else model
    states = encoder(batch["input_ids"].to(device), batch["token_type_ids"].to(device),
                          batch["attention_mask"].to(device), output_hidden_states=True).hidden_states
    rows = []
    for layer, (before, after) in enumerate(zip(states[:-1], states[1:], strict=True)):
        a, b = before[mask].float(), after[mask].float()
        cosine = torch.nn.functional.cosine_similarity(a, b, dim=-1).clamp(-1, 1)
        rows.append({"layer": layer + 1, "input norm": a.norm(dim=-1).mean().item(),
                     "L2 distance": (b - a).norm(dim=-1).mean().item(),
                     "cosine similarity": cosine.mean().item(),
                     "angle (degrees)": torch.rad2deg(torch.arccos(cosine)).mean().item()})
    return pd.DataFrame(rows)


FIGURE_1_MODELS = (("not shared", "none"), ("all shared", "all"))


def _unmasked(batch: dict) -> dict:
    """The batch with its masked tokens put back: Figure 1's models read the text itself."""
    batch["input_ids"] = torch.where(batch["mlm_labels"] != IGNORE_INDEX, batch["mlm_labels"], batch["input_ids"])
    return batch


def _smoothness_batch(data: PreparedCorpus, s: ExperimentSettings) -> dict:
    """One held-out batch, unmasked: the text every model of Figure 1 reads."""
    return _unmasked(next(iter(data.loader("heldout", "sop", s.batch_size))))


def _smoothness_rows(job: Job, data: PreparedCorpus, s: ExperimentSettings) -> dict:
    if job.labels["weights"] == "trained":
        model, result = pretrain(job.config, data, job.task, s, seed=job.seed)
        device = trained_on(result)
    else:  # the same network at its initialisation: what the architecture does before any training
        with preserved_random_state():
            torch.manual_seed(job.seed)
            model, device = AlbertForPreTraining(job.config), "cpu"
    frame = transition_distances(model, _smoothness_batch(data, s))
    return {"rows": frame.assign(**job.labels, seed=job.seed).to_dict("records"), "device": device}


def layer_smoothness(scale: str | None = None, corpus: str | None = None, progress: bool = True,
                     **changes) -> pd.DataFrame:
    """Paper Figure 1: how far each layer moves its input, for not-shared and all-shared models, trained and
    with random weights (so training's effect shows apart from the architecture's), one row per layer and seed."""
    scale, s = scale_and_settings(scale, corpus, **changes)
    s = smoothness_settings(s, scale)
    data = prepare(s)
    jobs = [Job(s.model_config(data.tokenizer.vocab_size, sharing=sharing), "sop", seed,
                {"model": name, "weights": weights})
            for weights in ("trained", "random") for name, sharing in FIGURE_1_MODELS for seed in s.seeds]
    trained = sum(job.labels["weights"] == "trained" for job in jobs)
    frame = train_and_measure(_smoothness_rows, jobs, data, s, scale, "Figure 1", progress, models=trained)
    out = frame[["model", "weights", "seed", "layer", "input norm", "L2 distance", "cosine similarity",
                 "angle (degrees)"]]
    out.attrs.update(steps=s.steps, corpus=s.corpus)
    return out


def zoo_layer_smoothness(names: tuple[str, ...] = ("albert-sotu", "bert-sotu"), batches: int = 4) -> pd.DataFrame:
    """Figure 1 on the zoo's models, trained for an hour, and on each one's own initial weights (its recipe's
    seed, before the first step): one row per model, weights, held-out batch and layer. The batches are the
    only spread: one trained model per recipe says nothing of how another seed would differ."""
    from ..zoo import ZOO_RECIPES, corpus_of, load

    rows, steps, lines = [], {}, []
    for name in names:
        shipped, recipe = load(name), ZOO_RECIPES[name]
        steps[name] = shipped.card["steps_done"]
        lines.append(f"{name}: {shipped.card['parameters']:,} parameters, {steps[name]:,} steps")
        with preserved_random_state():
            torch.manual_seed(recipe.seed)  # as the zoo's training run does before building its model
            initial = AlbertForPreTraining(recipe.model_config(shipped.tokenizer.vocab_size)).eval()
        heldout = corpus_of(name, shipped.tokenizer).loader("heldout", recipe.task, recipe.batch_size)
        for number, batch in enumerate(map(_unmasked, itertools.islice(heldout, batches))):
            for weights, model in (("trained", shipped.model), ("random", initial)):
                rows += transition_distances(model, batch).assign(model=name, weights=weights,
                                                                  batch=number).to_dict("records")
    frame = pd.DataFrame(rows)
    frame.attrs.update(steps=steps, run="; ".join(lines) + f"; {batches} held-out batches of {recipe.batch_size} "
                       f"pairs of {recipe.seq_len} tokens")
    return frame
