"""Released ALBERT checkpoints from the Hugging Face Hub, converted into albert_lite.

``transformers`` downloads and loads the weights; ``albert_lite.interop`` copies them name by
name; the checkpoint's own SentencePiece file (``spiece.model``) becomes an albert_lite
tokenizer. Without internet this module fails within seconds with :class:`HubUnavailable`,
never waiting on a network that is not there.
"""

from __future__ import annotations

import os
import time
import unicodedata
import warnings
from collections.abc import Sequence
from typing import NamedTuple

import pandas as pd
import torch
from torch import nn

from ..config import check_positive_int
from ..data.tokenizer import Tokenizer
from ..model import AlbertForPreTraining
from ..online import HUB_HOST, HUB_PORT, hub_reachable, offline_by_setting, require
from ..special_tokens import MASK
from .convert import from_transformers

OFFLINE_ADVICE = (
    "Run this on Colab or another machine with internet access (the first download is about 50 MB), "
    "or stay offline and build the same shapes with random weights: transformers.AlbertForPreTraining("
    "transformers.AlbertConfig(...)) converted by albert_lite.interop.from_transformers."
)


class HubUnavailable(RuntimeError):
    """The Hugging Face Hub cannot be reached (or is switched off) and the checkpoint is not cached."""


class HubCheckpoint(NamedTuple):
    """What :func:`load_albert_from_hub` returns; unpack it as ``model, tokenizer, hf_model``."""

    model: AlbertForPreTraining
    tokenizer: Tokenizer
    hf_model: nn.Module


class AlbertV2Tokenizer(Tokenizer):
    """A released ALBERT ``spiece.model`` with the text clean-up ALBERT applies before SentencePiece.

    The English ALBERT v2 models are uncased and accent-free, but their SentencePiece file does
    not lowercase by itself: the original code collapses white space, turns LaTeX-style quotes
    into ``"``, drops accents and lowercases first. Without that, "Paris" would split into
    pieces the model never saw in training.
    """

    @staticmethod
    def preprocess(text: str) -> str:
        text = " ".join(text.strip().split()).replace("``", '"').replace("''", '"')
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
        return text.lower()

    def encode(self, text: str) -> list[int]:
        return super().encode(self.preprocess(text))

    def encode_batch(self, texts: Sequence[str], num_threads: int = -1) -> list[list[int]]:
        return super().encode_batch([self.preprocess(t) for t in texts], num_threads)

    def pieces(self, text: str) -> list[str]:
        return super().pieces(self.preprocess(text))

    def __repr__(self) -> str:
        return f"AlbertV2Tokenizer(vocab_size={self.vocab_size})"


def load_albert_from_hub(
    name: str = "albert-base-v2", timeout: float = 3.0, cache_dir: str | os.PathLike | None = None
) -> HubCheckpoint:
    """Download (or reuse from the local cache) a released ALBERT and convert it to albert_lite.

    Returns ``(model, tokenizer, hf_model)``: the albert_lite ``AlbertForPreTraining`` in eval
    mode, an :class:`AlbertV2Tokenizer` built from the checkpoint's ``spiece.model``, and the
    ``transformers.AlbertForPreTraining`` it was copied from. When the Hub does not answer within
    ``timeout`` seconds, or ``HF_HUB_OFFLINE=1``, a checkpoint already in the cache is used; if
    there is none, :class:`HubUnavailable` is raised at once.
    """
    from huggingface_hub import hf_hub_download, try_to_load_from_cache

    started = time.perf_counter()
    setting = offline_by_setting()
    online = setting is None and hub_reachable(timeout)
    if not online:
        waited = time.perf_counter() - started
        why = f"{setting} is set" if setting else (
            f"{HUB_HOST}:{HUB_PORT} could not be reached (gave up after {waited:.1f} s, timeout {timeout:g} s)"
        )
        # Look in the cache before importing transformers: failing offline takes milliseconds.
        cached = [try_to_load_from_cache(name, f, cache_dir=cache_dir) for f in ("config.json", "spiece.model")]
        if not all(isinstance(path, str) for path in cached):
            raise HubUnavailable(f"cannot load {name!r}: {why}, and it is not in the local cache. " + OFFLINE_ADVICE)
    transformers = require("transformers", "load_albert_from_hub")
    options = {"cache_dir": cache_dir, "local_files_only": not online}
    try:
        hf_model, info = transformers.AlbertForPreTraining.from_pretrained(name, output_loading_info=True, **options)
        spiece = hf_hub_download(name, "spiece.model", **options)
    except OSError as error:
        if online:
            raise
        raise HubUnavailable(
            f"cannot load {name!r}: {why}, and the local cache is incomplete ({error}). " + OFFLINE_ADVICE
        ) from None
    fresh = [key for key in info.get("missing_keys", []) if not key.startswith("predictions.decoder")]
    if fresh:
        warnings.warn(
            f"{name} has no stored values for {sorted(fresh)}: transformers initialised them at random",
            stacklevel=2,
        )
    hf_model.eval()
    model = from_transformers(hf_model)
    with open(spiece, "rb") as file:
        tokenizer = AlbertV2Tokenizer(file.read())
    return HubCheckpoint(model, tokenizer, hf_model)


