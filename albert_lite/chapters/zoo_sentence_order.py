"""Chapter 6's question asked of the zoo: after hours of SOP on the State of the Union, what did the heads learn?

The zoo's heads answer held-out pairs near the majority class. A head at chance is a bug until shown otherwise,
so this module gathers the checks that tell why, on the pairs the zoo's models really saw: the labels' balance,
how often each head says "1", its accuracy on pairs it was trained on against held-out ones (errors clustered by
speech), the sided bag of words on the same pairs, and the learning curves kept in the models' cards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import torch
from matplotlib.figure import Figure
from torch.utils.data import Subset

from ..data import make_loader
from ..data.pipeline import PreparedCorpus, collate
from ..statistics import NOISE_FACTOR, beyond_noise, clustered_mean, majority_share, paired_difference
from .baselines import bag_of_words_baseline, segment_starts
from .readings import constant_answer, describe_pairs


@dataclass
class ZooSentenceOrder:
    table: pd.DataFrame  # one row per model and split, and one for the sided bag of words
    correct: dict[tuple[str, str], np.ndarray]  # (answers, pairs) as in the table -> each pair right (1) or not (0)
    documents: dict[str, list[str]]  # split -> the speech of each pair, for errors clustered by speech
    curves: pd.DataFrame  # from the cards: step, model, training-batch and held-out accuracy, held-out loss
    training_pairs: int  # distinct pairs the models trained on
    passes: float  # how many times the training saw each of them
    segments: dict  # baselines.segment_starts: what the pairs keep of their sentences


def head_answers(model: torch.nn.Module, dataset, pad_id: int, batch_size: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Per pair of ``dataset``: whether the sentence head is right, and its answer (0 or 1)."""
    loader = make_loader(dataset, batch_size, shuffle=False, collate_fn=partial(collate, pad_id=pad_id),
                         drop_last=False)
    right, said = [], []
    model.eval()
    with torch.no_grad():
        for batch in loader:
            answer = model(**batch).sentence_logits.argmax(-1)
            right.append((answer == batch["sentence_labels"]).float())
            said.append(answer)
    return torch.cat(right).numpy(), torch.cat(said).numpy()


def _curves(card: dict, name: str, window: int = 10) -> pd.DataFrame:
    """The card's logged history at its held-out points, training-batch accuracy averaged over the last
    ``window`` logs (a log covers 25 batches, too few pairs to read alone)."""
    history = pd.DataFrame(card["history"])
    history["training batches %"] = 100 * history["sentence_accuracy"].rolling(window, min_periods=1).mean()
    points = history.dropna(subset=["heldout_sentence_accuracy"])
    return pd.DataFrame({"model": name, "step": points["step"], "training batches %": points["training batches %"],
                         "held-out %": 100 * points["heldout_sentence_accuracy"],
                         "held-out loss": points["heldout_sentence_loss"]})


