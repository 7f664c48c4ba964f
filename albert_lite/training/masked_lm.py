"""Masked LM measured where the context shows, at the targets that hold [MASK], target by target.

A model's answers there (:func:`masked_predictions`) and those of the cheap predictors it is measured
against come in one order, with the document each target comes from, so that a difference can be
paired target by target and its uncertainty clustered by document.

* **unigram**: always the most frequent piece of the training text. A model sits exactly here until it
  uses anything but frequency.
* **neighbours**: the piece seen most often between the visible left and right neighbours in the training
  text, else after the left one, else before the right one, else the unigram answer. Tables of counts, no
  learning: a model that beats this uses more context than the next piece on either side.

Both read the same held-out batches as :func:`~albert_lite.training.metrics.evaluate`, so their n is the
model's n of [MASK] positions, and the differences are paired, target by target.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader

from ..special_tokens import IGNORE_INDEX, MASK_ID
from ..statistics import clustered_mean, paired_difference


def piece_counts(sequences: Iterable[Sequence[int]], vocab_size: int, special_ids: Iterable[int] = ()) -> np.ndarray:
    """How often each piece occurs in ``sequences``; special pieces count 0, since they are never a target. Every
    unigram answer and unigram loss in the book is counted here, so they cannot disagree."""
    counts = np.zeros(vocab_size, dtype=np.int64)
    for ids in sequences:
        counts += np.bincount(np.asarray(ids, dtype=np.int64), minlength=vocab_size)[:vocab_size]
    counts[np.fromiter(special_ids, dtype=np.int64)] = 0
    return counts


def most_frequent_piece(sequences: Iterable[Sequence[int]], vocab_size: int, special_ids: Iterable[int] = ()) -> int:
    """The unigram's answer: the most frequent non-special piece of the training text (ties: the smaller id)."""
    return int(piece_counts(sequences, vocab_size, special_ids).argmax())


