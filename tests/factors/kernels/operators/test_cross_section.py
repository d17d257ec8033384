"""Cross-sectional operators: hand-worked rows, pd.qcut for cs_bucket, and per-date loops
(pandas groupby, numpy lstsq) as references on random panels."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from apps.factors.kernels.operators import OPERATORS

nan = np.nan
# rows: a NaN inside; constant; a single value; ties
X = np.array(
    [
        [1.0, 2.0, nan, 5.0],
        [4.0, 4.0, 4.0, 4.0],
        [nan, 7.0, nan, nan],
        [2.0, -1.0, 2.0, 3.0],
    ]
)
S0, S3 = np.sqrt(13 / 3), np.sqrt(3.0)  # row std (ddof=1) of rows 0 and 3


def call(name, *args):
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    out = OPERATORS[name].kernel(*args)
    for b, a in zip(before, args, strict=True):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)
    assert out.dtype == np.float64 and out.shape == args[0].shape
    return out


HAND = {
    "cs_rank": ((X,), [[1 / 3, 2 / 3, nan, 1], [0.625] * 4, [nan, 1, nan, nan], [0.625, 0.25, 0.625, 1]]),
    "cs_zscore": (
        (X,),
        [
            [(1 - 8 / 3) / S0, (2 - 8 / 3) / S0, nan, (5 - 8 / 3) / S0],
            [nan] * 4,  # zero std
            [nan] * 4,  # one value: no ddof=1 std
            [0.5 / S3, -2.5 / S3, 0.5 / S3, 1.5 / S3],
        ],
    ),
    "cs_demean": ((X,), [[-5 / 3, -2 / 3, nan, 7 / 3], [0] * 4, [nan, 0, nan, nan], [0.5, -2.5, 0.5, 1.5]]),
    "cs_scale": ((X, 2.0), [[0.25, 0.5, nan, 1.25], [0.5] * 4, [nan, 2, nan, nan], [0.5, -0.25, 0.5, 0.75]]),
    "cs_winsorize": (
        (X, 1.0),
        [[1, 2, nan, 8 / 3 + S0], [4] * 4, [nan, 7, nan, nan], [2, 1.5 - S3, 2, 3]],
    ),
}


@pytest.mark.parametrize("name", sorted(HAND))
def test_hand_worked_values(name):
    args, expected = HAND[name]
    np.testing.assert_allclose(call(name, *args), np.array(expected, dtype=float), rtol=1e-12, atol=1e-14)


def test_defaults_are_declared_on_the_spec():
    assert {a.name: a.default for a in OPERATORS["cs_scale"].args} == {"x": None, "a": 1.0}
    assert {a.name: a.default for a in OPERATORS["cs_winsorize"].args} == {"x": None, "k": 3.0}
    np.testing.assert_allclose(np.nansum(np.abs(call("cs_scale", X, 1.0)), axis=1), [1, 1, 1, 1])


def test_scale_of_an_all_zero_row_is_nan():
    assert np.isnan(call("cs_scale", np.zeros((2, 3)), 1.0)).all()


def test_rank_matches_scipy_rankdata_per_row(random_panels):
    x, _ = random_panels
    out = call("cs_rank", x)
    for t in range(x.shape[0]):
        present = ~np.isnan(x[t])
        np.testing.assert_allclose(out[t, present], stats.rankdata(x[t, present]) / present.sum())
        assert np.isnan(out[t, ~present]).all()


# --- cs_bucket ------------------------------------------------------------------------------


@pytest.mark.parametrize("q", [2, 3, 5, 10])
@pytest.mark.parametrize("n", [10, 11, 21, 101])
def test_bucket_matches_qcut_row_by_row(q, n):
    rng = np.random.default_rng(n * 100 + q)
    x = rng.lognormal(size=(30, n))
    x[rng.random(x.shape) < 0.1] = nan
    out = call("cs_bucket", x, q)
    for t in range(x.shape[0]):
        expected = pd.qcut(pd.Series(x[t]), q, labels=False) + 1  # alphalens's quantize_factor
        np.testing.assert_array_equal(out[t], expected.to_numpy(dtype=float))


def test_bucket_hand_worked_and_ties():
    np.testing.assert_array_equal(call("cs_bucket", np.arange(1.0, 9.0)[None], 4), [[1, 1, 2, 2, 3, 3, 4, 4]])
    tied = np.array([[1.0, 1.0, 1.0, 1.0, 1.0, 2.0]])
    with pytest.raises(ValueError, match="Bin edges must be unique"):
        pd.qcut(tied[0], 4, labels=False)
    # every interior edge is 1: the 2 lies above all three and keeps its quartile number
    np.testing.assert_array_equal(call("cs_bucket", tied, 4), [[1, 1, 1, 1, 1, 4]])


# --- cs_neutralize --------------------------------------------------------------------------


def test_neutralize_hand_worked():
    x = np.array([[1.0, 2.0, 3.0, 4.0, nan], [10.0, 20.0, 30.0, 40.0, 50.0]])
    g = np.array([[0, 0, 1, -1, 1], [1, 1, 0, 0, 1]], dtype=np.int64)
    expected = [[-0.5, 0.5, 0.0, nan, nan], [-16.0 - 2 / 3, -6.0 - 2 / 3, -5.0, 5.0, 23.0 + 1 / 3]]
    np.testing.assert_allclose(call("cs_neutralize", x, g), expected, rtol=1e-12)


def test_neutralize_matches_a_groupby_per_date(random_panels):
    x, _ = random_panels
    rng = np.random.default_rng(7)
    labels = np.array([-1, 45102010, 20, 3])  # GICS-like codes, far from 0..k
    g = labels[rng.integers(0, 4, size=x.shape)]
    out = call("cs_neutralize", x, g)
    for t in range(x.shape[0]):
        row = pd.DataFrame({"x": x[t], "g": g[t]})
        known = row[(row.g >= 0) & row.x.notna()]
        expected = np.full(x.shape[1], nan)
        expected[known.index] = known.x - known.groupby("g").x.transform("mean")
        np.testing.assert_allclose(out[t], expected, rtol=1e-12, atol=1e-14)


# --- cs_residual ----------------------------------------------------------------------------


def test_residual_hand_worked():
    y = np.array([[1.0, 2.0, 3.0, 4.0, nan], [1.0, nan, nan, nan, 5.0]])
    x = np.array([[1.0, 3.0, 2.0, 5.0, 9.0], [1.0, 2.0, 3.0, 4.0, 5.0]])
    # row 0: b = Sxy / Syy = 5.5 / 5 = 1.1, a = 2.75 - 1.1 * 2.5 = 0 (the NaN name left out)
    # row 1: two usable names for two coefficients, an exact fit with nothing left over: all NaN
    expected = [[-0.1, 0.8, -1.3, 0.6, nan], [nan] * 5]
    np.testing.assert_allclose(call("cs_residual", x, y), expected, rtol=1e-12, atol=1e-12)


def _lstsq_residual(x, *ys):
    out = np.full(x.shape, nan)
    for t in range(x.shape[0]):
        columns = [np.ones(x.shape[1]), *(y[t] for y in ys)]
        design = np.column_stack(columns)
        ok = ~np.isnan(x[t]) & ~np.isnan(design).any(axis=1)
        if ok.sum() <= len(columns):
            continue
        beta, *_ = np.linalg.lstsq(design[ok], x[t, ok], rcond=None)
        out[t, ok] = x[t, ok] - design[ok] @ beta
    return out


def test_residual_matches_lstsq_per_date():
    rng = np.random.default_rng(3)
    y1, y2 = rng.normal(size=(40, 25)), rng.lognormal(mean=20.0, size=(40, 25))  # very different scales
    x = 0.3 * y1 + 1e-9 * y2 + rng.normal(size=(40, 25))
    x[rng.random(x.shape) < 0.1] = nan
    y2[rng.random(x.shape) < 0.1] = nan
    x[5, :22] = nan  # three names left for three coefficients
    # OLS residuals do not depend on the regressors' units; the reference gets y2 in well-scaled
    # units (lstsq on a raw 1e9-scale column loses ~1e-6), the kernel the raw column.
    expected = _lstsq_residual(x, y1, y2 / 1e9)
    np.testing.assert_allclose(call("cs_residual", x, y1, y2), expected, rtol=1e-9, atol=1e-11)
    assert np.isnan(call("cs_residual", x, y1, y2)[5]).all()


def test_residual_with_collinear_or_constant_regressors_is_the_reduced_fit():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(10, 30)), rng.normal(size=(10, 30))
    single = call("cs_residual", x, y)
    np.testing.assert_allclose(single, _lstsq_residual(x, y), atol=1e-10)
    np.testing.assert_allclose(call("cs_residual", x, y, 2.0 * y - 1.0), single, atol=1e-10)
    np.testing.assert_allclose(call("cs_residual", x, y, np.full(x.shape, 3.0)), single, atol=1e-10)


def test_spec_shape_of_cs_residual():
    spec = OPERATORS["cs_residual"]
    assert spec.variadic and [a.kind for a in spec.args] == ["series", "series"]
