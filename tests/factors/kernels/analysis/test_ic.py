"""information_coefficient, ic_summary and ic_decay against alphalens and hand-worked cases."""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from apps.factors.kernels.analysis import (
    clean_factor,
    forward_returns,
    ic_decay,
    ic_summary,
    information_coefficient,
)
from apps.factors.kernels.analysis.ic import rank_ic_many
from tests.factors.kernels.analysis.conftest import HORIZONS, TIED_DATE, alphalens_factor_data

RTOL = 1e-10


@pytest.fixture(scope="module")
def prepared(panel):
    fwd = forward_returns(panel.prices, HORIZONS)
    return fwd, clean_factor(panel.factor, fwd, groups=panel.groups)


def _alphalens_ic(factor_data, **kwargs):
    import alphalens.performance as ap

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return ap.factor_information_coefficient(factor_data, **kwargs)


def test_rank_ic_equals_alphalens(panel, factor_data, fwd_columns, prepared):
    fwd, clean = prepared
    ours = information_coefficient(clean.factor, fwd)
    theirs = _alphalens_ic(factor_data)
    for k, col in enumerate(fwd_columns):
        expected = panel.by_date(theirs[col])
        np.testing.assert_allclose(ours[k], expected, rtol=RTOL, atol=1e-15)
    assert np.nanmean(ours[1]) > 0.2  # the factor has real signal at its own horizon
    # alphalens's asfreq puts the dropped tied date back as NaN; the last 10 dates are absent
    assert np.isnan(ours[:, TIED_DATE]).all() and np.isnan(ours[:, -10:]).all()


def test_group_adjusted_ic_equals_alphalens(panel, factor_data, fwd_columns, prepared):
    fwd, clean = prepared
    ours = information_coefficient(clean.factor, fwd, group_adjust=True, groups=panel.groups)
    plain = information_coefficient(clean.factor, fwd)
    theirs = _alphalens_ic(factor_data, group_adjust=True)
    for k, col in enumerate(fwd_columns):
        np.testing.assert_allclose(ours[k], panel.by_date(theirs[col]), rtol=RTOL, atol=1e-15)
    assert np.nanmax(np.abs(ours - plain)) > 1e-3  # the adjustment does change the numbers


def test_pairwise_complete_ic_uses_each_horizon_on_its_own(panel, prepared):
    """Without alphalens's sample, the 1-day IC exists on dates where the 10-day return is missing."""
    fwd, _ = prepared
    raw = information_coefficient(panel.factor, fwd)
    assert np.isfinite(raw[0, -10:-1]).all() and np.isnan(raw[0, -1])
    assert np.isnan(raw[2, -10:]).all()
    # and each value is scipy's spearmanr over that date's complete pairs
    for t in (0, TIED_DATE, 115):
        both = np.isfinite(panel.factor[t]) & np.isfinite(fwd[0, t])
        expected = stats.spearmanr(panel.factor[t, both], fwd[0, t, both]).statistic
        np.testing.assert_allclose(raw[0, t], expected, rtol=RTOL)


def test_pearson_ic_equals_pandas_corrwith(panel, prepared):
    fwd, clean = prepared
    ours = information_coefficient(clean.factor, fwd, method="pearson")
    f = pd.DataFrame(clean.factor)
    for k in range(len(HORIZONS)):
        expected = f.corrwith(pd.DataFrame(fwd[k]).where(clean.keep), axis=1).to_numpy()
        np.testing.assert_allclose(ours[k], expected, rtol=RTOL, atol=1e-15)


def test_ic_hand_worked_edge_cases():
    factor = np.array(
        [
            [1.0, 2.0, 3.0, 4.0],  # perfect monotone -> 1
            [1.0, np.nan, np.nan, np.nan],  # one name -> NaN
            [5.0, 5.0, 5.0, 5.0],  # constant factor -> NaN
            [1.0, 2.0, 2.0, 3.0],  # ties: ranks 1, 2.5, 2.5, 4
            [1.0, 2.0, np.nan, np.nan],  # two names -> +-1
        ]
    )
    fwd = np.array([[[0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4],
                     [0.4, 0.1, 0.3, 0.2], [0.2, 0.1, 0.0, 0.0]]])  # fmt: skip
    ic = information_coefficient(factor, fwd)[0]
    assert ic[0] == pytest.approx(1.0)
    assert np.isnan(ic[1]) and np.isnan(ic[2])
    # ranks x = (1, 2.5, 2.5, 4), y = (4, 1, 3, 2); deviations x: (-1.5, 0, 0, 1.5), y: (1.5, -1.5, .5, -.5)
    # sum dx*dy = -2.25 - 0.75 = -3; sum dx^2 = 4.5; sum dy^2 = 5 -> -3 / sqrt(22.5)
    assert ic[3] == pytest.approx(-3 / np.sqrt(22.5), rel=1e-14)
    assert ic[4] == pytest.approx(-1.0)
    assert np.isnan(information_coefficient(factor, fwd, min_names=3)[0, 4])


def test_ic_summary_equals_alphalens_information_table(factor_data, fwd_columns, prepared):
    import alphalens.plotting as apl

    fwd, clean = prepared
    ours = ic_summary(information_coefficient(clean.factor, fwd))
    ic = _alphalens_ic(factor_data)
    with contextlib.redirect_stdout(io.StringIO()):
        table = apl.plot_information_table(ic, return_df=True)
    fields = {
        "IC Mean": ours.mean,
        "IC Std.": ours.std,
        "Risk-Adjusted IC": ours.risk_adjusted,
        "t-stat(IC)": ours.t_stat,
        "p-value(IC)": ours.p_value,
        "IC Skew": ours.skew,
        "IC Kurtosis": ours.kurtosis,
    }
    for name, values in fields.items():
        np.testing.assert_allclose(values, table.loc[fwd_columns, name].to_numpy(), rtol=RTOL, err_msg=name)
    np.testing.assert_array_equal(ours.n_dates, ic[fwd_columns].count().to_numpy())
    np.testing.assert_allclose(ours.hit_rate, (ic[fwd_columns] > 0).sum().to_numpy() / ours.n_dates)


