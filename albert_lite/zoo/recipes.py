"""The zoo's models, each one recipe: the book's own ALBERT and the BERT shape it is measured against.

Both read every State of the Union speech but the held-out ones (one in ten, by speech), with the same
tokenizer, the same pairs and the same budget; they differ only in what ALBERT changes: the embedding
(E < H) and the sharing of every layer. Their optimizer and initial scale are the ones chapter 7's
measurements point to: AdamW at batch 32 (LAMB rescales each small, noisy step to a fixed fraction of the
weights) and weights drawn at 0.1 rather than 0.02 (at 0.02 the first layer's attention starts uniform, and a
small model learns to use the context far more slowly on a task where only the context helps).
"""

from __future__ import annotations

from ..training.recipe import PretrainingRecipe

_SHARED = PretrainingRecipe(
    corpus="sotu", max_documents=None, heldout_fraction=0.1, vocab_size=8000, seq_len=128, hidden_size=128,
    num_layers=4, num_heads=4, initializer_range=0.1, task="sop", optimizer="adamw", lr=1e-3, warmup_steps=300,
    weight_decay=0.01, batch_size=32, steps=8000, seed=0,
)

ZOO_RECIPES: dict[str, PretrainingRecipe] = {
    "albert-sotu": _SHARED.replace(embedding_size=64, sharing="all"),
    "bert-sotu": _SHARED.replace(embedding_size=128, sharing="none"),
}
