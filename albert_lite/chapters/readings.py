"""What a table of trained models says, generated from its numbers.

Every reading the chapters print ("X beats Y", "agrees with the paper", "holds") comes from a
function here, so a re-run can never leave the prose behind its numbers. Accuracies come with
their n and standard error; comparisons between models use the spread over seeds and say
whether a difference exceeds the noise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from ..statistics import (
    NOISE_FACTOR,
    beyond_noise,
    examples_to_resolve,
    majority_share,
    paired_difference,
    standard_error,
)
from ..training.masked_lm import MODEL, NEIGHBOURS, UNIGRAM, MaskedLMEvidence
from .paper import PAPER_TABLE_5, PAPER_TABLE_5_DOWNSTREAM

if TYPE_CHECKING:
    from matplotlib.figure import Figure



# --------------------------------------------------------------------------- sentence heads


def sentence_head_diagnostics(scores: dict, task: str = "sop") -> dict:
    """What a sentence head's accuracy (from :func:`~albert_lite.training.evaluate`) means: its n and standard
    error, the majority-class baseline, and how often the head says "1" (0% or 100%: it always answers the same).
    The columns are named after the task: "SOP n", "SOP s.e. %", "SOP majority %", "SOP says 1 %"."""
    n, accuracy, name = scores["sentence_examples"], scores["sentence_accuracy"], task.upper()
    return {f"{name} n": int(n), f"{name} s.e. %": standard_error(100 * accuracy, n),
            f"{name} majority %": 100 * majority_share(scores["sentence_label_1_share"]),
            f"{name} says 1 %": 100 * scores["sentence_predicted_1_share"]}


CONSTANT_SHARE = 5.0  # a head that says "1" for at most 5% (or at least 95%) of pairs answers one class


def constant_answer(says_1: float) -> bool:
    """Whether a head answers (nearly) one class whatever the pair: near chance then says nothing of the task."""
    return says_1 <= CONSTANT_SHARE or says_1 >= 100 - CONSTANT_SHARE


def describe_sentence_heads(frame: pd.DataFrame) -> str:
    """A reading of the SOP columns, generated from them, one bullet a finding: which heads learned, which always
    answer the same, and (when the table has it) whether the others fit their own training pairs."""
    stuck = frame[frame["SOP says 1 %"].map(constant_answer)]
    learned = frame["SOP acc %"] - frame["SOP majority %"] > NOISE_FACTOR * frame["SOP s.e. %"]
    n = int(frame["SOP n"].iloc[0])
    lines = [f"- Sentence heads on {n} held-out pairs: {int(learned.sum())} of {len(frame)} trained heads beat the "
             f"majority-class baseline ({frame['SOP majority %'].iloc[0]:.1f}%) by more than {NOISE_FACTOR:g} "
             "standard errors."]
    if len(stuck):
        lines.append(f"- {len(stuck)} answer one class for nearly every pair (say \"1\" for at most "
                     f"{CONSTANT_SHARE:g}% or at least {100 - CONSTANT_SHARE:g}% of them): their accuracy is about "
                     "that label's share (the head has learned next to nothing, whatever the model's masked-LM "
                     "accuracy).")
    if "SOP acc on training pairs %" in frame and not learned.all():
        best = frame.loc[~learned, "SOP acc on training pairs %"].max()
        lines.append(f"- On the pairs they were trained on, the heads that did not learn score at most {best:.1f}%: "
                     "they have not fit even their training pairs, so neither overfitting nor the held-out pairs "
                     "explain it.")
    return "\n".join(lines)


def words_show_the_answer(pairs: dict) -> bool:
    """Whether the bag-of-words baseline beats the majority class by more than NOISE_FACTOR standard errors."""
    return pairs["bag-of-words %"] - pairs["majority class %"] > NOISE_FACTOR * pairs["bag-of-words s.e. %"]


def describe_pairs(pairs: dict) -> str:
    """One line on what pairs of a given length hold (:func:`~albert_lite.chapters.baselines.pair_evidence`):
    room against sentence length, segments that keep their sentence's opening, and what a bag of words reads
    from them."""
    reads = "beyond" if words_show_the_answer(pairs) else "not beyond"
    return (f"{pairs['tokens per pair']} tokens a pair: room for {pairs['room per segment']:.1f} tokens a segment "
            f"against {pairs['tokens per sentence']:.1f} a sentence; {pairs['segments that begin a sentence %']:.1f}% "
            f"of {pairs['segments']} training segments begin where their sentence begins; a bag of words (which "
            f"pieces sit in A, which in B) scores {pairs['bag-of-words %']:.1f}% ± {pairs['bag-of-words s.e. %']:.1f} "
            f"on {pairs['held-out pairs']} held-out pairs, {reads} the majority class "
            f"({pairs['majority class %']:.1f}%) by {NOISE_FACTOR:g} standard errors")


def describe_sentence_evidence(pairs: dict, head_accuracy: float, head_train_accuracy: float) -> str:
    """The decisive checks of a sentence head at chance, read from their numbers: what the pairs hold, what a
    bag of words reads from them, and whether the head fit even its own training pairs."""
    lines = [describe_pairs(pairs),
             f"the model's head: {head_accuracy:.1f}% on the held-out pairs, {head_train_accuracy:.1f}% on pairs it "
             "was trained on"]
    if head_accuracy - pairs["majority class %"] > NOISE_FACTOR * pairs["bag-of-words s.e. %"]:
        lines.append("The head has learned the task beyond the majority class.")
    elif words_show_the_answer(pairs):
        lines.append("The words of a pair show part of the answer and the head has not learned even that, on its "
                     "own training pairs either: within this budget the sentence task has not started.")
    else:
        lines.append("Even a classifier of the words finds no answer in them beyond the majority class: on this "
                     "text the answer is a matter of meaning, not of which words sit where, and a head at chance "
                     "after this little training is what to expect.")
    return "\n".join(lines)


def _beyond_majority_from(rows: pd.DataFrame) -> int | None:
    """The first step from which a head's curve is beyond the majority class, if it still is at its last point."""
    beyond = rows[rows["SOP acc %"] - rows["SOP majority %"] > NOISE_FACTOR * rows["SOP s.e. %"]]
    learned = not beyond.empty and beyond["step"].iloc[-1] == rows["step"].iloc[-1]
    return int(beyond["step"].iloc[0]) if learned else None


