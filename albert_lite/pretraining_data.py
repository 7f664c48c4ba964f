"""From tokenized documents to training batches: sentence pairs, n-gram masking, padding.

Three steps, as in ALBERT's recipe:

1. ``make_sentence_pairs`` packs consecutive sentences into ``[CLS] A [SEP] B [SEP]`` and
   labels the pair for sentence-order prediction (SOP) or next-sentence prediction (NSP).
2. ``ngram_mask`` chooses whole-word n-grams (n <= 3, p(n) proportional to 1/n) covering
   about 15% of the tokens and corrupts them 80/10/10.
3. ``PretrainingDataset`` + ``collate`` mask once (static) or every epoch (dynamic) and pad
   into the dict that ``AlbertForPreTraining(**batch)`` takes.

Every random choice comes from an explicit, seeded generator: the same seed gives the same
pairs and the same masks on every machine.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from .model import IGNORE_INDEX
from .tokenizer import CLS_ID, MASK_ID, PAD_ID, SEP_ID

TASKS = ("sop", "nsp", None)
MASKING = ("static", "dynamic")

Rng = np.random.Generator | random.Random


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


# --------------------------------------------------------------------------- sentence pairs


def _as_generator(rng: Rng | int | None) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, random.Random):
        return np.random.default_rng(rng.getrandbits(64))
    if rng is None or isinstance(rng, int | np.integer):
        return np.random.default_rng(rng)
    raise TypeError(f"rng must be a numpy Generator, a random.Random or an int seed, got {type(rng).__name__}")


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
    rng = _as_generator(seed)
    max_tokens = max_seq_len - n_special
    examples: list[PretrainingExample] = []

    def draw_target() -> int:
        return int(rng.integers(2, max_tokens + 1)) if rng.random() < short_seq_prob else max_tokens

    for d, sentences in enumerate(docs):
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


# --------------------------------------------------------------------------- n-gram masking


def ngram_probabilities(max_ngram: int = 3) -> np.ndarray:
    """p(n) proportional to 1/n: for n <= 3 that is 6/11, 3/11, 2/11. Short spans dominate."""
    if max_ngram < 1:
        raise ValueError(f"max_ngram must be >= 1, got {max_ngram}")
    p = 1.0 / np.arange(1, max_ngram + 1)
    return p / p.sum()


def word_spans(
    token_ids: Sequence[int], is_word_start: np.ndarray | Callable[[int], bool], special_ids
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Whole words as token ranges ``[begin, end)``, plus the segment each word sits in.

    A word begins at a "▁" piece or right after a special token; special tokens belong to no
    word and separate segments, so an n-gram can never straddle ``[SEP]``.
    """
    ids = np.asarray(token_ids, dtype=np.int64)
    special = np.isin(ids, np.fromiter(special_ids, dtype=np.int64))
    if callable(is_word_start):
        starts = np.fromiter((bool(is_word_start(int(t))) for t in ids), dtype=bool, count=len(ids))
    else:
        starts = np.asarray(is_word_start, dtype=bool)[ids]
    after_special = np.r_[True, special[:-1]]
    begins = np.flatnonzero(~special & (starts | after_special))
    stops = np.union1d(begins, np.r_[np.flatnonzero(special), len(ids)])
    ends = stops[np.searchsorted(stops, begins, side="right")]
    segment = np.cumsum(special)[begins] if len(begins) else begins
    return begins, ends, segment


