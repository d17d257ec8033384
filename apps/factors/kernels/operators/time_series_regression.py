"""Time-series regressions: OLS of each window on time (slope, R², residual) and the rolling
covariance and correlation of two series.

Window semantics as in `time_series`: the output at row t uses rows t-w+1..t, NaN for the first
w-1 rows and wherever the window holds a NaN (for two series: where either does, as pandas'
pairwise rolling cov/corr).
"""

from __future__ import annotations

import numpy as np

from .panels import all_nan, finite_or_nan, rolled, rolling
from .spec import Arg, OperatorSpec, window_minus_one
from .time_series import WINDOW_SEMANTICS
from .time_series_window import weighted_window_sum

_X = Arg(name="x", kind="series")
_Y = Arg(name="y", kind="series")
_W = Arg(name="window", kind="window")


def _time_centered(window: int) -> tuple[np.ndarray, float]:
    """The regressor 1..w centered on its mean, and its sum of squares w(w² - 1) / 12."""
    time = np.arange(1.0, window + 1.0)
    centered = time - time.mean()
    return centered, float(centered @ centered)


def ts_slope(x, window):
    centered, sxx = _time_centered(window)
    if sxx == 0.0:  # one point has no slope
        return all_nan(x)
    return weighted_window_sum(x, centered / sxx)


def ts_rsquare(x, window):
    _, sxx = _time_centered(window)
    slope = ts_slope(x, window)
    # pandas' rolling var is exactly 0 on a constant window, so R² is NaN there, not noise.
    syy = rolled(rolling(x, window).var(ddof=1)) * (window - 1)
    with np.errstate(all="ignore"):
        r_square = slope * slope * sxx / syy
    return finite_or_nan(np.minimum(r_square, 1.0))


def ts_resi(x, window):
    slope = ts_slope(x, window)
    mean = rolled(rolling(x, window).mean())
    # The fit at the newest point, time = w, is mean + slope * (w - (w + 1) / 2).
    return finite_or_nan(x - mean - slope * (window - 1) / 2.0)


def _pandas_pair(x: np.ndarray, y: np.ndarray, window: int, statistic: str):
    """pandas' rolling cov/corr of x with y column by column (Cython roll_cov / roll_corr: an
    online co-moment, accurate on large levels; a pair counts only when both are present)."""
    return getattr(rolling(x, window), statistic)(y, ddof=1)


def ts_cov(x, y, window):
    return rolled(_pandas_pair(x, y, window, "cov"))


def ts_corr(x, y, window):
    # pandas gives NaN for a constant window; the clip only removes rounding beyond ±1.
    return np.clip(rolled(_pandas_pair(x, y, window, "corr")), -1.0, 1.0)


def _spec(name, kernel, args, what, aliases):
    return OperatorSpec(
        name=name,
        category="time_series",
        args=args,
        kernel=kernel,
        lookback=window_minus_one,
        aliases=aliases,
        doc=f"{what} {WINDOW_SEMANTICS}",
    )


SPECS: tuple[OperatorSpec, ...] = (
    _spec(
        "ts_slope",
        ts_slope,
        (_X, _W),
        "Slope of the OLS line through the window's values against time 1..w (oldest = 1), per "
        "row of time (Qlib's Slope); w = 1 gives NaN.",
        ("Slope",),
    ),
    _spec(
        "ts_rsquare",
        ts_rsquare,
        (_X, _W),
        "R² of the OLS of the window's values on time 1..w (Qlib's Rsquare), in [0, 1]; "
        "NaN for a constant window (nothing to explain) and for w = 1.",
        ("Rsquare",),
    ),
    _spec(
        "ts_resi",
        ts_resi,
        (_X, _W),
        "Residual of the newest value from the OLS line of the window's values on time 1..w, "
        "x[t] - (intercept + slope * w) (Qlib's Resi); w = 1 gives NaN.",
        ("Resi",),
    ),
    _spec(
        "ts_cov",
        ts_cov,
        (_X, _Y, _W),
        "Sample covariance of x and y over the window (ddof=1, pandas' rolling cov); NaN where "
        "either series has a NaN in the window; w = 1 gives NaN.",
        ("Cov", "covariance"),
    ),
    _spec(
        "ts_corr",
        ts_corr,
        (_X, _Y, _W),
        "Pearson correlation of x and y over the window (pandas' rolling corr), clipped to "
        "[-1, 1]; NaN where either series has a NaN in the window and where either is constant "
        "over it (never ±inf).",
        ("Corr", "correlation"),
    ),
)
