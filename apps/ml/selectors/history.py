"""What arrived since a bundle's state: a symbol's returns and feature rows after the bar of its last
fitted observation (`last_ts`), read through the market-data and features facades.

`last_ts` is the bar timestamp (bucket start, UTC, as market data indexes bars) of the last
observation the state includes; naive means UTC. The read starts a few bars before it, so the
return into the first new bar has its previous price, and keeps only bars after it."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from apps.features import facade as features
from apps.marketdata import facade as marketdata

_LOOKBACK_BARS = 10  # covers a long weekend or a missing bar before last_ts


def utc(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _utc_index(index) -> pd.DatetimeIndex:
    index = pd.DatetimeIndex(index)
    return index.tz_localize("UTC") if index.tz is None else index.tz_convert("UTC")


def returns_from(symbol: str, interval: str, start=None) -> pd.Series:
    """Adjusted close-to-close returns of `symbol` at `interval` from `start` (None: all stored),
    finite ones only (a gap's NaN is no observation), indexed by UTC bar time."""
    panel = marketdata.return_panel([symbol], start=start, interval=interval)
    if symbol not in panel.columns:
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
    column = panel[symbol]
    column = column[np.isfinite(column.to_numpy(dtype=float))]
    column.index = _utc_index(column.index)
    return column


def _window_start(last: pd.Timestamp, interval: str) -> pd.Timestamp:
    return last - _LOOKBACK_BARS * marketdata.interval_length(interval)


def returns_since(symbol: str, interval: str, last_ts) -> pd.Series:
    """The returns of bars after `last_ts` (None: nothing is known to be new, an empty series)."""
    if not last_ts:
        return pd.Series(dtype=float, index=pd.DatetimeIndex([], tz="UTC"))
    last = utc(last_ts)
    returns = returns_from(symbol, interval, _window_start(last, interval))
    return returns[returns.index > last]


def features_since(symbol: str, labels: Sequence[str], interval: str, last_ts) -> pd.DataFrame:
    """Feature rows (one column per label, in order) of bars after `last_ts`, computed from the stored
    bars by the features engine; NaN where a feature has no value at a bar."""
    if not last_ts:
        return pd.DataFrame(columns=list(labels), dtype=float)
    last = utc(last_ts)
    panel = features.feature_panel([symbol], list(labels), start=_window_start(last, interval))
    columns = {}
    for label in labels:
        frame = panel[label]
        column = frame.iloc[:, 0] if frame.shape[1] else pd.Series(dtype=float)
        column.index = _utc_index(column.index)
        columns[label] = column
    rows = pd.DataFrame(columns).sort_index()
    return rows[rows.index > last]
