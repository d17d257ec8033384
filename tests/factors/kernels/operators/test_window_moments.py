"""Rolling variance, std, slope / R² / residual on time, covariance and correlation by pairwise
merged co-moments (operators/window_moments.py): against pandas rolling and against a two-pass
computation in long double (each window centred on its own mean) where pandas itself loses digits:
a price level of 1e4 moving by 1e-4, a jump of the level, a constant stretch after large values."""

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.operators import window_moments as wm

T, N = 47, 9
WINDOW_SIZES = [1, 2, 3, 5, 20, T - 1, T, T + 1, 3 * T]


def _panel(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(T, N)) * 10.0 ** rng.integers(-2, 4, size=N) + 10.0 ** rng.integers(0, 4, size=N)
    x[rng.random((T, N)) < 0.06] = np.nan
    x[:, 1] = rng.integers(0, 4, size=T)
    x[:, 2] = 0.1  # constant: variance exactly 0, correlation and R² NaN (pandas' answers)
    x[:, 4] = np.nan
    x[[5, 6, 30], [0, 0, 6]] = [np.inf, -np.inf, np.inf]  # ±inf counts as missing
    return x


def _two_pass(x, y, window):
    """(sum dx dy, sum dx², sum dy², sum dt dx, mean) of every full window, long double, NaN
    where either input has a NaN or ±inf in the window."""
    a, b = (np.where(np.isfinite(v), v, np.nan).astype(np.longdouble) for v in (x, y))
    out = [np.full(a.shape, np.nan, dtype=np.longdouble) for _ in range(5)]
    if window <= a.shape[0]:
        wa, wb = (np.lib.stride_tricks.sliding_window_view(v, window, axis=0) for v in (a, b))
        ma, mb = wa.mean(axis=-1, keepdims=True), wb.mean(axis=-1, keepdims=True)
        da, db = wa - ma, wb - mb
        dt = np.arange(window, dtype=np.longdouble) - (window - 1) / 2
        for target, v in zip(out[:4], (da * db, da * da, db * db, da * dt), strict=True):
            target[window - 1 :] = v.sum(axis=-1)
        out[4][window - 1 :] = ma[..., 0]
    return [v.astype(np.float64) for v in out]


def _expected(name, x, y, window):
    xy, xx, yy, xt, mean = _two_pass(x, y, window)
    tt = window * (window * window - 1) / 12.0
    with np.errstate(all="ignore"):
        answers = {
            "rolling_var": xx / (window - 1),
            "rolling_std": np.sqrt(xx / (window - 1)),
            "rolling_cov": xy / (window - 1),
            "rolling_corr": np.clip(xy / np.sqrt(xx * yy), -1, 1),
            "rolling_slope": xt / tt,
            "rolling_rsquare": np.minimum(xt * xt / (tt * xx), 1.0),
            "rolling_resi": np.where(np.isfinite(x), x, np.nan) - mean - xt / tt * (window - 1) / 2,
        }
    out = answers[name]
    out[~np.isfinite(out)] = np.nan
    if name in ("rolling_corr", "rolling_rsquare"):
        out[(xx == 0) | (yy == 0 if name == "rolling_corr" else False)] = np.nan
    if window == 1 and name in ("rolling_slope", "rolling_rsquare", "rolling_resi"):
        out[:] = np.nan
    return out, np.sqrt(xx * (yy if name in ("rolling_cov", "rolling_corr") else 1.0))


def _call(name, x, y, window):
    return (
        getattr(wm, name)(x, y, window)
        if name in ("rolling_cov", "rolling_corr")
        else getattr(wm, name)(x, window)
    )


NAMES = [
    "rolling_var",
    "rolling_std",
    "rolling_cov",
    "rolling_corr",
    "rolling_slope",
    "rolling_rsquare",
    "rolling_resi",
]


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("window", WINDOW_SIZES)
@pytest.mark.parametrize("name", NAMES)
def test_matches_a_two_pass_reference(name, window, seed):
    x = _panel(seed)
    y = 0.5 * np.nan_to_num(x, posinf=0.0, neginf=0.0) + np.random.default_rng(seed + 9).normal(size=(T, N))
    y[3, 5] = np.nan
    before = x.copy()
    got = _call(name, x, y, window)
    expected, _ = _expected(name, x, y, window)
    assert got.dtype == np.float64 and got.shape == x.shape and got.flags.c_contiguous and got.flags.writeable
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    # merged block means round at the level's ulp: relative error ~ eps * level / spread, below
    # 1e-9 at this panel's worst ratio (1e3 / 1e-2); tighter checks on ordinary data below
    np.testing.assert_allclose(
        got, expected, rtol=1e-9, atol=1e-12 * np.nanmax(np.abs(expected), initial=0.0)
    )
    np.testing.assert_array_equal(x, before)
    if name in ("rolling_var", "rolling_std", "rolling_cov"):
        assert (got[:, 2][~np.isnan(got[:, 2])] == 0.0).all()  # constant: exactly 0


