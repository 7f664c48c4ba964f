"""ALBERT's n-gram masking: whole words, n <= 3 with p(n) proportional to 1/n, corrupted 80/10/10."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import NamedTuple

import numpy as np

from ..runtime import Rng, as_generator
from ..special_tokens import CLS_ID, IGNORE_INDEX, MASK_ID, PAD_ID, SEP_ID


class MaskedTokens(NamedTuple):
    """The corrupted ids, the labels (the original id where a prediction is due, -100 elsewhere)
    and the chosen n-grams as sorted ``(begin, end, n)``."""

    input_ids: np.ndarray
    labels: np.ndarray
    spans: list[tuple[int, int, int]]


def ngram_probabilities(max_ngram: int = 3) -> np.ndarray:
    """p(n) proportional to 1/n: for n <= 3 that is 6/11, 3/11, 2/11. Short spans dominate."""
    if max_ngram < 1:
        raise ValueError(f"max_ngram must be >= 1, got {max_ngram}")
    p = 1.0 / np.arange(1, max_ngram + 1)
    return p / p.sum()


def word_spans(
    token_ids: Sequence[int], is_word_start: np.ndarray | Callable[[int], bool], special_ids: Iterable[int]
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
) -> MaskedTokens:
    """ALBERT's n-gram masking on whole words.

    The budget is ``min(max_predictions, max(1, round(mask_prob * non-special tokens)))``.
    :func:`choose_spans` picks whole-word n-grams within the budget; each chosen token becomes
    ``[MASK]``, stays, or becomes a random non-special token with ``replace_probs`` (80/10/10).
    Returns :class:`MaskedTokens` ``(input_ids, labels, spans)``.
    """
    if not 0.0 <= mask_prob <= 1.0:
        raise ValueError(f"mask_prob must be in [0, 1], got {mask_prob}")
    if max_predictions < 0:
        raise ValueError(f"max_predictions must be >= 0, got {max_predictions}")
    if len(replace_probs) != 3 or abs(sum(replace_probs) - 1.0) > 1e-6 or min(replace_probs) < 0:
        raise ValueError(f"replace_probs must be 3 probabilities summing to 1, got {replace_probs}")
    rng = as_generator(rng)
    ids = np.asarray(token_ids, dtype=np.int64)
    masked, labels = ids.copy(), np.full(len(ids), IGNORE_INDEX, dtype=np.int64)
    begins, ends, segment = word_spans(ids, is_word_start, special_ids)
    n_tokens = int((ends - begins).sum())
    budget = min(max_predictions, max(1, round(n_tokens * mask_prob))) if mask_prob > 0 else 0
    spans = choose_spans(begins, ends, segment, budget, max_ngram, rng) if len(begins) and budget else []
    positions = np.array([p for lo, hi, _ in spans for p in range(lo, hi)], dtype=np.int64)
    if len(positions):
        labels[positions] = ids[positions]
        action = rng.random(len(positions))
        p_mask, p_keep, _ = replace_probs
        to_mask = positions[action < p_mask]
        to_random = positions[action >= p_mask + p_keep]
        masked[to_mask] = mask_id
        masked[to_random] = _random_tokens(len(to_random), vocab_size, special_ids, rng)
    return MaskedTokens(masked, labels, sorted(spans))


def choose_spans(begins: np.ndarray, ends: np.ndarray, segment: np.ndarray, budget: int, max_ngram: int,
                 rng: np.random.Generator) -> list[tuple[int, int, int]]:
    """The n-grams to predict, as sorted ``(begin, end, n)`` token ranges, at most ``budget`` tokens in all.

    Words are visited in random order; each has an n drawn with p(n) ∝ 1/n (renormalised over
    the words left in its segment), shortened while the n-gram would exceed the budget, and
    skipped if it overlaps a chosen one.
    """
    # One uniform number per word decides its n by the inverse CDF of p(n) ∝ 1/n, cut to
    # the words left in its segment ("room"); drawn up front so the loop below is cheap.
    order = rng.permutation(len(begins))
    u = rng.random(len(begins))
    room = np.searchsorted(segment, segment, side="right") - np.arange(len(begins))
    cdf = np.cumsum(ngram_probabilities(max_ngram))
    n_max = np.minimum(max_ngram, room)
    n_drawn = np.minimum(np.searchsorted(cdf, u * cdf[n_max - 1], side="right") + 1, n_max)
    begins_l, ends_l, n_l = begins.tolist(), ends.tolist(), n_drawn.tolist()
    covered = np.zeros(int(ends.max()), dtype=bool)
    n_chosen, spans = 0, []
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
    return sorted(spans)


def _random_tokens(k: int, vocab_size: int, special_ids, rng: np.random.Generator) -> np.ndarray:
    """Uniform over the vocabulary without special symbols (a random [CLS] would teach nothing)."""
    allowed = np.setdiff1d(np.arange(vocab_size), np.fromiter(special_ids, dtype=np.int64))
    return allowed[rng.integers(len(allowed), size=k)]
