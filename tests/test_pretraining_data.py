"""Sentence pairs, n-gram masking and batches: invariants and statistics with fixed seeds."""

import random
from collections import Counter

import numpy as np
import pytest
import torch

from albert_lite import AlbertConfig, AlbertForPreTraining
from albert_lite.data import (
    PretrainingDataset,
    build_pretraining_dataset,
    collate,
    make_sentence_pairs,
    ngram_mask,
    ngram_probabilities,
    synthetic_corpus,
    tokenize_documents,
    truncate_pair,
    word_spans,
)
from albert_lite.data.tokenizer import train_tokenizer
from albert_lite.special_tokens import IGNORE_INDEX

CLS, SEP, MASK = 2, 3, 4


def tagged_docs(n_docs=40, n_sent=9, seed=0, lengths=(3, 14)):
    """Token ids that say where they come from: 10**6 * (doc + 1) + 1000 * sentence + position."""
    rng = np.random.default_rng(seed)
    docs = []
    for d in range(n_docs):
        docs.append(
            [
                [10**6 * (d + 1) + 1000 * s + k for k in range(int(rng.integers(*lengths)))]
                for s in range(n_sent)
            ]
        )
    return docs


def doc_of(token: int) -> int:
    return token // 10**6 - 1


def is_contiguous_slice(tokens, doc) -> bool:
    stream = [t for s in doc for t in s]
    if not tokens:
        return False
    start = stream.index(tokens[0])
    return stream[start : start + len(tokens)] == list(tokens)


def starts_sentence(token: int) -> bool:
    return token % 1000 == 0


# --------------------------------------------------------------------------- pairs


@pytest.mark.parametrize("task", ["sop", "nsp"])
def test_pair_layout_lengths_and_balance(task):
    docs = tagged_docs(200, 10)
    ex = make_sentence_pairs(docs, task, 48, short_seq_prob=0.2, seed=0)
    assert len(ex) > 400
    labels = [e.sentence_label for e in ex]
    assert set(labels) == {0, 1}
    assert 0.45 < np.mean(labels) < 0.55
    lengths = [len(e) for e in ex]
    assert max(lengths) <= 48 and min(lengths) >= 5
    assert sum(n < 40 for n in lengths) > 0.05 * len(ex)  # short targets happen
    for e in ex:
        a, b = e.segment_a, e.segment_b
        assert a and b
        assert e.input_ids == [CLS, *a, SEP, *b, SEP]
        assert e.token_type_ids == [0] * (len(a) + 2) + [1] * (len(b) + 1)


def test_sop_stays_in_document_and_swap_is_exact():
    docs = tagged_docs(60, 8)
    ex = make_sentence_pairs(docs, "sop", 1000, short_seq_prob=0.5, seed=1, doc_ids=[f"d{i}" for i in range(60)])
    for e in ex:
        d = int(e.document_id[1:])
        assert e.b_document_id == e.document_id
        assert {doc_of(t) for t in e.segment_a + e.segment_b} == {d}
        first, second = (e.segment_a, e.segment_b) if e.sentence_label == 0 else (e.segment_b, e.segment_a)
        assert is_contiguous_slice(first + second, docs[d])  # nothing lost, nothing added
        assert starts_sentence(second[0]) and starts_sentence(first[0])  # split at a sentence boundary
    assert 0.4 < np.mean([e.sentence_label for e in ex]) < 0.6