def describe_roomy_pairs(curves: pd.DataFrame) -> str:
    """The check of the ablations' sentence heads, read from its numbers: what the short and the long pairs keep
    of their sentences; whether the same model's head learns the order once its pairs keep their openings; and
    whether, given as many steps, it learns on the short pairs too (which tells length from training time)."""
    short, long = curves.attrs["pairs"].to_dict("records")
    lines = [describe_pairs(short), describe_pairs(long)]
    learned: dict[int, list[int | None]] = {}
    for (length, seed), rows in curves.groupby(["tokens per pair", "seed"], sort=False):
        first = _beyond_majority_from(rows)
        learned.setdefault(int(length), []).append(first)
        last = rows.iloc[-1]
        when = f", beyond it from step {first}" if first is not None else ", not beyond it"
        lines.append(f"{length}-token pairs, seed {seed}: SOP {last['SOP acc %']:.1f}% ± {last['SOP s.e. %']:.1f} on "
                     f"{int(last['SOP n'])} held-out pairs after {int(last['step'])} steps (majority class "
                     f"{last['SOP majority %']:.1f}%{when})")
    long_firsts = [f for f in learned.get(long["tokens per pair"], []) if f is not None]
    short_firsts = [f for f in learned.get(short["tokens per pair"], []) if f is not None]
    seeds, steps = len(learned.get(long["tokens per pair"], [])), int(curves["step"].max())
    if not long_firsts:
        verdict = (f"Even with {long['tokens per pair']}-token pairs the head has not learned the order within "
                   f"{steps} steps: the length of the pairs does not explain the tables' heads.")
        return "\n".join([*lines, verdict])

    def share(firsts: list[int]) -> str:
        return ("in every seed" if len(firsts) == seeds
                else f"in {len(firsts)} of {seeds} seeds (when it starts depends on the seed)")

    verdict = (f"With {long['tokens per pair']}-token pairs the same model learns the order {share(long_firsts)}: the "
               "head, the loss and the labels work.")
    if short["tokens per pair"] in learned:  # the short pairs trained for as many steps: length against time
        if not short_firsts:
            words = ("have lost the words that give the order away (a bag of words reads no order from them)"
                     if not words_show_the_answer(short) else "keep fewer of the words that give the order away "
                     f"(a bag of words: {short['bag-of-words %']:.1f}% against {long['bag-of-words %']:.1f}%)")
            verdict += (f" Given the same {steps} steps, the {short['tokens per pair']}-token pairs' head stays at the "
                        f"majority class in every seed: those pairs {words}, and at this budget their length alone "
                        "keeps the head at chance.")
        else:
            verdict += (f" Given the same {steps} steps, the {short['tokens per pair']}-token pairs' head learns too "
                        f"{share(short_firsts)}, from step {min(short_firsts)}: the short pairs slow the head down but "
                        "do not stop it.")
    budget = curves.attrs.get("tables_steps")
    if budget is not None and min(long_firsts + short_firsts) > budget:
        verdict += (f" Neither length has learned by the tables' {budget} steps (the long pairs pass the majority "
                    f"class from step {min(long_firsts)}): at the tables' budget, too few steps keep their heads at "
                    "chance whatever the length.")
    return "\n".join(lines + [verdict])


