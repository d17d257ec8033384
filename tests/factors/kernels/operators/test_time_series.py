"""Time-series operators: hand-worked values on a 6 x 3 panel, a plain per-column, per-window
loop (numpy / scipy) on a random 60 x 5 panel, look-backs and the no-look-ahead property."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from apps.factors.kernels.operators import OPERATORS, UNBOUNDED

nan = np.nan
# Columns: rising; a NaN at row 1; ties (3, 3) and a jump.
P = np.array(
    [
        [1.0, 2.0, 5.0],
        [2.0, nan, 3.0],
        [3.0, 4.0, 3.0],
        [4.0, 1.0, 1.0],
        [5.0, 3.0, 2.0],
        [6.0, 5.0, 8.0],
    ]
)
W = 3
TIME_SERIES = sorted(n for n, s in OPERATORS.items() if s.category == "time_series")


def call(name, x, y=None, window=W, q=0.25):
    """Call a kernel with arguments chosen by name; checks it leaves its inputs alone."""
    values = {"x": x, "y": x if y is None else y, "window": window, "periods": window, "span": window, "q": q}
    args = [values[a.name] for a in OPERATORS[name].args]
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out = OPERATORS[name].kernel(*args)
    for b, a in zip(before, args, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
    assert out.dtype == np.float64 and out.shape == x.shape
    return out


def rows(*valid_rows):
    """Expected panel: two warm-up rows of NaN (w = 3), then the given rows."""
    return np.array([[nan] * 3, [nan] * 3, *valid_rows], dtype=float)


s6 = np.sqrt(6.0)
HAND = {
    # name: expected for w = 3 (q = 0.25), each window worked out by hand from P.
    "ts_mean": rows([2, nan, 11 / 3], [3, nan, 7 / 3], [4, 8 / 3, 2], [5, 3, 11 / 3]),
    "ts_sum": rows([6, nan, 11], [9, nan, 7], [12, 8, 6], [15, 9, 11]),
    "ts_max": rows([3, nan, 5], [4, nan, 3], [5, 4, 3], [6, 5, 8]),
    "ts_min": rows([1, nan, 3], [2, nan, 1], [3, 1, 1], [4, 1, 1]),
    "ts_median": rows([2, nan, 3], [3, nan, 3], [4, 3, 2], [5, 3, 2]),
    "ts_quantile": rows([1.5, nan, 3], [2.5, nan, 2], [3.5, 2, 1.5], [4.5, 2, 1.5]),
    "ts_var": rows([1, nan, 4 / 3], [1, nan, 4 / 3], [1, 7 / 3, 1], [1, 4, 43 / 3]),
    "ts_std": np.sqrt(rows([1, nan, 4 / 3], [1, nan, 4 / 3], [1, 7 / 3, 1], [1, 4, 43 / 3])),
    # G1 = sqrt(n(n-1))/(n-2) * m3 / m2^1.5 with n = 3
    "ts_skew": rows(
        [0, nan, np.sqrt(3)],
        [0, nan, -np.sqrt(3)],
        [0, s6 * (-20 / 27) / (14 / 9) ** 1.5, 0],
        [0, 0, s6 * (520 / 27) / (86 / 9) ** 1.5],
    ),
    "ts_argmax": rows([3, nan, 1], [3, nan, 1], [3, 1, 1], [3, 3, 3]),  # ties -> oldest
    "ts_argmin": rows([1, nan, 2], [1, nan, 3], [1, 2, 2], [1, 1, 1]),
    "ts_rank": rows([1, nan, 0.5], [1, nan, 1 / 3], [1, 2 / 3, 2 / 3], [1, 1, 1]),
    "ts_count": rows([3, 2, 3], [3, 2, 3], [3, 3, 3], [3, 3, 3]),
    "ts_product": rows([6, nan, 45], [24, nan, 9], [60, 12, 6], [120, 15, 16]),
    "ts_mad": rows([2 / 3, nan, 8 / 9], [2 / 3, nan, 8 / 9], [2 / 3, 10 / 9, 2 / 3], [2 / 3, 4 / 3, 26 / 9]),
    "wma": rows([7 / 3, nan, 10 / 3], [10 / 3, nan, 2], [13 / 3, 2.5, 11 / 6], [16 / 3, 11 / 3, 29 / 6]),
    "ts_slope": rows([1, nan, -1], [1, nan, -1], [1, -0.5, -0.5], [1, 2, 3.5]),
    "ts_resi": rows([0, nan, 1 / 3], [0, nan, -1 / 3], [0, 5 / 6, 0.5], [0, 0, 5 / 6]),
    "ts_rsquare": rows([1, nan, 0.75], [1, nan, 0.75], [1, 3 / 28, 0.25], [1, 1, 147 / 172]),
    "delay": np.array(
        [[nan, nan, nan], [nan, nan, nan], [nan, nan, nan], [1, 2, 5], [2, nan, 3], [3, 4, 3]]
    ),  # periods = 3
    "delta": np.array(
        [[nan, nan, nan], [nan, nan, nan], [nan, nan, nan], [3, -1, -4], [3, nan, -1], [3, 1, 5]]
    ),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_worked_values(name):
    np.testing.assert_allclose(call(name, P), HAND[name], rtol=1e-12, atol=1e-12)


def test_kurt_hand_worked():
    # [1, 2, 3, 4]: m2 = 5/4, m4 = 41/16, g2 = -1.36, G2 = ((n+1) g2 + 6)(n-1)/((n-2)(n-3)) = -1.2
    out = call("ts_kurt", P, window=4)
    assert np.isnan(out[:3]).all()
    np.testing.assert_allclose(out[3:, 0], [-1.2, -1.2, -1.2], rtol=1e-12)
    assert np.isnan(out[3:5, 1]).all()  # the NaN at row 1 is in both windows
    np.testing.assert_allclose(call("ts_kurt", P, window=3), np.full(P.shape, nan))  # n < 4


def test_ema_hand_worked():
    # span 3 -> alpha 0.5, weights 1, 0.5, 0.25 from the newest row back, normalized
    out = call("ema", P, window=3)
    np.testing.assert_allclose(out[:3, 0], [1, 2.5 / 1.5, 4.25 / 1.75], rtol=1e-12)
    # the NaN at row 1 keeps its place: row 2 weighs rows 2 and 0 by 1 and 0.25; row 1 is NaN
    np.testing.assert_allclose(out[[0, 2], 1], [2, 4.5 / 1.25], rtol=1e-12)
    assert np.isnan(out[1, 1])


def test_cov_and_corr_hand_worked():
    x = np.array([[1.0, 1.0, 1.0], [2.0, 1.0, 2.0], [3.0, 1.0, 3.0], [4.0, 1.0, 4.0]])
    y = np.array([[2.0, 2.0, 2.0], [4.0, 4.0, nan], [5.0, 5.0, 5.0], [9.0, 9.0, 9.0]])
    cov, corr = call("ts_cov", x, y), call("ts_corr", x, y)
    np.testing.assert_allclose(cov[2:, 0], [1.5, 2.5], rtol=1e-12)
    np.testing.assert_allclose(corr[2:, 0], [1.5 / np.sqrt(7 / 3), 2.5 / np.sqrt(7)], rtol=1e-12)
    np.testing.assert_allclose(cov[2:, 1], [0.0, 0.0], atol=1e-15)  # x constant
    assert np.isnan(corr[:, 1]).all()  # a constant window has no correlation, never ±inf
    assert np.isnan(cov[:, 2]).all() and np.isnan(corr[:, 2]).all()  # the NaN is in every window
    assert np.isnan(cov[:2]).all() and np.isnan(corr[:2]).all()


# --- a plain loop over columns and windows is the reference ---------------------------------


def _slope_fit(v):
    return stats.linregress(np.arange(1.0, len(v) + 1.0), v)


def _ema_reference(col, span):
    alpha = 2.0 / (span + 1.0)
    out = np.full(len(col), nan)
    for t in range(len(col)):
        if np.isnan(col[t]):
            continue
        s = np.array([i for i in range(t + 1) if not np.isnan(col[i])])
        weights = (1.0 - alpha) ** (t - s)
        out[t] = np.sum(weights * col[s]) / np.sum(weights)
    return out


def _corr(a, b):
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return nan
    return np.corrcoef(a, b)[0, 1]


WINDOW_REFERENCE = {
    "ts_mean": np.mean,
    "ts_sum": np.sum,
    "ts_std": lambda v: np.std(v, ddof=1),
    "ts_var": lambda v: np.var(v, ddof=1),
    "ts_skew": lambda v: nan if len(v) < 3 or np.ptp(v) == 0 else stats.skew(v, bias=False),
    "ts_kurt": lambda v: nan if len(v) < 4 or np.ptp(v) == 0 else stats.kurtosis(v, bias=False),
    "ts_max": np.max,
    "ts_min": np.min,
    "ts_argmax": lambda v: np.argmax(v) + 1.0,
    "ts_argmin": lambda v: np.argmin(v) + 1.0,
    "ts_quantile": lambda v: np.quantile(v, 0.25, method="linear"),
    "ts_median": np.median,
    "ts_mad": lambda v: np.mean(np.abs(v - np.mean(v))),
    "ts_rank": lambda v: stats.rankdata(v)[-1] / len(v),
    "ts_product": np.prod,
    "ts_slope": lambda v: _slope_fit(v).slope,
    "ts_rsquare": lambda v: nan if np.ptp(v) == 0 else _slope_fit(v).rvalue ** 2,
    "ts_resi": lambda v: v[-1] - (_slope_fit(v).intercept + _slope_fit(v).slope * len(v)),
    "wma": lambda v: np.average(v, weights=np.arange(1, len(v) + 1)),
}
PAIR_REFERENCE = {"ts_cov": lambda a, b: np.cov(a, b, ddof=1)[0, 1], "ts_corr": _corr}


def reference(name, x, y, window):
    T, N = x.shape
    out = np.full((T, N), nan)
    for j in range(N):
        col, other = x[:, j], y[:, j]
        if name == "ema":
            out[:, j] = _ema_reference(col, window)
            continue
        for t in range(T):
            if name == "delay" and t >= window:
                out[t, j] = col[t - window]
            elif name == "delta" and t >= window:
                out[t, j] = col[t] - col[t - window]
            if t < window - 1 or name in ("delay", "delta"):
                continue
            v, u = col[t - window + 1 : t + 1], other[t - window + 1 : t + 1]
            if name == "ts_count":
                out[t, j] = np.count_nonzero(~np.isnan(v))
            elif name in PAIR_REFERENCE:
                if not (np.isnan(v).any() or np.isnan(u).any()):
                    out[t, j] = PAIR_REFERENCE[name](v, u)
            elif not np.isnan(v).any():
                out[t, j] = WINDOW_REFERENCE[name](v)
    return out


def test_every_time_series_operator_has_a_reference():
    assert set(TIME_SERIES) == {*WINDOW_REFERENCE, *PAIR_REFERENCE, "ema", "delay", "delta", "ts_count"}


@pytest.mark.parametrize("window", [1, 2, 5, 11])
@pytest.mark.parametrize("name", TIME_SERIES)
def test_matches_a_per_column_loop(name, window, random_panels):
    x, y = random_panels
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = reference(name, x, y, window)
    np.testing.assert_allclose(call(name, x, y, window=window), expected, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", TIME_SERIES)
def test_no_look_ahead(name, random_panels):
    x, y = random_panels
    full = call(name, x, y, window=5)
    for t in (0, 3, 4, 5, 22, 41, 59):
        prefix = call(name, x[: t + 1], y[: t + 1], window=5)
        np.testing.assert_allclose(prefix[t], full[t], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", TIME_SERIES)
def test_lookback_is_exactly_the_history_needed(name, random_panels):
    x, y = random_panels
    lookback = OPERATORS[name].lookback({"window": 5.0, "periods": 5.0, "span": 5.0, "q": 0.25})
    if name == "ema":
        assert lookback == UNBOUNDED
        return
    assert lookback == (5 if name in ("delay", "delta") else 4)
    full = call(name, x, y, window=5)
    for t in (lookback, 30, 59):
        tail = call(name, x[t - lookback : t + 1], y[t - lookback : t + 1], window=5)
        np.testing.assert_allclose(tail[-1], full[t], rtol=1e-12, atol=1e-12)
        shorter = call(name, x[t - lookback + 1 : t + 1], y[t - lookback + 1 : t + 1], window=5)
        assert np.isnan(shorter[-1]).all()  # one row fewer is not enough


def test_lookback_floors_fractional_windows():
    # the 101 alphas write windows like 9.5; the parser floors them before calling the kernel
    assert OPERATORS["ts_mean"].lookback({"window": 9.5}) == 8
    assert OPERATORS["delay"].lookback({"periods": 3.7}) == 3


@pytest.mark.parametrize("name", TIME_SERIES)
def test_window_longer_than_history_is_all_nan(name):
    out = call(name, P[:2], window=4)
    if name == "ema":
        assert not np.isnan(out[:, 0]).any()  # ema has no window, it starts at once
    else:
        assert np.isnan(out).all()


def test_ts_quantile_rejects_q_outside_unit_interval():
    with pytest.raises(ValueError, match="q must be between 0 and 1"):
        call("ts_quantile", P, q=1.5)


@pytest.mark.parametrize("name", ["ts_cov", "ts_corr"])
def test_cov_and_corr_do_not_cancel_on_large_levels(name, random_panels):
    # A level of 1e6 (a price in cents, a volume) does not change a covariance; a one-pass
    # mean(xy) - mean(x) mean(y) would cancel most of its digits.
    x, y = random_panels
    np.testing.assert_allclose(call(name, x + 1e6, y + 1e6, window=5), call(name, x, y, window=5), rtol=1e-6)


def test_a_single_instrument_panel_gives_a_fresh_writable_array():
    # One column: the rolling result's slice is contiguous already; it must still be the caller's own.
    from apps.factors.kernels.operators.time_series import ts_mean, ts_std

    x = np.arange(10.0).reshape(10, 1)
    for kernel in (ts_mean, ts_std):
        out = kernel(x, 3)
        assert out.flags.writeable and out.flags.c_contiguous and out.shape == (10, 1)
        np.testing.assert_allclose(
            out[2:, 0], pd.Series(x[:, 0]).rolling(3).agg(kernel.__name__[3:]).to_numpy()[2:]
        )
