"""Chapter 2's question asked of the zoo: does a BERT that learned language need H dimensions per word piece?

The zoo's ``bert-sotu`` (E = H) has its word table cut to its best rank-E approximation after training, in and
out (its masked-LM head is tied to the table), and is measured at the held-out [MASK] targets beside the uncut
model, the zoo's ``albert-sotu`` (E < H from the start) and the two baselines, target by target.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..data.pipeline import PreparedCorpus
from ..training.masked_lm import (
    MODEL,
    NEIGHBOURS,
    UNIGRAM,
    MaskedLMEvidence,
    masked_lm_evidence,
    masked_predictions,
    masked_targets,
)
from .surgery import rank_limited_word_table


def zoo_word_table_cut(ranks: Sequence[int] = (16, 32, 64), bert: str = "bert-sotu", albert: str = "albert-sotu",
                       speeches: int | None = None) -> tuple[MaskedLMEvidence, pd.DataFrame]:
    """Every model's answer at every [MASK] target of the first ``speeches`` held-out speeches (all when None),
    and a table of their accuracies beside their word-table parameters."""
    from ..zoo import ZOO_RECIPES, corpus_of, load

    shipped = {name: load(name) for name in (bert, albert)}
    recipe = ZOO_RECIPES[bert]
    full = corpus_of(bert, shipped[bert].tokenizer)
    data = PreparedCorpus(full.name, full.train_docs, full.heldout_docs[:speeches], full.tokenizer, full.seq_len)
    heldout = data.loader("heldout", recipe.task, recipe.batch_size)
    train = [example.input_ids for example in data.dataset("train", recipe.task, seed=recipe.seed).examples]
    vocab, hidden = data.tokenizer.vocab_size, shipped[bert].model.config.hidden_size
    found = masked_lm_evidence(shipped[bert].model, heldout, train, vocab, data.tokenizer.special_ids)
    truth = masked_targets(heldout)["target"]
    correct = {f"{bert}, uncut": found.correct[MODEL]}
    parameters = [vocab * hidden]
    for rank in ranks:
        answers = masked_predictions(rank_limited_word_table(shipped[bert].model, rank), heldout)
        correct[f"{bert}, table cut to E = {rank}"] = (answers == truth).astype(float)
        parameters.append(vocab * rank + rank * hidden)
    e = shipped[albert].model.config.embedding_size
    correct[f"{albert}, E = {e} from the start"] = (masked_predictions(shipped[albert].model, heldout) == truth
                                                     ).astype(float)
    parameters.append(vocab * e + e * hidden)
    correct.update({NEIGHBOURS: found.correct[NEIGHBOURS], UNIGRAM: found.correct[UNIGRAM]})
    evidence = MaskedLMEvidence(correct, found.documents)
    table = evidence.table()
    table.insert(1, "word-table parameters", pd.array(parameters + [None, None], dtype="Int64"))
    return evidence, table


def describe_zoo_word_table_cut(evidence: MaskedLMEvidence, bert: str = "bert-sotu") -> str:
    """One line per cut: what it costs against the uncut model and where it stands against the neighbour table;
    then the ALBERT trained with a small E from the start against the cut of the same E."""
    uncut = f"{bert}, uncut"
    lines = []
    cuts = {int(name.rsplit("= ", 1)[1]): name for name in evidence.correct if name.startswith(f"{bert}, table cut")}
    for _, name in sorted(cuts.items()):
        accuracy, se = evidence.accuracy(name)
        d, d_se, real = evidence.versus(uncut, name)
        n, n_se, n_real = evidence.versus(name, NEIGHBOURS)
        lines.append(f"- {name}: {accuracy:.1f}% ± {se:.1f}; the cut costs {d:+.1f} ± {d_se:.1f} points "
                     f"({'beyond' if real else 'within'} the noise); against the neighbour table {n:+.1f} ± "
                     f"{n_se:.1f} ({'beyond' if n_real else 'within'} the noise).")
    lead, lead_se, _ = evidence.versus(uncut, NEIGHBOURS)
    kept = {rank: evidence.versus(name, NEIGHBOURS)[0] / lead for rank, name in cuts.items()} if lead > 0 else {}
    if kept:
        above = [f"E = {rank} keeps {100 * share:.0f}% of that lead" for rank, share in sorted(kept.items())
                 if share >= 0]
        below = [f"E = {rank}" for rank, share in sorted(kept.items()) if share < 0]
        lines.append(f"- Uncut, {bert} leads the neighbour table by {lead:+.1f} ± {lead_se:.1f} points; cut to "
                     + "; ".join(above + ([f"{' and '.join(below)} fall below the table"] if below else [])) + ".")
    for name in evidence.correct:
        if name.endswith("from the start"):
            rank = int(name.split("E = ")[1].split()[0])
            if rank in cuts:
                d, d_se, real = evidence.versus(name, cuts[rank])
                lines.append(f"- {name} against {cuts[rank]} after training: {d:+.1f} ± {d_se:.1f} points "
                             f"({'beyond' if real else 'within'} the noise).")
    lines.append(f"- {evidence.n:,} [MASK] targets from {len(set(evidence.documents))} held-out speeches, paired "
                 f"target by target, clustered by speech; the unigram answers {evidence.accuracy(UNIGRAM)[0]:.1f}%.")
    return "\n".join(lines)


def plot_zoo_word_table_cut(table: pd.DataFrame, title: str = "the zoo's BERT with its word table cut after training"):
    """[MASK] accuracy against word-table parameters, with the neighbour table and the unigram as lines."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    models = table.dropna(subset=["word-table parameters"])
    cut = models[~models["answers"].str.contains("from the start")]
    ax.errorbar(cut["word-table parameters"] / 1e6, cut["[MASK] acc %"], yerr=cut["± s.e."], marker="o", capsize=3,
                label="bert-sotu, cut to rank E (uncut at the right)")
    for _, row in models[models["answers"].str.contains("from the start")].iterrows():
        ax.errorbar(row["word-table parameters"] / 1e6, row["[MASK] acc %"], yerr=row["± s.e."], marker="s",
                    capsize=3, color="tab:orange", linestyle="none", label=row["answers"])
    for name, style in ((NEIGHBOURS, "--"), (UNIGRAM, ":")):
        ax.axhline(float(table.loc[table["answers"] == name, "[MASK] acc %"].iloc[0]), color="grey", ls=style,
                   label=name)
    ax.set(xlabel="word-table parameters (millions)", ylabel="held-out [MASK] accuracy %", title=title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig
