"""How far each layer moves its input (the paper's Figure 1): L2 distance and cosine similarity between a
layer's input and output, for shared and not-shared models.
"""

from __future__ import annotations

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
    """Per layer: mean L2 distance and angle between each real token's input and output vectors."""
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
        rows.append({"layer": layer + 1, "L2 distance": (b - a).norm(dim=-1).mean().item(),
                     "cosine similarity": cosine.mean().item(),
                     "angle (degrees)": torch.rad2deg(torch.arccos(cosine)).mean().item()})
    return pd.DataFrame(rows)


FIGURE_1_MODELS = (("not shared", "none"), ("all shared", "all"))


def _smoothness_batch(data: PreparedCorpus, s: ExperimentSettings) -> dict:
    """One held-out batch with its masked tokens put back: the text every model of Figure 1 reads."""
    batch = next(iter(data.loader("heldout", "sop", s.batch_size)))
    batch["input_ids"] = torch.where(batch["mlm_labels"] != IGNORE_INDEX, batch["mlm_labels"], batch["input_ids"])
    return batch


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
    return frame[["model", "weights", "seed", "layer", "L2 distance", "cosine similarity", "angle (degrees)"]]

