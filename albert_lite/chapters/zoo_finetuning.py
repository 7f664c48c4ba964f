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

from ..data import make_loader
from ..data.classification import (
    ClassificationData,
    ClassificationDataset,
    collate_classification,
    sotu_classification_data,
)
from ..model import AlbertForSequenceClassification, AlbertModel
from ..statistics import clustered_mean
from ..training.finetune import classifier_from_pretrained, finetune, predict
from .baselines import bag_of_words_classifier
from .probes import probe_predictions
from .retrieval import mean_pool, sentence_embeddings


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
                              progress=progress, test=False)  # scored once, paragraph by paragraph, below
            labels, predicted, _ = predict(model, task.loader("heldout", 64))
            per_seed.append((labels == predicted).astype(float))
            rows.append({"model": name, "seed": seed, "test accuracy %": 100 * per_seed[-1].mean(),
                         "seconds": result.wall_time})
        correct[name] = np.mean(per_seed, axis=0)
    return ZooFinetuning(pd.DataFrame(rows), correct, [example.doc_id for example in task.heldout.examples],
                         bag_of_words_classifier(task, tokenizer.vocab_size), task)


@torch.no_grad()
def mean_features(encoder: AlbertModel, dataset: ClassificationDataset, batch_size: int = 64) -> torch.Tensor:
    """Each paragraph's frozen features: the mean of its last-layer vectors (unit length), as MiniLM embeds."""
    encoder.eval()
    loader = make_loader(dataset, batch_size, shuffle=False, drop_last=False, collate_fn=collate_classification)
    chunks = [mean_pool(encoder(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"]).last_hidden_state,
                        batch["attention_mask"]) for batch in loader]
    return torch.cat(chunks).float()


def frozen_feature_probes(runs: ZooFinetuning, albert: str = "albert-sotu", bert: str = "bert-sotu",
                          random_seed: int = 0) -> dict[str, np.ndarray]:
    """Per model, which held-out paragraphs a logistic regression on its frozen features gets right.

    No weight of the encoder moves: the probe reads what pretraining (or chance, for the random twin) put into
    the vectors. The packaged all-MiniLM-L6-v2, a sentence encoder trained on a billion sentence pairs, reads the
    same paragraphs with its own tokenizer, cut at the same length in its own pieces; it is left out, with a
    printed reason, where its package is not installed.
    """
    from ..interop.packaged import load_packaged_bert
    from ..zoo import load

    task = runs.task
    train_y = torch.as_tensor(task.train.labels)
    test_y = torch.as_tensor(task.heldout.labels)
    pretrained = load(albert).model
    torch.manual_seed(random_seed)  # right before the draw, so the random twin depends on the seed alone
    random_twin = AlbertModel(pretrained.config)
    encoders = {f"{albert}, frozen": pretrained.albert,
                f"{albert}'s shape, random init, frozen": random_twin,
                f"{bert}, frozen": load(bert).model.albert}
    features = {name: (mean_features(encoder, task.train), mean_features(encoder, task.heldout))
                for name, encoder in encoders.items()}
    try:
        minilm = load_packaged_bert()
    except (ImportError, FileNotFoundError) as error:
        print(f"all-MiniLM-L6-v2 left out: {error}")
    else:
        max_len = task.train.max_len
        features["all-MiniLM-L6-v2, frozen"] = tuple(
            sentence_embeddings(minilm.model, minilm.tokenizer, [e.text for e in dataset.examples],
                                max_length=max_len) for dataset in (task.train, task.heldout))
    return {name: (probe_predictions(train_x, train_y, test_x, task.num_labels) == test_y).float().numpy()
            for name, (train_x, test_x) in features.items()}


def accuracy_table(correct: dict[str, np.ndarray], speeches: list[str]) -> pd.DataFrame:
    """Accuracy of each model over the held-out paragraphs, its standard error clustered by speech, and n."""
    rows = []
    for name, right in correct.items():
        accuracy, se = clustered_mean(right, speeches)
        rows.append({"model": name, "test accuracy %": 100 * accuracy, "± by speech": 100 * se, "n": len(right),
                     "speeches": len(set(speeches))})
    return pd.DataFrame(rows)
