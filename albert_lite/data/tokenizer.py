"""A SentencePiece tokenizer with ALBERT's conventions.

ALBERT tokenizes with a SentencePiece unigram model: ``<pad>`` is id 0, ``<unk>`` id 1, and
``[CLS]``, ``[SEP]`` and ``[MASK]`` are control symbols (ids 2, 3, 4) that never come out of
ordinary text. A piece that starts with "▁" starts a word, which is what whole-word n-gram
masking needs to know.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import sentencepiece as spm

from ..files import write_bytes_atomically
from ..special_tokens import CLS, CLS_ID, MASK, MASK_ID, PAD, PAD_ID, SEP, SEP_ID, UNK, UNK_ID

WORD_START = "\u2581"  # "▁", SentencePiece's mark for "a space came before this piece"
MODEL_TYPES = ("unigram", "bpe", "char", "word")


class Tokenizer:
    """Text to ids and back, plus the facts about ids that masking needs."""

    def __init__(self, model_proto: bytes):
        self.model_proto = bytes(model_proto)
        self.sp = spm.SentencePieceProcessor(model_proto=self.model_proto)
        for name, expected in ((PAD, PAD_ID), (UNK, UNK_ID), (CLS, CLS_ID), (SEP, SEP_ID), (MASK, MASK_ID)):
            if self.sp.piece_to_id(name) != expected:
                raise ValueError(
                    f"this SentencePiece model has {name} at id {self.sp.piece_to_id(name)}, ALBERT's convention is "
                    f"{expected}: train it with albert_lite.train_tokenizer"
                )
        pieces = [self.sp.id_to_piece(i) for i in range(self.vocab_size)]
        # A lookup table: is_word_start for a whole sequence is then one numpy indexing.
        self.word_start_table = np.array(
            [p.startswith(WORD_START) and not self.sp.is_control(i) for i, p in enumerate(pieces)], dtype=bool
        )

    # ---- ids of the special symbols
    pad_id, unk_id, cls_id, sep_id, mask_id = PAD_ID, UNK_ID, CLS_ID, SEP_ID, MASK_ID

    @property
    def special_ids(self) -> frozenset[int]:
        """Ids that masking must never choose: padding and the control symbols."""
        return frozenset({PAD_ID, CLS_ID, SEP_ID, MASK_ID})

    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    def __len__(self) -> int:
        return self.vocab_size

    # ---- text <-> ids
    def encode(self, text: str) -> list[int]:
        return self.sp.encode(text)

    def encode_batch(self, texts: Sequence[str], num_threads: int = -1) -> list[list[int]]:
        """Many texts at once, in SentencePiece's own threads (much faster than a Python loop)."""
        return self.sp.encode(list(texts), num_threads=num_threads)

    def decode(self, ids: Sequence[int]) -> str:
        return self.sp.decode([int(i) for i in ids])

    def pieces(self, text: str) -> list[str]:
        return self.sp.encode(text, out_type=str)

    def id_to_piece(self, i: int) -> str:
        return self.sp.id_to_piece(int(i))

    def piece_to_id(self, piece: str) -> int:
        return self.sp.piece_to_id(piece)

    def is_word_start(self, i: int) -> bool:
        """True when piece ``i`` begins a word (starts with "▁"); control symbols never do."""
        return bool(self.word_start_table[int(i)])

    # ---- files
    def save(self, path: str | os.PathLike) -> Path:
        """Write the SentencePiece model (the usual ``.model`` file, readable by any SentencePiece)."""
        return write_bytes_atomically(path, self.model_proto)

    @classmethod
    def load(cls, path: str | os.PathLike) -> Tokenizer:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"tokenizer model {str(path)!r} does not exist")
        return cls(path.read_bytes())

    # ---- pickling (DataLoader workers): the C++ processor is rebuilt from the bytes
    def __getstate__(self) -> dict:
        return {"model_proto": self.model_proto}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["model_proto"])

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size})"


def _sentences(docs_or_sentences: Iterable) -> list[str]:
    out = []
    for item in docs_or_sentences:
        if isinstance(item, str):
            out.append(item)
        elif hasattr(item, "sentences"):
            out.extend(item.sentences)
        else:
            raise TypeError(f"train_tokenizer takes Documents or strings, got {type(item).__name__}")
    return [s for s in out if s.strip()]


def train_tokenizer(
    docs_or_sentences: Iterable,
    vocab_size: int,
    model_type: str = "unigram",
    *,
    seed: int = 0,
    num_threads: int = 2,
    input_sentence_size: int = 2_000_000,
    character_coverage: float = 1.0,
    lowercase: bool = False,
    max_sentence_length: int = 8192,
    **options,
) -> Tokenizer:
    """Train SentencePiece in memory (no files) with ALBERT's special symbols.

    ``lowercase=True`` folds case in SentencePiece's normalizer (ALBERT v2's English models are
    uncased). ``input_sentence_size`` caps how many sentences are sampled for training, the knob
    that keeps training time bounded on large corpora. ``character_coverage=1.0`` keeps every
    character (English has a small alphabet; SentencePiece's default 0.9995 turns rare ones such
    as "!" into ``<unk>`` on the State of the Union). Extra ``options`` go to SentencePiece.
    """
    if model_type not in MODEL_TYPES:
        raise ValueError(f"model_type={model_type!r} is not allowed: choose one of {MODEL_TYPES}")
    sentences = _sentences(docs_or_sentences)
    if not sentences:
        raise ValueError("train_tokenizer got no text: pass Documents or non-empty strings")
    if vocab_size < 16:
        raise ValueError(f"vocab_size must be at least 16, got {vocab_size}")
    spm.set_random_generator_seed(seed)
    writer = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences),
            model_writer=writer,
            vocab_size=vocab_size,
            model_type=model_type,
            pad_id=PAD_ID,
            unk_id=UNK_ID,
            bos_id=-1,
            eos_id=-1,
            control_symbols=[CLS, SEP, MASK],
            num_threads=num_threads,
            input_sentence_size=input_sentence_size,
            shuffle_input_sentence=True,
            character_coverage=character_coverage,
            normalization_rule_name="nmt_nfkc_cf" if lowercase else "nmt_nfkc",
            max_sentence_length=max_sentence_length,
            minloglevel=2,
            **options,
        )
    except RuntimeError as err:
        raise ValueError(f"SentencePiece could not train a {vocab_size}-piece {model_type} model: {err}") from None
    return Tokenizer(writer.getvalue())
