"""Chapter 2's cut of the zoo's BERT: target by target at [MASK], the full rank changes nothing, and the reading
follows the numbers."""

import numpy as np

from albert_lite.chapters import zoo_factorization
from albert_lite.training.masked_lm import NEIGHBOURS, UNIGRAM, MaskedLMEvidence


def test_the_full_rank_is_the_uncut_model_and_every_row_reads_the_same_targets():
    evidence, table = zoo_factorization.zoo_word_table_cut(ranks=(8, 128), speeches=1)
    assert table["answers"].tolist() == ["bert-sotu, uncut", "bert-sotu, table cut to E = 8",
                                         "bert-sotu, table cut to E = 128", "albert-sotu, E = 64 from the start",
                                         NEIGHBOURS, UNIGRAM]
    assert np.array_equal(evidence.correct["bert-sotu, uncut"], evidence.correct["bert-sotu, table cut to E = 128"])
    assert evidence.accuracy("bert-sotu, table cut to E = 8")[0] < evidence.accuracy("bert-sotu, uncut")[0]
    from albert_lite.zoo import load

    v = load("bert-sotu").tokenizer.vocab_size
    assert table["word-table parameters"].iloc[:4].tolist() == [v * 128, v * 8 + 8 * 128, v * 128 + 128 * 128,
                                                                v * 64 + 64 * 128]
    assert len(set(evidence.documents)) == 1 and (table["n targets"] == evidence.n).all()


def test_the_reading_compares_each_cut_with_the_uncut_model_and_the_neighbour_table():
    rng = np.random.default_rng(0)
    docs = np.array([f"s{i % 10}" for i in range(2000)])
    uncut = (rng.random(2000) < 0.5).astype(float)
    correct = {"bert-sotu, uncut": uncut, "bert-sotu, table cut to E = 16": uncut * (rng.random(2000) < 0.5),
               "bert-sotu, table cut to E = 64": uncut.copy(), "albert-sotu, E = 64 from the start": uncut.copy(),
               NEIGHBOURS: (rng.random(2000) < 0.3).astype(float), UNIGRAM: np.zeros(2000)}
    text = zoo_factorization.describe_zoo_word_table_cut(MaskedLMEvidence(correct, docs))
    lines = text.splitlines()
    assert lines[0].startswith("- bert-sotu, table cut to E = 16") and "the cut costs +2" in lines[0]
    assert "(beyond the noise)" in lines[0]
    assert "the cut costs +0.0 ± 0.0 points (within the noise)" in lines[1]
    assert "E = 64 keeps 100% of that lead" in lines[2] and "E = 16 fall below the table" in lines[2]
    assert "albert-sotu, E = 64 from the start against bert-sotu, table cut to E = 64" in lines[3]
    assert "2,000 [MASK] targets from 10 held-out speeches" in lines[4]
