"""Readings generated from numbers: means over seeds, differences against the noise, Table 5's claims."""

import math

import pandas as pd
import pytest

from albert_lite.chapters import readings


def seeds_frame():
    return pd.DataFrame({"model": ["a", "a", "a", "b", "b", "b"], "seed": [0, 1, 2] * 2,
                         "acc %": [50.0, 52.0, 54.0, 40.0, 40.5, 39.5], "paper": [2.0] * 3 + [1.0] * 3})


def test_seed_summary_gives_means_and_standard_errors_over_seeds():
    summary = readings.seed_summary(seeds_frame(), ["model", "paper"], ["acc %"])
    a = summary.set_index("model").loc["a"]
    assert a["acc %"] == pytest.approx(52.0) and a["acc ±"] == pytest.approx(2.0 / math.sqrt(3))
    assert a["seeds"] == 3 and list(summary["model"]) == ["a", "b"]


def test_a_difference_exceeds_the_noise_only_beyond_two_standard_errors():
    summary = readings.seed_summary(seeds_frame(), ["model", "paper"], ["acc %"])
    d, se, beyond = readings.difference(summary, "model", "acc %", "a", "b")
    assert d == pytest.approx(12.0) and se == pytest.approx(math.hypot(2 / math.sqrt(3), 0.5 / math.sqrt(3)))
    assert beyond
    close = seeds_frame().assign(**{"acc %": [50.0, 52.0, 54.0, 49.0, 53.0, 51.5]})
    summary = readings.seed_summary(close, ["model", "paper"], ["acc %"])
    assert not readings.difference(summary, "model", "acc %", "a", "b")[2]


def test_the_ordering_reading_follows_the_numbers():
    summary = readings.seed_summary(seeds_frame(), ["model", "paper"], ["acc %"])
    text = readings.describe_ordering(summary, "model", "acc %", "paper")
    assert "a vs b" in text and "agrees" in text and "beyond the noise" in text and "1 of 1" in text
    flipped = summary.assign(paper=[1.0, 2.0])
    text = readings.describe_ordering(flipped, "model", "acc %", "paper")
    assert "b vs a" in text and "disagrees" in text and "0 of 1" in text
    one_seed = readings.seed_summary(seeds_frame()[seeds_frame()["seed"] == 0], ["model", "paper"], ["acc %"])
    assert "one seed" in readings.describe_ordering(one_seed, "model", "acc %", "paper")


def table_5(nsp_on_sop: float, sop_on_nsp: float, nsp_says_1_on_sop: float = 50.0,
            sop_mlm: tuple[float, float, float] = (8.1, 8.0, 7.9)) -> pd.DataFrame:
    rows = []
    for seed in range(3):
        models = (("MLM only", 50.0, 50.0, 50.0, 8.0), ("MLM + NSP", 95.0, nsp_on_sop, nsp_says_1_on_sop, 8.0),
                  ("MLM + SOP", sop_on_nsp, 97.0, 50.0, sop_mlm[seed]))
        for name, nsp, sop, says_1, mlm in models:
            rows.append({"trained with": name, "seed": seed, "MLM acc %": 15.0, "MLM [MASK] acc %": mlm + 0.1 * seed,
                         "MLM [MASK] unigram %": 6.0, "NSP head %": nsp + seed, "SOP head %": sop - seed,
                         "NSP probe %": 80.0, "SOP probe %": 55.0, "NSP says 1 %": 50.0, "SOP says 1 %": says_1})
    return pd.DataFrame(rows)


def test_table_5_claims_hold_and_fail_on_the_thresholds():
    summary = readings.table_5_summary(table_5(nsp_on_sop=51.0, sop_on_nsp=70.0))
    claims = readings.table_5_claims(summary)
    assert claims["holds"].all() and len(claims) == 6 and claims["measured"].sum() == 4
    text = readings.describe_table_5(summary, claims)
    assert "4 of the paper's 4 measured readings hold" in text and "2 more are not counted" in text
    assert "answers one class" not in text
    summary = readings.table_5_summary(table_5(nsp_on_sop=66.0, sop_on_nsp=54.0))
    claims = readings.table_5_claims(summary).set_index("claim")
    assert not claims.loc["the NSP-trained model is near chance on SOP (at most 60%)", "holds"]
    assert not claims.loc["the SOP-trained model is above chance on NSP (more than 55%)", "holds"]
    assert claims["holds"].sum() == 4
    text = readings.describe_table_5(summary.reset_index(drop=True), claims.reset_index())
    assert "2 of the paper's 4 measured" in text and "near chance on SOP" in text


