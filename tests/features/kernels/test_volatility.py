"""Realized volatility estimators: a hand-worked 6-bar example, an independent pandas computation on
the S&P 500 (two-pass window formulas via rolling.apply, not pandas' online var/mean), warm-up counts,
NaN reach and prefix invariance."""

import math

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500

from apps.features.kernels.volatility import (
    close_to_close_volatility,
    garman_klass_volatility,
    parkinson_volatility,
    rogers_satchell_volatility,
    yang_zhang_volatility,
)

nan = np.nan


def sp500_panel(field: str) -> np.ndarray:
    """The S&P 500's `field` cut into three consecutive 1,677-bar stretches: three "instruments"."""
    values = sp500.load()[field].to_numpy(dtype=np.float64)
    rows = len(values) // 3
    return values[: 3 * rows].reshape(3, rows).T.copy()


def sp500_ohlc() -> dict[str, np.ndarray]:
    return {
        "open_": sp500_panel("Open"),
        "high": sp500_panel("High"),
        "low": sp500_panel("Low"),
        "close": sp500_panel("Close"),
    }


# ---------------------------------------------------------------------------------------------------
# Hand-worked example. Prices are 100 * exp(x / 100) so every log ratio is a difference of the
# integers below, in units of 0.01 (squares in units of 1e-4). Window n = 3, periods_per_year = 1.
#
#   bar   o   h   l   c  | h-l  c-o  RS=(h-c)(h-o)+(l-c)(l-o)  overnight o-c'
#    0    0   2  -1   1  |  3    1   1*2 + (-2)(-1) = 4           -
#    1    1   3  -1   2  |  4    1   1*2 + (-3)(-2) = 8           0
#    2    3   4   1   1  |  3   -2   3*1 +   0*(-2) = 3           1
#    3    1   2  -2  -2  |  4   -3   4*1 +   0*(-3) = 4           0
#    4   -1   1  -2   0  |  3    1   1*2 + (-2)(-1) = 4           1
#    5    0   3   0   3  |  3    3   0*3 + (-3)*0   = 0           0
# ---------------------------------------------------------------------------------------------------
LOG_BARS = np.array(
    [[0, 2, -1, 1], [1, 3, -1, 2], [3, 4, 1, 1], [1, 2, -2, -2], [-1, 1, -2, 0], [0, 3, 0, 3]], dtype=float
)
UNIT = 1e-4  # (0.01)^2


def hand_bars() -> dict[str, np.ndarray]:
    prices = 100.0 * np.exp(LOG_BARS / 100.0)
    return {name: prices[:, [j]] for j, name in enumerate(("open_", "high", "low", "close"))}


def test_close_to_close_hand_worked():
    # log returns c_i - c_{i-1}: bars 1..5 = 1, -1, -3, 2, 3
    # t=3: {1,-1,-3}: mean -1, SS = 4+0+4 = 8, var = 8/2 = 4
    # t=4: {-1,-3,2}: sum of squares 14, SS = 14 - 3*(2/3)^2 = 38/3, var = 19/3
    # t=5: {-3,2,3}:  sum of squares 22, SS = 22 - 3*(2/3)^2 = 62/3, var = 31/3
    out = close_to_close_volatility(hand_bars()["close"], 3, periods_per_year=1)[:, 0]
    expected = [nan, nan, nan, math.sqrt(4 * UNIT), math.sqrt(19 / 3 * UNIT), math.sqrt(31 / 3 * UNIT)]
    np.testing.assert_allclose(out, expected, rtol=1e-9)


def test_parkinson_hand_worked():
    # (h-l)^2 = 9, 16, 9, 16, 9, 9; means over 3: t2 34/3, t3 41/3, t4 34/3, t5 34/3; divide by 4 ln 2
    bars = hand_bars()
    out = parkinson_volatility(bars["high"], bars["low"], 3, periods_per_year=1)[:, 0]
    means = np.array([nan, nan, 34 / 3, 41 / 3, 34 / 3, 34 / 3]) * UNIT
    np.testing.assert_allclose(out, np.sqrt(means / (4 * math.log(2))), rtol=1e-9)


