"""Every checker accepts its right answer, refuses wrong ones, and never gives the answer away."""

import pytest

from albert_lite import AlbertConfig, count_parameters
from albert_lite.exercises import EXERCISES, check, feedback

RIGHT_BY_HAND = {  # worked independently of the package, as a student would
    "ch1.ex1": 12_596_224,
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
    "ch10.ex1": {"a": 25_859_328, "b": 1, "c": 18_771_456},
}


def test_every_checker_has_a_hand_worked_answer():
    assert set(RIGHT_BY_HAND) | {"ch1.ex2"} == set(EXERCISES)


@pytest.mark.parametrize("key", sorted(RIGHT_BY_HAND))
def test_right_answers_are_accepted(key, capsys):
    assert check(key, RIGHT_BY_HAND[key]) is True
    assert capsys.readouterr().out.startswith("Right!")


def test_ch1_ex2_against_an_independent_count():
    base = count_parameters(AlbertConfig.from_preset("bert-base"))["total"]
    wide = count_parameters(AlbertConfig.from_preset("bert-base", hidden_size=1024, num_heads=16))["total"]
    assert feedback("ch1.ex2", wide - base)[0]


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
