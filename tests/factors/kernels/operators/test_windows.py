"""The rolling-window kernels of operators/windows.py against pandas rolling (min_periods=w), the
reference they replace, on random panels with NaNs and ties, for windows from 1 to longer than the
panel."""

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.operators import windows

T, N = 47, 9


def _panel(seed: int) -> np.ndarray:
    """Random levels with scattered NaNs, a column of integers (ties in every window), a constant
    column, a column that is NaN in a block, and one all NaN."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, N)) * 10.0 ** rng.integers(-3, 6, size=N)
    x[rng.random((T, N)) < 0.06] = np.nan
    x[:, 1] = rng.integers(0, 4, size=T)
    x[:, 2] = 3.5
    x[10:18, 3] = np.nan
    x[:, 4] = np.nan
    x[[0, T - 1], 5] = np.nan
    return x


WINDOW_SIZES = [1, 2, 3, 5, 20, T - 1, T, T + 1, 3 * T]
SEEDS = [0, 1, 2]


def _rolling(x, window):
    return pd.DataFrame(x).rolling(window, min_periods=window)


def _argextreme_reference(x, window, pick):
    """1-based, oldest first, the first (oldest) occurrence on ties: numpy's argmax/argmin."""
    ref = _rolling(x, window).apply(lambda v: pick(v) + 1.0, raw=True)
    return ref.to_numpy()


REFERENCE = {
    "rolling_max": lambda x, w: _rolling(x, w).max().to_numpy(),
    "rolling_min": lambda x, w: _rolling(x, w).min().to_numpy(),
    "rolling_median": lambda x, w: _rolling(x, w).median().to_numpy(),
    "rolling_rank": lambda x, w: _rolling(x, w).rank(method="average", pct=True).to_numpy(),
    "rolling_argmax": lambda x, w: _argextreme_reference(x, w, np.argmax),
    "rolling_argmin": lambda x, w: _argextreme_reference(x, w, np.argmin),
    "rolling_count": lambda x, w: pd.DataFrame(~np.isnan(x), dtype=float).rolling(w).sum().to_numpy(),
}


def _check(got, expected, x):
    assert got.dtype == np.float64 and got.shape == x.shape and got.flags.c_contiguous and got.flags.writeable
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0.0)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("window", WINDOW_SIZES)
@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_matches_pandas_rolling(name, window, seed):
    x = _panel(seed)
    before = x.copy()
    _check(getattr(windows, name)(x, window), REFERENCE[name](x, window), x)
    np.testing.assert_array_equal(x, before)  # the input is left alone


@pytest.mark.parametrize("q", [0.0, 0.2, 0.25, 0.5, 0.8, 1.0, 1 / 3])
@pytest.mark.parametrize("window", WINDOW_SIZES)
def test_quantile_matches_pandas_rolling(window, q):
    x = _panel(5)
    expected = _rolling(x, window).quantile(q, interpolation="linear").to_numpy()
    _check(windows.rolling_quantile(x, window, q), expected, x)


def test_quantile_over_more_rows_than_one_sort_block():
    # 200 rows: several blocks of windows, the last one partial
    x = np.random.default_rng(3).normal(size=(200, 4))
    x[[50, 51, 120], [0, 0, 2]] = np.nan
    expected = _rolling(x, 7).quantile(0.3).to_numpy()
    _check(windows.rolling_quantile(x, 7, 0.3), expected, x)


def test_rank_is_pandas_bit_for_bit_at_long_windows():
    # rank r / w from bottleneck's normalized rank: rounding 2r back must make it exact
    x = np.round(np.random.default_rng(4).normal(size=(400, 3)) * 3.0)
    for window in (7, 60, 250):
        expected = _rolling(x, window).rank(pct=True).to_numpy()
        got = windows.rolling_rank(x, window)
        np.testing.assert_array_equal(got, expected)


def test_hand_worked_ties_and_nans():
    nan = np.nan
    x = np.array([[1.0], [3.0], [3.0], [2.0], [nan], [5.0], [5.0], [4.0]])
    # windows of 3 ending at rows 2..7: [1 3 3] [3 3 2] [3 2 nan] [2 nan 5] [nan 5 5] [5 5 4]
    np.testing.assert_array_equal(windows.rolling_argmax(x, 3)[:, 0], [nan, nan, 2, 1, nan, nan, nan, 1])
    np.testing.assert_array_equal(windows.rolling_argmin(x, 3)[:, 0], [nan, nan, 1, 3, nan, nan, nan, 3])
    np.testing.assert_array_equal(
        windows.rolling_rank(x, 3)[:, 0], [nan, nan, 2.5 / 3, 1 / 3, nan, nan, nan, 1 / 3]
    )
    np.testing.assert_array_equal(windows.rolling_count(x, 3)[:, 0], [nan, nan, 3, 3, 2, 2, 2, 3])
    np.testing.assert_array_equal(windows.rolling_median(x, 3)[:, 0], [nan, nan, 3, 3, nan, nan, nan, 5])
    # q = 0.25 of [1 3 3]: h = 0.5 between 1 and 3 -> 2
    np.testing.assert_array_equal(
        windows.rolling_quantile(x, 3, 0.25)[:, 0], [nan, nan, 2, 2.5, nan, nan, nan, 4.5]
    )


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_read_only_and_broadcast_inputs(name):
    # the evaluator hands kernels read-only field views and constants broadcast with zero strides
    x = _panel(6)
    x.setflags(write=False)
    _check(getattr(windows, name)(x, 4), REFERENCE[name](x.copy(), 4), x)
    constant = np.broadcast_to(np.float64(2.0), (T, N))
    _check(getattr(windows, name)(constant, 4), REFERENCE[name](np.full((T, N), 2.0), 4), constant)
    column = np.asfortranarray(_panel(7))
    _check(getattr(windows, name)(column, 5), REFERENCE[name](np.ascontiguousarray(column), 5), column)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_single_row_and_single_column(name):
    one_row = np.array([[1.0, np.nan, 3.0]])
    _check(getattr(windows, name)(one_row, 1), REFERENCE[name](one_row, 1), one_row)
    _check(getattr(windows, name)(one_row, 2), np.full(one_row.shape, np.nan), one_row)
    one_column = _panel(8)[:, :1]
    _check(getattr(windows, name)(one_column, 6), REFERENCE[name](one_column, 6), one_column)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_infinite_inputs_give_what_pandas_gives_with_inf_as_nan(name):
    # every kernel answers finite numbers or NaN (panels.finite_or_nan), as the pandas path did
    x = _panel(9)
    x[[5, 6, 30], [0, 0, 6]] = [np.inf, -np.inf, np.inf]
    expected = np.array(REFERENCE[name](x, 4))
    expected[np.isinf(expected)] = np.nan
    _check(getattr(windows, name)(x, 4), expected, x)


@pytest.mark.parametrize("q", [0.0, 0.3, 1.0])
def test_quantile_of_infinite_inputs_is_finite_or_nan(q):
    x = _panel(10)
    x[[5, 6], [0, 0]] = [np.inf, -np.inf]
    expected = np.array(_rolling(x, 4).quantile(q).to_numpy())
    expected[~np.isfinite(expected)] = np.nan
    _check(windows.rolling_quantile(x, 4, q), expected, x)
