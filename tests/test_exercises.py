"""Every checker accepts its right answer, refuses wrong ones, and never gives the answer away.

The right answers here are worked by hand, independently of the package's formulas, and each one is
also found in the chapter's own written solution: a checker, a solution and a hand count that
disagree fail a test.
"""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from albert_lite.chapters.exercises import EXERCISES, check, feedback

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

RIGHT_BY_HAND = {  # worked independently of the package, as a student would
    "ch1.ex1": 12_596_224,
    "ch1.ex2": 183_452_672 - 109_081_344,  # both totals from the per-part sums of chapter 1
    "ch2.ex1": (122_880_000, 4_364_288),
    "ch2.ex2": (748, 3603),
    "ch3.ex1": 25_859_328,
    "ch3.ex2": 83_078_400,
    "ch4.ex1": [768_000, 128_000],
    "ch5.ex1a": 19,
    "ch5.ex1c": (0.48, 0.24, 0.16, 0.12),
    "ch5.ex1d": 18 / 11,
    "ch6.ex1": 0.01118,
    "ch7.ex1": (8, 0.04, 0.005),
    "ch7.ex2": (4e-6, 5e-4, 1e-3, 1e-3, 5e-4, 1e-7 / 0.975),
    "ch8.ex1": (3.317, 4.986),
    "ch8.ex2": 4608,
    "ch9.ex1": (260, 1538),
    "ch9.ex3": 4200,  # 3 x sqrt(2 x 0.21 / n) = 0.03  =>  n = 2 x 0.21 x 100^2
    "ch10.ex1": {"a": 25_859_328, "b": 1, "c": 18_771_456},
    "ch11.ex1": 4_364_288 / 122_880_000,
}


def test_every_checker_has_a_hand_worked_answer():
    assert set(RIGHT_BY_HAND) == set(EXERCISES)


@pytest.mark.parametrize("key", sorted(RIGHT_BY_HAND))
def test_right_answers_are_accepted(key, capsys):
    assert check(key, RIGHT_BY_HAND[key]) is True
    assert capsys.readouterr().out.startswith("Right!")


LATEX_POWER = re.compile(r"(\d+(?:\.\d+)?)\s*\\times\s*10\^\{?(-?\d+)\}?")
FRACTION = re.compile(r"(?<![\w.])(\d+)\s*/\s*(\d+)(?![\w.])")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:,\d{3})*(?:\.\d+)?(?:[eE]-?\d+)?")


def solution_text(key: str) -> str:
    """The chapter's written solution of exercise ``key`` ("ch5.ex1a" -> label ch5-ex1), with its outputs."""
    chapter, exercise = key.split(".")
    label = chapter + "-" + re.match(r"ex\d+", exercise).group(0)
    (path,) = NOTEBOOKS.glob(f"{int(chapter[2:]):02d}_*.ipynb")
    parts, inside = [], False
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            block = re.search(rf"^(`{{3,}}|:{{3,}})\{{solution\}}\s+{label}\b.*?^\1\s*$", source, re.M | re.S)
            parts += [block.group(0)] if block else []
            inside = inside or re.search(rf"\{{solution-start\}}\s+{label}\b", source) is not None
        if inside:
            parts.append(source)
            parts += ["".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                      for o in cell.get("outputs", [])]
            inside = not (cell["cell_type"] == "markdown" and "{solution-end}" in source)
    return "\n".join(parts)


def numbers_in(text: str) -> list[float]:
    text = text.replace("{,}", ",")
    found = [float(a) * 10 ** int(b) for a, b in LATEX_POWER.findall(text)]
    found += [int(a) / int(b) for a, b in FRACTION.findall(text) if int(b)]
    return found + [float(n.replace(",", "")) for n in NUMBER.findall(text)]


@pytest.mark.parametrize("key", sorted(RIGHT_BY_HAND))
def test_the_chapters_solution_derives_the_checked_answer(key):
    """Each part of the hand-worked answer is written in the chapter's solution (to its printed rounding)."""
    written = numbers_in(solution_text(key))
    assert written, f"no solution found for {key}"
    answer = RIGHT_BY_HAND[key]
    parts = list(answer.values()) if isinstance(answer, dict) else np.atleast_1d(answer).tolist()
    tolerance = max(EXERCISES[key].tolerance, 5e-3)
    for part in parts:
        assert any(math.isclose(part, w, rel_tol=tolerance) for w in written), f"{key}: {part} not in the solution"


@pytest.mark.parametrize("form", [list, tuple, np.array, torch.tensor, lambda v: dict(zip("ab", v, strict=True))])
def test_multi_part_answers_in_every_container(form):
    assert feedback("ch2.ex1", form([122_880_000, 4_364_288]))[0]


def test_numpy_scalars_are_numbers():
    assert feedback("ch8.ex2", np.int64(4608))[0]
    assert feedback("ch6.ex1", np.float32(0.01118))[0]


def test_nested_answers_are_refused_with_a_message():
    with pytest.raises(ValueError, match="flat list"):
        feedback("ch2.ex1", [[122_880_000], [4_364_288]])


@pytest.mark.parametrize("key", sorted(EXERCISES))
def test_wrong_answers_get_a_hint_without_the_answer(key):
    exercise = EXERCISES[key]
    wrong = [x * 1.5 + 1 for x in exercise.expected]
    right, message = feedback(key, wrong)
    assert not right and message.startswith("Not yet")
    for value in exercise.expected:
        for shown in (f"{value:,.0f}", f"{value:.0f}", f"{value:g}"):
            if len(shown) > 2:
                assert shown not in message, f"{key} gives the answer away"


@pytest.mark.parametrize("key, mistake", [(k, m) for k, e in EXERCISES.items() for m in e.mistakes])
def test_known_mistakes_get_their_own_hint(key, mistake):
    right, message = feedback(key, mistake)
    assert not right
    assert message != f"Not yet. {EXERCISES[key].hint}"


def test_bad_keys_and_shapes():
    with pytest.raises(KeyError, match="ch2.ex1"):
        feedback("ch99.ex1", 3)
    assert feedback("ch2.ex1", 5)[1].startswith("Expected 2 number(s)")
    with pytest.raises(ValueError, match="numbers"):
        feedback("ch6.ex1", "about one percent")