def describe_masked_lm(frame: pd.DataFrame, labels: Sequence[str]) -> str:
    """Which models beat the unigram baseline (always the most frequent piece) on held-out masked tokens by more
    than three standard errors; the others, named by their ``labels`` columns, sit on the plateau every model
    starts from."""
    unigram, n = frame["MLM unigram %"].iloc[0], int(frame["MLM n"].iloc[0])
    se = frame["MLM acc %"].map(lambda a: standard_error(a, n))
    above = frame["MLM acc %"] - unigram > NOISE_FACTOR * se
    exact = (frame["MLM acc %"] - unigram).abs() < 100 / (2 * n)  # the same count of correct tokens
    near = ((frame["MLM acc %"] - unigram).abs() <= NOISE_FACTOR * se) & ~exact
    lines = [f"- Masked LM at {n} held-out [MASK] targets: {int(above.sum())} of {len(frame)} trained models beat "
             f"the unigram baseline (always the most frequent piece, {unigram:.1f}%) by more than {NOISE_FACTOR:g} "
             "standard errors."]

    def named(rows: pd.Series) -> str:
        records = frame.loc[rows, list(labels)].to_dict("records")
        return "; ".join(dict.fromkeys(", ".join(f"{k} {v}" for k, v in row.items()) for row in records))

    if exact.any():
        lines.append(f"- {int(exact.sum())} score exactly the baseline ({named(exact)}): they answer the most frequent "
                     "piece at every mask, so their equal accuracies are the baseline's, not a measurement of the "
                     "model.")
    if near.any():
        lines.append(f"- {int(near.sum())} are above it by less than {NOISE_FACTOR:g} standard errors "
                     f"({named(near)}): at this n the test cannot tell them from the baseline.")
    return "\n".join(lines)


# A model has left the plateau once it has closed this share of the gap between the unigram and the neighbour table.
PLATEAU_GAP = 0.1


def gap_closed(evidence: MaskedLMEvidence) -> float:
    """How far the model's [MASK] accuracy has moved from the unigram's towards the neighbour table's (0 to 1)."""
    model, table, unigram = (evidence.accuracy(name)[0] for name in (MODEL, NEIGHBOURS, UNIGRAM))
    return (model - unigram) / (table - unigram) if table > unigram else float("nan")


def masked_lm_phase(evidence: MaskedLMEvidence, kept_accuracy: float | None = None) -> str:
    """Which phase of masked-LM training a model is in, from its answers at [MASK]: "frequency" (not beyond the
    unigram by the noise rule, or less than PLATEAU_GAP of the way to the neighbour table), "copying" (the same,
    while it returns its input where it sees it), "some context" (further, but not beyond the neighbour table) or
    "context" (beyond the neighbour table)."""
    above, _, real = evidence.versus(MODEL, UNIGRAM)
    if not (real and above > 0) or not gap_closed(evidence) >= PLATEAU_GAP:
        unigram = evidence.accuracy(UNIGRAM)[0]
        return "copying" if kept_accuracy is not None and kept_accuracy > unigram + 20 else "frequency"
    better, _, real = evidence.versus(MODEL, NEIGHBOURS)
    return "context" if real and better > 0 else "some context"


