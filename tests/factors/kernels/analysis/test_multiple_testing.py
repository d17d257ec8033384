"""Benjamini-Hochberg against statsmodels; the deflated Sharpe ratio worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests

from apps.factors.kernels.analysis import (
    benjamini_hochberg,
    deflated_best_mean,
    deflated_sharpe_ratio,
    expected_max_sharpe,
    probabilistic_sharpe_ratio,
)

EULER = 0.5772156649015329


def test_benjamini_hochberg_equals_statsmodels():
    rng = np.random.default_rng(3)
    p = np.concatenate([rng.uniform(0, 0.01, 8), rng.uniform(0, 1, 40)])
    expected = multipletests(p, method="fdr_bh")[1]
    np.testing.assert_allclose(benjamini_hochberg(p), expected, rtol=1e-12)


def test_benjamini_hochberg_skips_nan_and_hand_worked():
    p = np.array([0.01, np.nan, 0.04, 0.03, 0.2])
    out = benjamini_hochberg(p)
    # m = 4 present: sorted 0.01, 0.03, 0.04, 0.2 -> 0.04, 0.06, 0.0533, 0.2, then running min from the top
    np.testing.assert_allclose(out[[0, 2, 3, 4]], [0.04, 0.04 * 4 / 3, 0.04 * 4 / 3, 0.2])
    assert np.isnan(out[1])
    np.testing.assert_allclose(out[[0, 2, 3, 4]], multipletests(p[~np.isnan(p)], method="fdr_bh")[1])


def test_deflated_sharpe_hand_worked_paper_example():
    """Bailey & Lopez de Prado (2014), section 'A numerical example': 100 trials, annualized best
    SR 2.5 with annualized trial variance 0.5, 1250 daily returns, skew -3, kurtosis 10 -> DSR 0.9004."""
    n_trials, n_obs, skew, kurt = 100, 1250, -3.0, 10.0
    variance = 0.5 / 250  # annualized variance to daily
    sharpe = 2.5 / math.sqrt(250)
    # step 1: expected maximum Sharpe of 100 trials
    z_a = norm.ppf(1 - 1 / n_trials)
    z_b = norm.ppf(1 - 1 / (n_trials * math.e))
    sr0 = math.sqrt(variance) * ((1 - EULER) * z_a + EULER * z_b)
    assert sr0 == pytest.approx(0.1132, abs=5e-5)  # the paper's figure
    assert expected_max_sharpe(n_trials, variance) == pytest.approx(sr0, rel=1e-12)
    # step 2: PSR against it, with the non-normality correction
    denom = math.sqrt(1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2)
    z = (sharpe - sr0) * math.sqrt(n_obs - 1) / denom
    dsr = norm.cdf(z)
    assert dsr == pytest.approx(0.9004, abs=5e-5)  # the paper's figure
    ours = deflated_sharpe_ratio(
        sharpe, n_obs=n_obs, skew=skew, kurtosis=kurt, n_trials=n_trials, sharpe_variance=variance
    )
    assert ours == pytest.approx(dsr, rel=1e-12)


def test_probabilistic_sharpe_ratio_normal_case():
    # normal returns (skew 0, kurtosis 3): denominator sqrt(1 + SR^2 / 2)
    sr, t = 0.1, 101
    expected = norm.cdf(0.1 * 10 / math.sqrt(1 + 0.01 / 2))
    assert probabilistic_sharpe_ratio(sr, 0.0, n_obs=t, skew=0.0, kurtosis=3.0) == pytest.approx(expected)
    assert math.isnan(expected_max_sharpe(1, 0.01))


def test_deflated_best_mean_of_ic_series_step_by_step():
    rng = np.random.default_rng(11)
    ic = rng.normal(0.0, 0.1, (6, 200))
    ic[2] += 0.03  # one factor with a real mean IC
    ic[4, :10] = np.nan
    result = deflated_best_mean(ic)
    ratios = []
    for row in ic:
        v = row[~np.isnan(row)]
        ratios.append(v.mean() / v.std(ddof=1))
    best = int(np.argmax(ratios))
    assert result.best == best == 2
    v = ic[best][~np.isnan(ic[best])]
    centred = v - v.mean()
    skew = (centred**3).mean() / (centred**2).mean() ** 1.5
    kurt = (centred**4).mean() / (centred**2).mean() ** 2
    variance = np.var(ratios, ddof=1)
    sr0 = math.sqrt(variance) * ((1 - EULER) * norm.ppf(1 - 1 / 6) + EULER * norm.ppf(1 - 1 / (6 * math.e)))
    sr = ratios[best]
    z = (sr - sr0) * math.sqrt(v.size - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2)
    assert result.ratio == pytest.approx(sr, rel=1e-12)
    assert result.benchmark == pytest.approx(sr0, rel=1e-12)
    assert result.deflated == pytest.approx(norm.cdf(z), rel=1e-10)
    assert result.p_value == pytest.approx(1 - norm.cdf(z), rel=1e-8)
    # deflation costs significance: the undeflated PSR against 0 is higher
    assert (
        norm.cdf(sr * math.sqrt(v.size - 1) / math.sqrt(1 - skew * sr + (kurt - 1) / 4 * sr**2))
        > result.deflated
    )
