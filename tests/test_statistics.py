"""The one rule for real differences, and the standard errors behind it, checked on cases done by hand."""

import math

import numpy as np
import pytest

from albert_lite.chapters import readings
from albert_lite.statistics import (
    NOISE_FACTOR,
    beyond_noise,
    clustered_mean,
    examples_to_resolve,
    paired_difference,
    standard_error,
)
from albert_lite.training.masked_lm import MODEL, NEIGHBOURS, UNIGRAM, MaskedLMEvidence


def test_without_groups_the_error_is_the_sample_deviation_over_root_n():
    x = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0])
    mean, se = clustered_mean(x)
    assert mean == pytest.approx(4 / 6)
    assert se == pytest.approx(np.std(x, ddof=1) / math.sqrt(len(x)))


def test_copies_within_a_group_do_not_shrink_the_error():
    # Four documents, each value repeated ten times: the error is that of four values, not forty.
    x = np.array([1.0, 0.0, 1.0, 1.0])
    _, four = clustered_mean(x)
    _, forty = clustered_mean(np.repeat(x, 10), np.repeat(np.arange(4), 10))
    _, naive = clustered_mean(np.repeat(x, 10))
    assert forty == pytest.approx(four)
    assert naive < forty / 2


def test_paired_differences_cancel_what_both_share():
    a = np.array([1, 1, 0, 0, 1, 1, 0, 1], float)
    b = a.copy()
    b[0] = 0  # one target where only a is right
    d, se, real = paired_difference(a, b)
    assert d == pytest.approx(1 / 8)
    assert se == pytest.approx(np.std(a - b, ddof=1) / math.sqrt(8))
    assert not real


def test_the_rule_is_three_standard_errors():
    assert NOISE_FACTOR == 3.0
    assert beyond_noise(3.01, 1.0) and not beyond_noise(2.99, 1.0) and beyond_noise(-3.5, 1.0)
    assert not beyond_noise(10.0, math.nan)


def _evidence(model, neighbours, unigram, documents):
    return MaskedLMEvidence({MODEL: np.array(model, float), NEIGHBOURS: np.array(neighbours, float),
                             UNIGRAM: np.array(unigram, float)}, np.array(documents))


def test_the_phase_follows_the_paired_differences():
    n = 400
    documents = [str(i // 10) for i in range(n)]  # 40 documents of 10 targets
    unigram = [1 if i % 10 == 0 else 0 for i in range(n)]  # 10%
    neighbours = [1 if i % 5 == 0 else 0 for i in range(n)]  # 20%
    assert readings.masked_lm_phase(_evidence(unigram, neighbours, unigram, documents)) == "frequency"
    assert readings.masked_lm_phase(_evidence(unigram, neighbours, unigram, documents), 80.0) == "copying"
    model = [1 if i % 5 == 0 else 0 for i in range(n)]  # the neighbour table's answers exactly
    assert readings.masked_lm_phase(_evidence(model, neighbours, unigram, documents)) == "some context"
    model = [1 if i % 2 == 0 else 0 for i in range(n)]  # 50%
    assert readings.masked_lm_phase(_evidence(model, neighbours, unigram, documents)) == "context"
    text = readings.describe_masked_lm_evidence(_evidence(model, neighbours, unigram, documents), 90.0)
    assert "50.0%" in text and "Phase: context" in text and f"{n:,} held-out [MASK] targets from 40 documents" in text


def test_the_majority_class_is_the_larger_share_either_way():
    from albert_lite.statistics import majority_share

    assert majority_share(0.3) == pytest.approx(0.7) and majority_share(0.8) == pytest.approx(0.8)
    row = readings.sentence_head_diagnostics({"sentence_examples": 100, "sentence_accuracy": 0.5,
                                              "sentence_label_1_share": 0.3, "sentence_predicted_1_share": 0.0}, "nsp")
    assert row["NSP majority %"] == pytest.approx(70.0) and row["NSP says 1 %"] == 0.0 and row["NSP n"] == 100


def test_a_model_barely_above_the_unigram_is_still_on_the_plateau():
    n = 4000
    documents = [str(i // 10) for i in range(n)]
    unigram = [1 if i % 10 == 0 else 0 for i in range(n)]  # 10%
    neighbours = [1 if i % 5 == 0 else 0 for i in range(n)]  # 20%
    barely = [1 if i % 10 == 0 or i % 200 == 5 else 0 for i in range(n)]  # 10.5%: beyond the noise, 5% of the gap
    evidence = _evidence(barely, neighbours, unigram, documents)
    assert evidence.versus(MODEL, UNIGRAM)[2]
    assert readings.gap_closed(evidence) == pytest.approx(0.05)
    assert readings.masked_lm_phase(evidence, 85.0) == "copying"
    assert "closed 5% of the gap" in readings.describe_masked_lm_evidence(evidence, 85.0)


def test_examples_to_resolve_a_difference_worked_by_hand():
    # 80% accuracy, 1 point: 2 * 0.8 * 0.2 * (3 * 100 / 1)^2 = 0.32 * 90,000 = 28,800 examples per model.
    assert examples_to_resolve(1.0, 80.0) == 28800
    n = examples_to_resolve(0.9, 80.0)  # the fewest examples that resolve 0.9 points: one fewer does not
    assert NOISE_FACTOR * math.hypot(standard_error(80.0, n), standard_error(80.0, n)) <= 0.9
    assert NOISE_FACTOR * math.hypot(standard_error(80.0, n - 1), standard_error(80.0, n - 1)) > 0.9
    with pytest.raises(ValueError, match="positive"):
        examples_to_resolve(0.0, 80.0)
