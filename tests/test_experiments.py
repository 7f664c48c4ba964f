"""Each experiment runs at the tiny scale and returns the documented columns."""

import math

import pandas as pd
import pytest
import torch

from albert_lite import AlbertForPreTraining, count_parameters
from albert_lite.chapters import ablations, baselines, experiment_settings, probes, readings, sentence_tasks, smoothness
from albert_lite.chapters.experiment_settings import prepare, settings


def check_run_line(frame: pd.DataFrame, models: int):
    run = frame.attrs["run"]
    assert "scale tiny" in run and f"{models} models (" in run and "wall time" in run
    assert "device cpu, fp32" in run or "device cpu, bf16" in run  # where, and in which precision


def test_sop_vs_nsp_measures_every_task_with_the_head_and_a_probe():
    frame = sentence_tasks.sop_vs_nsp("tiny", progress=False)
    seeds = experiment_settings.sop_vs_nsp_settings("tiny")[1].seeds
    assert list(frame["trained with"]) == ["MLM only", "MLM + NSP", "MLM + SOP"] * len(seeds)
    for column in ("MLM acc %", "NSP head %", "SOP head %", "NSP probe %", "SOP probe %", "NSP majority %"):
        assert frame[column].between(0, 100).all(), column
    assert (frame["train time s"] > 0).all() and (frame["NSP n"] > 0).all()
    summary = readings.table_5_summary(frame)
    assert summary.set_index("trained with").loc["MLM + SOP", "paper SOP %"] == 86.5
    check_run_line(frame, 3 * len(seeds))


def test_sharing_ablation_counts_follow_the_sharing():
    frame = ablations.sharing_ablation("tiny", progress=False)
    assert list(frame["strategy"][:4]) == ["none", "attention", "ffn", "all"]
    params = dict(zip(frame["strategy"], frame["parameters"], strict=False))
    assert params["all"] < params["ffn"] < params["attention"] < params["none"]
    assert frame["MLM acc %"].between(0, 100).all()
    check_run_line(frame, len(frame))


def test_embedding_ablation_rows():
    s = settings("tiny")
    frame = ablations.embedding_ablation("tiny", progress=False)
    assert len(frame) == 2 * len(s.embedding_sizes)
    assert set(frame["sharing"]) == {"none", "all"}
    for sharing in ("none", "all"):
        rows = frame[frame["sharing"] == sharing].sort_values("E")
        # A larger E costs (V + positions + types) x dE more in the tables; at E = H the projection goes.
        assert rows["parameters"].is_monotonic_increasing and rows["parameters"].is_unique
        assert list(rows["parameters"]) == [count_parameters(s.model_config(prepare(s).tokenizer.vocab_size,
                                            sharing=sharing, embedding_size=e))["total"] for e in rows["E"]]


def test_depth_keeps_parameters_equal():
    frame = ablations.depth_at_equal_params("tiny", progress=False)
    assert frame["parameters"].nunique() == 1
    assert list(frame["L"]) == list(settings("tiny").depths)


def test_layer_smoothness_per_layer_measures():
    frame = smoothness.layer_smoothness("tiny", progress=False)
    s = settings("tiny")
    assert list(frame["model"].unique()) == ["not shared", "all shared"]
    assert list(frame["weights"].unique()) == ["trained", "random"]
    assert len(frame) == 2 * 2 * len(s.seeds) * s.num_layers
    assert (frame["L2 distance"] > 0).all()
    assert frame["angle (degrees)"].between(0, 180).all()
    assert frame["cosine similarity"].between(-1, 1).all()
    assert all(math.isfinite(a) for a in frame["angle (degrees)"])
    check_run_line(frame, 2 * len(s.seeds))  # the trained models; the random-weight ones are not trained


def test_probe_learns_a_separable_problem():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 8, generator=g)
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).long()
    assert probes.probe_accuracy(x[:300], y[:300], x[300:], y[300:]) > 0.9
    noise = torch.randint(0, 2, (400,), generator=g)
    assert probes.probe_accuracy(x[:300], noise[:300], x[300:], noise[300:]) < 0.7