def describe_masked_lm_evidence(evidence: MaskedLMEvidence, kept_accuracy: float | None = None) -> str:
    """The model's [MASK]-position accuracy beside both baselines, the paired differences, and the phase."""
    (model, model_se), (table, _), (unigram, _) = (evidence.accuracy(name) for name in (MODEL, NEIGHBOURS, UNIGRAM))
    documents = len(set(evidence.documents.tolist()))
    lines = [f"At {evidence.n:,} held-out [MASK] targets from {documents} documents: the model {model:.1f}% ± "
             f"{model_se:.1f}, the neighbour table {table:.1f}%, the unigram {unigram:.1f}% (standard errors "
             "clustered by document; differences paired target by target)."]
    for name in (UNIGRAM, NEIGHBOURS):
        d, se, real = evidence.versus(MODEL, name)
        side = "above" if d > 0 else "below"
        lines.append(f"model minus {name}: {d:+.1f} ± {se:.1f} points, "
                     + (f"{side} it beyond the noise" if real else f"within {NOISE_FACTOR:g} standard errors"))
    gap = gap_closed(evidence)
    phase = masked_lm_phase(evidence, kept_accuracy)
    copies = f" (it returns {kept_accuracy:.0f}% of the pieces it sees unmasked)" if kept_accuracy is not None else ""
    closed = f"it has closed {100 * gap:.0f}% of the gap from the unigram to the neighbour table"
    lines.append({
        "frequency": f"Phase: frequency. At [MASK] the model answers about what a unigram table answers ({closed})"
                     + copies + ".",
        "copying": f"Phase: copying. At [MASK] the model answers about what a unigram table answers ({closed}), while "
                   "it copies its input where the input shows the target" + copies + ": its all-target accuracy "
                   "measures the copy, not the context.",
        "some context": f"Phase: some context. The model has left the unigram plateau ({closed}) but does not beat "
                        "the neighbour table" + copies + ".",
        "context": "Phase: context. The model beats even the neighbour table at [MASK]: it reads more of the "
                   "sentence than the pieces on either side" + copies + ".",
    }[phase])
    return "\n".join(lines)


# --------------------------------------------------------------------------- means over seeds


def seed_summary(frame: pd.DataFrame, by: Sequence[str], metrics: Sequence[str]) -> pd.DataFrame:
    """Per model (the ``by`` columns): the mean of each metric over seeds, its standard error over seeds
    (``<metric> ±``) and the number of seeds. Models keep their first-seen order."""
    grouped = frame.groupby(list(by), sort=False, dropna=False)[list(metrics)]
    mean, spread = grouped.mean(), grouped.sem(ddof=1)
    out = pd.DataFrame(index=mean.index)
    for metric in metrics:
        out[metric] = mean[metric]
        out[_pm(metric)] = spread[metric]
    out["seeds"] = grouped.size()
    out = out.reset_index()
    out.attrs.update(frame.attrs)
    return out


def _pm(metric: str) -> str:
    return metric.replace(" %", "") + " ±"


def difference(summary: pd.DataFrame, label: str, metric: str, a: str, b: str) -> tuple[float, float, bool]:
    """Mean of ``a`` minus mean of ``b``, its standard error, and whether it exceeds the noise."""
    rows = summary.set_index(label)
    d = rows.loc[a, metric] - rows.loc[b, metric]
    se = math.hypot(rows.loc[a, _pm(metric)], rows.loc[b, _pm(metric)])
    return float(d), float(se), beyond_noise(float(d), float(se))


def noise_words(se: float, beyond: bool) -> str:
    """" ± s.e. (beyond/within the noise)", or what a single seed cannot say."""
    if math.isnan(se):
        return " (one seed: the noise is unknown)"
    return f" ± {se:.2f} ({'beyond' if beyond else 'within'} the noise)"


def describe_ordering(summary: pd.DataFrame, label: str, metric: str, paper: str) -> str:
    """Our ordering of the models by ``metric`` beside the paper's by ``paper``, pair by pair in the paper's
    order: where they agree, where they do not, and whether each of our differences exceeds the noise."""
    rows = summary.dropna(subset=[paper])
    if len(rows) < 2:
        return "The paper gives no figure to compare with."
    ours = " > ".join(str(x) for x in rows.sort_values(metric, ascending=False)[label])
    theirs = " > ".join(str(x) for x in rows.sort_values(paper, ascending=False)[label])
    lines = [f"Ordered by {metric} (mean over {int(summary['seeds'].min())} seeds): {ours}. "
             f"The paper's order: {theirs}."]
    ranked = rows.sort_values(paper, ascending=False)[label].tolist()
    agree = 0
    for better, worse in zip(ranked[:-1], ranked[1:], strict=True):
        d, se, beyond = difference(summary, label, metric, better, worse)
        same = d > 0
        agree += same
        lines.append(f"{better} vs {worse}: the paper has {better} ahead; ours {d:+.2f}{noise_words(se, beyond)}, "
                     f"{'agrees' if same else 'disagrees'}")
    lines.append(f"{agree} of {len(ranked) - 1} neighbouring pairs in the paper's order agree in sign.")
    return "\n".join(lines)


