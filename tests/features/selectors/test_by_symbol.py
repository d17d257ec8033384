"""Splitting a bars read into per-symbol spans (selectors/panels.py `_by_symbol`): the same rows, in
the same order, as a groupby of the read with each group sorted by time — also when the read does not
come ordered, and with a symbol that has no bars."""

from __future__ import annotations

import numpy as np
import pandas as pd

from apps.features.selectors.panels import _by_symbol


def _read(order: np.ndarray) -> pd.DataFrame:
    ts = pd.date_range("2024-01-01", periods=4, tz="UTC")
    frame = pd.DataFrame(
        {
            "symbol": pd.Categorical.from_codes([0, 0, 0, 0, 2, 2, 2], categories=["B", "NONE", "A"]),
            "ts": ts[[0, 1, 2, 3, 1, 2, 3]],
            "close": np.arange(7.0),
        }
    )
    return frame.iloc[order].reset_index(drop=True)


def _by_groupby(frame: pd.DataFrame) -> list[tuple[str, list[float]]]:
    return [
        (str(s), rows.sort_values("ts")["close"].tolist())
        for s, rows in frame.groupby("symbol", observed=True, sort=True)
    ]


def test_spans_are_the_groups_in_time_order():
    for order in (np.arange(7), np.array([6, 3, 0, 5, 1, 4, 2])):
        frame = _read(order)
        bars, spans = _by_symbol(frame)
        got = [(s, bars["close"].iloc[lo:hi].tolist()) for s, lo, hi in spans]
        assert got == _by_groupby(frame) == [("B", [0.0, 1.0, 2.0, 3.0]), ("A", [4.0, 5.0, 6.0])]
