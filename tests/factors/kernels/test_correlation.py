"""Correlation kernels against pandas (DataFrame.corr / Series.corr), scipy.stats.spearmanr and an
exact rational-arithmetic reference for the large-offset precision check."""

from __future__ import annotations

from fractions import Fraction
from math import sqrt

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from apps.factors.kernels.correlation import (
    correlation_matrix,
    correlation_with,
    cross_sectional_correlation,
    mean_cross_sectional_correlation,
    mean_cross_sectional_correlation_matrix,
)


def pandas_corr(series: np.ndarray, min_periods: int = 1) -> np.ndarray:
    return pd.DataFrame(series.T).corr(min_periods=min_periods).to_numpy()


def gappy_series(rng: np.random.Generator, k: int = 40, t: int = 300) -> np.ndarray:
    """Series with every kind of hole: random gaps, late starts, complete series, an inf, a constant
    series, one with 3 values, and a pair whose overlap is where one of them is constant."""
    x = rng.standard_normal((k, t)) + rng.standard_normal((1, t))
    x[rng.random(x.shape) < 0.1] = np.nan
    x[10:15, :100] = np.nan
    x[20] = 0.1
    x[21] = np.nan
    x[21, :3] = [1.0, 2.0, 3.0]
    x[22] = x[0]
    x[22, 150:] = 7.0
    x[23] = np.nan
    x[23, 150:] = rng.standard_normal(150)
    x[25:30] = rng.standard_normal((5, t))
    x[30, 5] = np.inf
    return x


def exact_corr(a: np.ndarray, b: np.ndarray) -> float:
    """Pairwise-complete Pearson in rational arithmetic (only the final square root in float)."""
    both = np.isfinite(a) & np.isfinite(b)
    xs, ys = [Fraction(v) for v in a[both]], [Fraction(v) for v in b[both]]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((p - mx) * (q - my) for p, q in zip(xs, ys, strict=True))
    sxx = sum((p - mx) ** 2 for p in xs)
    syy = sum((q - my) ** 2 for q in ys)
    return float(sxy / Fraction(sqrt(sxx * syy)))


def test_complete_series_equal_pandas_with_exact_unit_diagonal():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((30, 200)) + rng.standard_normal((1, 200))
    got = correlation_matrix(x)
    np.testing.assert_allclose(got, pandas_corr(x), rtol=1e-10, atol=0)
    np.testing.assert_array_equal(np.diag(got), 1.0)
    np.testing.assert_allclose(got, np.corrcoef(x), rtol=1e-10)


@pytest.mark.parametrize("min_periods", [1, 3, 5, 150, 290])
def test_gappy_series_equal_pandas(min_periods):
    x = gappy_series(np.random.default_rng(1))
    ref = pandas_corr(x, min_periods)
    assert np.isnan(ref).any() and np.isfinite(ref).any()
    np.testing.assert_allclose(correlation_matrix(x, min_periods), ref, rtol=1e-10, atol=0, equal_nan=True)


def test_constant_series_has_nan_row_in_both_paths():
    x = np.random.default_rng(2).standard_normal((4, 50))
    x[2] = 0.1  # 0.1 * 50 / 50 is not exactly 0.1: centring alone would leave rounding noise
    for data in (x, np.where(np.arange(50) == 7, np.nan, x)):
        got = correlation_matrix(data)
        assert np.isnan(got[2]).all() and np.isnan(got[:, 2]).all()
        assert np.isfinite(np.delete(np.delete(got, 2, 0), 2, 1)).all()


def test_too_few_periods_give_nan():
    x = np.random.default_rng(3).standard_normal((3, 10))
    assert np.isnan(correlation_matrix(x, min_periods=11)).all()
    np.testing.assert_allclose(correlation_matrix(x, min_periods=10), pandas_corr(x, 10), rtol=1e-10)


@pytest.mark.parametrize("with_gaps", [False, True])
def test_large_offset_keeps_full_precision(with_gaps):
    rng = np.random.default_rng(4)
    x = 1e6 + rng.standard_normal((12, 300)) + 0.5 * rng.standard_normal((1, 300))
    if with_gaps:
        x[rng.random(x.shape) < 0.1] = np.nan
        x[:3, :60] = np.nan
    got = correlation_matrix(x)
    # pandas' Welford loop is itself good to ~1e-10 absolute here (the mean's rounding at 1e6):
    np.testing.assert_allclose(got, pandas_corr(x), rtol=0, atol=2e-9)
    # ... and the kernel is exact to ~1e-15 against rational arithmetic.
    pairs = [(i, j) for i in range(12) for j in range(i + 1, 12, 3)]
    np.testing.assert_allclose(
        [got[i, j] for i, j in pairs], [exact_corr(x[i], x[j]) for i, j in pairs], rtol=1e-12
    )
    # The test can fail: the uncentred one-pass formula on the same pairs is far off.
    i, j = pairs[0]
    both = np.isfinite(x[i]) & np.isfinite(x[j])
    a, b, n = x[i, both], x[j, both], both.sum()
    naive = (a @ b - a.sum() * b.sum() / n) / np.sqrt((a @ a - a.sum() ** 2 / n) * (b @ b - b.sum() ** 2 / n))
    assert abs(naive - exact_corr(x[i], x[j])) > 1e-6