# --------------------------------------------------------------------------- paired comparisons


def paired_comparisons(correct: dict[str, Sequence[float]], groups: Sequence, pairs: Sequence[tuple[str, str]]
                       ) -> pd.DataFrame:
    """``a`` minus ``b`` for each pair, over the same examples (0/1 or averaged over seeds), in points, with the
    standard error clustered by ``groups`` (the speech of each example) and whether it is beyond the noise."""
    rows = []
    for a, b in pairs:
        d, se, beyond = paired_difference(correct[a], correct[b], groups)
        rows.append({"a": a, "b": b, "a - b (points)": 100 * d, "±": 100 * se, "beyond the noise": beyond})
    return pd.DataFrame(rows)


def describe_paired_comparisons(comparisons: pd.DataFrame) -> str:
    """One line per pair: which one reads more, or that the noise cannot tell them apart."""
    lines = []
    for row in comparisons.itertuples(index=False):
        d, se, beyond = row[2], row[3], row[4]
        if not beyond:
            verdict = "cannot be told apart from"
        else:
            verdict = "is ahead of" if d > 0 else "is behind"
        lines.append(f"{row.a} {verdict} {row.b}: {d:+.1f} ± {se:.1f} points "
                     f"({abs(d) / se if se > 0 else math.inf:.1f} standard errors).")
    return "\n".join(lines)


# --------------------------------------------------------------------------- Table 5


TABLE_5_METRICS = ("MLM acc %", "MLM [MASK] acc %", "NSP head %", "SOP head %", "NSP probe %", "SOP probe %",
                   "NSP says 1 %", "SOP says 1 %")


def table_5_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model: the mean over seeds of every accuracy, its standard error over seeds (± column) and the paper's;
    the unigram floor at [MASK] when the frame carries it."""
    out = seed_summary(frame, ["trained with"], [m for m in TABLE_5_METRICS if m in frame])
    if "MLM [MASK] unigram %" in frame:
        out["MLM [MASK] unigram %"] = float(frame["MLM [MASK] unigram %"].iloc[0])
    for k, task in enumerate(("MLM", "NSP", "SOP")):
        out[f"paper {task} %"] = [PAPER_TABLE_5[name][k] for name in out["trained with"]]
    return out


def describe_table_5_downstream(heldout_pairs: int) -> str:
    """Why Table 5's downstream column is not measured at this scale: the size of the paper's differences
    against what a test set of ``heldout_pairs`` examples per model can resolve."""
    scores = PAPER_TABLE_5_DOWNSTREAM
    sop_over_nsp = scores["MLM + SOP"] - scores["MLM + NSP"]
    nsp_over_mlm = scores["MLM + NSP"] - scores["MLM only"]
    level = sum(scores.values()) / len(scores)
    one_model = standard_error(level, heldout_pairs)  # each model's own error: the difference's is their hypot
    resolvable = NOISE_FACTOR * math.hypot(one_model, one_model)
    return (f"- The paper's downstream averages: {', '.join(f'{k} {v:.1f}' for k, v in scores.items())}: SOP over NSP "
            f"{sop_over_nsp:+.1f} points, NSP over MLM only {nsp_over_mlm:+.1f}.\n"
            f"- Telling {sop_over_nsp:+.1f} points from zero by {NOISE_FACTOR:g} standard errors of the difference, at "
            f"about {level:.0f}%, takes {examples_to_resolve(sop_over_nsp, level):,} test examples per model (and "
            f"{examples_to_resolve(nsp_over_mlm, level):,} for {nsp_over_mlm:+.1f}), before the spread between seeds.\n"
            f"- With {heldout_pairs:,} held-out examples per model, as this chapter has, only differences above "
            f"{resolvable:.1f} points can be told apart: a downstream column here could not show the paper's, "
            f"whichever way it came out.")


# The paper's readings of Table 5, as thresholds on the heads' mean accuracy (the paper's measurement). The last
# field says why a claim cannot fail here, when it cannot: such a claim is shown but not counted.
NEVER_TRAINED = "the MLM-only model's sentence head is never trained, so it answers at chance by construction"
TABLE_5_CLAIMS = (
    ("the NSP-trained model solves NSP (at least 75%)", "MLM + NSP", "NSP head %", ">=", 75.0, None),
    ("the NSP-trained model is near chance on SOP (at most 60%)", "MLM + NSP", "SOP head %", "<=", 60.0, None),
    ("the SOP-trained model solves SOP (at least 75%)", "MLM + SOP", "SOP head %", ">=", 75.0, None),
    ("the SOP-trained model is above chance on NSP (more than 55%)", "MLM + SOP", "NSP head %", ">", 55.0, None),
    ("the MLM-only model is near chance on NSP (at most 60%)", "MLM only", "NSP head %", "<=", 60.0, NEVER_TRAINED),
    ("the MLM-only model is near chance on SOP (at most 60%)", "MLM only", "SOP head %", "<=", 60.0, NEVER_TRAINED),
)
def table_5_claims(summary: pd.DataFrame) -> pd.DataFrame:
    """Each claim with the measured mean ± its standard error over seeds, whether it holds, whether it was measured
    (a claim that holds by construction was not), and the head's share of "1" answers where it answers one class."""
    compare = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b}
    by_model = summary.set_index("trained with")
    rows = []
    for claim, model, column, sign, threshold, by_construction in TABLE_5_CLAIMS:
        value, spread = by_model.loc[model, column], by_model.loc[model, _pm(column)]
        says_column = column.replace("head", "says 1")
        says_1 = float(by_model.loc[model, says_column]) if says_column in by_model else float("nan")
        rows.append({"claim": claim, "measured %": value, "± (s.e. over seeds)": spread,
                     "holds": bool(compare[sign](value, threshold)), "measured": by_construction is None,
                     "why not measured": by_construction or "", "says 1 %": says_1,
                     "one answer": bool(says_1 == says_1 and constant_answer(says_1))})
    return pd.DataFrame(rows)


