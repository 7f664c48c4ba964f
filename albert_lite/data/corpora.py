"""Every corpus the book can train on, by name: one registry, one ``load_corpus``.

A new source is one module with a loader and one entry in :data:`CORPORA`; the CLI's help,
the error messages and the book's lists all read the registry.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..config import check_int
from .documents import Document, check_usable, sample_documents
from .sotu import load_sotu
from .synthetic import synthetic_corpus, topic_dense_corpus
from .text_files import load_text_documents
from .wikitext import WIKITEXT_CONFIGS, load_wikitext

PATH_SOURCE = "a path to a text file or folder"


@dataclass(frozen=True)
class CorpusSource:
    """How to load one named corpus: ``load(max_documents, seed, cache_dir)`` and whether it works offline."""

    description: str
    offline: bool
    load: Callable[[int | None, int, str | os.PathLike | None], list[Document]]


def _wikitext(name: str) -> CorpusSource:
    def load(max_documents, seed, cache_dir):
        return sample_documents(load_wikitext(name, f"Offline corpora: {', '.join(offline_corpora())}."),
                                max_documents, seed)

    return CorpusSource(f"{name} (Wikipedia articles, through `datasets`; online only)", False, load)


CORPORA: dict[str, CorpusSource] = {
    "sotu": CorpusSource("the US State of the Union addresses, one document per speech", True, load_sotu),
    "synthetic": CorpusSource(
        "generated documents whose topic and sentence order are known by construction", True,
        lambda max_documents, seed, cache_dir: synthetic_corpus(max_documents or 200, 12, seed),
    ),
    "synthetic-topics": CorpusSource(
        "generated documents of topic-dense sentences, for SOP versus NSP (chapter 6)", True,
        lambda max_documents, seed, cache_dir: topic_dense_corpus(max_documents or 400, 12, seed),
    ),
    **{name: _wikitext(name) for name in WIKITEXT_CONFIGS},
}


def offline_corpora() -> tuple[str, ...]:
    """The corpora that need no network, and the path option."""
    return (*(name for name, source in CORPORA.items() if source.offline), PATH_SOURCE)


def load_corpus(
    name_or_path: str | os.PathLike,
    *,
    max_documents: int | None = None,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
) -> list[Document]:
    """Load a corpus by name (a key of :data:`CORPORA`) or from a path in the BERT format.

    ``max_documents`` keeps a seeded random sample of documents (in their original order);
    for ``"synthetic"`` it is the number of documents generated (default 200). Raises a
    clear error instead of ever returning an empty corpus.
    """
    if max_documents is not None:
        check_int("max_documents", max_documents, note=", or None for every document")
    key = str(name_or_path)
    if key in CORPORA:
        docs = CORPORA[key].load(max_documents, seed, cache_dir)
    else:
        path = Path(name_or_path).expanduser()
        if not path.exists():
            raise FileNotFoundError(
                f"{key!r} is neither a corpus name ({', '.join(CORPORA)}) nor an existing file or folder"
            )
        docs = sample_documents(load_text_documents(path), max_documents, seed)
    check_usable(docs, key)
    return docs