def test_correlation_with_equals_the_matrix_row_and_pandas_corrwith():
    x = gappy_series(np.random.default_rng(5))
    target, series = x[0], x[1:]
    got = correlation_with(target, series, min_periods=5)
    np.testing.assert_allclose(got, correlation_matrix(x, 5)[0, 1:], rtol=1e-10, equal_nan=True)
    ref = (
        pd.DataFrame(series.T).replace([np.inf], np.nan).corrwith(pd.Series(target), min_periods=5).to_numpy()
    )
    # corrwith goes through np.corrcoef, which answers rounding noise (~1e-18) for the constant
    # series 20 where DataFrame.corr (and this kernel) answers NaN; every other entry agrees.
    assert np.isnan(got[19]) and abs(ref[19]) < 1e-12
    np.testing.assert_allclose(np.delete(got, 19), np.delete(ref, 19), rtol=1e-10, equal_nan=True)


@pytest.fixture(scope="module")
def panels():
    rng = np.random.default_rng(6)
    t, n = 60, 40
    a = rng.standard_normal((t, n))
    b = 0.4 * a + rng.standard_normal((t, n))
    c = -0.3 * a + 0.5 * b + rng.standard_normal((t, n))
    b = np.round(b, 1)  # ties for the ranks
    a[rng.random(a.shape) < 0.15] = np.nan
    b[rng.random(b.shape) < 0.15] = np.nan
    c[:, :5] = np.nan
    a[3, :38] = np.nan  # a date with 2 names or fewer
    return a, b, c


def reference_per_date(a, b, method):
    out = []
    for x, y in zip(a, b, strict=True):
        both = np.isfinite(x) & np.isfinite(y)
        if both.sum() < 3:
            out.append(np.nan)
        elif method == "rank":
            out.append(stats.spearmanr(x[both], y[both]).statistic)
        else:
            out.append(pd.Series(x[both]).corr(pd.Series(y[both])))
    return np.array(out)


@pytest.mark.parametrize("method", ["rank", "pearson"])
def test_cross_sectional_correlation_per_date(panels, method):
    a, b, _ = panels
    got = cross_sectional_correlation(a, b, method, min_names=3)
    ref = reference_per_date(a, b, method)
    assert np.isnan(ref[3])
    np.testing.assert_allclose(got, ref, rtol=1e-12, equal_nan=True)
    assert mean_cross_sectional_correlation(a, b, method, min_names=3) == pytest.approx(
        np.nanmean(ref), rel=1e-12
    )


def test_pearson_matrix_equals_the_pair_function(panels):
    got = mean_cross_sectional_correlation_matrix(np.stack(panels), "pearson", min_names=3)
    for i in range(3):
        for j in range(3):
            expected = 1.0 if i == j else np.nanmean(reference_per_date(panels[i], panels[j], "pearson"))
            assert got[i, j] == pytest.approx(expected, rel=1e-12)


def test_rank_matrix_equals_spearman_when_coverage_agrees(panels):
    a, b, c = panels
    common = np.isfinite(a) & np.isfinite(b) & np.isfinite(c)
    aligned = [np.where(common, f, np.nan) for f in (a, b, c)]
    got = mean_cross_sectional_correlation_matrix(np.stack(aligned), "rank", min_names=3)
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        expected = np.nanmean(reference_per_date(aligned[i], aligned[j], "rank"))
        assert got[i, j] == got[j, i] == pytest.approx(expected, rel=1e-12)


def test_rank_matrix_ranks_each_factor_over_its_own_names(panels):
    """Where coverage differs: ranks over each factor's own names, then Pearson over common names."""
    a, b, _ = panels
    ra, rb = pd.DataFrame(a).rank(axis=1), pd.DataFrame(b).rank(axis=1)
    per_date = [
        ra.iloc[t].corr(rb.iloc[t]) if (ra.iloc[t].notna() & rb.iloc[t].notna()).sum() >= 3 else np.nan
        for t in range(len(a))
    ]
    got = mean_cross_sectional_correlation_matrix(np.stack([a, b]), "rank", min_names=3)
    assert got[0, 1] == pytest.approx(np.nanmean(per_date), rel=1e-12)


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        correlation_matrix(np.zeros(5))
    with pytest.raises(ValueError):
        correlation_with(np.zeros(4), np.zeros((2, 5)))
    with pytest.raises(ValueError):
        cross_sectional_correlation(np.zeros((2, 3)), np.zeros((2, 3)), method="kendall")
