"""Time-series operators over windows of rows: sums and moments computed window by window
(window_sums, window_moments), order statistics through bottleneck (windows), skew and kurtosis
through pandas' Cython rolling routines; plus delay, delta and ema.

Each works per instrument (column) along the rows (dates), on the whole (T, N) panel at once.
Window semantics, unless an operator's doc says otherwise: the output at row t uses rows
t-w+1..t; it is NaN for the first w-1 rows and NaN whenever the window holds a NaN (pandas
`rolling(w, min_periods=w)`). Qlib uses min_periods=1 (partial windows at the start of history);
we do not, so a value is either computed from a full window or absent.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from . import window_moments, window_sums, windows
from .panels import finite_or_nan, rolled, rolling
from .spec import UNBOUNDED, Arg, OperatorSpec, window_minus_one

_X = Arg(name="x", kind="series")
_W = Arg(name="window", kind="window")
_D = Arg(name="periods", kind="window")

WINDOW_SEMANTICS = (
    "The output at row t uses rows t-w+1..t of the same column: NaN for the first w-1 rows and "
    "wherever the window holds a NaN (pandas rolling(w, min_periods=w); Qlib's min_periods=1 "
    "partial windows at the start of history are not reproduced)."
)


def delay(x: np.ndarray, periods: int) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    if periods < x.shape[0]:
        out[periods:] = x[: x.shape[0] - periods]
    return out


def delta(x: np.ndarray, periods: int) -> np.ndarray:
    return finite_or_nan(x - delay(x, periods))


def ts_mean(x, window):
    return window_sums.rolling_mean(x, window)


def ts_sum(x, window):
    return window_sums.rolling_sum(x, window)


def ts_std(x, window):
    return window_moments.rolling_std(x, window)


def ts_var(x, window):
    return window_moments.rolling_var(x, window)


def ts_skew(x, window):
    return rolled(rolling(x, window).skew())


def ts_kurt(x, window):
    return rolled(rolling(x, window).kurt())


def ts_max(x, window):
    return windows.rolling_max(x, window)


def ts_min(x, window):
    return windows.rolling_min(x, window)


def ts_median(x, window):
    return windows.rolling_median(x, window)


def ts_quantile(x, window, q):
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"ts_quantile: q must be between 0 and 1, got {q}")
    return windows.rolling_quantile(x, window, q)


def ts_rank(x, window):
    return windows.rolling_rank(x, window)


def ts_count(x, window):
    return windows.rolling_count(x, window)


def ema(x, span):
    frame = pd.DataFrame(x, copy=False)
    out = rolled(frame.ewm(span=span, adjust=True, min_periods=1, ignore_na=False).mean())
    out[np.isnan(x)] = np.nan
    return out


def _periods(args: Mapping[str, float]) -> int:
    return int(args["periods"])


def _unbounded(_: Mapping[str, float]) -> int:
    return UNBOUNDED


def _rolling_spec(name, kernel, what, aliases=(), extra_args=()):
    return OperatorSpec(
        name=name,
        category="time_series",
        args=(_X, _W, *extra_args),
        kernel=kernel,
        lookback=window_minus_one,
        aliases=aliases,
        doc=f"{what} {WINDOW_SEMANTICS}",
    )


SPECS: tuple[OperatorSpec, ...] = (
    OperatorSpec(
        name="delay",
        category="time_series",
        args=(_X, _D),
        kernel=delay,
        lookback=_periods,
        aliases=("ref", "Ref"),
        doc="The value `periods` rows earlier in the same column (Qlib's Ref, the 101 alphas' delay); "
        "NaN for the first `periods` rows. periods >= 1: a negative shift would read the future.",
    ),
    OperatorSpec(
        name="delta",
        category="time_series",
        args=(_X, _D),
        kernel=delta,
        lookback=_periods,
        aliases=("Delta",),
        doc="x - delay(x, periods): NaN for the first `periods` rows and where either value is NaN.",
    ),
    _rolling_spec("ts_mean", ts_mean, "Mean of the window.", ("Mean",)),
    _rolling_spec("ts_sum", ts_sum, "Sum of the window (the 101 alphas' sum).", ("Sum", "sum")),
    _rolling_spec(
        "ts_std",
        ts_std,
        "Sample standard deviation of the window (ddof=1; w=1 gives NaN; a constant window 0).",
        ("Std", "stddev"),
    ),
    _rolling_spec(
        "ts_var",
        ts_var,
        "Sample variance of the window (ddof=1; w=1 gives NaN; a constant window 0).",
        ("Var",),
    ),
    _rolling_spec(
        "ts_skew",
        ts_skew,
        "Bias-corrected sample skewness of the window (pandas' rolling skew, the adjusted "
        "Fisher-Pearson G1): NaN for w < 3 and for a constant window.",
        ("Skew",),
    ),
    _rolling_spec(
        "ts_kurt",
        ts_kurt,
        "Bias-corrected excess kurtosis of the window (pandas' rolling kurt, G2; a normal "
        "distribution gives 0): NaN for w < 4 and for a constant window.",
        ("Kurt",),
    ),
    _rolling_spec("ts_max", ts_max, "Largest value of the window (Qlib's Max(x, N)).", ("Max",)),
    _rolling_spec("ts_min", ts_min, "Smallest value of the window (Qlib's Min(x, N)).", ("Min",)),
    _rolling_spec("ts_median", ts_median, "Median of the window.", ("Med",)),
    _rolling_spec(
        "ts_quantile",
        ts_quantile,
        "The q-quantile of the window with linear interpolation between order statistics "
        "(pandas' rolling quantile, numpy's 'linear'); q is a number in [0, 1].",
        ("Quantile",),
        (Arg(name="q", kind="number"),),
    ),
    _rolling_spec(
        "ts_rank",
        ts_rank,
        "Percentile rank of the newest value within its window: its rank among the w values "
        "(ties get their average rank) divided by w, in (0, 1]; pandas' rolling rank(pct=True), "
        "Qlib's Rank(x, N).",
        ("Rank",),
    ),
    OperatorSpec(
        name="ts_count",
        category="time_series",
        args=(_X, _W),
        kernel=ts_count,
        lookback=window_minus_one,
        aliases=("Count",),
        doc="Number of non-NaN values among rows t-w+1..t of the column: NaN only for the first "
        "w-1 rows (it needs w rows of history), a NaN inside the window just is not counted.",
    ),
    OperatorSpec(
        name="ema",
        category="time_series",
        args=(_X, Arg(name="span", kind="window")),
        kernel=ema,
        lookback=_unbounded,
        aliases=("EMA",),
        doc="Exponential moving average with alpha = 2 / (span + 1): pandas ewm(span, adjust=True, "
        "min_periods=1, ignore_na=False), i.e. at row t the average of the column's non-NaN values "
        "at rows s <= t weighted by (1 - alpha) ** (t - s), weights normalized to sum to 1. It "
        "starts at the column's first non-NaN row (like Qlib's EMA) and its look-back is unbounded: "
        "the value depends on how much history is loaded. A NaN input is skipped by the average "
        "and its own row's output is NaN (Qlib carries the previous average over that row).",
    ),
)
