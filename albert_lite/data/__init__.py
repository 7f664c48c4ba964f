"""Text in, batches out: documents, corpora, sentences, the tokenizer, pairs, masking, datasets."""

from .classification import (
    ERA_NAMES,
    ERAS,
    ClassificationData,
    ClassificationDataset,
    LabelledText,
    classification_data,
    collate_classification,
    sotu_classification_data,
    sst2_classification_data,
)
from .corpora import CORPORA, load_corpus, offline_corpora
from .documents import Document, corpus_stats, split_documents
from .loaders import make_loader
from .masking import MaskedTokens, ngram_mask, ngram_probabilities, word_spans
from .pipeline import PreparedCorpus, corpus_tokenizer, prepare_corpus, split_corpus
from .pretraining_dataset import PretrainingDataset, build_pretraining_dataset, collate, pad_batch, tokenize_documents
from .sentence_pairs import TASKS, PretrainingExample, make_sentence_pairs, truncate_pair
from .sentences import split_sentences
from .synthetic import synthetic_corpus
from .tokenizer import Tokenizer, train_tokenizer
from .toy import RandomTokenDataset, synthetic_batch

__all__ = [
    "CORPORA", "ERAS", "ERA_NAMES", "TASKS", "ClassificationData", "ClassificationDataset", "Document",
    "LabelledText", "MaskedTokens", "PreparedCorpus", "PretrainingDataset", "PretrainingExample",
    "RandomTokenDataset", "Tokenizer", "build_pretraining_dataset", "classification_data", "collate",
    "collate_classification", "corpus_stats", "corpus_tokenizer", "load_corpus", "make_loader", "make_sentence_pairs",
    "ngram_mask", "ngram_probabilities", "offline_corpora", "pad_batch", "prepare_corpus", "sotu_classification_data",
    "split_corpus", "split_documents", "split_sentences", "sst2_classification_data", "synthetic_batch",
    "synthetic_corpus", "tokenize_documents", "train_tokenizer", "truncate_pair", "word_spans",
]