def test_transition_distances_vanish_when_layers_stop_moving():
    s = settings("tiny")
    data = prepare(s)
    model = AlbertForPreTraining(s.model_config(data.tokenizer.vocab_size))
    batch = next(iter(data.loader("heldout", "sop", 4)))
    with torch.no_grad():  # all-zero blocks send every vector to 0: after layer 1 nothing moves
        for block in list(model.albert.encoder.attention) + list(model.albert.encoder.ffn):
            for p in block.parameters():
                p.zero_()
    frame = smoothness.transition_distances(model, batch)
    assert frame["L2 distance"].iloc[1:].max() < 1e-4


def test_sentence_head_diagnostics_expose_a_constant_answer():
    stuck = {"sentence_examples": 400.0, "sentence_accuracy": 0.4875, "sentence_label_1_share": 0.5125,
             "sentence_predicted_1_share": 0.0}
    row = readings.sentence_head_diagnostics(stuck)
    assert row["SOP n"] == 400 and row["SOP says 1 %"] == 0.0
    assert row["SOP majority %"] == pytest.approx(51.25) and row["SOP s.e. %"] == pytest.approx(2.4992, rel=1e-3)


def test_the_sentence_head_reading_follows_the_numbers():
    frame = pd.DataFrame({"SOP acc %": [48.75, 70.0], "SOP majority %": [51.25, 51.25], "SOP s.e. %": [2.5, 2.3],
                          "SOP says 1 %": [0.0, 47.0], "SOP n": [400, 400]})
    line = readings.describe_sentence_heads(frame)
    assert "1 of 2 trained heads beat the majority-class baseline" in line
    assert "1 answer one class for nearly every pair" in line
    assert "answer one class" not in readings.describe_sentence_heads(frame.iloc[1:])


def test_word_overlap_solves_topic_nsp_and_not_sop():
    """The chapter's trivial baseline: vocabulary gives NSP away on the topic corpus, and says nothing of order."""
    _, s = experiment_settings.sop_vs_nsp_settings("tiny")
    data = prepare(s)
    nsp, sop = baselines.word_overlap_baseline(data, "nsp"), baselines.word_overlap_baseline(data, "sop")
    assert nsp["word-overlap accuracy %"] > 80 and nsp["n"] == len(data.dataset("heldout", "nsp").examples)
    assert abs(sop["word-overlap accuracy %"] - 50) < 4 * sop["s.e. %"]


def test_segment_starts_count_segments_that_keep_their_sentence_opening():
    """Short pairs cut a long sentence at both ends: few segments keep its first words; long pairs keep more."""
    short, long = prepare(settings("tiny", seq_len=24)), prepare(settings("tiny", seq_len=128))
    cut, roomy = baselines.segment_starts(short), baselines.segment_starts(long)
    assert cut["room per segment"] == 10.5 and cut["tokens per sentence"] > 2 * cut["room per segment"]
    assert cut["segments"] == 2 * len(short.dataset("train", "sop").examples)
    assert cut["segments that begin a sentence %"] < 15 < 50 < roomy["segments that begin a sentence %"]


def test_sentence_order_with_room_records_a_curve_per_seed():
    frame = sentence_tasks.sentence_order_with_room("tiny", progress=False)
    _, s = experiment_settings.roomy_pairs_settings("tiny")
    assert set(frame["seed"]) == set(s.seeds) and frame["step"].max() == s.steps
    short = settings("tiny").seq_len
    assert list(frame.attrs["pairs"]["tokens per pair"]) == [short, s.seq_len]
    # Both lengths train for the same steps, so that length and training time come apart.
    assert frame.groupby("tokens per pair")["step"].max().to_dict() == {short: s.steps, s.seq_len: s.steps}
    assert frame.attrs["pairs"]["bag-of-words %"].between(0, 100).all()
    for column in ("SOP acc %", "SOP majority %", "MLM acc %"):
        assert frame[column].between(0, 100).all(), column
    text = readings.describe_roomy_pairs(frame)
    assert f"{s.seq_len} tokens a pair" in text and f"{s.seq_len}-token pairs, seed 0: SOP" in text
    assert frame.attrs["run"].count("\n") == 1  # one run line for each length
    check_run_line(frame, len(s.seeds))


