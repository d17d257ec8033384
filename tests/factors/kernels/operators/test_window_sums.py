"""Rolling sum and mean by pairwise window sums (operators/window_sums.py) against pandas rolling
(min_periods=w) on random panels with NaNs, ±inf, ties and constant stretches, windows 1 to longer
than the panel; plus what a running sum gets wrong (rounding left behind by a huge value)."""

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.operators import window_sums

T, N = 47, 9
WINDOW_SIZES = [1, 2, 3, 5, 20, T - 1, T, T + 1, 3 * T]


def _panel(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, N)) * 10.0 ** rng.integers(-3, 6, size=N) + 10.0 ** rng.integers(0, 4, size=N)
    x[rng.random((T, N)) < 0.06] = np.nan
    x[:, 1] = rng.integers(0, 4, size=T)  # integers: sums exact
    x[:, 2] = 0.1  # constant: pandas answers the value (mean) and value * w (sum) exactly
    x[10:30, 3] = 7.3
    x[:, 4] = np.nan
    x[[5, 6, 30], [0, 0, 6]] = [np.inf, -np.inf, np.inf]  # ±inf counts as missing
    return x


def _pandas(x, window, statistic):
    frame = pd.DataFrame(np.where(np.isinf(x), np.nan, x))
    return getattr(frame.rolling(window, min_periods=window), statistic)().to_numpy()


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("window", WINDOW_SIZES)
@pytest.mark.parametrize("statistic", ["sum", "mean"])
def test_matches_pandas_rolling(statistic, window, seed):
    x = _panel(seed)
    before = x.copy()
    got = getattr(window_sums, f"rolling_{statistic}")(x, window)
    expected = _pandas(x, window, statistic)
    assert got.dtype == np.float64 and got.shape == x.shape and got.flags.c_contiguous and got.flags.writeable
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    # pandas keeps a compensated running sum; ours is pairwise over the window (at most log2(w)
    # roundings): they agree to a few ulps of the window's sum of |x|, not bit for bit.
    scale = _pandas(np.abs(x), window, statistic)
    np.testing.assert_array_less(np.abs(got - expected), 1e-14 * scale + 1e-300, err_msg="beyond ulps")
    np.testing.assert_array_equal(x, before, strict=True)
    # integers sum exactly, a constant window gives exactly what pandas gives
    np.testing.assert_array_equal(got[:, 1:3], expected[:, 1:3])
    np.testing.assert_array_equal(got[10 + window - 1 : 30, 3], expected[10 + window - 1 : 30, 3])


def test_a_huge_value_leaves_no_rounding_behind():
    # a running sum carries 1e17's rounding into every later window; each window here is its own
    x = np.ones((60, 1))
    x[10] = 1e17
    np.testing.assert_array_equal(window_sums.rolling_sum(x, 4)[20:], 4.0)
    np.testing.assert_array_equal(window_sums.rolling_mean(x, 4)[20:], 1.0)


def test_overflow_is_nan_and_inputs_may_be_read_only_or_broadcast():
    x = np.full((6, 2), 1e308)
    assert np.isnan(window_sums.rolling_sum(x, 2)[1:]).all()
    np.testing.assert_array_equal(window_sums.rolling_mean(x, 2)[1:], 1e308)  # constant: the value
    constant = np.broadcast_to(np.float64(2.5), (5, 3))
    np.testing.assert_array_equal(window_sums.rolling_sum(constant, 2)[1:], 5.0)


def test_tail_rows_do_not_depend_on_earlier_history():
    x = _panel(3)
    full = window_sums.rolling_mean(x, 7)
    np.testing.assert_array_equal(window_sums.rolling_mean(x[-7:], 7)[-1], full[-1])


def test_many_columns_span_several_blocks():
    x = np.random.default_rng(5).normal(size=(3000, 130)) + 100.0  # > 1 MB: column blocks
    x[100, 77] = np.nan
    for statistic in ("sum", "mean"):
        got = getattr(window_sums, f"rolling_{statistic}")(x, 20)
        np.testing.assert_allclose(got, _pandas(x, 20, statistic), rtol=1e-13, equal_nan=True)
