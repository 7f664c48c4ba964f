"""The zoo's models, each one recipe: the book's own ALBERTs and the BERT shapes they are measured against.

Every model reads every State of the Union speech but the held-out ones (one in ten, by speech), with the same
tokenizer and the same pairs; within a pair, ALBERT and BERT differ only in what ALBERT changes: the embedding
(E < H) and the sharing of every layer. The main pair's attention carries a fixed distance bias
(``local_attention``, not in ALBERT); the ``-plain`` pair has ALBERT's attention as the paper has it, trained
from weights drawn at 0.1; the ``-short`` pair is the main pair trained for half its steps. Chapter 7 measures
what the bias changes: without it a small model does not find a word's neighbours within a CPU's hours and stays
on the unigram plateau at every [MASK].
All train with AdamW at batch 32 (LAMB rescales each small, noisy step to a fixed fraction of the weights).
"""

from __future__ import annotations

from ..training.recipe import PretrainingRecipe

_LOCAL = PretrainingRecipe(
    corpus="sotu", max_documents=None, heldout_fraction=0.1, vocab_size=8000, seq_len=128, hidden_size=128,
    num_layers=4, num_heads=4, initializer_range=0.02, local_attention=True, task="sop", optimizer="adamw",
    lr=1e-3, warmup_steps=300, weight_decay=0.01, batch_size=32, steps=12000, seed=0,
)
# ALBERT's attention as the paper has it, from weights drawn at 0.1 (at 0.02 the first layer's
# attention starts uniform): these stay on the plateau, and chapter 7 sets them beside the others.
_PLAIN = _LOCAL.replace(local_attention=False, initializer_range=0.1, steps=8000)

ZOO_RECIPES: dict[str, PretrainingRecipe] = {
    "albert-sotu": _LOCAL.replace(embedding_size=64, sharing="all"),
    "bert-sotu": _LOCAL.replace(embedding_size=128, sharing="none"),
    # The same pair for half the steps (the learning rate decays over the shorter run): what the second half adds.
    "albert-sotu-short": _LOCAL.replace(embedding_size=64, sharing="all", steps=6000),
    "bert-sotu-short": _LOCAL.replace(embedding_size=128, sharing="none", steps=6000),
    "albert-sotu-plain": _PLAIN.replace(embedding_size=64, sharing="all"),
    "bert-sotu-plain": _PLAIN.replace(embedding_size=128, sharing="none"),
}
