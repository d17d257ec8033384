"""Time-series regressions: OLS of each window on time (slope, R², residual) and the rolling
covariance and correlation of two series, all from the windows' co-moments (window_moments: each
window's own rows, merged pairwise, exactly 0 for a window of equal values).

Window semantics as in `time_series`: the output at row t uses rows t-w+1..t, NaN for the first
w-1 rows and wherever the window holds a NaN (for two series: where either does, as pandas'
pairwise rolling cov/corr).
"""

from __future__ import annotations

from . import window_moments
from .spec import Arg, OperatorSpec, window_minus_one
from .time_series import WINDOW_SEMANTICS

_X = Arg(name="x", kind="series")
_Y = Arg(name="y", kind="series")
_W = Arg(name="window", kind="window")


def ts_slope(x, window):
    return window_moments.rolling_slope(x, window)


def ts_rsquare(x, window):
    return window_moments.rolling_rsquare(x, window)


def ts_resi(x, window):
    return window_moments.rolling_resi(x, window)


def ts_cov(x, y, window):
    return window_moments.rolling_cov(x, y, window)


def ts_corr(x, y, window):
    return window_moments.rolling_corr(x, y, window)


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
