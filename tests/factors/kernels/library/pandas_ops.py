"""The 101 alphas' functions written directly in pandas, as alphalens / Qlib users write them:
DataFrames with dates in rows and instruments in columns, rolling(d, min_periods=d) for the
time-series functions (our full-window semantics), rank(axis=1, pct=True) across a date, a groupby
over the instruments' labels for IndNeutralize. Independent of apps.factors.kernels.operators.

The NaN conventions our language documents are spelled out here too, so the two can be compared
exactly: comparisons and `||` are 1.0 / 0.0 and NaN where an input is NaN, a ternary is NaN where
its condition is, ±inf is NaN, non-integer windows are floored.
"""

from __future__ import annotations

import math
import operator

import numpy as np
import pandas as pd

Value = pd.DataFrame | float


def window(d: float) -> int:
    return math.floor(d)


def fin(x: pd.DataFrame) -> pd.DataFrame:
    return x.replace([np.inf, -np.inf], np.nan)


def rolling(x: pd.DataFrame, d: float):
    return x.rolling(window(d), min_periods=window(d))


def rank(x: pd.DataFrame) -> pd.DataFrame:
    return x.rank(axis=1, pct=True)


def delay(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return x.shift(window(d))


def delta(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return x.diff(window(d))


def ts_sum(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return rolling(x, d).sum()


def ts_mean(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return rolling(x, d).mean()


def stddev(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return rolling(x, d).std()


def ts_min(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return rolling(x, d).min()


def ts_max(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return rolling(x, d).max()


def ts_rank(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return rolling(x, d).rank(pct=True)


def ts_argmax(x: pd.DataFrame, d: float) -> pd.DataFrame:
    """1-based day of the window's maximum, oldest = 1 (np.argmax keeps the first on ties)."""
    return rolling(x, d).apply(lambda w: np.argmax(w) + 1.0, raw=True)


def ts_argmin(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return rolling(x, d).apply(lambda w: np.argmin(w) + 1.0, raw=True)


def product(x: pd.DataFrame, d: float) -> pd.DataFrame:
    return fin(rolling(x, d).apply(np.prod, raw=True))


def correlation(x: pd.DataFrame, y: pd.DataFrame, d: float) -> pd.DataFrame:
    return fin(rolling(x, d).corr(y)).clip(-1.0, 1.0)


def covariance(x: pd.DataFrame, y: pd.DataFrame, d: float) -> pd.DataFrame:
    return rolling(x, d).cov(y)


def decay_linear(x: pd.DataFrame, d: float) -> pd.DataFrame:
    """Weights d, d-1, .., 1 from today backwards, normalized. Summed oldest first, so windows of
    booleans or integers that tie exactly still tie (the result is then ranked)."""
    n = window(d)
    weights = np.arange(1.0, n + 1.0)
    weights = weights / weights.sum()
    total = weights[0] * x.shift(n - 1)
    for k in range(1, n):
        total = total + weights[k] * x.shift(n - 1 - k)
    return total


def scale(x: pd.DataFrame, a: float = 1.0) -> pd.DataFrame:
    return fin(x.div(x.abs().sum(axis=1), axis=0) * a)


def signedpower(x: pd.DataFrame, e: float) -> pd.DataFrame:
    return fin(np.sign(x) * x.abs() ** e)


def indneutralize(x: pd.DataFrame, labels: pd.Series) -> pd.DataFrame:
    """x minus its date's mean over the instruments sharing the label (labels per column)."""
    return x - x.T.groupby(labels).transform("mean").T


def log(x: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(all="ignore"):
        return fin(np.log(x))


def power(x: Value, e: Value) -> pd.DataFrame:
    with np.errstate(all="ignore"):
        return fin(x**e)


def _compare(op, a: Value, b: Value) -> pd.DataFrame:
    out = op(a, b).astype(np.float64)
    for side in (a, b):
        if isinstance(side, pd.DataFrame):
            out = out.mask(side.isna())
    return out


def lt(a: Value, b: Value) -> pd.DataFrame:
    return _compare(operator.lt, a, b)


def eq(a: Value, b: Value) -> pd.DataFrame:
    return _compare(operator.eq, a, b)


def either(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return _compare(lambda x, y: (x != 0) | (y != 0), a, b)


def where(cond: pd.DataFrame, a: Value, b: Value) -> pd.DataFrame:
    """a where cond is nonzero, else b; NaN where cond is NaN."""
    a = a if isinstance(a, pd.DataFrame) else pd.DataFrame(a, index=cond.index, columns=cond.columns)
    return a.where(cond != 0, b).mask(cond.isna())


def greater(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(np.maximum(a.to_numpy(), b.to_numpy()), index=a.index, columns=a.columns)


def less(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(np.minimum(a.to_numpy(), b.to_numpy()), index=a.index, columns=a.columns)
