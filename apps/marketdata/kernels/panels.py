"""Aligned panels (UTC timestamps x symbols) with an explicit missing-data policy.

A panel's index is the union of the timestamps at which any of its symbols has a value; a symbol
without a value at one of them shows NaN there. Nothing is filled unless asked:

- fill="none": NaN stays NaN.
- fill="ffill": the last value is carried forward over missing rows, at most `max_gap` rows per
  gap (None: without limit). Rows before a symbol's first value stay NaN; a gap longer than
  `max_gap` is filled for its first `max_gap` rows only (pandas' `limit`), i.e. a price may be at
  most `max_gap` rows stale.

Returns are computed between consecutive rows of the panel, so a missing price makes both the
return into it and the return out of it NaN: no return ever spans a gap unless the gap was filled.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

FILL_POLICIES = ("none", "ffill")
RETURN_KINDS = ("simple", "log")


def pivot_panel(
    frame: pd.DataFrame, value: str, columns: Sequence[str], *, key: str = "symbol"
) -> pd.DataFrame:
    """Long rows (key, ts, value) to a wide panel with `columns` in the given order; a requested
    column without rows is all NaN. The index is named `ts`, sorted ascending, tz UTC."""
    if frame.empty:
        index = pd.DatetimeIndex([], tz="UTC", name="ts")
        return pd.DataFrame(np.nan, index=index, columns=pd.Index(list(columns), name=key), dtype=float)
    wide = frame.pivot(index="ts", columns=key, values=value)
    wide.columns = pd.Index(list(wide.columns))  # a categorical key would keep a CategoricalIndex
    wide = wide.reindex(columns=list(columns)).sort_index().astype(float)
    wide.index = pd.DatetimeIndex(wide.index, name="ts").tz_convert("UTC")
    wide.columns.name = key
    return wide


def check_fill_policy(fill: str, max_gap: int | None) -> None:
    if fill not in FILL_POLICIES:
        raise ValueError(f"fill must be one of {', '.join(FILL_POLICIES)}, not {fill!r}")
    if max_gap is not None and (
        isinstance(max_gap, bool) or not isinstance(max_gap, int | np.integer) or max_gap < 1
    ):
        raise ValueError("max_gap must be a positive whole number of rows, or None")


def fill_panel(panel: pd.DataFrame, fill: str = "none", max_gap: int | None = None) -> pd.DataFrame:
    check_fill_policy(fill, max_gap)
    if fill == "none":
        return panel
    return panel.ffill(limit=max_gap)


def returns_from_prices(prices: pd.DataFrame, kind: str = "simple") -> pd.DataFrame:
    """Row-to-row returns of a price panel; the first row (no previous price) is dropped."""
    if kind not in RETURN_KINDS:
        raise ValueError(f"kind must be one of {', '.join(RETURN_KINDS)}, not {kind!r}")
    ratio = prices / prices.shift(1)
    out = np.log(ratio) if kind == "log" else ratio - 1.0
    return out.iloc[1:]