def test_garman_klass_hand_worked():
    # per bar 0.5 (h-l)^2 - K (c-o)^2 with K = 2 ln 2 - 1 = 0.38629...:
    #   4.5-K, 8-K, 4.5-4K, 8-9K, 4.5-K, 4.5-9K
    # means over 3: t2 (17-6K)/3, t3 (20.5-14K)/3, t4 (17-14K)/3, t5 (17-19K)/3
    k = 2 * math.log(2) - 1
    bars = hand_bars()
    out = garman_klass_volatility(**bars, window=3, periods_per_year=1)[:, 0]
    means = np.array([nan, nan, (17 - 6 * k) / 3, (20.5 - 14 * k) / 3, (17 - 14 * k) / 3, (17 - 19 * k) / 3])
    np.testing.assert_allclose(out, np.sqrt(means * UNIT), rtol=1e-9)


def test_rogers_satchell_hand_worked():
    # RS per bar 4, 8, 3, 4, 4, 0; means over 3: t2 15/3, t3 15/3, t4 11/3, t5 8/3
    out = rogers_satchell_volatility(**hand_bars(), window=3, periods_per_year=1)[:, 0]
    means = np.array([nan, nan, 5, 5, 11 / 3, 8 / 3]) * UNIT
    np.testing.assert_allclose(out, np.sqrt(means), rtol=1e-9)


def test_yang_zhang_hand_worked():
    # k = 0.34 / (1.34 + (3+1)/(3-1)) = 0.34 / 3.34
    # t=3: overnight {0,1,0} var 1/3; open-close {1,-2,-3} mean -4/3, SS 14-16/3 = 26/3, var 13/3; RS 5
    # t=4: overnight {1,0,1} var 1/3; open-close {-2,-3,1} var 13/3; RS 11/3
    # t=5: overnight {0,1,0} var 1/3; open-close {-3,1,3} mean 1/3, SS 19-1/3 = 56/3, var 28/3; RS 8/3
    k = 0.34 / 3.34
    out = yang_zhang_volatility(**hand_bars(), window=3, periods_per_year=1)[:, 0]
    var = [
        nan,
        nan,
        nan,
        1 / 3 + k * 13 / 3 + (1 - k) * 5,
        1 / 3 + k * 13 / 3 + (1 - k) * 11 / 3,
        1 / 3 + k * 28 / 3 + (1 - k) * 8 / 3,
    ]
    np.testing.assert_allclose(out, np.sqrt(np.array(var) * UNIT), rtol=1e-9)


def test_annualization_scales_by_root_periods_per_year():
    bars = hand_bars()
    daily = rogers_satchell_volatility(**bars, window=3, periods_per_year=1)
    np.testing.assert_allclose(
        rogers_satchell_volatility(**bars, window=3), daily * math.sqrt(252), rtol=1e-12
    )


