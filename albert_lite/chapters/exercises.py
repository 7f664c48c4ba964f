"""Answer checkers for the exercises that have a number for an answer.

``check("ch2.ex1", answer)`` says right or wrong. A wrong answer gets a hint aimed at the usual
mistake behind it, never the answer itself. Expected values are computed from the package, so
they follow the same formulas the chapters teach.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import AlbertConfig
from ..params import attention_block, count_parameters, ffn_block
from ..statistics import examples_to_resolve
from ..training.optimizers import warmup_decay_factor


@dataclass(frozen=True)
class Exercise:
    """What is asked, the expected value(s) and hints for the answers that usual mistakes give."""

    question: str
    expected: tuple[float, ...]
    tolerance: float = 1e-9  # relative, per part
    mistakes: dict[tuple[float, ...], str] = field(default_factory=dict)
    hint: str = "Go back to the formula in the chapter and redo the arithmetic step by step."


def _layer(config: AlbertConfig) -> int:
    return attention_block(config) + ffn_block(config)


def _parameter_exercises() -> dict[str, Exercise]:
    """Chapters 1 to 4 and 10: counting parameters."""
    bert_large = AlbertConfig.from_preset("bert-large")
    bert_base = AlbertConfig.from_preset("bert-base")
    albert_base = AlbertConfig.from_preset("albert-base")
    layer_large = _layer(bert_large)
    h_large = bert_large.hidden_size
    bare_large = 12 * h_large * h_large  # weights only: the answer without biases and LayerNorms
    base_total = count_parameters(bert_base)["total"]
    # BERT is E == H: a wider BERT widens its embedding too (no E -> H projection appears).
    bert_wider = bert_base.replace(embedding_size=1024, hidden_size=1024, num_heads=16)
    wider_total = count_parameters(bert_wider)["total"]
    base_layer = _layer(bert_base)
    v, e = 30000, 128
    return {
        "ch1.ex1": Exercise(
            "Parameters in one BERT-large Transformer block (H = 1024, FFN 4H).",
            (layer_large,),
            mistakes={
                (layer_large - 4 * h_large,): "Close: each block has two LayerNorms, each with a gain and a bias.",
                (bare_large,): "Every dense layer also has a bias vector, and each block has two LayerNorms.",
                (bare_large + 4 * h_large,): "Count the FFN's biases too: H -> 4H has 4H of them, 4H -> H has H.",
            },
            hint="Attention is four H x H dense layers plus a LayerNorm; the FFN is H -> 4H -> H plus a LayerNorm.",
        ),
        "ch1.ex2": Exercise(
            "Parameters added to BERT-base by going from H = 768 to H = 1024 (V, L unchanged).",
            (wider_total - base_total,),
            mistakes={(12 * (_layer(bert_wider) - base_layer),):
                      "The embeddings (word, position, type, LayerNorm) and the pooler grow with H too.",
                      (count_parameters(bert_base.replace(hidden_size=1024, num_heads=16))["total"] - base_total,):
                      "BERT has no E -> H projection: its embedding table widens to 1024 with H."},
            hint="Compute the whole model at both widths (embeddings, 12 blocks, pooler) and subtract.",
        ),
        "ch2.ex1": Exercise(
            "ALBERT-xxlarge (V = 30000, E = 128, H = 4096): the V x H table and V x E + E x H.",
            (v * 4096, v * e + e * 4096),
            mistakes={(v * 4096, v * e): "The factorization has two matrices: add the E x H projection.",
                      (v * 4096, v * e + e * 4096 + 4096): "Count weights only here, as the chapter's "
                      "23,040,000 vs 3,938,304 does (no projection bias)."},
        ),
        "ch2.ex2": Exercise(
            "Largest E that still saves parameters, for V = 30000 with H = 768 and with H = 4096.",
            (math.ceil(v * 768 / (v + 768)) - 1, math.ceil(v * 4096 / (v + 4096)) - 1),
            mistakes={(768, 4096): "At E = H the factorization costs *more*: you need VE + EH < VH, strictly.",
                      (749, 3604): "The inequality is strict and E must be an integer: round down, below the bound."},
            hint="Solve VE + EH < VH for E: E < VH / (V + H), then take the largest integer below the bound.",
        ),
        "ch3.ex1": Exercise(
            "ALBERT-base shapes, all shared in groups of M = 4: total parameters of AlbertModel.",
            (count_parameters(albert_base.replace(group_size=4))["total"],),
            mistakes={(count_parameters(albert_base.replace(group_size=4))["total"] - 590_592,):
                      "AlbertModel includes the pooler (H x H + H).",
                      (count_parameters(albert_base.replace(group_size=3))["total"],):
                      "Groups of M = 4 layers: L / M copies of the layer are stored, not M.",
                      (count_parameters(albert_base)["total"],): "That is one group (M = 12)."},
        ),
        "ch3.ex2": Exercise(
            "BERT-base (E = H = 768) with the attention of all 12 layers shared: total parameters.",
            (count_parameters(bert_base.replace(sharing="attention"))["total"],),
            mistakes={(base_total - 12 * attention_block(bert_base),):
                      "Sharing keeps one copy: 11 of the 12 attention blocks disappear, not 12."},
            hint="Start from 109,081,344 and remove the attention blocks that sharing makes redundant.",
        ),
        "ch4.ex1": Exercise(
            "Embedding parameters per extra 1,000 pieces: BERT-base (H = 768), ALBERT-base (E = 128).",
            (1000 * 768, 1000 * e),
            mistakes={(1000 * 768, 1000 * e + e * 768): "The E x H projection does not grow with V."},
        ),
        "ch10.ex1": Exercise(
            "albert-base-v2 shapes: (a) parameters with 3 groups, (b) group of layer 7, (c) parameters with "
            "1 group and inner_group_num = 2.",
            (3_906_048 + 99_072 + 3 * 7_087_872 + 590_592, 7 // (12 // 3), 3_906_048 + 99_072 + 2 * 7_087_872
             + 590_592),
            mistakes={(3_906_048 + 99_072 + 3 * 7_087_872 + 590_592, 7 // 3,
                       3_906_048 + 99_072 + 2 * 7_087_872 + 590_592):
                      "Groups are contiguous blocks of L / G layers: layer i uses group i // (L / G)."},
        ),
    }


def _training_exercises() -> dict[str, Exercise]:
    """Chapters 5 to 9: masking, statistics, LAMB and its schedule, memory, the classifier head."""
    warmup = 250
    steps = (0, 124, 249, 250, 5125, 9999)
    lrs = tuple(1e-3 * warmup_decay_factor(s, warmup, 10_000) for s in steps)
    return {
        "ch5.ex1a": Exercise(
            "Prediction budget: 128 positions, 3 special, mask probability 0.15, cap 20.",
            (min(20, max(1, round(0.15 * 125))),),
            mistakes={(20,): "Here 15% of the maskable tokens stays below the cap of 20.",
                      (18,): "The budget is rounded to the nearest integer, not truncated."},
        ),
        "ch5.ex1c": Exercise(
            "p(n) for n = 1, 2, 3, 4 with p(n) proportional to 1/n.",
            tuple((1 / n) / sum(1 / k for k in range(1, 5)) for n in range(1, 5)),
            tolerance=1e-3,
            mistakes={tuple(6 / 11 * x for x in (1, 1 / 2, 1 / 3, 1 / 4)):
                      "Normalise over four lengths now: the denominator is 1 + 1/2 + 1/3 + 1/4."},
            hint="Divide each 1/n by the sum of 1/k over k = 1..4, so that the four add up to 1.",
        ),
        "ch5.ex1d": Exercise(
            "Expected number of words in one span, n <= 3.",
            (sum(n * (1 / n) for n in range(1, 4)) / sum(1 / n for n in range(1, 4)),),
            tolerance=1e-3,
            mistakes={(2.0,): "The lengths are not equally likely: weight each n by p(n) = (1/n) / (11/6)."},
        ),
        "ch6.ex1": Exercise(
            "Standard error of an accuracy near 50% measured on 2,000 pairs (as a fraction).",
            (math.sqrt(0.25 / 2000),),
            tolerance=1e-2,
            mistakes={(0.25 / 2000,): "That is the variance: take its square root.",
                      (math.sqrt(0.25 / 2000) * 100,): "Give it as a fraction, not in percentage points."},
        ),
        "ch7.ex1": Exercise(
            "Trust ratio, LAMB's step length and AdamW's step length (||w|| = 4, ||u|| = 0.5, lr = 0.01).",
            (4 / 0.5, 0.01 * 4, 0.01 * 0.5),
            mistakes={(0.5 / 4, 0.01 * 0.5 / 4 * 0.5, 0.01 * 0.5): "The trust ratio is ||w|| / ||u||, not the "
                      "other way round."},
            hint="LAMB scales the AdamW direction by lr * ||w|| / ||u||; AdamW's step is lr * ||u||.",
        ),
        "ch7.ex2": Exercise(
            "Learning rates at steps 0, 124, 249, 250, 5125, 9999 (10,000 steps, warm-up 1 in 40, peak 1e-3).",
            lrs,
            tolerance=1e-3,
            mistakes={tuple(1e-3 * s / warmup if s < warmup else lrs[i] for i, s in enumerate(steps)):
                      "The first step already has a small learning rate: step s of the warm-up uses (s + 1) / W."},
            hint="Warm-up lasts 10,000 / 40 steps; after it the rate falls linearly to reach 0 at the end.",
        ),
        "ch8.ex1": Exercise(
            "Weights + gradients + AdamW state in float32, GiB: ALBERT-xxlarge, BERT-large (encoders).",
            (16 * 222_595_584 / 2**30, 16 * 334_607_360 / 2**30),
            tolerance=1e-2,
            mistakes={(8 * 222_595_584 / 2**30, 8 * 334_607_360 / 2**30):
                      "AdamW keeps two moments per weight: 4 bytes x (weight + gradient + 2 moments).",
                      (16 * 222_595_584 / 1e9, 16 * 334_607_360 / 1e9): "A GiB is 2**30 bytes, not 10**9."},
        ),
        "ch9.ex1": Exercise(
            "Parameters of the classifier head: four eras at H = 64, and SST-2 (two classes) at H = 768.",
            (64 * 4 + 4, 768 * 2 + 2),
            mistakes={(64 * 4, 768 * 2): "A linear layer has a bias too: one more parameter per class.",
                      (64 * 64 + 64, 768 * 768 + 768): "The head maps H to the K classes, not H to H."},
            hint="One linear layer from the pooled vector (H numbers) to K classes: H x K weights and K biases.",
        ),
        "ch9.ex3": Exercise(
            "Independent test paragraphs per model before a 3-point difference near 70% accuracy exceeds 3 standard "
            "errors of the difference (two unpaired accuracies).",
            (examples_to_resolve(3, 70),),
            tolerance=1e-2,
            mistakes={(math.ceil(0.21 * 100**2),): "Two accuracies, two errors: the difference's variance is the "
                      "sum of both, 2 p (1 - p) / n.",
                      (math.ceil(2 * 0.21 * (2 * 100 / 3) ** 2),): "The book's threshold is 3 standard errors, "
                      "not 2.",
                      (math.ceil(2 * 0.25 * 100**2),): "Near 70% the binomial variance is p (1 - p) = 0.21, not "
                      "0.25."},
            hint="Solve 3 x sqrt(2 p (1 - p) / n) = 0.03 for n, with p = 0.7.",
        ),
        "ch11.ex1": Exercise(
            "ALBERT's embedding (E = 128) as a fraction of BERT's at V = 30000, H = 4096.",
            ((30000 * 128 + 128 * 4096) / (30000 * 4096),),
            tolerance=1e-2,
            mistakes={((30000 * 128 + 128 * 768) / (30000 * 768),): "That is the fraction at H = 768: use H = 4096.",
                      (100 * (30000 * 128 + 128 * 4096) / (30000 * 4096),): "Give it as a fraction, not in percent."},
            hint="Divide V x E + E x H by V x H with V = 30000, E = 128, H = 4096.",
        ),
        "ch8.ex2": Exercise(
            "Sequence length S at which 4SH equals 24H^2 for ALBERT-base (H = 768).",
            (6 * 768,),
            mistakes={(768,): "Solve 4 S H = 24 H^2 for S: the H on each side leaves a factor of H."},
        ),
    }


EXERCISES: dict[str, Exercise] = {**_parameter_exercises(), **_training_exercises()}


def _as_tuple(answer: Any) -> tuple[float, ...]:
    """One number, or several as a list, tuple, dict (its values), numpy array or tensor."""
    if isinstance(answer, dict):
        answer = list(answer.values())
    if hasattr(answer, "tolist") and not isinstance(answer, (str, bytes)):
        answer = answer.tolist()  # numpy arrays and scalars, torch tensors
    if isinstance(answer, (str, bytes)) or not isinstance(answer, (Sequence, Iterable)):
        answer = [answer]
    parts = list(answer)
    if any(isinstance(a, (list, tuple, dict)) for a in parts):
        raise ValueError(f"answers are numbers or one flat list of numbers, got a nested {type(answer).__name__}: "
                         f"{answer!r}")
    try:
        return tuple(float(a) for a in parts)
    except (TypeError, ValueError) as error:
        raise ValueError(f"answers are numbers (or a list of numbers), got {answer!r}") from error


def _close(a: Sequence[float], b: Sequence[float], tolerance: float) -> bool:
    if len(a) != len(b):
        return False
    return all(math.isclose(x, y, rel_tol=tolerance, abs_tol=1e-12) for x, y in zip(a, b, strict=True))


def feedback(key: str, answer: Any) -> tuple[bool, str]:
    """(right?, message) for an answer; the message of a wrong answer is a hint."""
    if key not in EXERCISES:
        raise KeyError(f"no checker named {key!r}; known: {', '.join(EXERCISES)}")
    exercise = EXERCISES[key]
    given = _as_tuple(answer)
    if len(given) != len(exercise.expected):
        return False, f"Expected {len(exercise.expected)} number(s) for: {exercise.question}"
    if _close(given, exercise.expected, exercise.tolerance):
        return True, f"Right! {exercise.question}"
    for wrong, hint in exercise.mistakes.items():
        if _close(given, wrong, exercise.tolerance):
            return False, f"Not yet. {hint}"
    parts = [i + 1 for i, (x, y) in enumerate(zip(given, exercise.expected, strict=True))
             if not math.isclose(x, y, rel_tol=exercise.tolerance, abs_tol=1e-12)]
    where = f" (part {', '.join(map(str, parts))} is off)" if len(exercise.expected) > 1 else ""
    return False, f"Not yet{where}. {exercise.hint}"


def check(key: str, answer: Any, show: Callable[[str], None] = print) -> bool:
    """Print whether ``answer`` to exercise ``key`` is right, with a hint if not; return it."""
    right, message = feedback(key, answer)
    show(message)
    return right