def ngram_mask(
    token_ids: Sequence[int],
    is_word_start: np.ndarray | Callable[[int], bool],
    *,
    rng: Rng,
    mask_id: int = MASK_ID,
    vocab_size: int,
    special_ids=frozenset({PAD_ID, CLS_ID, SEP_ID, MASK_ID}),
    mask_prob: float = 0.15,
    max_ngram: int = 3,
    max_predictions: int = 20,
    replace_probs: tuple[float, float, float] = (0.8, 0.1, 0.1),
    return_spans: bool = False,
):
    """ALBERT's n-gram masking on whole words. Returns ``(masked_ids, labels)``.

    The budget is ``min(max_predictions, max(1, round(mask_prob * non-special tokens)))``.
    Words are visited in random order; each has an n drawn with p(n) ∝ 1/n (renormalised
    over the words left in its segment), shortened while the n-gram would exceed the budget,
    and skipped if it overlaps a chosen one. Each chosen token becomes ``[MASK]``,
    stays, or becomes a random non-special token with ``replace_probs`` (80/10/10).
    ``labels`` holds the original id where a prediction is due and -100 elsewhere. With
    ``return_spans`` a third value lists the chosen ``(begin, end, n)``.
    """
    if not 0.0 <= mask_prob <= 1.0:
        raise ValueError(f"mask_prob must be in [0, 1], got {mask_prob}")
    if max_predictions < 0:
        raise ValueError(f"max_predictions must be >= 0, got {max_predictions}")
    if len(replace_probs) != 3 or abs(sum(replace_probs) - 1.0) > 1e-6 or min(replace_probs) < 0:
        raise ValueError(f"replace_probs must be 3 probabilities summing to 1, got {replace_probs}")
    rng = _as_generator(rng)
    ids = np.asarray(token_ids, dtype=np.int64)
    masked, labels = ids.copy(), np.full(len(ids), IGNORE_INDEX, dtype=np.int64)
    begins, ends, segment = word_spans(ids, is_word_start, special_ids)
    n_tokens = int((ends - begins).sum())
    budget = min(max_predictions, max(1, round(n_tokens * mask_prob))) if mask_prob > 0 else 0
    spans: list[tuple[int, int, int]] = []
    if len(begins) and budget:
        # One uniform number per word decides its n by the inverse CDF of p(n) ∝ 1/n, cut to
        # the words left in its segment ("room"); drawn up front so the loop below is cheap.
        order = rng.permutation(len(begins))
        u = rng.random(len(begins))
        room = np.searchsorted(segment, segment, side="right") - np.arange(len(begins))
        cdf = np.cumsum(ngram_probabilities(max_ngram))
        n_max = np.minimum(max_ngram, room)
        n_drawn = np.minimum(np.searchsorted(cdf, u * cdf[n_max - 1], side="right") + 1, n_max)
        begins_l, ends_l, n_l = begins.tolist(), ends.tolist(), n_drawn.tolist()
        covered = np.zeros(len(ids), dtype=bool)
        n_chosen = 0
        for w in order.tolist():
            if n_chosen >= budget:
                break
            n = n_l[w]
            while n > 1 and n_chosen + ends_l[w + n - 1] - begins_l[w] > budget:
                n -= 1  # too long for what is left of the budget: try a shorter n-gram
            lo, hi = begins_l[w], ends_l[w + n - 1]
            if n_chosen + hi - lo > budget or covered[lo:hi].any():
                continue
            covered[lo:hi] = True
            n_chosen += hi - lo
            spans.append((lo, hi, n))
        positions = np.flatnonzero(covered)
        labels[positions] = ids[positions]
        action = rng.random(len(positions))
        p_mask, p_keep, _ = replace_probs
        to_mask = positions[action < p_mask]
        to_random = positions[action >= p_mask + p_keep]
        masked[to_mask] = mask_id
        masked[to_random] = _random_tokens(len(to_random), vocab_size, special_ids, rng)
    if return_spans:
        return masked, labels, sorted(spans)
    return masked, labels


def _random_tokens(k: int, vocab_size: int, special_ids, rng: np.random.Generator) -> np.ndarray:
    """Uniform over the vocabulary without special symbols (a random [CLS] would teach nothing)."""
    allowed = np.setdiff1d(np.arange(vocab_size), np.fromiter(special_ids, dtype=np.int64))
    return allowed[rng.integers(len(allowed), size=k)]


# --------------------------------------------------------------------------- dataset and batches


