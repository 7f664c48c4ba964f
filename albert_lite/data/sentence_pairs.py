"""Sentence pairs for SOP and NSP: consecutive sentences packed into ``[CLS] A [SEP] B [SEP]``.

Every random choice comes from an explicit, seeded generator: the same seed gives the same
pairs on every machine.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..runtime import as_generator
from ..special_tokens import CLS_ID, SEP_ID

TASKS = ("sop", "nsp", None)


@dataclass
class PretrainingExample:
    """One unmasked training example.

    ``segment_a`` and ``segment_b`` are the token ids as they sit in ``input_ids`` (so for a
    swapped SOP pair ``segment_a`` is the text that came *second* in the document).
    ``sentence_label`` is 1 for "swapped" (SOP) or "B is from another document" (NSP), 0 for
    the true order, ``None`` for MLM-only examples (one segment, ``segment_b`` empty).
    """

    input_ids: list[int]
    token_type_ids: list[int]
    sentence_label: int | None
    document_id: str
    segment_a: list[int]
    segment_b: list[int]
    b_document_id: str | None = None

    def __len__(self) -> int:
        return len(self.input_ids)


def truncate_pair(a: list[int], b: list[int], max_tokens: int, rng: np.random.Generator) -> tuple[list, list]:
    """Cut the longer segment, one token at a time from its front or back at random, so
    neither segment is favoured and no position (start or end) is systematically lost."""
    a, b = list(a), list(b)
    while len(a) + len(b) > max_tokens:
        longer = a if len(a) > len(b) else b
        if rng.random() < 0.5:
            del longer[0]
        else:
            longer.pop()
    return a, b


def _join(sentences: Sequence[Sequence[int]]) -> list[int]:
    return [t for s in sentences for t in s]


def make_sentence_pairs(
    tokenized_docs: Sequence[Sequence[Sequence[int]]],
    task: str | None,
    max_seq_len: int,
    short_seq_prob: float = 0.1,
    seed: int | np.random.Generator = 0,
    *,
    doc_ids: Sequence[str] | None = None,
    cls_id: int = CLS_ID,
    sep_id: int = SEP_ID,
) -> list[PretrainingExample]:
    """Pack consecutive sentences of each document into examples for ``task`` ("sop", "nsp" or None).

    Sentences are gathered until a target length (``max_seq_len`` minus the special tokens;
    with probability ``short_seq_prob`` a random shorter one), then split at a random sentence
    boundary into A and B. SOP swaps A and B with probability 1/2 and never leaves the
    document; NSP replaces B with text from another document with probability 1/2 (and gives
    the unused sentences back for the next example). A chunk with a single sentence takes the
    next sentence too, so every pair has a real boundary to predict; a lone last sentence is
    dropped. With ``task=None`` each chunk becomes one segment (``[CLS] A [SEP]``).
    """
    if task not in TASKS:
        raise ValueError(f"task={task!r} is not allowed: choose one of {TASKS}")
    n_special = 3 if task else 2
    if max_seq_len < n_special + 2:
        raise ValueError(f"max_seq_len must be at least {n_special + 2} for task={task!r}, got {max_seq_len}")
    if not 0.0 <= short_seq_prob <= 1.0:
        raise ValueError(f"short_seq_prob must be in [0, 1], got {short_seq_prob}")
    if doc_ids is None:
        doc_ids = [str(i) for i in range(len(tokenized_docs))]
    if len(doc_ids) != len(tokenized_docs):
        raise ValueError(f"doc_ids has {len(doc_ids)} entries for {len(tokenized_docs)} documents")
    docs = [[list(s) for s in doc if len(s)] for doc in tokenized_docs]
    if task == "nsp" and sum(1 for d in docs if d) < 2:
        raise ValueError("NSP needs at least 2 non-empty documents to draw negatives from")
    rng = as_generator(seed)
    examples: list[PretrainingExample] = []
    for d in range(len(docs)):
        examples += _document_examples(docs, d, task, max_seq_len - n_special, short_seq_prob, rng, doc_ids,
                                       cls_id, sep_id)
    return examples


def _document_examples(docs: list[list[list[int]]], d: int, task: str | None, max_tokens: int,
                       short_seq_prob: float, rng: np.random.Generator, doc_ids: Sequence[str], cls_id: int,
                       sep_id: int) -> list[PretrainingExample]:
    """The examples of document ``d``, in order (see :func:`make_sentence_pairs`)."""
    examples: list[PretrainingExample] = []

    def draw_target() -> int:
        return int(rng.integers(2, max_tokens + 1)) if rng.random() < short_seq_prob else max_tokens

    sentences = docs[d]
    start, i, target = 0, 0, draw_target()
    while i < len(sentences):
        chunk = sentences[start : i + 1]
        length = sum(len(s) for s in chunk)
        last = i == len(sentences) - 1
        if length < target and not last:
            i += 1
            continue
        if task is None:
            a, _ = truncate_pair(_join(chunk), [], max_tokens, rng)
            examples.append(_single(a, doc_ids[d], cls_id, sep_id))
            start, i, target = i + 1, i + 1, draw_target()
            continue
        if len(chunk) < 2:  # one sentence cannot be split: borrow the next one (or drop it)
            i += 1
            continue
        a_end = int(rng.integers(1, len(chunk)))
        a, b = _join(chunk[:a_end]), _join(chunk[a_end:])
        label, b_doc, next_start = 0, d, i + 1
        if task == "nsp" and rng.random() < 0.5:
            label, b_doc = 1, _other_document(docs, d, rng)
            other = docs[b_doc]
            j = int(rng.integers(len(other)))
            b = []
            while j < len(other) and len(b) < max(1, target - len(a)):
                b += other[j]
                j += 1
            next_start = start + a_end  # the true continuation was not used: keep it
        elif task == "sop" and rng.random() < 0.5:
            label, a, b = 1, b, a
        a, b = truncate_pair(a, b, max_tokens, rng)
        examples.append(_pair(a, b, label, doc_ids[d], doc_ids[b_doc], cls_id, sep_id))
        start, i, target = next_start, next_start, draw_target()
    return examples


def _other_document(docs: list, d: int, rng: np.random.Generator) -> int:
    while True:
        j = int(rng.integers(len(docs)))
        if j != d and docs[j]:
            return j


def _pair(a, b, label, doc_id, b_doc_id, cls_id, sep_id) -> PretrainingExample:
    ids = [cls_id, *a, sep_id, *b, sep_id]
    types = [0] * (len(a) + 2) + [1] * (len(b) + 1)
    return PretrainingExample(ids, types, label, doc_id, a, b, b_doc_id)


def _single(a, doc_id, cls_id, sep_id) -> PretrainingExample:
    return PretrainingExample([cls_id, *a, sep_id], [0] * (len(a) + 2), None, doc_id, a, [], None)