def test_ic_summary_hand_worked():
    ic = np.array([[0.1, np.nan, -0.05, 0.2, 0.05]])
    s = ic_summary(ic)
    values = np.array([0.1, -0.05, 0.2, 0.05])
    mean = values.sum() / 4  # 0.075
    std = np.sqrt(((values - mean) ** 2).sum() / 3)
    assert s.mean[0] == pytest.approx(mean) and s.std[0] == pytest.approx(std)
    assert s.t_stat[0] == pytest.approx(mean / (std / 2))
    assert s.p_value[0] == pytest.approx(2 * stats.t.sf(mean / (std / 2), df=3))
    assert s.hit_rate[0] == pytest.approx(0.75) and s.n_dates[0] == 4
    assert s.risk_adjusted[0] == pytest.approx(mean / std)


def test_ic_decay_equals_alphalens_mean_ic(panel):
    horizons = (1, 2, 3, 5, 8)
    ours = ic_decay(panel.factor, panel.prices, horizons)
    # alphalens's sample also drops the tied date (binning); mask it the same way for the reference
    data = alphalens_factor_data(panel, periods=horizons, groupby=None)
    theirs = _alphalens_ic(data).mean().to_numpy()
    fwd = forward_returns(panel.prices, horizons)
    clean = clean_factor(panel.factor, fwd)
    np.testing.assert_allclose(ic_summary(information_coefficient(clean.factor, fwd)).mean, theirs, rtol=RTOL)
    # ic_decay does not bucket, so it keeps the tied date: close to alphalens, not equal
    assert np.abs(ours - theirs).max() < 0.02 and np.abs(ours - theirs).max() > 0
    assert ours[3] > ours[0]  # the signal is a 5-day one


def test_rank_ic_of_many_factors_at_once_equals_each_alone():
    rng = np.random.default_rng(5)
    fwd = rng.normal(size=(60, 15))
    fwd[rng.random(fwd.shape) < 0.05] = np.nan
    factors = rng.normal(size=(4, 60, 15)) + 0.3 * np.nan_to_num(fwd)[None]
    factors[1, :, 3] = np.nan  # a name missing from one factor only
    factors[2, 10] = 1.0  # a constant date: NaN
    factors[3, rng.random((60, 15)) < 0.1] = np.inf  # not finite: missing
    factors[0, :5] = np.nan  # a warm-up: no value on the first dates
    factors[0, 5:] = np.round(factors[0, 5:], 1)  # ties, averaged
    factors[2, 20, :14] = np.nan  # one name left: NaN
    many = rank_ic_many(factors, fwd)
    for k in range(4):
        np.testing.assert_allclose(
            many[k], information_coefficient(factors[k], fwd[None])[0], rtol=1e-12, atol=1e-15
        )
    assert np.isnan(many[2, 10]) and np.isnan(many[2, 20]) and np.isnan(many[0, :5]).all()
    assert np.isfinite(many[1]).sum() >= 50  # the factor missing a name is still scored


def test_ic_summary_of_many_rows_equals_scipy_nan_omit_row_by_row():
    # rows sharing a warm-up, rows with scattered gaps, one date only, none at all
    rng = np.random.default_rng(8)
    ic = rng.normal(0.02, 0.1, size=(12, 40))
    ic[:4, :10] = np.nan
    ic[4:6, :25] = np.nan
    ic[6, rng.random(40) < 0.3] = np.nan
    ic[7, 3::7] = np.nan
    ic[8, 1:] = np.nan
    ic[9] = np.nan
    ic[10, :39] = np.nan
    s = ic_summary(ic)
    for k in range(12):
        values = ic[k][~np.isnan(ic[k])]
        if len(values) >= 2:
            t = stats.ttest_1samp(values, 0.0)
            np.testing.assert_allclose([s.t_stat[k], s.p_value[k]], [t.statistic, t.pvalue], rtol=1e-10)
        else:
            assert np.isnan(s.t_stat[k]) and np.isnan(s.p_value[k])
        if len(values) >= 3:
            np.testing.assert_allclose(s.skew[k], stats.skew(values), rtol=1e-10)
            np.testing.assert_allclose(s.kurtosis[k], stats.kurtosis(values), rtol=1e-10)
        assert s.n_dates[k] == len(values)
    assert np.isnan(s.skew[9]) and np.isnan(s.kurtosis[9]) and np.isnan(s.mean[9])


def test_rank_ic_many_with_nothing_to_rank_and_a_higher_minimum():
    rng = np.random.default_rng(9)
    fwd = rng.normal(size=(30, 8))
    fwd[rng.random(fwd.shape) < 0.2] = np.nan
    assert np.isnan(rank_ic_many(np.full((3, 30, 8), np.nan), fwd)).all()
    factors = rng.normal(size=(2, 30, 8))
    factors[0, rng.random((30, 8)) < 0.3] = np.nan
    many = rank_ic_many(factors, fwd, min_names=5)
    for k in range(2):
        np.testing.assert_allclose(
            many[k], information_coefficient(factors[k], fwd[None], min_names=5)[0], rtol=1e-12, atol=1e-15
        )
    assert np.isnan(many[0]).any() and np.isfinite(many[0]).any()
