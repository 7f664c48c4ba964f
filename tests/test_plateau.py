"""Chapter 7's plateau measurement: the grid's shape and the reading generated from it."""

import pandas as pd

from albert_lite.chapters import plateau


def _frame(last):
    rows = []
    for (optimizer, scale), accuracy in last.items():
        for step, value in ((10, 0.5), (20, accuracy)):
            rows.append({"optimizer": optimizer, "initializer_range": scale, "step": step, "[MASK] acc %": value,
                         "n": 2048, "± s.e.": plateau.standard_error(value, 2048)})
    return pd.DataFrame(rows)


def test_the_reading_names_who_left_chance_and_who_did_not():
    text = plateau.describe_grid(_frame({("lamb 0.01", 0.02): 0.6, ("lamb 0.01", 0.1): 25.0,
                                         ("adamw 0.001", 0.02): 0.4, ("adamw 0.001", 0.1): 30.0}))
    lamb, adamw, note = text.split("\n")
    assert lamb.startswith("lamb 0.01, step 20: left the plateau from initial scale 0.1 (25.0%")
    assert "did not rise above chance from 0.02 (0.6%)" in lamb
    assert "0.1 (30.0%" in adamw and "0.02 (0.4%)" in adamw
    assert "initial scale 0.1 ends 41.7 times as high as 0.02" in lamb
    assert "chance 0.5%" in note and "n = 2048" in note


def test_a_small_run_fills_the_grid():
    frame = plateau.initialisation_grid(steps=4)
    assert len(frame) == len(plateau.OPTIMIZERS) * len(plateau.INITIALIZER_RANGES) * 4
    assert set(frame["initializer_range"]) == set(plateau.INITIALIZER_RANGES)
    assert (frame["n"] == 512 * plateau.MASKED).all()
    assert "4 steps" in frame.attrs["run"]
