"""The paper's ablations at a scale that runs in minutes: Table 3 (embedding size E), Table 4 (what is
shared) and Table 11 (depth at equal parameters). Each returns one row per model and seed.
"""

from __future__ import annotations

import math

import pandas as pd

from ..data import PreparedCorpus
from ..params import count_parameters
from ..training import evaluate
from .baselines import unigram_accuracy
from .experiment_settings import ExperimentSettings, prepare, scale_and_settings
from .paper import PAPER_TABLE_3, PAPER_TABLE_4, PAPER_TABLE_11
from .readings import sentence_head_diagnostics
from .runs import Job
from .training_runs import heldout_scores, pretrain, train_and_measure, trained_on


def _ablation(variants: list[tuple[dict, dict]], s: ExperimentSettings, scale: str, desc: str,
              progress: bool) -> pd.DataFrame:
    """Train one MLM + SOP model per variant (config changes, extra columns) and seed, and measure it."""
    data = prepare(s)
    jobs = [Job(s.model_config(data.tokenizer.vocab_size, **changes), "sop", seed, columns)
            for changes, columns in variants for seed in s.seeds]
    frame = train_and_measure(_ablation_row, jobs, data, s, scale, desc, progress)
    frame["MLM unigram %"] = 100 * unigram_accuracy(data, "sop", s.batch_size)
    return frame


def _ablation_row(job: Job, data: PreparedCorpus, s: ExperimentSettings) -> dict:
    model, result = pretrain(job.config, data, job.task, s, seed=job.seed)
    scores = heldout_scores(model, data, "sop", s.batch_size)
    train_scores = evaluate(model, data.loader("train", "sop", s.batch_size, seed=job.seed), max_batches=8)
    return {**job.labels, "seed": job.seed, "parameters": count_parameters(job.config)["total"],
            "MLM acc %": 100 * scores["mlm_mask_accuracy"], "MLM n": int(scores["mlm_mask_tokens"]),
            "SOP acc %": 100 * scores["sentence_accuracy"], **sentence_head_diagnostics(scores),
            "SOP acc on training pairs %": 100 * train_scores["sentence_accuracy"],
            "MLM loss": scores["mlm_loss"], "train time s": result.wall_time, "device": trained_on(result)}


def sharing_variants(s: ExperimentSettings) -> list[tuple[dict, dict]]:
    """Table 4's models: (config changes, table columns) for each strategy and two group sizes."""
    layers = s.num_layers
    variants = [
        (dict(sharing=mode), {"strategy": mode, "M": layers if mode != "none" else 1,
                              "paper params (E=128)": PAPER_TABLE_4[mode][0],
                              "paper avg (E=128)": PAPER_TABLE_4[mode][1]})
        for mode in ("none", "attention", "ffn", "all")
    ]
    for m in [m for m in range(2, layers) if layers % m == 0][:2]:
        variants.append((dict(sharing="all", group_size=m),
                         {"strategy": f"all, groups of M={m}", "M": m, "paper params (E=128)": "",
                          "paper avg (E=128)": math.nan}))
    return variants


def sharing_ablation(scale: str | None = None, corpus: str | None = None, progress: bool = True,
                     **changes) -> pd.DataFrame:
    """Paper Table 4: not shared, attention only, FFN only, all shared, and groups of M layers."""
    scale, s = scale_and_settings(scale, corpus, **changes)
    return _ablation(sharing_variants(s), s, scale, "Table 4", progress)


def embedding_variants(s: ExperimentSettings) -> list[tuple[dict, dict]]:
    """Table 3's models: each embedding size E, not shared and all shared."""
    # Our sizes stand in for the paper's in order (smallest for 64, ...); E = H stands for E = 768.
    paper_e = (64, 128, 256)
    variants = []
    for sharing in ("none", "all"):
        for rank, e in enumerate(s.embedding_sizes):
            stand_in = 768 if e == s.hidden_size else paper_e[rank] if rank < len(paper_e) else None
            paper = PAPER_TABLE_3.get((sharing, stand_in), ("", math.nan))
            variants.append((dict(sharing=sharing, embedding_size=e),
                             {"sharing": sharing, "E": e, "stands for paper E": stand_in or math.nan,
                              "paper params": paper[0], "paper avg": paper[1]}))
    return variants


def embedding_ablation(scale: str | None = None, corpus: str | None = None, progress: bool = True,
                       **changes) -> pd.DataFrame:
    """Paper Table 3: several embedding sizes E, not shared and all shared."""
    scale, s = scale_and_settings(scale, corpus, **changes)
    return _ablation(embedding_variants(s), s, scale, "Table 3", progress)


def depth_variants(s: ExperimentSettings) -> list[tuple[dict, dict]]:
    """Table 11's models: all shared, one per depth; the parameter count does not move."""
    return [(dict(num_layers=depth, sharing="all"), {"L": depth, "paper avg": PAPER_TABLE_11.get(depth, math.nan)})
            for depth in s.depths]


def depth_at_equal_params(scale: str | None = None, corpus: str | None = None, progress: bool = True,
                          **changes) -> pd.DataFrame:
    """Paper Table 11: all-shared models of increasing depth; the parameter count does not move."""
    scale, s = scale_and_settings(scale, corpus, **changes)
    return _ablation(depth_variants(s), s, scale, "Table 11", progress)

