"""Chapter 9's question asked of the zoo: does an hour of pretraining help a downstream task?

The zoo's models are fine-tuned on the era of State of the Union paragraphs, on the zoo's own split (its
held-out speeches were never read in pretraining), beside the same ALBERT from random weights and a bag of
words, with the same budget, seeds and batch order for every model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch

from ..data.classification import ClassificationData, sotu_classification_data
from ..model import AlbertForSequenceClassification
from ..training.finetune import classifier_from_pretrained, finetune, predict
from .baselines import bag_of_words_classifier


@dataclass
class ZooFinetuning:
    scores: pd.DataFrame  # one row per model and seed: test accuracy, fine-tuning seconds
    correct: dict[str, np.ndarray]  # per model: each held-out paragraph's accuracy, averaged over the seeds
    speeches: list[str]  # the speech of each held-out paragraph, for errors clustered by speech
    bag_of_words: dict  # baselines.bag_of_words_classifier on the same paragraphs
    task: ClassificationData


def finetune_zoo(budget: dict, albert: str = "albert-sotu", bert: str = "bert-sotu",
                 progress: bool = False) -> ZooFinetuning:
    """Fine-tune ``albert`` and ``bert`` from the zoo, and ``albert``'s shape from random weights, with chapter 9's
    ``budget`` (max_len, train_per_label, steps, batch_size, lr, seeds) on the zoo's split of the speeches."""
    from ..zoo import corpus_of, load

    shipped = {name: load(name) for name in (albert, bert)}
    tokenizer = shipped[albert].tokenizer
    data = corpus_of(albert, tokenizer)
    task = sotu_classification_data(tokenizer, budget["max_len"], data.train_docs, data.heldout_docs,
                                    train_per_label=budget["train_per_label"], seed=0)
    builds = {
        f"{albert}, pretrained": lambda: classifier_from_pretrained(shipped[albert].model, task.num_labels),
        f"{albert}'s shape, random init": lambda: AlbertForSequenceClassification(shipped[albert].model.config,
                                                                                  task.num_labels),
        f"{bert}, pretrained": lambda: classifier_from_pretrained(shipped[bert].model, task.num_labels),
    }
    rows, correct = [], {}
    for name, build in builds.items():
        per_seed = []
        for seed in budget["seeds"]:
            torch.manual_seed(seed)  # the same head for the pretrained and the random ALBERT, the same batch order
            model = build()
            result = finetune(model, task, budget["steps"], budget["batch_size"], budget["lr"], seed=seed,
                              progress=progress)
            labels, predicted, _ = predict(model, task.loader("heldout", 64))
            per_seed.append((labels == predicted).astype(float))
            rows.append({"model": name, "seed": seed, "test accuracy %": 100 * per_seed[-1].mean(),
                         "seconds": result.wall_time})
        correct[name] = np.mean(per_seed, axis=0)
    return ZooFinetuning(pd.DataFrame(rows), correct, [example.doc_id for example in task.heldout.examples],
                         bag_of_words_classifier(task, tokenizer.vocab_size), task)
