"""Labelled paragraphs for fine-tuning: a task that needs no download, and SST-2 online.

The offline task: from one paragraph of a State of the Union address, tell the era it was
given in (four eras by year, :data:`ERAS`). Examples are split *by speech*: every paragraph of
a held-out speech is unseen in training, so a model cannot score by recognising a speech it
already saw. Classes are balanced by sampling the same number of paragraphs per era, so
chance is 1 / 4.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch.utils.data import DataLoader, Dataset

from ..online import require_online
from ..special_tokens import CLS_ID, PAD_ID, SEP_ID
from .documents import Document
from .loaders import make_loader
from .pretraining_dataset import pad_batch
from .tokenizer import Tokenizer

# (name, first year, last year): four eras of the address, from the founding to today.
ERAS: tuple[tuple[str, int, int], ...] = (
    ("1790-1860", 1790, 1860),  # from Washington to the eve of the Civil War
    ("1861-1932", 1861, 1932),  # the Civil War, industrialisation, the First World War
    ("1933-1980", 1933, 1980),  # the New Deal, the Second World War, the Cold War
    ("1981-today", 1981, 9999),  # from Reagan on
)


ERA_NAMES: tuple[str, ...] = tuple(name for name, _, _ in ERAS)


def era_of(year: int) -> int:
    """The index in :data:`ERAS` of the era that contains ``year``."""
    for index, (_, first, last) in enumerate(ERAS):
        if first <= year <= last:
            return index
    raise ValueError(f"year={year!r} is outside every era: the addresses start in {ERAS[0][1]}")


def sotu_era_label(doc: Document) -> int:
    """A speech's era, from its ``year`` metadata (as :func:`~albert_lite.data.load_corpus` sets it)."""
    if "year" not in doc.metadata:
        raise ValueError(f"document {doc.id!r} has no 'year' metadata: era labels need State of the Union speeches")
    return era_of(int(doc.metadata["year"]))


@dataclass(frozen=True)
class LabelledText:
    """One example: a paragraph, its class, and the speech (document) it came from."""

    text: str
    label: int
    doc_id: str


def paragraph_examples(
    docs: Sequence[Document], label_of: Callable[[Document], int], min_words: int = 8
) -> list[LabelledText]:
    """Every paragraph of at least ``min_words`` words, labelled with its document's class.

    Very short paragraphs ("Thank you.", a lone salutation) carry almost no evidence either way.
    """
    examples = []
    for doc in docs:
        label = label_of(doc)
        for paragraph in doc.paragraphs:
            text = " ".join(paragraph)
            if len(text.split()) >= min_words:
                examples.append(LabelledText(text, label, doc.id))
    return examples


def balance(examples: Sequence[LabelledText], num_labels: int, per_label: int | None = None,
            seed: int = 0) -> list[LabelledText]:
    """The same number of examples of every class (a seeded sample; ``None``: as many as the rarest),
    in a seeded random order.

    Balanced classes make accuracy easy to read: chance is exactly ``1 / num_labels``.
    """
    by_label: dict[int, list[LabelledText]] = {k: [] for k in range(num_labels)}
    for example in examples:
        if not 0 <= example.label < num_labels:
            raise ValueError(f"label {example.label} is not in 0..{num_labels - 1}")
        by_label[example.label].append(example)
    smallest = min(len(group) for group in by_label.values())
    if smallest == 0:
        missing = [k for k, group in by_label.items() if not group]
        raise ValueError(f"no examples of label(s) {missing}: every class needs at least one example")
    if per_label is None:
        per_label = smallest
    if per_label > smallest:
        raise ValueError(f"per_label={per_label} is more than the rarest class has ({smallest})")
    rng = np.random.default_rng(seed)
    chosen = []
    for label in range(num_labels):
        group = by_label[label]
        chosen += [group[i] for i in rng.choice(len(group), size=per_label, replace=False).tolist()]
    # Mixed order, so that the first batches of an unshuffled loader already hold every class.
    return [chosen[i] for i in rng.permutation(len(chosen)).tolist()]


class ClassificationDataset(Dataset):
    """Texts encoded once as ``[CLS] text [SEP]`` (cut to ``max_len`` tokens), with their labels."""

    def __init__(self, examples: Sequence[LabelledText], tokenizer, max_len: int):
        if max_len < 3:
            raise ValueError(f"max_len={max_len} is not allowed: [CLS] text [SEP] needs at least 3 tokens")
        if not examples:
            raise ValueError("ClassificationDataset got no examples")
        self.examples = list(examples)
        self.max_len = max_len
        encoded = tokenizer.encode_batch([e.text for e in self.examples])
        self.ids = [[CLS_ID, *ids[: max_len - 2], SEP_ID] for ids in encoded]

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        ids = torch.tensor(self.ids[index], dtype=torch.long)
        return {
            "input_ids": ids,
            "token_type_ids": torch.zeros_like(ids),
            "labels": torch.tensor(self.examples[index].label, dtype=torch.long),
        }

    @property
    def labels(self) -> np.ndarray:
        return np.array([e.label for e in self.examples])


def collate_classification(batch: Sequence[dict[str, torch.Tensor]], pad_id: int = PAD_ID) -> dict[str, torch.Tensor]:
    """Padded classification batch: the result is ``AlbertForSequenceClassification(**batch)``'s input."""
    return pad_batch(batch, pad_id)


