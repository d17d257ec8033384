"""The 101 alphas' functions written directly in pandas, as alphalens / Qlib users write them:
DataFrames with dates in rows and instruments in columns, rolling(d, min_periods=d) for the
time-series functions (our full-window semantics), rank(axis=1, pct=True) across a date, a groupby
over the instruments' labels for IndNeutralize. Independent of apps.factors.kernels.operators,
except that correlation and covariance take the engine's value where it agrees with their own to
1e-12 (near-ties under a rank; see _ties_as_the_engine).

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


def _co_moments(x: pd.DataFrame, y: pd.DataFrame, d: float):
    """Two-pass co-moments of every full window in long double (each window centred on its own
    mean): sum dx dy, sum dx², sum dy², NaN where either input has a NaN or ±inf in the window.
    pandas' rolling corr, mean(xy) - mean(x) mean(y), loses digits to cancellation (1e-10 on these
    inputs, where the engine's kernel is within 1e-13), too many for the ranks taken of it."""
    n = window(d)
    a, b = (fin(v).to_numpy(dtype=np.longdouble) for v in (x, y))
    out = [np.full(a.shape, np.nan, dtype=np.longdouble) for _ in range(3)]
    if n <= a.shape[0]:
        wa, wb = (np.lib.stride_tricks.sliding_window_view(v, n, axis=0) for v in (a, b))
        da, db = wa - wa.mean(axis=-1, keepdims=True), wb - wb.mean(axis=-1, keepdims=True)
        for target, product in zip(out, (da * db, da * da, db * db), strict=True):
            target[n - 1 :] = product.sum(axis=-1)
    return out


def _ties_as_the_engine(ours: np.ndarray, engine: np.ndarray, like: pd.DataFrame, atol) -> pd.DataFrame:
    """Our value, or the engine's where the two agree within `atol` (and NaN where both are).

    Mathematically equal correlations (of ranks, over two points) come out a few ulps apart from
    any two algorithms, and the cross-sectional rank taken next would order those near-ties
    differently. Taking the engine's value where it agrees keeps the comparison about windows, NaN
    placement and the alpha's composition; a kernel off by more than `atol` still fails the test."""
    agree = np.isclose(engine, ours, rtol=0.0, atol=atol) | (np.isnan(engine) & np.isnan(ours))
    return pd.DataFrame(np.where(agree, engine, ours), index=like.index, columns=like.columns)


def correlation(x: pd.DataFrame, y: pd.DataFrame, d: float) -> pd.DataFrame:
    from apps.factors.kernels.operators.window_moments import rolling_corr

    xy, xx, yy = _co_moments(x, y, d)
    with np.errstate(all="ignore"):
        ours = np.clip((xy / np.sqrt(xx * yy)).astype(np.float64), -1.0, 1.0)
    ours[~np.isfinite(ours) | (xx == 0) | (yy == 0)] = np.nan  # a constant window: no correlation
    return _ties_as_the_engine(ours, rolling_corr(x.to_numpy(), y.to_numpy(), window(d)), x, 1e-12)


def covariance(x: pd.DataFrame, y: pd.DataFrame, d: float) -> pd.DataFrame:
    from apps.factors.kernels.operators.window_moments import rolling_cov

    xy, xx, yy = _co_moments(x, y, d)
    with np.errstate(all="ignore"):
        ours = (xy / (window(d) - 1)).astype(np.float64)
        scale = np.sqrt(xx * yy).astype(np.float64) / (window(d) - 1)
    ours[~np.isfinite(ours)] = np.nan
    engine = rolling_cov(x.to_numpy(), y.to_numpy(), window(d))
    return _ties_as_the_engine(ours, engine, x, 1e-12 * np.nan_to_num(scale) + 1e-300)


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
