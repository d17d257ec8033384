"""Time-series operators pandas has no Cython routine for: positions, products, deviations, wma.

Positions (argmax/argmin) come from bottleneck (windows.py). The others are computed by a loop over
the w offsets of the window (each step is one vectorized operation on a (T - w + 1, N) slice), never
per column; memory stays O(T x N) for any window length.
Window semantics as in `time_series`: NaN for the first w-1 rows and wherever the window holds
a NaN.
"""

from __future__ import annotations

import numpy as np

from . import window_sums, windows
from .panels import all_nan, full_from_windows, window_has_nan, window_offsets
from .spec import Arg, OperatorSpec, window_minus_one
from .time_series import WINDOW_SEMANTICS

_X = Arg(name="x", kind="series")
_W = Arg(name="window", kind="window")


def ts_argmax(x, window):
    return windows.rolling_argmax(x, window)


def ts_argmin(x, window):
    return windows.rolling_argmin(x, window)


def ts_product(x, window):
    if window > x.shape[0]:
        return all_nan(x)
    product = np.ones((x.shape[0] - window + 1, *x.shape[1:]))
    with np.errstate(all="ignore"):
        for _, rows in window_offsets(x, window):
            product *= rows
    product[window_has_nan(x, window)] = np.nan
    return full_from_windows(product, x.shape[0], window)


def ts_mad(x, window):
    if window > x.shape[0]:
        return all_nan(x)
    mean = window_sums.rolling_mean(x, window)[window - 1 :]
    deviation, step = np.zeros_like(mean), np.empty_like(mean)
    for _, rows in window_offsets(x, window):
        np.subtract(rows, mean, out=step)
        deviation += np.abs(step, out=step)
    deviation /= window
    deviation[window_has_nan(x, window)] = np.nan
    return full_from_windows(deviation, x.shape[0], window)


def weighted_window_sum(x: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sum_k weights[k] * x[t - w + 1 + k] for every row t and column (weights oldest first).

    NaN where the window holds a NaN, whatever the weights (a zero weight must not hide a NaN).
    """
    window = len(weights)
    if window > x.shape[0]:
        return all_nan(x)
    total = np.zeros((x.shape[0] - window + 1, *x.shape[1:]))
    step = np.empty_like(total)  # one scratch panel: a fresh product per offset cost page faults
    for k, rows in window_offsets(x, window):
        np.multiply(rows, weights[k], out=step)
        total += step
    total[window_has_nan(x, window)] = np.nan
    return full_from_windows(total, x.shape[0], window)


def wma(x, window):
    weights = np.arange(1.0, window + 1.0)
    return weighted_window_sum(x, weights / weights.sum())


def _spec(name, kernel, what, aliases):
    return OperatorSpec(
        name=name,
        category="time_series",
        args=(_X, _W),
        kernel=kernel,
        lookback=window_minus_one,
        aliases=aliases,
        doc=f"{what} {WINDOW_SEMANTICS}",
    )


SPECS: tuple[OperatorSpec, ...] = (
    _spec(
        "ts_argmax",
        ts_argmax,
        "1-based position of the window's largest value, the oldest row being 1 and the newest w; "
        "ties give the first (oldest) occurrence (Qlib's IdxMax, the 101 alphas' ts_argmax).",
        ("IdxMax",),
    ),
    _spec(
        "ts_argmin",
        ts_argmin,
        "1-based position of the window's smallest value, the oldest row being 1 and the newest w; "
        "ties give the first (oldest) occurrence (Qlib's IdxMin, the 101 alphas' ts_argmin).",
        ("IdxMin",),
    ),
    _spec(
        "ts_product",
        ts_product,
        "Product of the window's values (the 101 alphas' product); overflow gives NaN.",
        ("product",),
    ),
    _spec(
        "ts_mad",
        ts_mad,
        "Mean absolute deviation around the window mean, mean(|x - mean(x)|) (Qlib's Mad).",
        ("Mad",),
    ),
    _spec(
        "wma",
        wma,
        "Linearly weighted moving average: weights 1, 2, .., w from the oldest row to the newest, "
        "normalized to sum to 1 (Qlib's WMA, the 101 alphas' decay_linear).",
        ("WMA", "decay_linear"),
    ),
)
