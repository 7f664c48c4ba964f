"""WikiText-2 and WikiText-103 through ``datasets``: online only, refused fast offline."""

from __future__ import annotations

import re

from tqdm.auto import tqdm

from ..online import require_online
from .documents import Document
from .sentences import large_regex_cache, split_sentences

WIKITEXT_CONFIGS = {"wikitext-2": "wikitext-2-raw-v1", "wikitext-103": "wikitext-103-raw-v1"}


def load_wikitext(name: str, offline_hint: str = "") -> list[Document]:
    """WikiText articles as documents (headings ``= Title =`` start a new one); ``offline_hint``
    ends the error raised when the network or ``datasets`` is missing."""
    datasets = require_online("datasets", f"load_corpus({name!r})", offline_hint)
    table = datasets.load_dataset("Salesforce/wikitext", WIKITEXT_CONFIGS[name], split="train")
    heading = re.compile(r"^ = [^=].* = $")
    docs: list[Document] = []
    title, paragraphs = None, []

    def flush() -> None:
        if title is not None and paragraphs:
            sentences, starts = [], []
            for p in paragraphs:
                parts = split_sentences(p)
                if parts:
                    starts.append(len(sentences))
                    sentences.extend(parts)
            docs.append(Document(f"{name}:{len(docs)}", sentences, {"title": title, "paragraph_starts": starts}))

    with large_regex_cache():
        for line in tqdm(table["text"], desc=f"splitting {name} into sentences"):
            if heading.match(line):
                flush()
                title, paragraphs = line.strip(" =\n"), []
            elif line.strip() and not line.startswith(" = "):
                paragraphs.append(line.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".").strip())
        flush()
    return docs