def zoo_sentence_order(names: tuple[str, ...] = ("albert-sotu", "bert-sotu"), pairs: int | None = None,
                       bag_of_words_pairs: int = 4000, seed: int = 0) -> ZooSentenceOrder:
    """Each zoo model's SOP head on ``pairs`` of its training pairs (drawn at random) and on every held-out pair
    (or the first ``pairs``), beside the sided bag of words fitted on ``bag_of_words_pairs`` training pairs."""
    from ..zoo import corpus_of, load
    from ..zoo.recipes import ZOO_RECIPES

    recipes = {name: ZOO_RECIPES[name] for name in names}
    if len({(r.corpus, r.seq_len, r.seed) for r in recipes.values()}) != 1:
        raise ValueError(f"{names} were not trained on the same pairs: compare them one by one")
    recipe = recipes[names[0]]
    shipped = {name: load(name) for name in names}
    data: PreparedCorpus = corpus_of(names[0], shipped[names[0]].tokenizer)
    train = data.dataset("train", "sop", seed=recipe.seed)
    heldout = data.dataset("heldout", "sop")
    n = min(pairs or len(heldout), len(heldout))
    draw = np.random.default_rng(seed).permutation(len(train))[:n]
    splits = {"training pairs": (Subset(train, draw.tolist()), [train.examples[i] for i in draw]),
              "held-out pairs": (Subset(heldout, range(n)), heldout.examples[:n])}
    documents = {split: [e.document_id for e in examples] for split, (_, examples) in splits.items()}
    rows, correct = [], {}
    for name, model in shipped.items():
        for split, (dataset, examples) in splits.items():
            right, said = head_answers(model.model, dataset, data.tokenizer.pad_id)
            correct[f"{name}'s head", split] = right
            accuracy, se = clustered_mean(right, documents[split])
            rows.append({"answers": f"{name}'s head", "pairs": split, "accuracy %": 100 * accuracy,
                         "± by speech": 100 * se, "n": len(right), "says 1 %": 100 * said.mean(),
                         "label 1 %": 100 * np.mean([e.sentence_label for e in examples])})
    bow = bag_of_words_baseline(data, "sop", seed=recipe.seed, max_train=bag_of_words_pairs)
    correct["sided bag of words", "held-out pairs"] = bow_right = bow["correct"][:n]
    accuracy, se = clustered_mean(bow_right, documents["held-out pairs"])
    rows.append({"answers": "sided bag of words", "pairs": "held-out pairs", "accuracy %": 100 * accuracy,
                 "± by speech": 100 * se, "n": n, "says 1 %": 100 * bow["says 1"][:n].mean(),
                 "label 1 %": 100 * np.mean([e.sentence_label for e in splits["held-out pairs"][1]])})
    table = pd.DataFrame(rows)
    table["majority %"] = [100 * majority_share(share / 100) for share in table["label 1 %"]]
    curves = pd.concat([_curves(shipped[name].card, name) for name in names], ignore_index=True)
    passes = recipe.steps * recipe.batch_size / len(train)
    return ZooSentenceOrder(table, correct, documents, curves, len(train), passes, segment_starts(data, "sop"))


def _row(evidence: ZooSentenceOrder, answers: str, pairs: str) -> pd.Series:
    table = evidence.table
    return table[(table["answers"] == answers) & (table["pairs"] == pairs)].iloc[0]