def describe_table_5(summary: pd.DataFrame, claims: pd.DataFrame) -> str:
    """A reading of Table 5 generated from the numbers: which measured claims hold, which hold only by construction,
    which heads answer one class, and what the probes add."""
    measured = claims[claims["measured"]]
    held = int(measured["holds"].sum())
    by_model = summary.set_index("trained with")
    nsp_model_sop_probe = by_model.loc["MLM + NSP", "SOP probe %"]
    mlm_nsp_probe = by_model.loc["MLM only", "NSP probe %"]
    lines = [f"- {held} of the paper's {len(measured)} measured readings hold on the sentence heads"
             + (" (not: " + "; ".join(measured.loc[~measured["holds"], "claim"]) + ")." if held < len(measured)
                else ".")]
    unmeasured = claims[~claims["measured"]]
    if len(unmeasured):
        lines.append(f"- {len(unmeasured)} more are not counted: {'; '.join(unmeasured['why not measured'].unique())}.")
    for _, claim in measured[measured["one answer"] & measured["holds"]].iterrows():
        lines.append(f"- \"{claim['claim']}\" holds with a head that answers one class (says \"1\" for "
                     f"{claim['says 1 %']:.0f}% of pairs): near chance, but it has not weighed these pairs at all.")
    topic = (", so the topic is readable from a representation that only MLM shaped" if mlm_nsp_probe > 60
             else ", so MLM alone has not made the topic readable")
    order = (", so NSP training has not put the order into them." if nsp_model_sop_probe <= 60
             else ", so the order is in them, whether or not its head uses it.")
    lines.append(f"- Probes read the features, whatever the head learned: the MLM-only model's give "
                 f"{mlm_nsp_probe:.1f}% on NSP{topic}; the NSP-trained model's give {nsp_model_sop_probe:.1f}% "
                 f"on SOP{order}")
    return "\n".join(lines)


