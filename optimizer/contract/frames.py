"""Plain values out of the plan's tables (pandas frames), for passes over their rows in Python."""

from __future__ import annotations

import pandas as pd


def columns(frame: pd.DataFrame, *names: str) -> list[list]:
    """The named columns of ``frame`` as lists of plain values: zipped, a pass over the rows that does not ask
    pandas for each value (iterating a Series of text does, about a microsecond a value; itertuples more)."""
    return [frame[name].tolist() for name in names]
