"""The cheap predictors every trained result is set beside: the unigram, word overlap, a sided bag of
words, and what a pair of a given length keeps of its sentences.

A model's accuracy means something only next to the best of these on the same examples.
"""

from __future__ import annotations

import torch

from ..data import PreparedCorpus, tokenize_documents
from ..data.classification import ClassificationData
from ..statistics import clustered_mean, majority_share, standard_error
from ..training.masked_lm import masked_targets, most_frequent_piece
from .probes import probe_accuracy, probe_predictions


def unigram_accuracy(data: PreparedCorpus, task: str | None, batch_size: int, seed: int = 0) -> float:
    """Masked-LM accuracy of always predicting the most frequent piece of the training examples, at the held-out
    targets that show [MASK]: the plateau a model sits on until it uses the context."""
    answer = most_frequent_piece((e.input_ids for e in data.dataset("train", task, seed).examples),
                                 data.tokenizer.vocab_size, data.tokenizer.special_ids)
    targets = masked_targets(data.loader("heldout", task, batch_size))["target"]
    return float((targets == answer).mean())


def word_overlap_baseline(data: PreparedCorpus, task: str, seed: int = 0) -> dict:
    """A trivial baseline for a sentence task: the share of A's and B's word pieces they have in common
    (Jaccard), with the threshold that scores best on the training pairs, measured on held-out pairs.

    It reads no order, only vocabulary: it solves NSP where documents differ in topic, and cannot solve
    SOP, whose two classes hold the same words."""

    def overlaps(split: str) -> tuple[torch.Tensor, torch.Tensor]:
        examples = data.dataset(split, task, seed).examples
        values = [len(set(e.segment_a) & set(e.segment_b)) / max(1, len(set(e.segment_a) | set(e.segment_b)))
                  for e in examples]
        return torch.tensor(values), torch.tensor([e.sentence_label for e in examples])

    train_x, train_y = overlaps("train")
    candidates = torch.unique(train_x)
    # Label 1 (swapped, or another document) when the overlap is at most the threshold.
    scores = torch.stack([((train_x <= t).long() == train_y).float().mean() for t in candidates])
    threshold = candidates[int(scores.argmax())]
    test_x, test_y = overlaps("heldout")
    accuracy = ((test_x <= threshold).long() == test_y).float().mean().item()
    majority = majority_share(test_y.float().mean().item())
    return {"task": task.upper(), "word-overlap accuracy %": 100 * accuracy,
            "s.e. %": standard_error(100 * accuracy, len(test_y)),
            "majority class %": 100 * majority, "n": len(test_y), "threshold": float(threshold)}


def bag_of_words_baseline(data: PreparedCorpus, task: str, seed: int = 0, max_train: int = 4000) -> dict:
    """A trivial baseline that can read order words: logistic regression on the bag of A's pieces next to the bag
    of B's pieces (which pieces sit in which segment, not where in it), fitted on training pairs, measured on
    held-out pairs. Where it beats the majority class, the words of a pair tell the answer; where a model's head
    stays at chance beside it, the head has not learned what the words show."""

    def bags(split: str, limit: int | None) -> tuple[torch.Tensor, torch.Tensor]:
        examples = data.dataset(split, task, seed).examples[:limit]
        vocab = data.tokenizer.vocab_size
        features = torch.zeros(len(examples), 2 * vocab)
        for row, example in enumerate(examples):
            features[row, example.segment_a] = 1.0
            features[row, [vocab + i for i in example.segment_b]] = 1.0
        return features, torch.tensor([e.sentence_label for e in examples])

    train_x, train_y = bags("train", max_train)
    test_x, test_y = bags("heldout", None)
    answers = probe_predictions(train_x, train_y, test_x, 2)
    accuracy = (answers == test_y).float().mean().item()
    train_accuracy = probe_accuracy(train_x, train_y, train_x, train_y)
    majority = majority_share(test_y.float().mean().item())
    return {"task": task.upper(), "bag-of-words accuracy %": 100 * accuracy,
            "s.e. %": standard_error(100 * accuracy, len(test_y)), "majority class %": 100 * majority,
            "n": len(test_y), "on its training pairs %": 100 * train_accuracy, "training pairs": len(train_y),
            # pair by pair, for paired comparisons: right (1) or wrong (0), and the answer
            "correct": (answers == test_y).float().numpy(), "says 1": answers.float().numpy()}


def segment_starts(data: PreparedCorpus, task: str = "sop", split: str = "train") -> dict:
    """What a pair keeps of its sentences at ``data.seq_len``: tokens per sentence, the room a segment has,
    and the share of segments that still begin where a sentence begins (where the story corpus puts its
    order words, "First", "Then", "Finally"). A sentence longer than its room is cut at both ends."""
    examples = data.dataset(split, task, seed=0).examples
    docs = data.train_docs if split == "train" else data.heldout_docs
    tokenized = dict(zip((d.id for d in docs), tokenize_documents(docs, data.tokenizer), strict=True))
    openings = {doc: {tuple(sentence[:2]) for sentence in sentences} for doc, sentences in tokenized.items()}
    kept = [tuple(ex.segment_a[:2]) in openings[ex.document_id] for ex in examples]
    kept += [tuple(ex.segment_b[:2]) in openings[ex.b_document_id or ex.document_id] for ex in examples]
    lengths = [len(sentence) for sentences in tokenized.values() for sentence in sentences]
    return {"tokens per pair": data.seq_len, "room per segment": (data.seq_len - 3) / 2,
            "tokens per sentence": sum(lengths) / len(lengths), "segments": len(kept),
            "segments that begin a sentence %": 100 * sum(kept) / len(kept)}


def pair_evidence(data: PreparedCorpus, task: str) -> dict:
    """What the pairs of ``data`` hold for a sentence task: :func:`segment_starts` and the bag-of-words baseline."""
    bow = bag_of_words_baseline(data, task)
    return {**segment_starts(data, task), "bag-of-words %": bow["bag-of-words accuracy %"],
            "bag-of-words s.e. %": bow["s.e. %"], "majority class %": bow["majority class %"],
            "held-out pairs": bow["n"]}



def bag_of_words_classifier(task: ClassificationData, vocab_size: int) -> dict:
    """The trivial baseline of a paragraph classifier: a logistic regression on which pieces a paragraph holds
    (log counts), fitted on the training paragraphs, scored on the held-out ones. Its standard error is clustered
    by speech (paragraphs of one speech share their topic and their words), as every held-out accuracy here is."""

    def bags(dataset) -> torch.Tensor:
        counts = torch.zeros(len(dataset), vocab_size)
        for row, ids in enumerate(dataset.ids):
            counts[row] += torch.bincount(torch.tensor(ids), minlength=vocab_size)[:vocab_size]
        return counts.log1p()

    train_y, test_y = torch.as_tensor(task.train.labels), torch.as_tensor(task.heldout.labels)
    predicted = probe_predictions(bags(task.train), train_y, bags(task.heldout), task.num_labels)
    speeches = [example.doc_id for example in task.heldout.examples]
    accuracy, se = clustered_mean((predicted == test_y).float().numpy(), speeches)
    shares = torch.bincount(test_y, minlength=task.num_labels).float() / len(test_y)
    return {"bag-of-words %": 100 * accuracy, "± s.e. (by speech) %": 100 * se, "n": len(test_y),
            "speeches": len(set(speeches)), "majority class %": 100 * float(shares.max()),
            "correct": (predicted == test_y).float().numpy()}  # paragraph by paragraph, for paired comparisons
