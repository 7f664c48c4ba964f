"""Sentence-order prediction against next-sentence prediction (the paper's Table 5), and sentence order on
pairs with room for whole sentences (chapter 2's check of the ablations' heads).
"""

from __future__ import annotations

import pandas as pd

from ..data import PreparedCorpus
from .baselines import pair_evidence, unigram_accuracy
from .experiment_settings import (
    ExperimentSettings,
    prepare,
    roomy_pairs_settings,
    scale_and_settings,
    short_pairs_settings,
    sop_vs_nsp_settings,
)
from .probes import sentence_task_measures
from .readings import sentence_head_diagnostics
from .runs import Job
from .training_runs import heldout_scores, pretrain, train_and_measure, trained_on

TABLE_5_MODELS = (("MLM only", None), ("MLM + NSP", "nsp"), ("MLM + SOP", "sop"))


def sop_vs_nsp(scale: str | None = None, corpus: str | None = None, progress: bool = True,
               **changes) -> pd.DataFrame:
    """Paper Table 5: MLM only, MLM + NSP and MLM + SOP with the same budget, on held-out documents.

    One row per (model, seed). Each sentence task is measured twice: by the model's own sentence
    head, as the paper does (the MLM-only model's head is untrained), and by a logistic-regression
    probe on its frozen pooled features, fitted on the same labelled pairs for every model.
    :func:`table_5_summary` gives the means over seeds, :func:`table_5_claims` checks the paper's claims.
    """
    scale, s = sop_vs_nsp_settings(scale, corpus, **changes)
    data = prepare(s)
    jobs = [Job(s.model_config(data.tokenizer.vocab_size), task, seed, {"trained with": name})
            for seed in s.seeds for name, task in TABLE_5_MODELS]
    frame = train_and_measure(_table_5_row, jobs, data, s, scale, "Table 5", progress)
    # The MLM column is the paper's (every target); at [MASK] only the context helps, and the unigram is the floor.
    frame["MLM [MASK] unigram %"] = 100 * unigram_accuracy(data, "sop", s.batch_size)
    return frame


def _table_5_row(job: Job, data: PreparedCorpus, s: ExperimentSettings) -> dict:
    model, result = pretrain(job.config, data, job.task, s, seed=job.seed)
    scores = heldout_scores(model, data, "sop", s.batch_size)
    return {**job.labels, "seed": job.seed, "MLM acc %": 100 * scores["mlm_accuracy"],
            "MLM [MASK] acc %": 100 * scores["mlm_mask_accuracy"],
            **sentence_task_measures(model, data, "nsp", s), **sentence_task_measures(model, data, "sop", s),
            "train time s": result.wall_time, "device": trained_on(result)}


def sentence_order_with_room(scale: str | None = None, progress: bool = True) -> pd.DataFrame:
    """The ablations' all-shared model trained on pairs with room for whole sentences, and on the ablations' own
    short pairs for as many steps, held-out SOP accuracy every few steps: whether its sentence head learns once the
    pairs keep their sentences' beginnings, and whether the short pairs' head learns given the same time.

    One row per pair length, seed and evaluation; ``attrs["pairs"]`` compares what the two pair lengths hold
    (:func:`pair_evidence`).
    """
    scale, tables = scale_and_settings(scale, None)
    _, s = roomy_pairs_settings(scale)
    short = short_pairs_settings(scale)
    runs = []
    for pair_settings in (s, short):
        data = prepare(pair_settings)
        jobs = [Job(pair_settings.model_config(data.tokenizer.vocab_size), "sop", seed,
                    {"sharing": "all", "tokens per pair": pair_settings.seq_len}) for seed in pair_settings.seeds]
        runs.append(train_and_measure(_sop_curve_rows, jobs, data, pair_settings, scale,
                                      f"{pair_settings.seq_len}-token pairs", progress))
    frame = pd.concat(runs, ignore_index=True)
    frame.attrs["pairs"] = pd.DataFrame([pair_evidence(prepare(short), "sop"), pair_evidence(prepare(s), "sop")])
    frame.attrs["run"] = "\n".join(run.attrs["run"] for run in runs)
    frame.attrs["wall s"] = sum(run.attrs["wall s"] for run in runs)
    frame.attrs["tables_steps"] = tables.steps  # the ablation tables' budget
    return frame


def _sop_curve_rows(job: Job, data: PreparedCorpus, s: ExperimentSettings) -> dict:
    _, result = pretrain(job.config, data, job.task, s, seed=job.seed, evaluations=8)
    history = result.history.dropna(subset=["heldout_sentence_accuracy"])
    rows = []
    for _, point in history.iterrows():
        scores = {name.removeprefix("heldout_"): value for name, value in point.items()}  # evaluate()'s names
        rows.append({**job.labels, "seed": job.seed, "step": int(point["step"]),
                     "SOP acc %": 100 * scores["sentence_accuracy"], **sentence_head_diagnostics(scores),
                     "MLM acc %": 100 * scores["mlm_accuracy"]})
    return {"rows": rows, "device": trained_on(result)}