def test_a_bag_of_words_reads_order_words_only_when_it_knows_which_segment_holds_them():
    """On the topic corpus each sentence opens with its ordinal: which ordinal sits in A tells the order."""
    _, s = experiment_settings.sop_vs_nsp_settings("tiny")
    data = prepare(s)
    sop = baselines.bag_of_words_baseline(data, "sop")
    assert sop["n"] == len(data.dataset("heldout", "sop").examples) and sop["training pairs"] > 0
    assert sop["bag-of-words accuracy %"] - sop["majority class %"] > 3 * sop["s.e. %"]


def test_the_unigram_baseline_answers_the_most_frequent_training_piece():
    from collections import Counter

    data = prepare(settings("tiny"))
    special = data.tokenizer.special_ids
    counts = Counter(i for e in data.dataset("train", "sop").examples for i in e.input_ids if i not in special)
    most_frequent = counts.most_common(1)[0][0]
    targets = torch.cat([b["mlm_labels"][(b["mlm_labels"] != -100) & (b["input_ids"] == data.tokenizer.mask_id)]
                         for b in data.loader("heldout", "sop", 16)])  # the targets that show [MASK]
    expected = float((targets == most_frequent).float().mean())
    assert expected > 0.01  # the most frequent piece is a real answer on this text
    assert baselines.unigram_accuracy(data, "sop", 16) == pytest.approx(expected)


def test_an_nsp_partner_is_checked_against_its_own_document():
    # Documents with no word in common: a segment B taken from another document begins one of *that* document's
    # sentences as often as an SOP segment begins one of its own; read against document A's openings, never.
    from albert_lite.data import PreparedCorpus, train_tokenizer
    from albert_lite.data.documents import Document

    words = ("alpha", "bravo", "delta", "kilo", "lima", "oscar")
    docs = [Document(f"d{d}", [f"{words[d]} {words[d]}{(3 * i) % 7} {words[d]}{i % 5} {words[d]}{(i + 1) % 3}."
                               for i in range(40)]) for d in range(len(words))]
    data = PreparedCorpus("hand-made", docs, docs[:1], train_tokenizer(docs, 200, hard_vocab_limit=False), 16)
    nsp, sop = baselines.segment_starts(data, "nsp"), baselines.segment_starts(data, "sop")
    assert sop["segments that begin a sentence %"] > 20
    assert nsp["segments that begin a sentence %"] > 0.92 * sop["segments that begin a sentence %"]  # 0.83 if not


def test_the_bag_of_words_classifier_reads_a_word_that_gives_the_label_away():
    from albert_lite.data import train_tokenizer
    from albert_lite.data.classification import ClassificationData, ClassificationDataset, LabelledText

    names, filler = ("north", "south", "east"), "the people and the congress of the nation shall"

    def paragraphs(speeches):
        return [LabelledText(f"{names[k]} {filler} {i}", k, f"speech{s}")
                for s in speeches for k in range(3) for i in range(6)]

    train, heldout = paragraphs(range(4)), paragraphs(range(4, 7))
    tokenizer = train_tokenizer([p.text for p in train], 100, hard_vocab_limit=False)
    task = ClassificationData(ClassificationDataset(train, tokenizer, 64),
                              ClassificationDataset(heldout, tokenizer, 64), names)
    bow = baselines.bag_of_words_classifier(task, tokenizer.vocab_size)
    assert bow["bag-of-words %"] == 100.0 and bow["n"] == 54 and bow["speeches"] == 3
    assert bow["majority class %"] == pytest.approx(100 / 3) and bow["correct"].sum() == 54
