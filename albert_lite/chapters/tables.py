"""Wide tables shown in parts that fit the page, each part repeating the columns that name the rows.

A table wider than the page hides its last columns behind a scroll bar, where a reader does not look. Showing
it in parts keeps every number in view; the rendered book's browser test fails on any output wider than its box.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd


def in_parts(frame: pd.DataFrame, keys: Sequence[str], columns_per_part: int) -> list[pd.DataFrame]:
    """``frame`` cut into tables of ``keys`` plus at most ``columns_per_part`` of the other columns, in order."""
    if columns_per_part < 1:
        raise ValueError(f"columns_per_part must be at least 1, got {columns_per_part}")
    missing = [key for key in keys if key not in frame.columns]
    if missing:
        raise ValueError(f"{missing} are not columns of the table (its columns: {list(frame.columns)})")
    rest = [column for column in frame.columns if column not in keys]
    return [frame[[*keys, *rest[i:i + columns_per_part]]] for i in range(0, len(rest), columns_per_part)] or [
        frame[list(keys)]]
