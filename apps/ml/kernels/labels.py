"""Labels for return prediction: forward returns over a horizon, with the time each label ends.

`forward_returns(close, h)` over a (time × instrument) close panel, times sorted and unique:
- simple: y[t] = close[t + h] / close[t] - 1;  log: y[t] = ln(close[t + h] / close[t]),
  t + h meaning h rows later in the panel's own index (h bars, not h calendar days);
- t1[t] = index[t + h], the time the label becomes known (what purged validation needs);
- NaN where the future is not known: the last h rows (t1 is NaT there), and wherever either close is
  missing or not positive.
`labels_stack` turns the panel into one row per (time, instrument) with a known label: columns t0,
instrument, t1, label, sorted by t0 then by the panel's column order, ready for
`apps.ml.kernels.validation`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

ReturnKind = Literal["simple", "log"]


@dataclass(frozen=True)
class ForwardLabels:
    values: pd.DataFrame  # (time × instrument) forward returns
    t1: pd.Series  # per time: the time the label ends (NaT for the last `horizon` rows)
    horizon: int
    kind: str


def forward_returns(close: pd.DataFrame, horizon: int, kind: ReturnKind = "simple") -> ForwardLabels:
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"horizon must be a positive integer, got {horizon}")
    if kind not in ("simple", "log"):
        raise ValueError(f"kind must be 'simple' or 'log', got {kind!r}")
    if not (close.index.is_monotonic_increasing and close.index.is_unique):
        raise ValueError("the close panel's times must be sorted and unique")
    h = int(horizon)
    c = close.to_numpy(dtype=float, copy=True)
    c[~(c > 0)] = np.nan  # a missing, zero or negative close has no return
    future = np.full_like(c, np.nan)
    future[:-h] = c[h:]
    ratio = future / c
    values = ratio - 1 if kind == "simple" else np.log(ratio)
    t1 = close.index.to_series().shift(-h)
    return ForwardLabels(
        values=pd.DataFrame(values, index=close.index, columns=close.columns),
        t1=t1.rename("t1"),
        horizon=h,
        kind=kind,
    )


def labels_stack(labels: ForwardLabels) -> pd.DataFrame:
    """One row per known label: t0, instrument, t1, label (sorted by t0, then column order)."""
    v = labels.values.to_numpy()
    n_times, n_inst = v.shape
    known = np.isfinite(v).ravel()  # row-major: time-major order, so t0 stays sorted
    return pd.DataFrame(
        {
            # Index.repeat keeps the times' dtype (tz-aware datetimes stay datetimes, not objects).
            "t0": labels.values.index.repeat(n_inst)[known],
            "instrument": np.tile(labels.values.columns.to_numpy(), n_times)[known],
            "t1": pd.Index(labels.t1).repeat(n_inst)[known],
            "label": v.ravel()[known],
        }
    )