def test_a_head_that_answers_one_class_is_named():
    summary = readings.table_5_summary(table_5(nsp_on_sop=50.0, sop_on_nsp=70.0, nsp_says_1_on_sop=3.0))
    claims = readings.table_5_claims(summary).set_index("claim")
    assert claims.loc["the NSP-trained model is near chance on SOP (at most 60%)", "one answer"]
    assert "answers one class (says \"1\" for 3% of pairs)" in readings.describe_table_5(summary, claims.reset_index())
    assert readings.constant_answer(95.0) and readings.constant_answer(5.0) and not readings.constant_answer(6.0)


def test_the_mlm_column_is_compared_paired_by_seed():
    # SOP's model is 1.0 point above MLM only at every seed: a paired difference with no spread, beyond the noise.
    text = readings.describe_table_5_mlm(table_5(50.0, 70.0, sop_mlm=(9.0, 9.0, 9.0)))
    assert "MLM + SOP 9.1% (+1.0 ± 0.0 points, paired by seed, beyond the noise)" in text
    assert "MLM + NSP 8.1% (+0.0 ± 0.0 points" in text and "moves masked LM" in text
    # Unpaired, the same numbers with seed-to-seed spread would hide it; paired, a noisy gain stays within the noise.
    text = readings.describe_table_5_mlm(table_5(50.0, 70.0, sop_mlm=(9.0, 7.0, 8.5)))
    assert "within the noise" in text and "no sentence task moves masked LM" in text


def test_stuck_heads_are_named_with_the_training_pair_diagnosis():
    frame = pd.DataFrame({"SOP acc %": [48.75, 80.0], "SOP majority %": [51.25, 51.25], "SOP s.e. %": [2.3, 1.8],
                          "SOP n": [480, 480], "SOP says 1 %": [97.0, 50.0],
                          "SOP acc on training pairs %": [50.2, 85.0]})
    text = readings.describe_sentence_heads(frame)
    assert "1 of 2 trained heads beat" in text and "1 answer one class for nearly every pair" in text
    assert "score at most 50.2%" in text  # the head that learned is not one of those that did not


def smoothness_frame(wobble) -> pd.DataFrame:
    """Layers whose L2 distance and angle swing by ``wobble(model, seed)`` around a constant, for both weights."""
    rows = []
    for weights in ("trained", "random"):
        for model in ("not shared", "all shared"):
            for seed in range(3):
                for layer in range(1, 5):
                    swing = wobble(model, seed) * (-1) ** layer
                    rows.append({"model": model, "weights": weights, "seed": seed, "layer": layer,
                                 "input norm": 8.0, "L2 distance": 5 + swing + 0.01 * seed,
                                 "angle (degrees)": 30 + swing})
    return pd.DataFrame(rows)


def test_smoothness_leaves_out_the_first_layer_whose_input_is_at_another_scale():
    """A first layer that mostly rescales the embedding (large distance, small input) changes no summary: with
    it, the shared model's last layer would seem to move its input a hundredth as far as the first."""
    frame = smoothness_frame(lambda model, seed: 2.0 if model == "not shared" else 0.5)
    first = frame["layer"] == 1
    rescaled = frame.assign(**{"L2 distance": frame["L2 distance"].where(~first, 500.0),
                               "input norm": frame["input norm"].where(~first, 0.9)})
    pd.testing.assert_frame_equal(readings.smoothness_summary(rescaled), readings.smoothness_summary(frame))
    assert "do not fade to zero" in readings.describe_smoothness(readings.smoothness_summary(rescaled))
    text = readings.describe_first_layer_scale(rescaled)
    assert "mean norm of 0.90" in text and "of layers 2-4 (a LayerNorm output) 8.00" in text and "(500.00" in text