# ---------------------------------------------------------------------------------------------------
# Independent reference on the S&P 500: per-bar terms from DataFrame arithmetic, then each window's
# statistic by an explicit two-pass formula over the raw window (rolling.apply).
# ---------------------------------------------------------------------------------------------------
def _window_mean(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    return frame.rolling(n).apply(lambda a: a.sum() / len(a), raw=True)


def _window_var(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    return frame.rolling(n).apply(lambda a: ((a - a.mean()) ** 2).sum() / (len(a) - 1), raw=True)


def reference(name: str, n: int, ppy: float) -> np.ndarray:
    o, h, lo, c = (pd.DataFrame(sp500_panel(f)) for f in ("Open", "High", "Low", "Close"))
    rs = np.log(h / c) * np.log(h / o) + np.log(lo / c) * np.log(lo / o)
    if name == "close_to_close":
        var = _window_var(np.log(c / c.shift(1)), n)
    elif name == "parkinson":
        var = _window_mean(np.log(h / lo) ** 2, n) / (4 * math.log(2))
    elif name == "garman_klass":
        var = _window_mean(0.5 * np.log(h / lo) ** 2 - (2 * math.log(2) - 1) * np.log(c / o) ** 2, n)
    elif name == "rogers_satchell":
        var = _window_mean(rs, n)
    else:
        k = 0.34 / (1.34 + (n + 1) / (n - 1))
        var = _window_var(np.log(o / c.shift(1)), n) + k * _window_var(np.log(c / o), n)
        var = var + (1 - k) * _window_mean(rs, n)
    return np.sqrt(ppy * var.to_numpy())


ESTIMATORS = {
    "close_to_close": lambda d, n, ppy: close_to_close_volatility(d["close"], n, ppy),
    "parkinson": lambda d, n, ppy: parkinson_volatility(d["high"], d["low"], n, ppy),
    "garman_klass": lambda d, n, ppy: garman_klass_volatility(**d, window=n, periods_per_year=ppy),
    "rogers_satchell": lambda d, n, ppy: rogers_satchell_volatility(**d, window=n, periods_per_year=ppy),
    "yang_zhang": lambda d, n, ppy: yang_zhang_volatility(**d, window=n, periods_per_year=ppy),
}
# Leading NaN rows: range estimators need only the bar itself, the others the previous close too.
WARM_UP_EXTRA = {
    "close_to_close": 1,
    "parkinson": 0,
    "garman_klass": 0,
    "rogers_satchell": 0,
    "yang_zhang": 1,
}


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize(("window", "ppy"), [(21, 252), (63, 52)])
def test_against_pandas_reference_on_sp500(name, window, ppy):
    out = ESTIMATORS[name](sp500_ohlc(), window, ppy)
    expected = reference(name, window, ppy)
    assert out.shape == expected.shape == (1677, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=0)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_warm_up_nan_count(name):
    window = 10
    out = ESTIMATORS[name](sp500_ohlc(), window, 252)
    warm = window - 1 + WARM_UP_EXTRA[name]
    assert np.isnan(out[:warm]).all()
    assert np.isfinite(out[warm:]).all()


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("field", ["open_", "high", "low", "close"])
def test_nan_reaches_only_the_windows_holding_it(name, field):
    window, row, col = 10, 200, 2
    data = {k: v[:400] for k, v in sp500_ohlc().items()}
    base = ESTIMATORS[name](data, window, 252)
    holed = {k: v.copy() for k, v in data.items()}
    holed[field][row, col] = nan
    out = ESTIMATORS[name](holed, window, 252)

    used = {
        "close_to_close": {"close"},
        "parkinson": {"high", "low"},
    }.get(name, {"open_", "high", "low", "close"})
    expected_nan = np.isnan(base)
    if field in used:
        # The bar's own term sits in windows ending at row .. row + n - 1; a close also feeds the next
        # bar's return (close-to-close, Yang-Zhang's overnight term), one more window.
        last = row + window - 1 + (1 if field == "close" and WARM_UP_EXTRA[name] else 0)
        expected_nan[row : last + 1, col] = True
    np.testing.assert_array_equal(np.isnan(out), expected_nan)
    np.testing.assert_allclose(out[~expected_nan], base[~expected_nan], rtol=1e-9)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_prefix_invariance(name):
    data = sp500_ohlc()
    full = ESTIMATORS[name](data, 21, 252)
    for t in (5, 20, 21, 22, 700, 1676):
        prefix = ESTIMATORS[name]({k: v[: t + 1] for k, v in data.items()}, 21, 252)
        np.testing.assert_array_equal(prefix, full[: t + 1])


def test_non_positive_price_is_nan_not_inf():
    bars = hand_bars()
    bars["low"][2, 0] = 0.0
    out = parkinson_volatility(bars["high"], bars["low"], 2, periods_per_year=1)[:, 0]
    assert np.isnan(out[2:4]).all() and np.isfinite(out[[1, 4, 5]]).all()


def test_flat_bars_give_zero_not_nan():
    flat = np.full((6, 1), 50.0)
    for name, f in ESTIMATORS.items():
        out = f({"open_": flat, "high": flat, "low": flat, "close": flat}, 3, 252)
        np.testing.assert_array_equal(out[3:, 0], 0.0, err_msg=name)


@pytest.mark.parametrize("bad", [1, 0, 2.0])
def test_sample_variance_estimators_need_window_of_two(bad):
    with pytest.raises(ValueError, match="window"):
        close_to_close_volatility(np.ones((5, 1)), bad)
    with pytest.raises(ValueError, match="window"):
        yang_zhang_volatility(*(np.ones((5, 1)),) * 4, window=bad)


def test_mismatched_shapes_and_bad_periods_per_year_rejected():
    with pytest.raises(ValueError, match="shape"):
        parkinson_volatility(np.ones((5, 2)), np.ones((5, 3)), 2)
    with pytest.raises(ValueError, match="periods_per_year"):
        parkinson_volatility(np.ones((5, 2)), np.ones((5, 2)), 2, periods_per_year=0)
