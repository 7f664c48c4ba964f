"""Wide tables in parts: every column shown once, the naming columns in every part."""

import pandas as pd
import pytest

from albert_lite.chapters.tables import in_parts


def test_every_column_appears_once_beside_the_keys():
    frame = pd.DataFrame({"model": ["a", "b"], "seed": [0, 1], **{f"c{i}": [i, i] for i in range(5)}})
    parts = in_parts(frame, ["model", "seed"], 2)
    assert [list(part.columns) for part in parts] == [
        ["model", "seed", "c0", "c1"], ["model", "seed", "c2", "c3"], ["model", "seed", "c4"]]
    assert all(part.index.equals(frame.index) for part in parts)
    assert [list(part.columns) for part in in_parts(frame[["model"]], ["model"], 3)] == [["model"]]


def test_bad_requests_are_refused():
    frame = pd.DataFrame({"model": ["a"], "x": [1]})
    with pytest.raises(ValueError, match="not columns"):
        in_parts(frame, ["seed"], 2)
    with pytest.raises(ValueError, match="at least 1"):
        in_parts(frame, ["model"], 0)
