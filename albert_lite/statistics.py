"""When is a difference real? One rule for the whole book, and the standard errors it needs.

A difference counts as real only when it exceeds ``NOISE_FACTOR`` standard errors *of the difference*.
Accuracies measured on the same examples are compared example by example (paired), and examples that
come in groups (the targets of one speech, the pairs of one document) are clustered by group, because
neighbouring examples are not independent draws.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

NOISE_FACTOR = 3.0


def beyond_noise(difference: float, standard_error: float) -> bool:
    """Whether ``difference`` exceeds ``NOISE_FACTOR`` standard errors (never, when the error is unknown)."""
    return not math.isnan(standard_error) and abs(difference) > NOISE_FACTOR * standard_error


def standard_error(accuracy_percent: float, n: float) -> float:
    """The standard error, in points, of an accuracy given in % over ``n`` independent examples."""
    p = accuracy_percent / 100
    return 100 * math.sqrt(max(p * (1 - p), 0.0) / n) if n else math.nan


def examples_to_resolve(difference_points: float, accuracy_percent: float) -> int:
    """How many independent test examples *per model* two models near ``accuracy_percent`` need before a
    difference of ``difference_points`` exceeds ``NOISE_FACTOR`` standard errors of the difference (unpaired:
    each accuracy has its own binomial error). What a claim of that size would cost to check."""
    if difference_points <= 0:
        raise ValueError(f"difference_points={difference_points}: a positive difference, in points")
    p = accuracy_percent / 100
    return math.ceil(2 * p * (1 - p) * (NOISE_FACTOR * 100 / difference_points) ** 2)


def majority_share(label_1_share: float) -> float:
    """The accuracy of always answering the more frequent of two labels, given the share of label 1."""
    return max(label_1_share, 1 - label_1_share)


def clustered_mean(values: Sequence[float] | np.ndarray, groups: Sequence | np.ndarray | None = None
                   ) -> tuple[float, float]:
    """The mean of ``values`` and its standard error, clustered by ``groups`` (one group per value when None).

    The cluster-robust (sandwich) error: the residuals are summed within each group before squaring, with
    the small-sample factor G / (G - 1). With one value per group it is the usual s / sqrt(n).
    """
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return math.nan, math.nan
    mean = float(x.mean())
    if groups is None:
        sums = x - mean
    else:
        labels = np.asarray(groups)
        if labels.shape != x.shape:
            raise ValueError(f"{x.size} values but {labels.size} group labels")
        _, index = np.unique(labels, return_inverse=True)
        sums = np.bincount(index, weights=x - mean)
    g = len(sums)
    if g < 2:
        return mean, math.nan
    return mean, float(math.sqrt(g / (g - 1) * np.sum(sums ** 2)) / x.size)


def paired_difference(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray,
                      groups: Sequence | np.ndarray | None = None) -> tuple[float, float, bool]:
    """Mean of ``a - b`` over the same examples, its clustered standard error, and whether it is real."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values need the same examples: {a.shape} and {b.shape}")
    d, se = clustered_mean(a - b, groups)
    return d, se, beyond_noise(d, se)