@pytest.mark.parametrize("window", [2, 3, 5, 20])
@pytest.mark.parametrize("name", NAMES)
def test_equals_pandas_rolling_on_ordinary_prices(name, window):
    rng = np.random.default_rng(11)
    x = 50.0 * np.exp(np.cumsum(rng.normal(size=(300, 6)) * 0.02, axis=0))
    y = np.exp(rng.normal(13.0, 0.6, size=x.shape))
    x[40, 2] = np.nan
    frame, other = pd.DataFrame(x), pd.DataFrame(y)
    roll = frame.rolling(window, min_periods=window)
    t = pd.DataFrame(np.broadcast_to(np.arange(300.0)[:, None], x.shape))
    slope = roll.cov(t) / (window * (window + 1) / 12.0)
    reference = {
        "rolling_var": roll.var(),
        "rolling_std": roll.std(),
        "rolling_cov": roll.cov(other),
        "rolling_corr": roll.corr(other).clip(-1, 1),
        "rolling_slope": slope,
        "rolling_rsquare": roll.corr(t) ** 2,
        "rolling_resi": frame - roll.mean() - slope * (window - 1) / 2,
    }[name].to_numpy()
    # pandas' running updates and mean(xy) - mean(x) mean(y) lose more digits than the two-pass
    # reference above; 1e-9 of the scale covers pandas' error, not ours (see the two-pass test)
    got = _call(name, x, y, window)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(reference))
    # (the residual is x minus its fit: rounding at the level of x, ~1e-14 here; at w = 2 it is 0)
    atol = 1e-9 * np.nanmax(np.abs(reference)) + 1e-14 * np.nanmax(np.abs(x))
    np.testing.assert_allclose(got, reference, rtol=1e-9, atol=atol)


def test_a_level_of_1e4_moving_by_1e_4_keeps_its_variance_and_correlation():
    rng = np.random.default_rng(2)
    x = 1e4 + np.cumsum(rng.normal(size=(400, 4)) * 1e-4, axis=0)
    y = x + rng.normal(size=x.shape) * 1e-4
    x[100:150, 1] = 5.0  # a jump down and back: a running update keeps its rounding for good
    x[300:330, 2] = 1e4 + 0.1  # constant after movement: exactly 0, not rounding noise
    xy, xx, yy, _, _ = _two_pass(x, y, 20)
    variance = wm.rolling_var(x, 20)
    np.testing.assert_allclose(variance, xx / 19, rtol=1e-7, equal_nan=True)
    assert (variance[329, 2], variance[149, 1]) == (0.0, 0.0)
    moving = xx > 0
    pandas_variance = pd.DataFrame(x).rolling(20).var().to_numpy()
    pandas_error = np.nanmax(np.abs(pandas_variance[moving] / (xx[moving] / 19) - 1))
    ours_error = np.nanmax(np.abs(variance[moving] / (xx[moving] / 19) - 1))
    assert ours_error < pandas_error  # the reason for the two-pass reference
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(
            wm.rolling_corr(x, y, 20), xy / np.sqrt(xx * yy), atol=1e-6, equal_nan=True
        )


def test_two_point_correlation_is_exactly_plus_or_minus_one():
    x = np.array([[1.0, 1.0, 2.0], [1.1, 1.0, np.nan], [0.7, 3.0, 1.0]])
    y = np.array([[3.0, 1.0, 2.0], [3.3, 2.0, 1.0], [3.9, 1.0, 1.0]])
    np.testing.assert_array_equal(
        wm.rolling_corr(x, y, 2), [[np.nan] * 3, [1, np.nan, np.nan], [-1, -1, np.nan]]
    )


def test_many_columns_span_several_blocks_and_tails_equal_the_full_panel():
    x = np.random.default_rng(5).normal(size=(3000, 130)).cumsum(axis=0) + 100.0
    y = np.random.default_rng(6).normal(size=x.shape)
    for name in NAMES:
        full = _call(name, x, y, 20)
        np.testing.assert_array_equal(_call(name, x[-20:], y[-20:], 20)[-1], full[-1])
        expected, _ = _expected(name, x, y, 20)
        np.testing.assert_allclose(full, expected, rtol=1e-10, atol=1e-12, equal_nan=True)