@dataclass
class ClassificationData:
    """A labelled training set and a held-out set from other documents (speeches), and the class names."""

    train: ClassificationDataset
    heldout: ClassificationDataset
    label_names: tuple[str, ...]

    @property
    def num_labels(self) -> int:
        return len(self.label_names)

    def loader(self, split: str, batch_size: int, seed: int = 0) -> DataLoader:
        """Shuffled, full batches for ``"train"``; every example in order for ``"heldout"``."""
        if split not in ("train", "heldout"):
            raise ValueError(f"split={split!r} is not allowed: use 'train' or 'heldout'")
        if split == "train":
            return make_loader(self.train, batch_size, seed=seed, collate_fn=collate_classification)
        return make_loader(self.heldout, batch_size, shuffle=False, drop_last=False, collate_fn=collate_classification)

    def describe(self) -> pd.DataFrame:
        """Examples and documents per class in each split: the table a chapter shows first."""
        rows = []
        for label, name in enumerate(self.label_names):
            row = {"label": label, "class": name}
            for split, data in (("train", self.train), ("heldout", self.heldout)):
                chosen = [e for e in data.examples if e.label == label]
                row[f"{split} examples"] = len(chosen)
                row[f"{split} documents"] = len({e.doc_id for e in chosen})
            rows.append(row)
        return pd.DataFrame(rows)


def classification_data(
    tokenizer: Tokenizer,
    max_len: int,
    train_docs: Sequence[Document],
    heldout_docs: Sequence[Document],
    label_of: Callable[[Document], int],
    label_names: Sequence[str],
    *,
    train_per_label: int | None = None,
    heldout_per_label: int | None = None,
    min_words: int = 8,
    seed: int = 0,
) -> ClassificationData:
    """Paragraph classification with training and held-out sets drawn from *different* documents, classes balanced."""
    train_ids, heldout_ids = {d.id for d in train_docs}, {d.id for d in heldout_docs}
    shared = sorted(train_ids & heldout_ids)
    if shared:
        raise ValueError(f"documents {shared[:3]} are in both splits: training and held-out sets must come from "
                         "different ones")
    num_labels = len(label_names)
    if num_labels < 2:
        raise ValueError(f"label_names={tuple(label_names)} is not allowed: a classifier needs at least 2 classes")
    splits = {}
    for name, docs, per_label, split_seed in (("train", train_docs, train_per_label, seed),
                                              ("heldout", heldout_docs, heldout_per_label, seed + 1)):
        if not docs:
            raise ValueError(f"no {name} documents given")
        examples = paragraph_examples(docs, label_of, min_words)
        try:
            examples = balance(examples, num_labels, per_label, seed=split_seed)
        except ValueError as error:
            raise ValueError(f"{name} split: {error}") from None
        splits[name] = ClassificationDataset(examples, tokenizer, max_len)
    return ClassificationData(splits["train"], splits["heldout"], tuple(label_names))


def sotu_classification_data(
    tokenizer: Tokenizer,
    max_len: int,
    train_docs: Sequence[Document],
    heldout_docs: Sequence[Document],
    *,
    train_per_label: int | None = None,
    heldout_per_label: int | None = None,
    min_words: int = 8,
    seed: int = 0,
) -> ClassificationData:
    """State of the Union paragraphs labelled with their era (:data:`ERAS`), split by speech.

    Pass the same document split the tokenizer and the pretraining used (e.g.
    ``albert_lite.data.prepare_corpus``): then no held-out speech was seen, even unlabelled, before it is measured.
    """
    return classification_data(
        tokenizer, max_len, train_docs, heldout_docs, sotu_era_label, ERA_NAMES,
        train_per_label=train_per_label, heldout_per_label=heldout_per_label, min_words=min_words, seed=seed,
    )


SST2_LABELS: tuple[str, ...] = ("negative", "positive")


def sst2_classification_data(
    tokenizer: Tokenizer, max_len: int, *, train_examples: int | None = None, seed: int = 0
) -> ClassificationData:
    """GLUE's SST-2 (movie-review sentences, negative or positive) through ``datasets``: online only.

    Its test labels are not public, so the validation split (872 sentences) is the held-out set.
    ``train_examples`` keeps a seeded sample of the 67,349 training sentences. Offline it fails
    within about 2 seconds with a clear message instead of waiting on the network.
    """
    datasets = require_online("datasets", "SST-2", "The era task, sotu_classification_data, works offline.")
    glue = datasets.load_dataset("nyu-mll/glue", "sst2")
    splits = {}
    for name, split in (("train", "train"), ("heldout", "validation")):
        rows = glue[split]
        examples = [LabelledText(text, int(label), f"sst2-{split}-{i}")
                    for i, (text, label) in enumerate(zip(rows["sentence"], rows["label"], strict=True))]
        if name == "train" and train_examples is not None and train_examples < len(examples):
            keep = np.random.default_rng(seed).choice(len(examples), size=train_examples, replace=False)
            examples = [examples[i] for i in keep.tolist()]
        splits[name] = ClassificationDataset(examples, tokenizer, max_len)
    return ClassificationData(splits["train"], splits["heldout"], SST2_LABELS)