class PretrainingDataset(Dataset):
    """Examples plus masking: static (one fixed mask per example, like the original's
    pre-generated files) or dynamic (a new mask every epoch, call ``set_epoch``).

    The mask of example ``i`` comes from a generator seeded with ``(seed, epoch, i)``: it does
    not depend on the order of access or on DataLoader workers. ``tokenizer`` may be any
    object with ``word_start_table``, ``vocab_size``, ``mask_id`` and ``special_ids``.
    """

    def __init__(
        self,
        examples: Sequence[PretrainingExample],
        tokenizer,
        *,
        masking: str = "dynamic",
        seed: int = 0,
        mask_prob: float = 0.15,
        max_ngram: int = 3,
        max_predictions: int = 20,
    ):
        if masking not in MASKING:
            raise ValueError(f"masking={masking!r} is not allowed: choose one of {MASKING}")
        self.examples = list(examples)
        self.word_start_table = np.asarray(tokenizer.word_start_table, dtype=bool)
        self.vocab_size = int(tokenizer.vocab_size)
        self.mask_id = int(tokenizer.mask_id)
        self.special_ids = frozenset(int(i) for i in tokenizer.special_ids)
        self.pad_id = int(getattr(tokenizer, "pad_id", PAD_ID))
        self.masking, self.seed, self.epoch = masking, seed, 0
        self.mask_prob, self.max_ngram, self.max_predictions = mask_prob, max_ngram, max_predictions

    def set_epoch(self, epoch: int) -> None:
        """Dynamic masking draws new masks for every epoch; static masking ignores this."""
        self.epoch = int(epoch)

    def __len__(self) -> int:
        return len(self.examples)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        ex = self.examples[index]
        epoch = self.epoch if self.masking == "dynamic" else 0
        rng = np.random.default_rng([self.seed, epoch, index])
        masked, labels = ngram_mask(
            ex.input_ids,
            self.word_start_table,
            rng=rng,
            mask_id=self.mask_id,
            vocab_size=self.vocab_size,
            special_ids=self.special_ids,
            mask_prob=self.mask_prob,
            max_ngram=self.max_ngram,
            max_predictions=self.max_predictions,
        )
        item = {
            "input_ids": torch.from_numpy(masked),
            "token_type_ids": torch.tensor(ex.token_type_ids, dtype=torch.long),
            "mlm_labels": torch.from_numpy(labels),
        }
        if ex.sentence_label is not None:
            item["sentence_labels"] = torch.tensor(ex.sentence_label, dtype=torch.long)
        return item


def collate(batch: Sequence[dict[str, torch.Tensor]], pad_id: int = PAD_ID) -> dict[str, torch.Tensor]:
    """Pad to the longest example and add the attention mask: the result feeds
    ``AlbertForPreTraining(**batch)`` as it is."""
    if not batch:
        raise ValueError("collate got an empty batch")
    length = max(len(item["input_ids"]) for item in batch)
    n = len(batch)
    out = {
        "input_ids": torch.full((n, length), pad_id, dtype=torch.long),
        "token_type_ids": torch.zeros((n, length), dtype=torch.long),
        "attention_mask": torch.zeros((n, length), dtype=torch.long),
        "mlm_labels": torch.full((n, length), IGNORE_INDEX, dtype=torch.long),
    }
    for row, item in enumerate(batch):
        k = len(item["input_ids"])
        out["input_ids"][row, :k] = item["input_ids"]
        out["token_type_ids"][row, :k] = item["token_type_ids"]
        out["attention_mask"][row, :k] = 1
        out["mlm_labels"][row, :k] = item["mlm_labels"]
    has_labels = ["sentence_labels" in item for item in batch]
    if any(has_labels):
        if not all(has_labels):
            raise ValueError("collate got a batch that mixes examples with and without sentence labels")
        out["sentence_labels"] = torch.stack([item["sentence_labels"] for item in batch])
    return out


# --------------------------------------------------------------------------- one call


def tokenize_documents(docs, tokenizer) -> list[list[list[int]]]:
    """Every sentence of every document, encoded in one batched SentencePiece call."""
    sentences = [s for d in docs for s in d.sentences]
    encoded = tokenizer.encode_batch(sentences)
    out, k = [], 0
    for d in docs:
        out.append(encoded[k : k + len(d.sentences)])
        k += len(d.sentences)
    return out


def build_pretraining_dataset(
    docs,
    tokenizer,
    task: str | None,
    max_seq_len: int,
    *,
    short_seq_prob: float = 0.1,
    masking: str = "dynamic",
    seed: int = 0,
    mask_prob: float = 0.15,
    max_ngram: int = 3,
    max_predictions: int = 20,
    dupe_factor: int = 1,
) -> PretrainingDataset:
    """Documents to a ready ``PretrainingDataset``: tokenize, pair (``dupe_factor`` passes with
    different split points, as the original tool did), then mask on access."""
    if dupe_factor < 1:
        raise ValueError(f"dupe_factor must be >= 1, got {dupe_factor}")
    tokenized = tokenize_documents(docs, tokenizer)
    ids = [d.id for d in docs]
    examples: list[PretrainingExample] = []
    for k in range(dupe_factor):
        examples += make_sentence_pairs(
            tokenized,
            task,
            max_seq_len,
            short_seq_prob,
            np.random.default_rng([seed, k]),
            doc_ids=ids,
            cls_id=tokenizer.cls_id,
            sep_id=tokenizer.sep_id,
        )
    return PretrainingDataset(
        examples,
        tokenizer,
        masking=masking,
        seed=seed,
        mask_prob=mask_prob,
        max_ngram=max_ngram,
        max_predictions=max_predictions,
    )