def test_smoothness_reading_compares_shared_with_not_shared():
    frame = smoothness_frame(lambda model, seed: 2.0 if model == "not shared" else 0.5)
    text = readings.describe_smoothness(readings.smoothness_summary(frame))
    assert "trained weights, L2 variation" in text and "the shared model is smoother" in text
    assert "do not fade to zero" in text


def test_smoothness_reading_claims_nothing_within_the_noise():
    frame = smoothness_frame(lambda model, seed: 1.0 + 0.5 * seed + (0.01 if model == "all shared" else 0.0))
    text = readings.describe_smoothness(readings.smoothness_summary(frame))
    assert "smoother" not in text and "less smooth" not in text
    assert text.count("no difference the seeds can tell apart") == 4


def test_models_on_the_unigram_plateau_are_named():
    frame = pd.DataFrame({"E": [8, 32, 64], "seed": [0, 0, 0], "MLM acc %": [21.78, 25.5, 26.8],
                          "MLM unigram %": [21.78] * 3, "MLM n": [4000] * 3})
    text = readings.describe_masked_lm(frame, ["E"])
    assert "2 of 3 trained models beat the unigram baseline" in text and "1 score exactly the baseline (E 8)" in text
    assert "exactly" not in readings.describe_masked_lm(frame.iloc[1:], ["E"])
    close = frame.assign(**{"MLM acc %": [21.78, 23.0, 26.8]})
    text = readings.describe_masked_lm(close, ["E"])
    assert "1 of 3 trained models beat" in text and "1 are above it by less than 3 standard errors (E 32)" in text


def _pairs(tokens: int, starts: float, words: float) -> dict:
    return {"tokens per pair": tokens, "room per segment": (tokens - 3) / 2, "tokens per sentence": 22.4,
            "segments": 5000, "segments that begin a sentence %": starts, "bag-of-words %": words,
            "bag-of-words s.e. %": 2.0, "majority class %": 51.9, "held-out pairs": 400}


def _roomy_curves(final_accuracies: list[float], short_words: float = 68.8,
                  short_finals: list[float] | None = None) -> pd.DataFrame:
    """Curves of the long (64-token) pairs, and of the short (32-token) ones given as many steps when asked."""
    rows = []
    for length, finals in ((64, final_accuracies), (32, short_finals or [])):
        for seed, final in enumerate(finals):
            for step, accuracy in ((100, 51.0), (200, final)):
                rows.append({"tokens per pair": length, "seed": seed, "step": step, "SOP acc %": accuracy,
                             "SOP majority %": 51.9, "SOP s.e. %": 2.8, "SOP n": 320})
    frame = pd.DataFrame(rows)
    frame.attrs["pairs"] = pd.DataFrame([_pairs(32, 4.0, short_words), _pairs(64, 60.2, 89.1)])
    return frame


def test_the_roomy_pairs_reading_follows_each_seed():
    every = readings.describe_roomy_pairs(_roomy_curves([81.0, 77.0]))
    assert "learns the order in every seed" in every and "beyond it from step 200" in every
    assert "4.0% of 5000 training segments" in every and "60.2% of 5000" in every
    assert "Given the same" not in every  # the short pairs were not trained
    some = readings.describe_roomy_pairs(_roomy_curves([81.0, 52.0]))
    assert "in 1 of 2 seeds" in some and "64-token pairs, seed 1: SOP 52.0%" in some and "not beyond it" in some
    none = readings.describe_roomy_pairs(_roomy_curves([53.0, 52.0]))
    assert "has not learned the order" in none
    assert "Neither length" not in every  # no budget given
    late = _roomy_curves([81.0, 77.0])
    late.attrs["tables_steps"] = 100  # the long pairs pass the majority class at step 200, after the tables' budget
    assert "Neither length has learned by the tables' 100 steps" in readings.describe_roomy_pairs(late)
    late.attrs["tables_steps"] = 300
    assert "Neither length" not in readings.describe_roomy_pairs(late)