def test_single_segment_chunks_never_leave_the_document():
    # Every sentence alone fills the target, so each chunk would hold a single sentence: the
    # original code then took B from another document and called the pair "swapped".
    docs = tagged_docs(50, 5, lengths=(30, 40))
    docs.append([[10**6 * 51 + k for k in range(35)]])  # a one-sentence document
    ex = make_sentence_pairs(docs, "sop", 40, short_seq_prob=0.0, seed=2)
    assert ex
    for e in ex:
        tokens = e.segment_a + e.segment_b
        assert len({doc_of(t) for t in tokens}) == 1
        assert {t // 1000 for t in e.segment_a}.isdisjoint({t // 1000 for t in e.segment_b})  # two sentences
        assert doc_of(tokens[0]) != 50  # the one-sentence document gives no pair at all


def test_nsp_negatives_come_from_other_documents():
    docs = tagged_docs(80, 9)
    ex = make_sentence_pairs(docs, "nsp", 1000, seed=3, doc_ids=[str(i) for i in range(80)])
    for e in ex:
        d = int(e.document_id)
        assert {doc_of(t) for t in e.segment_a} == {d}
        if e.sentence_label == 0:
            assert e.b_document_id == e.document_id
            assert is_contiguous_slice(e.segment_a + e.segment_b, docs[d])
        else:
            other = int(e.b_document_id)
            assert other != d and {doc_of(t) for t in e.segment_b} == {other}
            assert is_contiguous_slice(e.segment_b, docs[other])
    assert 0.45 < np.mean([e.sentence_label for e in ex]) < 0.55


def test_mlm_only_examples_are_single_segments():
    docs = tagged_docs(20, 6)
    ex = make_sentence_pairs(docs, None, 32, seed=0)
    assert all(e.sentence_label is None and e.segment_b == [] for e in ex)
    assert all(e.input_ids == [CLS, *e.segment_a, SEP] and set(e.token_type_ids) == {0} for e in ex)
    assert max(len(e) for e in ex) <= 32


def test_pairs_are_seeded_and_validated():
    docs = tagged_docs(20, 6)
    assert make_sentence_pairs(docs, "sop", 64, seed=5) == make_sentence_pairs(docs, "sop", 64, seed=5)
    assert make_sentence_pairs(docs, "sop", 64, seed=5) != make_sentence_pairs(docs, "sop", 64, seed=6)
    with pytest.raises(ValueError, match="task"):
        make_sentence_pairs(docs, "mlm", 64)
    with pytest.raises(ValueError, match="max_seq_len"):
        make_sentence_pairs(docs, "sop", 4)
    with pytest.raises(ValueError, match="NSP needs"):
        make_sentence_pairs(docs[:1], "nsp", 64)


def test_truncation_is_fair():
    rng = np.random.default_rng(0)
    a, b = list(range(100)), list(range(100, 110))
    fronts = backs = 0
    for _ in range(200):
        ta, tb = truncate_pair(a, b, 50, rng)
        assert len(ta) + len(tb) == 50 and tb == b  # only the longer one is cut
        assert ta == a[ta[0] : ta[0] + len(ta)]
        fronts += ta[0] > 0
        backs += ta[-1] < 99
    assert fronts > 150 and backs > 150  # both ends lose tokens
    ta, tb = truncate_pair(list(range(30)), list(range(30)), 20, rng)
    assert len(ta) == len(tb) == 10


# --------------------------------------------------------------------------- masking


@pytest.fixture(scope="module")
def tok_and_examples():
    docs = synthetic_corpus(120, 10, seed=0)
    tok = train_tokenizer(docs, 300, seed=0)
    ex = make_sentence_pairs(tokenize_documents(docs, tok), "sop", 128, seed=0)
    return tok, ex


def run_masks(tok, examples, seed=0, **kw):
    rng = np.random.default_rng(seed)
    kw.setdefault("max_predictions", 10**6)
    return [
        (e, *ngram_mask(e.input_ids, tok.word_start_table, rng=rng, vocab_size=tok.vocab_size, **kw))
        for e in examples
    ]


def test_masking_rate_and_cap(tok_and_examples):
    tok, ex = tok_and_examples
    out = run_masks(tok, ex)
    chosen = sum(int((labels != IGNORE_INDEX).sum()) for _, _, labels, _ in out)
    tokens = sum(len(e.input_ids) - 3 for e in ex)
    assert 0.14 < chosen / tokens <= 0.152
    capped = run_masks(tok, ex, max_predictions=5)
    assert max(int((labels != IGNORE_INDEX).sum()) for _, _, labels, _ in capped) == 5


def test_ngram_lengths_follow_one_over_n(tok_and_examples):
    tok, ex = tok_and_examples
    assert np.allclose(ngram_probabilities(3), [6 / 11, 3 / 11, 2 / 11])
    # In long sequences at a low masking rate spans rarely collide or meet the budget, so the
    # drawn law shows through.
    stream = [t for e in ex for t in e.segment_a]
    long = [[CLS] + stream[k : k + 3000] + [SEP] for k in range(0, len(stream) - 3000, 3000)]
    assert len(long) >= 4
    rng = np.random.default_rng(0)
    counts = Counter()
    for ids in long * 16:
        *_, spans = ngram_mask(
            ids, tok.word_start_table, rng=rng, vocab_size=tok.vocab_size, mask_prob=0.04, max_predictions=10**6,
        )  # fmt: skip
        counts.update(n for *_, n in spans)
    total = sum(counts.values())
    assert total > 1500
    measured = np.array([counts[n] / total for n in (1, 2, 3)])
    assert np.abs(measured - [6 / 11, 3 / 11, 2 / 11]).max() < 0.03, measured
    # At 15% collisions and the budget favour short spans, but the order stays.
    counts = Counter(n for *_, spans in run_masks(tok, ex) for *_, n in spans)
    assert counts[1] > counts[2] > counts[3] > 0 and set(counts) == {1, 2, 3}
    counts = Counter(n for *_, spans in run_masks(tok, ex[:100], max_ngram=1) for *_, n in spans)
    assert set(counts) == {1}


def test_80_10_10(tok_and_examples):
    tok, ex = tok_and_examples
    actions = Counter()
    for e, masked, labels, _ in run_masks(tok, ex):
        ids = np.array(e.input_ids)
        sel = labels != IGNORE_INDEX
        actions["mask"] += int((masked[sel] == MASK).sum())
        actions["keep"] += int((masked[sel] == ids[sel]).sum())
        actions["random"] += int(((masked[sel] != MASK) & (masked[sel] != ids[sel])).sum())
        assert (labels[sel] == ids[sel]).all()
        assert (masked[~sel] == ids[~sel]).all()  # nothing else changes
    total = sum(actions.values())
    assert abs(actions["mask"] / total - 0.8) < 0.02
    assert abs(actions["keep"] / total - 0.1) < 0.02
    assert abs(actions["random"] / total - 0.1) < 0.02


def test_whole_words_no_specials_no_overlap(tok_and_examples):
    tok, ex = tok_and_examples
    for e, masked, labels, spans in run_masks(tok, ex[:300]):
        ids = np.array(e.input_ids)
        sel = labels != IGNORE_INDEX
        assert not np.isin(ids[sel], list(tok.special_ids)).any()
        assert not np.isin(masked[sel], [0, 2, 3]).any()  # random replacements are never special
        begins, ends, segment = word_spans(ids, tok.word_start_table, tok.special_ids)
        for b, f in zip(begins, ends, strict=True):
            assert sel[b:f].all() or not sel[b:f].any()  # a word is masked whole or not at all
        covered = np.zeros(len(ids), dtype=bool)
        for lo, hi, n in spans:
            assert not covered[lo:hi].any()
            covered[lo:hi] = True
            assert SEP not in ids[lo:hi]  # an n-gram never crosses [SEP]
            assert n == int(((begins >= lo) & (begins < hi)).sum())
        assert (covered == sel).all()


def test_masking_uses_only_the_given_generator(tok_and_examples):
    tok, ex = tok_and_examples
    ids = ex[0].input_ids
    kw = dict(vocab_size=tok.vocab_size)
    np.random.seed(1)
    a = ngram_mask(ids, tok.word_start_table, rng=np.random.default_rng(7), **kw)
    np.random.seed(2)
    b = ngram_mask(ids, tok.word_start_table, rng=np.random.default_rng(7), **kw)
    assert (a.input_ids == b.input_ids).all() and (a.labels == b.labels).all() and a.spans == b.spans
    c = ngram_mask(ids, tok.is_word_start, rng=random.Random(3), **kw)
    d = ngram_mask(ids, tok.is_word_start, rng=random.Random(3), **kw)
    assert (c.input_ids == d.input_ids).all() and (c.labels == d.labels).all() and c.spans == d.spans
    with pytest.raises(ValueError, match="mask_prob"):
        ngram_mask(ids, tok.word_start_table, rng=np.random.default_rng(0), vocab_size=300, mask_prob=1.5)


# --------------------------------------------------------------------------- dataset and batches


def test_static_and_dynamic_masking(tok_and_examples):
    tok, ex = tok_and_examples
    static = PretrainingDataset(ex[:50], tok, masking="static", seed=0)
    dynamic = PretrainingDataset(ex[:50], tok, masking="dynamic", seed=0)
    first = [dynamic[i]["input_ids"] for i in range(50)]
    assert all(torch.equal(first[i], dynamic[i]["input_ids"]) for i in reversed(range(50)))  # order-free
    s0 = [static[i]["mlm_labels"] for i in range(50)]
    static.set_epoch(1)
    dynamic.set_epoch(1)
    assert all(torch.equal(s0[i], static[i]["mlm_labels"]) for i in range(50))
    changed = sum(not torch.equal(first[i], dynamic[i]["input_ids"]) for i in range(50))
    assert changed > 45
    with pytest.raises(ValueError, match="masking"):
        PretrainingDataset(ex, tok, masking="sometimes")


@pytest.mark.parametrize("task", ["sop", "nsp", None])
def test_collate_feeds_the_model(task):
    docs = synthetic_corpus(40, 8, seed=1)
    tok = train_tokenizer(docs, 200, "bpe")
    ds = build_pretraining_dataset(docs, tok, task, 64, seed=0, dupe_factor=2)
    assert len(ds) > 40
    batch = collate([ds[i] for i in range(6)])
    expected = {"input_ids", "token_type_ids", "attention_mask", "mlm_labels"}
    expected |= {"sentence_labels"} if task else set()
    assert set(batch) == expected
    n, length = batch["input_ids"].shape
    assert n == 6 and length == max(len(ds.examples[i]) for i in range(6))
    for row in range(6):
        k = len(ds.examples[row])
        assert batch["attention_mask"][row].tolist() == [1] * k + [0] * (length - k)
        assert (batch["input_ids"][row, k:] == 0).all() and (batch["mlm_labels"][row, k:] == IGNORE_INDEX).all()
    config = AlbertConfig(
        vocab_size=tok.vocab_size, embedding_size=16, hidden_size=32, num_layers=2, num_heads=2,
        max_position_embeddings=64,
    )  # fmt: skip
    out = AlbertForPreTraining(config)(**batch)
    assert torch.isfinite(out.loss)
    assert out.mlm_logits.shape[0] == int((batch["mlm_labels"] != IGNORE_INDEX).sum())
    out.loss.backward()
    with pytest.raises(ValueError, match="mixes"):
        unlabelled = {k: v for k, v in ds[1].items() if k != "sentence_labels"}
        collate([{**ds[0], "sentence_labels": torch.tensor(1)}, unlabelled])
