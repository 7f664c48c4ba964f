"""Fine-tuning: data split by document, batches, encoder transfer, and a classifier that learns."""

import time

import numpy as np
import pytest
import torch

from albert_lite import AlbertConfig, AlbertForPreTraining, AlbertForSequenceClassification, AlbertModel
from albert_lite.data import Document, split_documents, synthetic_corpus
from albert_lite.data.classification import (
    ERA_NAMES,
    ERAS,
    ClassificationDataset,
    LabelledText,
    balance,
    classification_data,
    collate_classification,
    era_of,
    paragraph_examples,
    sotu_classification_data,
    sst2_classification_data,
)
from albert_lite.data.tokenizer import train_tokenizer
from albert_lite.special_tokens import CLS_ID, PAD_ID, SEP_ID
from albert_lite.training.checkpoints import save_checkpoint
from albert_lite.training.finetune import (
    chance_accuracy,
    classifier_from_pretrained,
    confusion_table,
    copy_encoder,
    finetune,
)
from albert_lite.training.metrics import evaluate

TOPICS = ("baking", "sailing", "astronomy", "chess")




@pytest.fixture(scope="module")
def topic_docs():
    """Synthetic documents of four topics, each cut into paragraphs of two sentences."""
    docs = [d for d in synthetic_corpus(400, 6, seed=3) if d.metadata["topic"] in TOPICS]
    docs = [Document(d.id, d.sentences, {**d.metadata, "paragraph_starts": [0, 2, 4]}) for d in docs]
    return split_documents(docs, 0.3, seed=0)


@pytest.fixture(scope="module")
def tokenizer(topic_docs):
    return train_tokenizer(topic_docs[0], 200, seed=0, hard_vocab_limit=False)


WIDER = dict(embedding_size=32, hidden_size=64, intermediate_size=128)


def topic_label(doc: Document) -> int:
    return TOPICS.index(doc.metadata["topic"])


def config(vocab_size, **changes):
    shape = dict(vocab_size=vocab_size, embedding_size=16, hidden_size=32, num_layers=2, num_heads=2,
                 intermediate_size=64, max_position_embeddings=32)
    return AlbertConfig(**{**shape, **changes})


def speech(doc_id, year, paragraphs):
    """A fake State of the Union document: paragraphs of sentences, with the loader's metadata."""
    sentences, starts = [], []
    for paragraph in paragraphs:
        starts.append(len(sentences))
        sentences += paragraph
    return Document(doc_id, sentences, {"year": year, "paragraph_starts": starts})


# ------------------------------------------------------------------ labels and examples


def test_eras_cover_every_year_once():
    assert era_of(1790) == 0 and era_of(1860) == 0 and era_of(1861) == 1
    assert era_of(1932) == 1 and era_of(1933) == 2 and era_of(1980) == 2 and era_of(1981) == 3
    assert [era_of(year) for year in range(1790, 2030)] == sorted(era_of(year) for year in range(1790, 2030))
    assert len(ERA_NAMES) == len(ERAS) == 4
    with pytest.raises(ValueError, match="year=1700"):
        era_of(1700)


def test_paragraph_examples_keep_long_paragraphs_with_their_document_label():
    words = "the union is strong and the people are free today".split()
    doc = speech("s1", 1950, [["Thank you."], [" ".join(words[:5]) + ".", " ".join(words[5:]) + "."]])
    examples = paragraph_examples([doc], lambda d: era_of(d.metadata["year"]), min_words=8)
    assert examples == [LabelledText(" ".join(doc.sentences[1:]), 2, "s1")]


def test_balance_gives_equal_classes_and_refuses_impossible_requests():
    examples = [LabelledText(f"t{i}", i % 3 if i < 30 else 0, f"d{i}") for i in range(40)]
    balanced = balance(examples, 3, seed=1)
    assert [sum(e.label == k for e in balanced) for k in range(3)] == [10, 10, 10]
    assert balance(examples, 3, seed=1) == balanced  # seeded
    assert len(balance(examples, 3, per_label=4)) == 12
    with pytest.raises(ValueError, match="rarest class"):
        balance(examples, 3, per_label=11)
    with pytest.raises(ValueError, match=r"label\(s\) \[3\]"):
        balance(examples, 4)
    with pytest.raises(ValueError, match="label 5"):
        balance([LabelledText("x", 5, "d")], 3)