class NeighbourTable:
    """Counts of (left, middle, right) pieces in training sequences, and the best middle for each context."""

    def __init__(self, sequences: Iterable[Sequence[int]], vocab_size: int, special_ids: Iterable[int] = ()):
        self.vocab_size = vocab_size
        sequences = [np.asarray(ids, dtype=np.int64) for ids in sequences]
        special_ids = list(special_ids)
        self.most_frequent = most_frequent_piece(sequences, vocab_size, special_ids)
        left, middle, right = [], [], []
        for ids in sequences:
            if len(ids) >= 3:
                left.append(ids[:-2]), middle.append(ids[1:-1]), right.append(ids[2:])
        left, middle, right = (np.concatenate(x) if x else np.zeros(0, np.int64) for x in (left, middle, right))
        never = np.isin(middle, np.fromiter(special_ids, dtype=np.int64))  # a special piece is never a target
        left, middle, right = left[~never], middle[~never], right[~never]
        v = np.int64(vocab_size)
        self._both = self._best(left * v + right, middle)
        self._left = self._best(left, middle)
        self._right = self._best(right, middle)

    def _best(self, context: np.ndarray, middle: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(sorted contexts, the most frequent middle of each): ties go to the smaller piece id."""
        if not len(context):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        pairs = context * np.int64(self.vocab_size) + middle
        keys, counts = np.unique(pairs, return_counts=True)
        ctx, mid = keys // self.vocab_size, keys % self.vocab_size
        order = np.lexsort((mid, -counts, ctx))  # by context, then most frequent, then smallest id
        ctx, mid = ctx[order], mid[order]
        first = np.r_[True, ctx[1:] != ctx[:-1]]
        return ctx[first], mid[first]

    @staticmethod
    def _lookup(table: tuple[np.ndarray, np.ndarray], keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        contexts, answers = table
        if not len(contexts):
            return np.zeros(len(keys), bool), np.zeros(len(keys), np.int64)
        at = np.clip(np.searchsorted(contexts, keys), 0, len(contexts) - 1)
        return contexts[at] == keys, answers[at]

    def predict(self, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """The guess for each target from its left and right neighbour as the model sees them; a neighbour that
        is [MASK] (or missing, -1) is not used."""
        left, right = np.asarray(left, np.int64), np.asarray(right, np.int64)
        see_left, see_right = (left >= 0) & (left != MASK_ID), (right >= 0) & (right != MASK_ID)
        guess = np.full(len(left), self.most_frequent, dtype=np.int64)
        for table, keys, usable in ((self._right, right, see_right), (self._left, left, see_left),
                                    (self._both, left * np.int64(self.vocab_size) + right, see_left & see_right)):
            found, answer = self._lookup(table, keys)  # later tables overwrite: both sides beat one side
            use = usable & found
            guess[use] = answer[use]
        return guess


def _in_order(loader: DataLoader | Sequence[dict]) -> None:
    """A shuffled loader would pair each answer with another target on every pass: refuse it."""
    sampler = getattr(loader, "sampler", None)  # a list of batches has none, and is in order
    if isinstance(sampler, torch.utils.data.RandomSampler) or getattr(sampler, "shuffle", False):
        raise ValueError("target-by-target measures need the held-out loader in order (shuffle=False)")


def masked_targets(loader: DataLoader | Sequence[dict]) -> dict[str, np.ndarray]:
    """Every target of the loader's batches that shows [MASK]: its piece, its visible neighbours (-1 at an
    edge) and its document (the example's ``document_id``, when the dataset's examples have one)."""
    _in_order(loader)
    examples = getattr(getattr(loader, "dataset", None), "examples", None)  # none for a list of batches
    targets, lefts, rights, documents, seen = [], [], [], [], 0
    for batch in loader:
        labels, shown = batch["mlm_labels"], batch["input_ids"]
        rows, cols = torch.nonzero((labels != IGNORE_INDEX) & (shown == MASK_ID), as_tuple=True)
        padded = torch.nn.functional.pad(shown, (1, 1), value=-1)  # column c of shown is c + 1 here
        targets.append(labels[rows, cols].numpy())
        lefts.append(padded[rows, cols].numpy())
        rights.append(padded[rows, cols + 2].numpy())
        if examples is not None:
            documents += [str(examples[seen + int(r)].document_id) for r in rows]
        seen += len(labels)
    cat = (lambda parts: np.concatenate(parts)) if targets else (lambda parts: np.zeros(0, np.int64))
    return {"target": cat(targets), "left": cat(lefts), "right": cat(rights),
            "document": np.array(documents if examples is not None else [""] * sum(map(len, targets)))}


@torch.no_grad()
def masked_predictions(model: torch.nn.Module, loader: DataLoader | Sequence[dict]) -> np.ndarray:
    """The model's answer at every [MASK] target of ``loader``, in :func:`masked_targets`' order."""
    from .metrics import evaluation_mode
    from .stream import move_to

    _in_order(loader)
    device = next(model.parameters()).device
    answers = []
    with evaluation_mode(model):
        for batch in loader:
            batch = move_to(batch, device)
            labels = batch["mlm_labels"]
            selected = labels != IGNORE_INDEX
            best = model(**batch).mlm_logits.argmax(-1)  # one row per selected target, in row-major order
            answers.append(best[batch["input_ids"][selected] == MASK_ID].cpu().numpy())
    return np.concatenate(answers) if answers else np.zeros(0, np.int64)


def baseline_answers(train_sequences: Iterable[Sequence[int]], targets: dict[str, np.ndarray], vocab_size: int,
                     special_ids: Iterable[int]) -> dict[str, np.ndarray]:
    """The unigram's and the neighbour table's answer at each target of :func:`masked_targets`.

    ``train_sequences`` are the training examples' original ids: the tables are counted there, never on
    held-out text.
    """
    table = NeighbourTable(train_sequences, vocab_size, special_ids)
    return {"unigram": np.full(len(targets["target"]), table.most_frequent, dtype=np.int64),
            "neighbours": table.predict(targets["left"], targets["right"])}


# How each answerer is named in tables and readings.
MODEL, NEIGHBOURS, UNIGRAM = "model", "neighbour table", "unigram"


@dataclass
class MaskedLMEvidence:
    """Right or wrong, target by target at [MASK], for the model and the two baselines, with documents."""

    correct: dict[str, np.ndarray]
    documents: np.ndarray

    @property
    def n(self) -> int:
        return len(self.documents)

    def accuracy(self, name: str) -> tuple[float, float]:
        """Accuracy in % and its standard error, clustered by document."""
        mean, se = clustered_mean(self.correct[name], self.documents)
        return 100 * mean, 100 * se

    def versus(self, a: str, b: str) -> tuple[float, float, bool]:
        """``a`` minus ``b`` in points, paired target by target and clustered by document, and whether it is real."""
        d, se, beyond = paired_difference(self.correct[a], self.correct[b], self.documents)
        return 100 * d, 100 * se, beyond

    def table(self) -> pd.DataFrame:
        rows = []
        for name in self.correct:
            accuracy, se = self.accuracy(name)
            rows.append({"answers": name, "[MASK] acc %": accuracy, "± s.e.": se, "n targets": self.n,
                         "documents": len(np.unique(self.documents))})
        return pd.DataFrame(rows)


def masked_lm_evidence(model: torch.nn.Module, heldout: DataLoader, train_sequences: Iterable[Sequence[int]],
                       vocab_size: int, special_ids: Iterable[int]) -> MaskedLMEvidence:
    """The model and both baselines answer every [MASK] target of ``heldout`` (in order, not shuffled)."""
    targets = masked_targets(heldout)
    baselines = baseline_answers(train_sequences, targets, vocab_size, special_ids)
    answers = {MODEL: masked_predictions(model, heldout), NEIGHBOURS: baselines["neighbours"],
               UNIGRAM: baselines["unigram"]}
    return MaskedLMEvidence({name: (answer == targets["target"]).astype(float) for name, answer in answers.items()},
                            targets["document"])
