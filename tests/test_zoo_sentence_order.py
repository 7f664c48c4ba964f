"""Chapter 6's checks of the zoo's SOP heads: per-pair answers, the table, and a reading that follows them."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from albert_lite.chapters import zoo_sentence_order as zso


class _Oracle(torch.nn.Module):
    """A sentence head that answers the label of a pair when ``right``, the other label when not."""

    def __init__(self, right: bool):
        super().__init__()
        self.right = right
        self.weight = torch.nn.Parameter(torch.zeros(1))

    def forward(self, sentence_labels, **_):
        answer = sentence_labels if self.right else 1 - sentence_labels
        return SimpleNamespace(sentence_logits=torch.nn.functional.one_hot(answer, 2).float())


def test_head_answers_scores_each_pair_and_keeps_the_answer():
    from albert_lite.zoo import ZOO_RECIPES, corpus_of, load

    data = corpus_of("albert-sotu", load("albert-sotu").tokenizer)
    pairs = torch.utils.data.Subset(data.dataset("heldout", "sop"), range(40))
    labels = np.array([data.dataset("heldout", "sop").examples[i].sentence_label for i in range(40)])
    assert 0 < labels.mean() < 1
    right, said = zso.head_answers(_Oracle(True), pairs, data.tokenizer.pad_id, batch_size=16)
    assert right.tolist() == [1.0] * 40 and said.tolist() == labels.tolist()
    right, said = zso.head_answers(_Oracle(False), pairs, data.tokenizer.pad_id, batch_size=16)
    assert right.tolist() == [0.0] * 40 and said.tolist() == (1 - labels).tolist()
    assert ZOO_RECIPES["albert-sotu"].task == "sop"


def _evidence(train_right: float, heldout_right: float, says_1: float = 50.0) -> zso.ZooSentenceOrder:
    rng = np.random.default_rng(0)
    n, docs = 400, [f"speech {i % 20}" for i in range(400)]
    correct = {("m's head", "training pairs"): (rng.random(n) < train_right).astype(float),
               ("m's head", "held-out pairs"): (rng.random(n) < heldout_right).astype(float),
               ("sided bag of words", "held-out pairs"): (rng.random(n) < 0.5).astype(float)}
    rows = [{"answers": a, "pairs": p, "accuracy %": 100 * v.mean(), "± by speech": 2.5, "n": n,
             "says 1 %": says_1 if a != "sided bag of words" else 50.0, "label 1 %": 50.0, "majority %": 50.0}
            for (a, p), v in correct.items()]
    curves = pd.DataFrame({"model": "m", "step": [250, 500, 750], "training batches %": [50, 60, 70],
                           "held-out %": [50, 50, 50], "held-out loss": [0.693, 0.69, 0.8]})
    segments = {"tokens per pair": 128, "room per segment": 62.5, "tokens per sentence": 33.0, "segments": 10,
                "segments that begin a sentence %": 50.0}
    return zso.ZooSentenceOrder(pd.DataFrame(rows), correct, {"training pairs": docs, "held-out pairs": docs},
                                curves, training_pairs=1000, passes=13.0, segments=segments)


def test_the_reading_calls_memorizing_only_what_fits_training_pairs_and_not_new_ones():
    text = zso.describe_zoo_sentence_order(_evidence(0.9, 0.5))
    assert "Every head fits the pairs it trained on" in text and "about 13 times" in text
    assert "deepen the fit" in text  # the loss ends above its lowest point
    assert "it does not answer one class" in text
    # A head as good on new pairs as on old ones has not memorized.
    assert "Every head fits" not in zso.describe_zoo_sentence_order(_evidence(0.5, 0.5))
    # A head that answers one class is flagged, and is not read as a working head that memorized.
    stuck = zso.describe_zoo_sentence_order(_evidence(0.9, 0.5, says_1=1.0))
    assert "it answers one class" in stuck and "Every head fits" not in stuck


def test_zoo_sentence_order_reads_both_heads_on_the_same_pairs():
    evidence = zso.zoo_sentence_order(pairs=48, bag_of_words_pairs=200)
    table = evidence.table
    assert table["answers"].tolist() == ["albert-sotu's head"] * 2 + ["bert-sotu's head"] * 2 + ["sided bag of words"]
    assert (table["n"] == 48).all() and table["accuracy %"].between(0, 100).all()
    assert evidence.passes == pytest.approx(12000 * 32 / evidence.training_pairs)
    assert all(len(v) == 48 for v in evidence.correct.values())
    assert set(evidence.curves["model"]) == {"albert-sotu", "bert-sotu"}
    assert "ln 2" in zso.describe_zoo_sentence_order(evidence)