def heads_against_trivial(summary: pd.DataFrame, trivial: pd.DataFrame) -> pd.DataFrame:
    """Every trained sentence head beside the strongest trivial baseline of its task (``trivial``: one row per
    task, "NSP"/"SOP", with "strongest %" and the standard errors of the baselines it took). A head is said to
    have learned more than the words show only beyond the noise of the difference."""
    rows = []
    for _, model in summary.iterrows():
        for task in ("NSP", "SOP"):
            base = trivial.loc[task]
            errors = {"majority class %": 0.0, "word overlap %": base["word overlap s.e. %"],
                      "sided bag of words %": base["sided bag s.e. %"]}
            best = max(errors, key=lambda column: base[column])
            head, head_pm = model[f"{task} head %"], model[_pm(f"{task} head %")]
            difference = head - base[best]
            error = math.hypot(head_pm, errors[best])
            real = beyond_noise(difference, error)
            rows.append({"trained with": model["trained with"], "task": task, "head %": head, "± head": head_pm,
                         "strongest trivial": best.removesuffix(" %"), "trivial %": base[best],
                         "difference": difference, "± difference": error, "beyond it": bool(difference > 0 and real),
                         "reading": ("above it beyond the noise" if real and difference > 0 else
                                     "below it beyond the noise" if real else "within the noise of it")})
    return pd.DataFrame(rows)


def describe_heads_against_trivial(against: pd.DataFrame) -> str:
    """One line per trained head (the MLM-only model's are never trained), and what the count says."""
    trained = against[against["trained with"] != "MLM only"]
    lines = [f"- {row['trained with']}, {row['task']} head: {row['head %']:.1f}% against {row['strongest trivial']} "
             f"{row['trivial %']:.1f}% ({row['difference']:+.1f} ± {row['± difference']:.1f}): {row['reading']}"
             for _, row in trained.iterrows()]
    above = int(trained["beyond it"].sum())
    if above:
        lines.append(f"{above} of {len(trained)} trained heads beat the strongest trivial baseline of their task "
                     "beyond the noise: they read more than the words of the pair show.")
    else:
        lines.append(f"None of the {len(trained)} trained heads beats the strongest trivial baseline of its task "
                     "beyond the noise: on these pairs the words alone, read by a linear model, answer as well as "
                     "the trained heads do.")
    return "\n".join(lines)


def describe_table_5_mlm(frame: pd.DataFrame) -> str:
    """The MLM column (per seed, ``frame``) against the unigram floor and against the paper's, whose three models
    lie within a point of each other. Each sentence task's model is compared with the MLM-only model of the same
    seed: one paired difference per seed."""
    column, floor = "MLM [MASK] acc %", float(frame["MLM [MASK] unigram %"].iloc[0])
    per_model = {name: rows.sort_values("seed")[column].to_numpy() for name, rows in frame.groupby("trained with")}
    base = per_model["MLM only"]
    parts, moved = [], False
    for model in ("MLM + NSP", "MLM + SOP"):
        difference, error, real = paired_difference(per_model[model], base)
        moved |= real
        parts.append(f"{model} {per_model[model].mean():.1f}% ({difference:+.1f} ± {error:.1f} points, paired by "
                     "seed, " + ("beyond the noise" if real else "within the noise") + ")")
    paper = [values[0] for values in PAPER_TABLE_5.values()]
    above = all(values.mean() > floor for values in per_model.values())
    return (f"- Masked LM at [MASK]: MLM only {base.mean():.1f}%, " + ", ".join(parts) + f"; the unigram floor is "
            f"{floor:.1f}%, " + ("every model is above it" if above else "not every model is above it") + ". The "
            f"paper's three lie within {max(paper) - min(paper):.1f} points of each other"
            + (": here a sentence task moves masked LM, so this column does not repeat the paper's." if moved
               else ", and here too no sentence task moves masked LM beyond the noise."))


# --------------------------------------------------------------------------- Figure 1


# Figure 1's summaries start at the second layer: the first layer's input is the projected embedding, at
# another scale than the LayerNorm outputs entering every later layer, so its distance mostly measures a rescaling.
FIRST_COMPARED_LAYER = 2


def smoothness_summary(frame: pd.DataFrame, unit: str = "seed") -> pd.DataFrame:
    """Per (model, weights): how much the L2 distance and the angle vary from layer to layer (their standard
    deviation over layers, per ``unit``: seeds, or held-out batches for one trained model), and the last layer's
    L2 distance as a share of the second's; means ± s.e. over the units. Layers from ``FIRST_COMPARED_LAYER`` on."""
    rows = []
    compared = frame[frame["layer"] >= FIRST_COMPARED_LAYER]
    for (model, weights, number), layers in compared.groupby(["model", "weights", unit], sort=False):
        layers = layers.sort_values("layer")
        rows.append({"model": model, "weights": weights, "seed": number,
                     "L2 variation": layers["L2 distance"].std(ddof=0),
                     "angle variation": layers["angle (degrees)"].std(ddof=0),
                     "last / second L2": layers["L2 distance"].iloc[-1] / layers["L2 distance"].iloc[0]})
    per_seed = pd.DataFrame(rows)
    per_seed["name"] = per_seed["model"] + ", " + per_seed["weights"]
    summary = seed_summary(per_seed, ["name"], ["L2 variation", "angle variation", "last / second L2"])
    return summary.rename(columns={"seeds": {"seed": "seeds", "batch": "batches"}.get(unit, unit)})