def describe_zoo_sentence_order(evidence: ZooSentenceOrder) -> str:
    """The reading of the checks, one bullet a finding, every verdict by ``statistics.beyond_noise``."""
    heldout = "held-out pairs"
    bow = _row(evidence, "sided bag of words", heldout)
    majority = bow["majority %"]
    first = evidence.table["answers"].iloc[0]
    lines = [f"- Labels: \"1\" (swapped) is {_row(evidence, first, 'training pairs')['label 1 %']:.1f}% of the "
             f"training pairs drawn and {bow['label 1 %']:.1f}% of the {bow['n']} held-out pairs: always answering "
             f"the more frequent label scores {majority:.1f}%."]
    memorized = []
    heads = list(evidence.table["answers"].unique()[:-1])  # the last row is the bag of words
    for name in heads:
        seen, new = _row(evidence, name, "training pairs"), _row(evidence, name, heldout)
        gap, gap_se = seen["accuracy %"] - new["accuracy %"], math.hypot(seen["± by speech"], new["± by speech"])
        over_majority = new["accuracy %"] - majority
        fits = beyond_noise(gap, gap_se) and gap > 0
        one_class = constant_answer(new["says 1 %"])
        memorized.append(fits and not one_class and not beyond_noise(over_majority, new["± by speech"]))
        d, d_se, beyond = paired_difference(evidence.correct[name, heldout],
                                            evidence.correct["sided bag of words", heldout],
                                            evidence.documents[heldout])
        lines.append(
            f"- {name}: says \"1\" for {new['says 1 %']:.1f}% of held-out pairs "
            f"({'it answers one class' if one_class else 'it does not answer one class'}); "
            f"{seen['accuracy %']:.1f}% ± {seen['± by speech']:.1f} on {seen['n']} pairs it trained on against "
            f"{new['accuracy %']:.1f}% ± {new['± by speech']:.1f} on held-out ones ({gap:+.1f} ± {gap_se:.1f}: "
            f"{'beyond' if beyond_noise(gap, gap_se) else 'within'} the noise); held-out against the majority class "
            f"{over_majority:+.1f} ± {new['± by speech']:.1f} "
            f"({'beyond' if beyond_noise(over_majority, new['± by speech']) else 'within'} the noise), against the "
            f"sided bag of words {100 * d:+.1f} ± {100 * d_se:.1f} ({'beyond' if beyond else 'within'} the noise).")
    if len(heads) == 2:  # the same training pairs for both: paired, clustered by speech
        d, d_se, beyond = paired_difference(evidence.correct[heads[0], "training pairs"],
                                            evidence.correct[heads[1], "training pairs"],
                                            evidence.documents["training pairs"])
        lines.append(f"- On the pairs they trained on, {heads[0]} against {heads[1]}: {100 * d:+.1f} ± "
                     f"{100 * d_se:.1f} ({'beyond' if beyond else 'within'} the noise, paired pair by pair).")
    pairs = {**evidence.segments, "bag-of-words %": bow["accuracy %"], "bag-of-words s.e. %": bow["± by speech"],
             "majority class %": majority, "held-out pairs": bow["n"]}
    lines.append(f"- The pairs: {describe_pairs(pairs)} (its error clustered by speech).")
    final = evidence.curves.groupby("model").last()
    lowest = evidence.curves.loc[evidence.curves.groupby("model")["held-out loss"].idxmin()].set_index("model")
    lines.append("- In the cards' curves the held-out loss of the sentence head is lowest at step "
                 + ", ".join(f"{int(lowest.loc[m, 'step'])} for {m} ({lowest.loc[m, 'held-out loss']:.3f})"
                             for m in final.index)
                 + " and ends at " + ", ".join(f"{final.loc[m, 'held-out loss']:.3f}" for m in final.index)
                 + f"; ln 2 = {math.log(2):.3f} is the loss of answering 50/50.")
    rising = bool((final["held-out loss"] > lowest["held-out loss"]).all())
    if all(memorized):
        lines.append(f"Every head fits the pairs it trained on beyond the noise and stays within it of the majority "
                     f"class on held-out ones: each of the {evidence.training_pairs:,} training pairs came back about "
                     f"{evidence.passes:.0f} times, and the heads learned those pairs, not the order of sentences. No "
                     "head answers one class, so the head itself works"
                     + (", and the held-out loss ends above its lowest point: more steps over the same pairs deepen "
                        "the fit." if rising else "."))
    else:
        lines.append(f"Not every head fits its training pairs beyond the noise ({NOISE_FACTOR:g} standard errors) "
                     "while staying at the majority class on held-out ones: read each line above on its own.")
    return "\n".join(lines)


def plot_zoo_sentence_order(evidence: ZooSentenceOrder) -> Figure:
    """Training-batch against held-out accuracy of each head over steps, with the majority class and the sided bag
    of words as lines; beside it, the held-out loss against ln 2."""
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
    bow = _row(evidence, "sided bag of words", "held-out pairs")
    for (name, rows), color in zip(evidence.curves.groupby("model", sort=False), ("tab:blue", "tab:orange"),
                                   strict=False):
        left.plot(rows["step"], rows["training batches %"], color=color, label=f"{name}, training batches")
        left.plot(rows["step"], rows["held-out %"], color=color, linestyle="--", label=f"{name}, held-out")
        right.plot(rows["step"], rows["held-out loss"], color=color, label=name)
    left.axhline(bow["majority %"], color="black", linewidth=1, label="majority class")
    left.axhline(bow["accuracy %"], color="tab:green", linestyle=":", label="sided bag of words")
    right.axhline(math.log(2), color="black", linewidth=1, label="ln 2 (50/50)")
    left.set(xlabel="step", ylabel="SOP accuracy %", title="SOP head: pairs trained on vs held out")
    right.set(xlabel="step", ylabel="held-out SOP loss", title="held-out loss of the head")
    left.legend(fontsize=7)
    right.legend(fontsize=7)
    fig.tight_layout()
    return fig
