"""Rolling beta and correlation: a hand-worked 5-bar example, pandas' own rolling cov/var/corr on the
S&P 500, warm-up counts, NaN reach and prefix invariance."""

import math

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500

from apps.features.kernels.relative import rolling_beta, rolling_correlation

nan = np.nan


def sp500_returns() -> tuple[np.ndarray, np.ndarray]:
    """Log returns of the S&P 500 cut into three consecutive stretches (three "instruments") and their
    equal-weighted mean as the benchmark: correlated with each column, equal to none."""
    close = sp500.load()["Close"].to_numpy(dtype=np.float64)
    rows = len(close) // 3
    panel = close[: 3 * rows].reshape(3, rows).T
    returns = np.diff(np.log(panel), axis=0)
    return returns, returns.mean(axis=1)


def test_hand_worked_example():
    # benchmark b = 1, -1, 2, 0, 3; window 3.
    # col 0 = 2b exactly: beta 2, correlation 1 wherever defined.
    # col 1 = 1, 1, 0, 2, -1:
    #   t=2: b {1,-1,2} mean 2/3, SS_b = 6 - 4/3 = 14/3; r {1,1,0} mean 2/3, SS_r = 2 - 4/3 = 2/3
    #        SP = sum(rb) - 3 mean_r mean_b = 0 - 4/3 = -4/3 -> beta -2/7, corr -4/sqrt(28)
    #   t=3: b {-1,2,0} mean 1/3, SS_b = 5 - 1/3 = 14/3; r {1,0,2} mean 1, SS_r = 5 - 3 = 2
    #        SP = -1 - 1 = -2 -> beta -3/7, corr -2/sqrt(28/3)
    #   t=4: b {2,0,3} mean 5/3, SS_b = 13 - 25/3 = 14/3; r {0,2,-1} mean 1/3, SS_r = 5 - 1/3 = 14/3
    #        SP = -3 - 5/3 = -14/3 -> beta -1, corr -1
    bench = np.array([1.0, -1.0, 2.0, 0.0, 3.0])
    returns = np.column_stack([2 * bench, [1.0, 1.0, 0.0, 2.0, -1.0]])
    np.testing.assert_allclose(
        rolling_beta(returns, bench, 3),
        [[nan, nan], [nan, nan], [2, -2 / 7], [2, -3 / 7], [2, -1]],
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        rolling_correlation(returns, bench, 3),
        [[nan, nan], [nan, nan], [1, -4 / math.sqrt(28)], [1, -2 / math.sqrt(28 / 3)], [1, -1]],
        rtol=1e-12,
    )


def test_flat_benchmark_or_flat_instrument_gives_nan():
    # b is constant over rows 0..2: no variance, no beta; col 1 is flat over rows 1..3: no correlation.
    bench = np.array([[1.0], [1.0], [1.0], [2.0], [0.0]])
    returns = np.array([[1.0, 0.0], [2.0, 5.0], [3.0, 5.0], [4.0, 5.0], [1.0, 1.0]])
    beta = rolling_beta(returns, bench, 3)
    corr = rolling_correlation(returns, bench, 3)
    assert np.isnan(beta[2]).all() and np.isfinite(beta[3:]).all()
    assert np.isnan(corr[2]).all() and np.isnan(corr[3, 1]) and np.isfinite(corr[3, 0])
    assert np.isfinite(corr[4]).all()


@pytest.mark.parametrize("window", [20, 60, 250])
def test_against_pandas_on_sp500(window):
    returns, bench = sp500_returns()
    frame, b = pd.DataFrame(returns), pd.Series(bench)
    beta_ref = np.column_stack(
        [frame[j].rolling(window).cov(b) / b.rolling(window).var() for j in frame.columns]
    )
    corr_ref = np.column_stack([frame[j].rolling(window).corr(b) for j in frame.columns])
    np.testing.assert_allclose(rolling_beta(returns, bench, window), beta_ref, rtol=1e-9)
    np.testing.assert_allclose(rolling_correlation(returns, bench, window), corr_ref, rtol=1e-9)
    # Not a vacuous comparison: the columns differ from one another and from the benchmark.
    last = rolling_beta(returns, bench, window)[-1]
    assert len(set(np.round(last, 6))) == 3 and not np.allclose(last, 1.0)


@pytest.mark.parametrize("func", [rolling_beta, rolling_correlation])
def test_warm_up_nan_count(func):
    returns, bench = sp500_returns()
    out = func(returns, bench, 30)
    assert np.isnan(out[:29]).all()
    assert np.isfinite(out[29:]).all()


@pytest.mark.parametrize("func", [rolling_beta, rolling_correlation])
def test_nan_reaches_only_the_windows_holding_it(func):
    returns, bench = sp500_returns()
    returns, bench, window = returns[:300], bench[:300], 20
    base = func(returns, bench, window)

    holed = returns.copy()
    holed[100, 1] = nan
    out = func(holed, bench, window)
    expected_nan = np.isnan(base)
    expected_nan[100 : 100 + window, 1] = True
    np.testing.assert_array_equal(np.isnan(out), expected_nan)
    np.testing.assert_allclose(out[~expected_nan], base[~expected_nan], rtol=1e-9)

    # A NaN in the benchmark reaches every instrument, in the same windows only.
    holed_bench = bench.copy()
    holed_bench[150] = nan
    out = func(returns, holed_bench, window)
    expected_nan = np.isnan(base)
    expected_nan[150 : 150 + window, :] = True
    np.testing.assert_array_equal(np.isnan(out), expected_nan)
    np.testing.assert_allclose(out[~expected_nan], base[~expected_nan], rtol=1e-9)


@pytest.mark.parametrize("func", [rolling_beta, rolling_correlation])
def test_prefix_invariance(func):
    returns, bench = sp500_returns()
    full = func(returns, bench, 60)
    for t in (10, 59, 60, 800, len(returns) - 1):
        np.testing.assert_array_equal(func(returns[: t + 1], bench[: t + 1], 60), full[: t + 1])


def test_benchmark_as_column_accepted_and_bad_shapes_rejected():
    returns, bench = sp500_returns()
    np.testing.assert_array_equal(rolling_beta(returns, bench[:, None], 20), rolling_beta(returns, bench, 20))
    with pytest.raises(ValueError, match="benchmark"):
        rolling_beta(returns, bench[:-1], 20)
    with pytest.raises(ValueError, match="window"):
        rolling_correlation(returns, bench, 1)