# ------------------------------------------------------------------ datasets and batches


def test_dataset_wraps_and_truncates_and_collate_pads(tokenizer):
    examples = [LabelledText("First, the baker kneads the dough in the kitchen.", 1, "a"),
                LabelledText("Finally,", 0, "b")]
    data = ClassificationDataset(examples, tokenizer, max_len=6)
    long, short = data[0], data[1]
    assert len(long["input_ids"]) == 6
    assert long["input_ids"][0] == CLS_ID and long["input_ids"][-1] == SEP_ID
    assert long["input_ids"][1:-1].tolist() == tokenizer.encode(examples[0].text)[:4]
    batch = collate_classification([long, short])
    assert set(batch) == {"input_ids", "token_type_ids", "attention_mask", "labels"}
    k = len(short["input_ids"])
    assert batch["attention_mask"].tolist() == [[1] * 6, [1] * k + [0] * (6 - k)]
    assert (batch["input_ids"][1, k:] == PAD_ID).all() and batch["labels"].tolist() == [1, 0]
    assert data.labels.tolist() == [1, 0]
    model = AlbertForSequenceClassification(config(tokenizer.vocab_size), num_labels=2)
    output = model(**batch)  # the batch is the model's keyword arguments
    assert output.logits.shape == (2, 2) and output.loss.ndim == 0


def test_bad_dataset_inputs_are_refused(tokenizer):
    with pytest.raises(ValueError, match="max_len=2"):
        ClassificationDataset([LabelledText("a b", 0, "d")], tokenizer, max_len=2)
    with pytest.raises(ValueError, match="no examples"):
        ClassificationDataset([], tokenizer, max_len=8)
    with pytest.raises(ValueError, match="empty batch"):
        collate_classification([])


def test_splits_come_from_different_documents(topic_docs, tokenizer):
    train_docs, heldout_docs = topic_docs
    data = classification_data(tokenizer, 24, train_docs, heldout_docs, topic_label, TOPICS, min_words=4)
    train_ids = {e.doc_id for e in data.train.examples}
    test_ids = {e.doc_id for e in data.heldout.examples}
    assert train_ids and test_ids and not train_ids & test_ids
    table = data.describe()
    assert list(table["class"]) == list(TOPICS)
    assert table["train examples"].nunique() == 1 and table["heldout examples"].nunique() == 1  # balanced
    assert data.num_labels == 4
    with pytest.raises(ValueError, match="both splits"):
        classification_data(tokenizer, 24, train_docs, train_docs[:2], topic_label, TOPICS)
    with pytest.raises(ValueError, match="at least 2 classes"):
        classification_data(tokenizer, 24, train_docs, heldout_docs, topic_label, ["only"])
    with pytest.raises(ValueError, match="split="):
        data.loader("validation", 8)


def test_sotu_data_labels_paragraphs_by_era(tokenizer):
    text = ["The Congress met today and the nation listened with great care."]
    speeches = [speech(f"s{year}", year, [text, text]) for year in (1800, 1850, 1900, 1920, 1950, 1970, 1990, 2010)]
    train_docs, heldout_docs = speeches[::2], speeches[1::2]
    data = sotu_classification_data(tokenizer, 16, train_docs, heldout_docs)
    assert data.label_names == ERA_NAMES
    assert sorted(e.label for e in data.heldout.examples) == [0, 0, 1, 1, 2, 2, 3, 3]
    with pytest.raises(ValueError, match="heldout split: no examples of label"):
        sotu_classification_data(tokenizer, 16, train_docs, heldout_docs[:3])
    undated = Document("x", text, {})
    with pytest.raises(ValueError, match="'x' has no 'year'"):
        sotu_classification_data(tokenizer, 16, [undated], heldout_docs)