def _encode_with_masks(tokenizer: Tokenizer, text: str) -> list[int]:
    """[CLS] text [SEP] with every literal "[MASK]" turned into the mask id.

    "[MASK]" is a control symbol: SentencePiece never produces it from text, so the text is cut
    around it and each piece encoded on its own.
    """
    parts = text.split(MASK)
    ids = [tokenizer.cls_id]
    for index, part in enumerate(parts):
        if index:
            ids.append(tokenizer.mask_id)
        if part.strip():
            ids.extend(tokenizer.encode(part.strip()))
    ids.append(tokenizer.sep_id)
    return ids


@torch.no_grad()
def _mlm_logits(model: nn.Module, input_ids: torch.Tensor) -> torch.Tensor:
    """(seq_len, V) scores from an albert_lite AlbertForPreTraining or a transformers ALBERT with an MLM head."""
    if isinstance(model, AlbertForPreTraining):
        return model(input_ids).mlm_logits[0]
    out = model(input_ids=input_ids)
    logits = getattr(out, "prediction_logits", None)
    if logits is None:
        logits = getattr(out, "logits", None)
    if logits is None:
        raise TypeError(
            f"fill_mask needs a model with a masked-LM head (albert_lite.AlbertForPreTraining, "
            f"transformers.AlbertForPreTraining or AlbertForMaskedLM), got {type(model).__name__}"
        )
    return logits[0]


def fill_mask(model: nn.Module, tokenizer: Tokenizer, text: str, top_k: int = 5) -> pd.DataFrame:
    """The ``top_k`` most probable pieces for each "[MASK]" in ``text``, as a table.

    Columns: ``mask`` (which [MASK], counting from 0), ``rank``, ``token``, ``token_id``,
    ``probability`` and ``filled`` (the text with that [MASK] replaced). Only ids the tokenizer
    knows are ranked, so a model whose vocabulary is larger than the tokenizer's still works.
    """
    if MASK not in text:
        raise ValueError(f"fill_mask needs at least one {MASK} in the text, got {text!r}")
    check_positive_int("top_k", top_k)
    ids = _encode_with_masks(tokenizer, text)
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        logits = _mlm_logits(model, torch.tensor([ids], device=device))
    finally:
        model.train(was_training)
    vocab = min(logits.shape[-1], tokenizer.vocab_size)
    rows = []
    parts = text.split(MASK)
    positions = [i for i, token in enumerate(ids) if token == tokenizer.mask_id]
    for mask_index, position in enumerate(positions):
        probabilities = torch.softmax(logits[position, :vocab].float(), dim=-1)
        top = torch.topk(probabilities, min(top_k, vocab))
        for rank, (p, token_id) in enumerate(zip(top.values.tolist(), top.indices.tolist(), strict=True), 1):
            word = tokenizer.decode([token_id]).strip() or tokenizer.id_to_piece(token_id)
            filled = MASK.join(parts[: mask_index + 1]) + word + MASK.join(parts[mask_index + 1:])
            rows.append(
                {"mask": mask_index, "rank": rank, "token": tokenizer.id_to_piece(token_id), "token_id": token_id,
                 "probability": p, "filled": filled}
            )
    return pd.DataFrame(rows)
