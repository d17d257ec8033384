"""Simple and log returns: a hand-worked example, pandas on the S&P 500, warm-up, NaN reach, prefix."""

import math

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500

from apps.features.kernels.returns import log_returns, simple_returns

nan = np.nan


def sp500_panel(field: str) -> np.ndarray:
    """The S&P 500's `field` cut into three consecutive 1,677-bar stretches: three "instruments"."""
    values = sp500.load()[field].to_numpy(dtype=np.float64)
    rows = len(values) // 3
    return values[: 3 * rows].reshape(3, rows).T.copy()


def test_hand_worked_example():
    # col 0: 100 -> 110 (+10%) -> 99 (-10%) -> 99 (0) -> 108.9 (+10%)
    # col 1: doubling every bar: +100% each step, ln 2 = 0.693147...
    close = np.array([[100, 1], [110, 2], [99, 4], [99, 8], [108.9, 16]], dtype=float)
    np.testing.assert_allclose(
        simple_returns(close),
        [[nan, nan], [0.10, 1.0], [-0.10, 1.0], [0.0, 1.0], [0.10, 1.0]],
        rtol=1e-12,
        atol=1e-15,
    )
    # periods=2: 99/100 - 1 = -0.01, 99/110 - 1 = -0.1, 108.9/99 - 1 = 0.1; col 1: x4 -> +300%
    np.testing.assert_allclose(
        simple_returns(close, periods=2),
        [[nan, nan], [nan, nan], [-0.01, 3.0], [-0.10, 3.0], [0.10, 3.0]],
        rtol=1e-12,
        atol=1e-15,
    )
    # ln 1.1 = 0.0953101798..., ln 0.9 = -0.1053605156...
    ln11, ln09, ln2 = 0.09531017980432493, -0.10536051565782628, 0.6931471805599453
    np.testing.assert_allclose(
        log_returns(close),
        [[nan, nan], [ln11, ln2], [ln09, ln2], [0.0, ln2], [ln11, ln2]],
        rtol=1e-12,
        atol=1e-15,
    )
    assert math.isclose(log_returns(close, periods=4)[4, 1], math.log(16))


@pytest.mark.parametrize("periods", [1, 5, 21])
def test_against_pandas_on_sp500(periods):
    close = sp500_panel("Close")
    frame = pd.DataFrame(close)
    np.testing.assert_allclose(simple_returns(close, periods), frame.pct_change(periods), rtol=1e-12)
    np.testing.assert_allclose(
        log_returns(close, periods), np.log1p(frame.pct_change(periods)), rtol=1e-10, atol=1e-15
    )


@pytest.mark.parametrize("func", [simple_returns, log_returns])
@pytest.mark.parametrize("periods", [1, 3])
def test_warm_up_and_nan_reach(func, periods):
    close = sp500_panel("Close")[:200]
    base = func(close, periods)
    assert (np.isnan(base).sum(axis=0) == periods).all()
    assert np.isnan(base[:periods]).all()

    holed = close.copy()
    holed[50, 1] = nan
    out = func(holed, periods)
    expected_nan = np.isnan(base)
    expected_nan[[50, 50 + periods], 1] = True
    np.testing.assert_array_equal(np.isnan(out), expected_nan)
    np.testing.assert_array_equal(out[~expected_nan], base[~expected_nan])


@pytest.mark.parametrize("func", [simple_returns, log_returns])
def test_non_positive_price_is_nan_not_inf(func):
    close = np.array([[10.0], [0.0], [10.0], [-5.0], [10.0]])
    out = func(close)
    assert np.isnan(out).all()


@pytest.mark.parametrize("func", [simple_returns, log_returns])
def test_prefix_invariance(func):
    close = sp500_panel("Close")
    full = func(close, 5)
    for t in (0, 4, 5, 100, len(close) - 2):
        np.testing.assert_array_equal(func(close[: t + 1], 5), full[: t + 1])


def test_periods_longer_than_history_is_all_warm_up():
    assert np.isnan(simple_returns(np.ones((3, 2)), periods=5)).all()


@pytest.mark.parametrize("bad", [0, -1, 1.5, True])
def test_bad_periods_rejected(bad):
    with pytest.raises(ValueError, match="periods"):
        simple_returns(np.ones((5, 2)), periods=bad)


def test_one_dimensional_input_rejected():
    with pytest.raises(ValueError, match=r"\(T, N\)"):
        log_returns(np.ones(5))