# ------------------------------------------------------------------ models


def test_classifier_from_pretrained_copies_the_encoder(tmp_path):
    torch.manual_seed(0)
    pretrained = AlbertForPreTraining(config(50))
    classifier = classifier_from_pretrained(pretrained, num_labels=3)
    for (name, ours), (_, theirs) in zip(classifier.albert.state_dict().items(),
                                         pretrained.albert.state_dict().items(), strict=True):
        assert torch.equal(ours, theirs), name
    ids = torch.randint(5, 50, (2, 7))
    classifier.eval()
    torch.testing.assert_close(classifier.albert(ids).pooled_output, pretrained.albert(ids).pooled_output)
    assert classifier(ids).logits.shape == (2, 3)
    # The copy is independent: training the classifier leaves the pretrained model alone.
    with torch.no_grad():
        classifier.albert.embeddings.word_embeddings.weight.add_(1.0)
    assert not torch.equal(classifier.albert.embeddings.word_embeddings.weight,
                           pretrained.albert.embeddings.word_embeddings.weight)
    # From a checkpoint folder, and from a bare encoder.
    save_checkpoint(tmp_path / "run", pretrained, step=1)
    from_disk = classifier_from_pretrained(tmp_path / "run", num_labels=2)
    for ours, theirs in zip(from_disk.albert.parameters(), pretrained.albert.parameters(), strict=True):
        assert torch.equal(ours, theirs)
    assert isinstance(classifier_from_pretrained(AlbertModel(config(50)), 2), AlbertForSequenceClassification)


def test_encoder_transfer_refuses_mismatches():
    with pytest.raises(TypeError, match="Linear"):
        classifier_from_pretrained(torch.nn.Linear(2, 2), 2)
    classifier = AlbertForSequenceClassification(config(50), 2)
    with pytest.raises(ValueError, match="hidden_size"):
        copy_encoder(classifier, AlbertForPreTraining(config(50, hidden_size=64, intermediate_size=128)))
    with pytest.raises(ValueError, match="num_labels=1"):
        classifier_from_pretrained(AlbertForPreTraining(config(50)), 1)


# ------------------------------------------------------------------ training


def test_finetuning_learns_topics_well_above_chance(topic_docs, tokenizer):
    # Two topics: a tiny model from scratch reliably leaves the chance plateau within 60 steps
    # (with four, it can sit for a while on a two-cluster solution; chapter 9 shows that plateau).
    names = TOPICS[:2]
    train_docs, heldout_docs = ([d for d in part if d.metadata["topic"] in names] for part in topic_docs)
    data = classification_data(tokenizer, 24, train_docs, heldout_docs, topic_label, names, min_words=4)
    torch.manual_seed(0)
    model = AlbertForSequenceClassification(config(tokenizer.vocab_size, **WIDER), len(names))
    before = evaluate(model, data.loader("heldout", 16))
    result = finetune(model, data, steps=60, batch_size=16, lr=2e-3, progress=False)
    after = evaluate(model, data.loader("heldout", 16))
    assert chance_accuracy(2) == 0.5
    assert after["accuracy"] >= 0.9 and after["accuracy"] > before["accuracy"] + 0.3
    assert after["loss"] < before["loss"]
    assert after["examples"] == len(data.heldout)
    assert result.final_eval["accuracy"] == pytest.approx(after["accuracy"])
    assert "accuracy" in result.history and result.history["loss"].iloc[-1] < result.history["loss"].iloc[0]
    table = confusion_table(model, data.loader("heldout", 16), names)
    assert table.to_numpy().sum() == len(data.heldout)
    assert (table.to_numpy().diagonal().sum() / len(data.heldout)) == pytest.approx(after["accuracy"])


def test_finetune_can_leave_the_held_out_set_to_its_caller(topic_docs, tokenizer):
    data = classification_data(tokenizer, 24, *topic_docs, topic_label, TOPICS, min_words=4)
    torch.manual_seed(0)
    model = AlbertForSequenceClassification(config(tokenizer.vocab_size), len(TOPICS))
    assert "accuracy" in finetune(model, data, steps=2, batch_size=8, progress=False).final_eval
    assert finetune(model, data, steps=2, batch_size=8, progress=False, test=False).final_eval is None