def test_the_short_pairs_given_as_many_steps_tell_length_from_training_time():
    stuck = readings.describe_roomy_pairs(_roomy_curves([81.0, 77.0], short_finals=[52.0, 53.0]))
    assert "Given the same 200 steps, the 32-token pairs' head stays at the majority class in every seed" in stuck
    assert "keep fewer of the words" in stuck and "68.8% against 89.1%" in stuck
    assert "32-token pairs, seed 1: SOP 53.0%" in stuck
    lost = readings.describe_roomy_pairs(_roomy_curves([81.0, 77.0], short_words=53.0, short_finals=[52.0, 53.0]))
    assert "have lost the words" in lost and "keep fewer" not in lost
    slower = readings.describe_roomy_pairs(_roomy_curves([81.0, 77.0], short_finals=[52.0, 70.0]))
    assert "learns too in 1 of 2 seeds" in slower and "do not stop it" in slower


def test_the_sentence_evidence_reading_tells_budget_from_meaning():
    words = _pairs(64, 32.3, 68.0)
    assert "within this budget the sentence task has not started" in readings.describe_sentence_evidence(
        words, 50.5, 51.0)
    no_words = _pairs(64, 32.3, 53.4)
    text = readings.describe_sentence_evidence(no_words, 50.5, 51.0)
    assert "a matter of meaning" in text and "not beyond the majority class" in text
    assert "has learned the task" in readings.describe_sentence_evidence(words, 75.0, 80.0)


def test_heads_are_set_beside_the_strongest_trivial_baseline():
    summary = readings.table_5_summary(table_5(nsp_on_sop=51.0, sop_on_nsp=70.0))
    trivial = pd.DataFrame({"majority class %": [52.0, 51.0], "word overlap %": [94.0, 50.0],
                            "word overlap s.e. %": [1.0, 2.6], "sided bag of words %": [60.0, 88.0],
                            "sided bag s.e. %": [2.5, 1.5]}, index=["NSP", "SOP"])
    table = readings.heads_against_trivial(summary, trivial).set_index(["trained with", "task"])
    nsp = table.loc[("MLM + NSP", "NSP")]  # 96.0 ± 0.58 against word overlap 94.0 ± 1.0: within the noise
    assert nsp["strongest trivial"] == "word overlap" and not nsp["beyond it"]
    assert abs(nsp["± difference"] - (0.5774**2 + 1.0) ** 0.5) < 1e-3
    sop = table.loc[("MLM + SOP", "SOP")]  # 96.0 ± 0.58 against the sided bag 88.0 ± 1.5: beyond it
    assert sop["strongest trivial"] == "sided bag of words" and sop["beyond it"]
    assert not table.loc[("MLM only", "SOP"), "beyond it"]  # below the baseline is never "beyond"
    assert table.loc[("MLM only", "SOP"), "reading"] == "below it beyond the noise"
    assert nsp["reading"] == "within the noise of it"
    text = readings.describe_heads_against_trivial(table.reset_index())
    assert "1 of 4 trained heads beat" in text and "MLM only" not in text


def test_table_5_downstream_reading_sizes_the_papers_differences():
    # By hand: the paper's three average 79.43%; 3 s.e. of an unpaired difference over 481 examples each is
    # 300 * sqrt(2 * 0.7943 * 0.2057 / 481) = 7.8 points; +0.9 points needs 0.3267 * (300 / 0.9)^2 = 36,304 each.
    text = readings.describe_table_5_downstream(481)
    assert "SOP over NSP +0.9 points" in text and "above 7.8 points" in text and "36,304 test examples" in text


def test_paired_comparisons_read_each_pair_against_its_clustered_noise():
    speeches = ["s1"] * 4 + ["s2"] * 4 + ["s3"] * 4 + ["s4"] * 4
    always = [1.0] * 16
    half = [1.0, 0.0] * 8
    almost = [1.0] * 15 + [0.0]
    frame = readings.paired_comparisons({"always": always, "half": half, "almost": almost}, speeches,
                                        [("always", "half"), ("half", "always"), ("always", "almost")])
    assert frame["a - b (points)"].tolist() == pytest.approx([50.0, -50.0, 100 / 16])
    assert frame["beyond the noise"].tolist() == [True, True, False]
    lines = readings.describe_paired_comparisons(frame).splitlines()
    assert lines[0].startswith("always is ahead of half: +50.0")
    assert lines[1].startswith("half is behind always: -50.0")
    assert lines[2].startswith("almost") is False and "cannot be told apart from almost" in lines[2]