def describe_first_layer_scale(frame: pd.DataFrame) -> str:
    """Why Figure 1's summaries leave out the first layer: the norm of what enters it against what enters the
    others, and its distance against theirs, from the measured rows."""
    first = frame[frame["layer"] == 1]
    later = frame[frame["layer"] >= FIRST_COMPARED_LAYER]
    return (f"the first layer's input (the projected embedding) has a mean norm of {first['input norm'].mean():.2f}, "
            f"the input of layers {FIRST_COMPARED_LAYER}-{int(frame['layer'].max())} (a LayerNorm output) "
            f"{later['input norm'].mean():.2f}: the first layer's L2 distance ({first['L2 distance'].mean():.2f}, "
            f"against {later['L2 distance'].mean():.2f} for the later layers, all models) mostly measures that "
            f"change of scale, so the table compares layers {FIRST_COMPARED_LAYER} to {int(frame['layer'].max())}")


def describe_smoothness(summary: pd.DataFrame, spread: str = "seeds",
                        weights_read: tuple[str, ...] = ("trained", "random")) -> str:
    """Figure 1's claim (shared layers' transitions vary less from layer to layer than unshared ones', and do
    not go to zero) checked on trained models, with the random-weight models as the architecture's baseline;
    ``spread`` names what the standard errors are taken over; ``weights_read`` which weights are read."""
    lines = []
    for weights in weights_read:
        for metric in ("L2 variation", "angle variation"):
            d, se, beyond = difference(summary, "name", metric, f"all shared, {weights}", f"not shared, {weights}")
            if not beyond:
                verdict = f"no difference the {spread} can tell apart"
            elif d < 0:
                verdict = "the shared model is smoother, as in the paper"
            else:
                verdict = "the shared model is less smooth, unlike the paper"
            lines.append(f"{weights} weights, {metric}: all shared minus not shared {d:+.2f}{noise_words(se, beyond)}: "
                         f"{verdict}")
    rows = summary.set_index("name")
    for weights in weights_read:
        shrink = rows.loc[f"all shared, {weights}", "last / second L2"]
        lines.append(f"{weights}, all shared: the last layer moves its input {shrink:.2f} times as far as the second "
                     + ("(the transitions fade towards zero, which the paper did not see)" if shrink < 0.2 else
                        "(the transitions do not fade to zero, as in the paper)"))
    return "\n".join(lines)


def plot_layer_smoothness(frame: pd.DataFrame) -> Figure:
    """Figure 1's two panels: L2 distance (log scale) and angle per layer, mean ± standard error over seeds;
    solid lines for trained models, dashed for the same networks with random weights. The first layer, whose
    input is at the embedding's scale, is shaded: the summaries leave it out."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for (model, weights), rows in frame.groupby(["model", "weights"], sort=False):
        stats = rows.groupby("layer")[["L2 distance", "angle (degrees)"]].agg(["mean", "sem"])
        style = "o-" if weights == "trained" else "s--"
        for ax, column in zip(axes, ("L2 distance", "angle (degrees)"), strict=True):
            ax.errorbar(stats.index, stats[(column, "mean")], yerr=stats[(column, "sem")].fillna(0), fmt=style,
                        capsize=3, label=f"{model}, {weights}")
    axes[0].set_yscale("log")
    axes[0].set(xlabel="layer", ylabel="L2 distance, input to output (log)", title="L2 distance")
    axes[1].set(xlabel="layer", ylabel="angle between input and output (degrees)", title="Angle")
    for ax in axes:
        ax.axvspan(0.5, FIRST_COMPARED_LAYER - 0.5, color="0.9", zorder=0,
                   label="input at the embedding's scale (left out of the table)")
        ax.set_xticks(sorted(frame["layer"].unique()))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    return fig