def test_classifier_evaluation_is_exact_over_a_partial_last_batch(topic_docs, tokenizer):
    data = classification_data(tokenizer, 24, *topic_docs, topic_label, TOPICS, min_words=4)
    torch.manual_seed(0)
    model = AlbertForSequenceClassification(config(tokenizer.vocab_size), len(TOPICS)).eval()
    batch = collate_classification([data.heldout[i] for i in range(len(data.heldout))])
    with torch.no_grad():
        output = model(**batch)
    logits, loss = output.logits, output.loss
    expected = (logits.argmax(-1) == batch["labels"]).float().mean().item()
    for size in (7, len(data.heldout)):  # 7 leaves a partial last batch
        scores = evaluate(model, data.loader("heldout", size))
        assert scores["accuracy"] == pytest.approx(expected)
        assert scores["loss"] == pytest.approx(loss.item(), rel=1e-5)


def test_finetune_refuses_bad_inputs(topic_docs, tokenizer):
    data = classification_data(tokenizer, 24, *topic_docs, topic_label, TOPICS, min_words=4)
    with pytest.raises(ValueError, match="predicts 2 classes but the data has 4"):
        finetune(AlbertForSequenceClassification(config(tokenizer.vocab_size), 2), data, steps=1, progress=False)
    with pytest.raises(ValueError, match="larger than the training set"):
        finetune(AlbertForSequenceClassification(config(tokenizer.vocab_size), 4), data, steps=1,
                 batch_size=10_000, progress=False)
    with pytest.raises(TypeError, match="AlbertForPreTraining"):
        finetune(AlbertForPreTraining(config(tokenizer.vocab_size)), data, steps=1, progress=False)
    with pytest.raises(ValueError, match="num_labels=1"):
        chance_accuracy(1)


def test_sst2_fails_fast_and_clearly_offline(monkeypatch, tokenizer):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    started = time.perf_counter()
    with pytest.raises(RuntimeError, match="SST-2 needs internet access"):
        sst2_classification_data(tokenizer, 32)
    assert time.perf_counter() - started < 5


def test_the_zoos_models_are_finetuned_on_the_zoos_own_held_out_speeches():
    """Three models on one task, and every test paragraph comes from a speech the zoo never read in pretraining."""
    from albert_lite import zoo
    from albert_lite.chapters.zoo_finetuning import finetune_zoo

    runs = finetune_zoo(dict(max_len=16, train_per_label=8, steps=1, batch_size=8, lr=1e-3, seeds=(0,)))
    assert list(runs.correct) == ["albert-sotu, pretrained", "albert-sotu's shape, random init",
                                  "bert-sotu, pretrained"]
    assert set(runs.speeches) <= set(zoo.load("albert-sotu").card["heldout_documents"])
    assert all(len(c) == len(runs.task.heldout) == len(runs.speeches) for c in runs.correct.values())
    assert len(runs.scores) == 3 and runs.bag_of_words["n"] == len(runs.task.heldout)
    # Frozen features: a probe per encoder, the packaged MiniLM among them, each paragraph scored 0 or 1.
    from albert_lite.chapters.zoo_finetuning import accuracy_table, frozen_feature_probes

    probes = frozen_feature_probes(runs)
    assert list(probes) == ["albert-sotu, frozen", "albert-sotu's shape, random init, frozen", "bert-sotu, frozen",
                            "all-MiniLM-L6-v2, frozen"]
    assert all(set(np.unique(p)) <= {0.0, 1.0} and len(p) == len(runs.speeches) for p in probes.values())
    table = accuracy_table(probes, runs.speeches)
    assert table["n"].tolist() == [len(runs.speeches)] * 4
    assert table["test accuracy %"].tolist() == pytest.approx([100 * p.mean() for p in probes.values()])
