"""quantize, quantile_returns, spread against alphalens and hand-worked cases."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from apps.factors.kernels.analysis import (
    clean_factor,
    forward_returns,
    quantile_returns,
    quantize,
    rate_of_return,
    spread,
    std_conversion,
)
from tests.factors.kernels.analysis.conftest import HORIZONS

RTOL = 1e-10
ATOL = 1e-15


@pytest.fixture(scope="module")
def prepared(panel):
    fwd = forward_returns(panel.prices, HORIZONS)
    return fwd, clean_factor(panel.factor, fwd, groups=panel.groups)


def _alphalens_quantize(panel, factor, **kwargs):
    import alphalens.utils as au

    frame = pd.DataFrame(
        {"factor": factor.ravel(), "group": panel.groups.ravel()}, index=_full_index(panel)
    ).dropna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = au.quantize_factor(frame, no_raise=True, **kwargs)
    return np.nan_to_num(panel.to_panel(q), nan=0).astype(np.int64)


def _full_index(panel):
    return pd.MultiIndex.from_product([panel.dates, panel.assets], names=["date", "asset"])


@pytest.mark.parametrize(
    "kwargs",
    [
        {"quantiles": 5},
        {"quantiles": 3},
        {"quantiles": 10},
        {"quantiles": [0.0, 0.1, 0.5, 0.9, 1.0]},
        {"quantiles": None, "bins": 4},
        {"quantiles": None, "bins": [-0.5, -0.05, 0.0, 0.05, 0.5]},
        {"quantiles": 5, "by_group": True},
    ],
)
def test_quantize_equals_alphalens_quantize_factor(panel, kwargs):
    factor = panel.factor.copy()
    factor[40, :] = np.round(factor[40, :], 1)  # heavy ties that still leave distinct edges for some q
    factor[41, 3:] = np.nan  # three names on a date
    factor[42, :] = 0.25  # constant: int bins widen the range, qcut fails
    theirs = _alphalens_quantize(panel, factor, **{k: v for k, v in kwargs.items() if k != "by_group"},
                                 by_group=kwargs.get("by_group", False))  # fmt: skip
    by_group = panel.groups if kwargs.get("by_group") else None
    ours = quantize(factor, quantiles=kwargs.get("quantiles", 5), bins=kwargs.get("bins"), groups=by_group)
    np.testing.assert_array_equal(ours, theirs)
    assert (ours > 0).any()


def test_quantize_hand_worked_ties_and_few_names():
    factor = np.array(
        [
            [1.0, 2.0, 3.0, 4.0, 5.0, np.nan],
            [1.0, 1.0, 1.0, 1.0, 2.0, 3.0],  # edges 1, 1, 1, 1.5(ish), ... repeat -> the date fails
            [1.0, 2.0, 3.0, np.nan, np.nan, np.nan],  # 3 names in 5 quantiles: distinct edges, gaps
            [7.0, np.nan, np.nan, np.nan, np.nan, np.nan],  # one name: all edges equal -> fails
        ]
    )
    out = quantize(factor, 5)
    np.testing.assert_array_equal(out[0], [1, 2, 3, 4, 5, 0])
    np.testing.assert_array_equal(out[1], 0)
    # edges of (1, 2, 3) at 0, .2, .4, .6, .8, 1 are 1, 1.4, 1.8, 2.2, 2.6, 3: 1 -> q1, 2 -> q3, 3 -> q5
    np.testing.assert_array_equal(out[2], [1, 3, 5, 0, 0, 0])
    np.testing.assert_array_equal(out[3], 0)


@pytest.mark.parametrize(
    ("demeaned", "group_adjust"), [(True, False), (False, False), (True, True), (False, True)]
)
def test_quantile_returns_equal_alphalens(panel, factor_data, fwd_columns, prepared, demeaned, group_adjust):
    import alphalens.performance as ap

    fwd, clean = prepared
    ours = quantile_returns(
        fwd, clean.buckets, demeaned=demeaned, group_adjust=group_adjust, groups=panel.groups
    )
    mean, se = ap.mean_return_by_quantile(factor_data, demeaned=demeaned, group_adjust=group_adjust)
    mean_d, se_d = ap.mean_return_by_quantile(
        factor_data, by_date=True, demeaned=demeaned, group_adjust=group_adjust
    )
    for k, col in enumerate(fwd_columns):
        np.testing.assert_allclose(ours.mean[k], mean[col].to_numpy(), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(ours.std_error[k], se[col].to_numpy(), rtol=RTOL, atol=ATOL)
        for q in range(1, 6):
            np.testing.assert_allclose(
                ours.mean_by_date[k, q - 1], panel.by_date(mean_d[col].xs(q, level="factor_quantile")),
                rtol=RTOL, atol=ATOL,
            )  # fmt: skip
            np.testing.assert_allclose(
                ours.std_error_by_date[k, q - 1], panel.by_date(se_d[col].xs(q, level="factor_quantile")),
                rtol=RTOL, atol=ATOL,
            )  # fmt: skip
    assert ours.mean[1, 4] > ours.mean[1, 0]  # top quantile earns more at the signal's horizon


def test_quantile_returns_hand_worked():
    # one horizon, two dates, four names; quantiles 1 and 2
    fwd = np.array([[[0.01, 0.03, 0.02, 0.06], [0.00, 0.02, np.nan, 0.04]]])
    buckets = np.array([[1, 1, 2, 2], [1, 0, 2, 2]])
    raw = quantile_returns(fwd, buckets, demeaned=False)
    np.testing.assert_allclose(raw.mean_by_date[0], [[0.02, 0.00], [0.04, 0.04]])
    np.testing.assert_allclose(raw.std_error_by_date[0, 0, 0], np.std([0.01, 0.03], ddof=1) / np.sqrt(2))
    assert np.isnan(raw.std_error_by_date[0, 0, 1])  # one name
    np.testing.assert_allclose(raw.mean[0], [0.01, 0.04])
    np.testing.assert_allclose(raw.std_error[0, 0], np.std([0.02, 0.0], ddof=1) / np.sqrt(2))
    # demeaned: date means over the bucketed, present cells: 0.03 and 0.02
    dm = quantile_returns(fwd, buckets, demeaned=True)
    np.testing.assert_allclose(dm.mean_by_date[0], [[-0.01, -0.02], [0.01, 0.02]], atol=1e-15)


def test_spread_equals_alphalens_tear_sheet(factor_data, fwd_columns, panel, prepared):
    """The returns tear sheet's spread: per-day rate of return, then (top - bottom) / 2."""
    import alphalens.performance as ap
    import alphalens.utils as au

    fwd, clean = prepared
    ours = quantile_returns(fwd, clean.buckets)
    mean_d, se_d = ap.mean_return_by_quantile(factor_data, by_date=True)
    rate = mean_d.apply(au.rate_of_return, axis=0, base_period=mean_d.columns[0])
    se_conv = se_d.apply(au.std_conversion, axis=0, base_period=se_d.columns[0])
    theirs, theirs_se = ap.compute_mean_returns_spread(rate, 5, 1, std_err=se_conv)
    diff, diff_se = spread(
        rate_of_return(ours.mean_by_date, HORIZONS), std_conversion(ours.std_error_by_date, HORIZONS)
    )
    for k, col in enumerate(fwd_columns):
        np.testing.assert_allclose(diff[k], panel.by_date(theirs[col]), rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(diff_se[k], panel.by_date(theirs_se[col]), rtol=RTOL, atol=ATOL)
    raw, raw_se = spread(np.array([[0.01, 0.02], [0.05, 0.06]]), np.array([[0.3, 0.0], [0.4, 0.0]]))
    np.testing.assert_allclose(raw, [0.02, 0.02])
    np.testing.assert_allclose(raw_se, [0.25, 0.0])  # sqrt(0.09 + 0.16) / 2


def test_quantize_matches_qcut_on_exact_order_statistics():
    """Evenly spaced values put order statistics exactly on the quantile levels, where pandas's
    rounding of its levels (nextafter) and numpy's interpolation decide the bucket by one ULP."""
    for q in range(2, 13):
        for n in range(2, 40):
            row = np.arange(n, dtype=float)[None, :] * 0.1
            expected = pd.qcut(row[0], q, labels=False) + 1
            np.testing.assert_array_equal(quantize(row, q)[0], expected, err_msg=f"q={q} n={n}")
