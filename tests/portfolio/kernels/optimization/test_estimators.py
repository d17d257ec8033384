"""Expected returns, covariances and the missing-data policy against PyPortfolioOpt, scikit-learn,
statsmodels, numpy and hand-made cases, on skfolio's S&P 500 sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from pypfopt import expected_returns as pexp
from pypfopt import risk_models
from sklearn.covariance import OAS, LedoitWolf

from apps.portfolio.kernels.optimization import clean_returns, estimate, returns_from_prices
from apps.portfolio.kernels.optimization.covariance import (
    ewma_covariance,
    factor_covariance,
    ledoit_wolf_covariance,
    oas_covariance,
    pca_covariance,
    repair_psd,
    sample_covariance,
)
from apps.portfolio.kernels.optimization.estimators import capm_return, ewma_return, mean_return
from tests.portfolio.kernels.optimization.conftest import _quiet

RTOL = 1e-10


@pytest.fixture(scope="module")
def factor_returns(sp500_prices) -> np.ndarray:
    from skfolio.datasets import load_factors_dataset

    prices = load_factors_dataset().reindex(sp500_prices.index)
    return returns_from_prices(prices.to_numpy())


def test_returns_from_prices_is_pct_change_without_filling(sp500_prices):
    prices = sp500_prices.iloc[:30].copy()
    prices.iloc[5, 2] = np.nan
    ours = returns_from_prices(prices.to_numpy())
    theirs = pexp.returns_from_prices(prices).to_numpy()
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, equal_nan=True)
    assert np.isnan(ours[4, 2]) and np.isnan(ours[5, 2])  # both returns touching the gap


@pytest.mark.parametrize("compounding", [False, True])
@pytest.mark.parametrize("frequency", [252, 12])
def test_mean_return_equals_pypfopt(sp500, compounding, frequency):
    theirs = pexp.mean_historical_return(
        sp500.frame, returns_data=True, compounding=compounding, frequency=frequency
    )
    ours = mean_return(sp500.returns, frequency=frequency, compounding=compounding)
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=RTOL)


@pytest.mark.parametrize("compounding", [False, True])
def test_ewma_return_equals_pypfopt(sp500, compounding):
    theirs = pexp.ema_historical_return(sp500.frame, returns_data=True, compounding=compounding, span=60)
    ours = ewma_return(sp500.returns, span=60, compounding=compounding)
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=RTOL)
    # recent returns weigh more: it is not the plain mean
    assert np.abs(ours - mean_return(sp500.returns, compounding=compounding)).max() > 0.05


@pytest.mark.parametrize("compounding", [False, True])
def test_capm_return_equals_pypfopt_against_the_sp500_index(sp500, sp500_index, compounding):
    market = pd.DataFrame({"mkt": sp500_index}, index=sp500.frame.index)
    theirs = _quiet(
        pexp.capm_return,
        sp500.frame,
        market_prices=market,
        returns_data=True,
        risk_free_rate=0.02,
        compounding=compounding,
    )
    ours = capm_return(sp500.returns, sp500_index, risk_free_rate=0.02, compounding=compounding)
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=RTOL)


def test_capm_return_without_a_market_uses_the_equal_weighted_mean(sp500):
    theirs = _quiet(pexp.capm_return, sp500.frame.copy(), returns_data=True, compounding=False)
    np.testing.assert_allclose(capm_return(sp500.returns), theirs.to_numpy(), rtol=RTOL)


def test_sample_and_ewma_covariance_equal_pypfopt(sp500):
    theirs = risk_models.sample_cov(sp500.frame, returns_data=True)
    np.testing.assert_allclose(sample_covariance(sp500.returns), theirs.to_numpy(), rtol=RTOL)
    theirs = risk_models.exp_cov(sp500.frame, returns_data=True, span=90)
    np.testing.assert_allclose(ewma_covariance(sp500.returns, span=90), theirs.to_numpy(), rtol=1e-9)


def test_shrinkage_covariances_equal_sklearn_and_pypfopt(sp500):
    lw, lw_shrink = ledoit_wolf_covariance(sp500.returns)
    fitted = LedoitWolf().fit(sp500.returns)
    np.testing.assert_allclose(lw, fitted.covariance_ * 252, rtol=RTOL)
    assert lw_shrink == pytest.approx(fitted.shrinkage_, rel=RTOL)
    pypf = risk_models.CovarianceShrinkage(sp500.frame, returns_data=True)
    np.testing.assert_allclose(lw, pypf.ledoit_wolf().to_numpy(), rtol=RTOL)
    oas, oas_shrink = oas_covariance(sp500.returns)
    fitted = OAS().fit(sp500.returns)
    np.testing.assert_allclose(oas, fitted.covariance_ * 252, rtol=RTOL)
    assert oas_shrink == pytest.approx(fitted.shrinkage_, rel=RTOL)
    np.testing.assert_allclose(oas, pypf.oracle_approximating().to_numpy(), rtol=RTOL)
    assert 0 < lw_shrink < 1 and 0 < oas_shrink < 1


def test_factor_covariance_with_regressed_exposures_equals_statsmodels_ols(sp500, factor_returns):
    ours = factor_covariance(sp500.returns, factor_returns, frequency=1)
    design = sm.add_constant(factor_returns)
    fits = [sm.OLS(sp500.returns[:, i], design).fit() for i in range(sp500.returns.shape[1])]
    b = np.array([fit.params[1:] for fit in fits])
    specific = np.array([fit.mse_resid for fit in fits])
    expected = b @ np.cov(factor_returns, rowvar=False) @ b.T + np.diag(specific)
    np.testing.assert_allclose(ours, expected, rtol=1e-9)
    # five factor ETFs explain most of these large caps' covariance, not their variance alone
    sample = np.cov(sp500.returns, rowvar=False)
    off = ~np.eye(len(sample), dtype=bool)
    assert np.corrcoef(ours[off], sample[off])[0, 1] > 0.9


def test_factor_covariance_with_given_exposures_is_b_f_b_plus_residual_variance():
    rng = np.random.default_rng(3)
    f = rng.normal(0, 0.01, (300, 2))
    b = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 2.0]])
    eps = rng.normal(0, 0.002, (300, 3))
    r = f @ b.T + eps
    ours = factor_covariance(r, f, exposures=b, frequency=252)
    expected = (b @ np.cov(f, rowvar=False) @ b.T + np.diag(eps.var(axis=0, ddof=1))) * 252
    np.testing.assert_allclose(ours, expected, rtol=1e-12)


def test_pca_covariance_keeps_the_top_eigenpairs_and_the_sample_variances(sp500):
    ours = pca_covariance(sp500.returns, n_factors=3, frequency=1)
    sample = np.cov(sp500.returns, rowvar=False)
    vals, vecs = np.linalg.eigh(sample)
    top = (vecs[:, -3:] * vals[-3:]) @ vecs[:, -3:].T
    np.testing.assert_allclose(np.diag(ours), np.diag(sample), rtol=1e-9)
    off = ~np.eye(len(sample), dtype=bool)
    np.testing.assert_allclose(ours[off], top[off], rtol=1e-8, atol=1e-14)


def _gappy(sp500):
    r = sp500.returns[:60].copy()
    r[0, :] = np.nan  # an empty date (the first return of a price series)
    r[5, 3] = np.nan
    r[9, 3] = np.nan
    r[20, 7] = np.nan
    return r


def test_missing_policies_say_what_they_dropped_or_filled(sp500):
    r = _gappy(sp500)
    dates = clean_returns(r, policy="drop_dates")
    assert dates.returns.shape == (56, 20)
    assert dates.report.dropped_dates.tolist() == [0, 5, 9, 20]
    assert dates.report.missing_cells == 3 and dates.report.dropped_assets.size == 0
    assets = clean_returns(r, policy="drop_assets")
    assert assets.returns.shape == (59, 18) and assets.report.dropped_assets.tolist() == [3, 7]
    assert assets.report.dropped_dates.tolist() == [0]
    filled = clean_returns(r, policy="fill_zero")
    assert filled.report.filled_cells == 3 and filled.returns[4, 3] == 0.0
    pairwise = clean_returns(r, policy="pairwise")
    assert pairwise.report.observations[3] == 57 and pairwise.report.observations[0] == 59
    assert "2 dates dropped" not in dates.report.describe() and "4 dates dropped" in dates.report.describe()


def test_pairwise_statistics_match_pandas_and_the_pypfopt_means(sp500):
    r = _gappy(sp500)[1:]
    frame = pd.DataFrame(r)
    np.testing.assert_allclose(sample_covariance(r, frequency=1), frame.cov().to_numpy(), rtol=RTOL)
    theirs = _quiet(pexp.mean_historical_return, frame, returns_data=True, compounding=True)
    np.testing.assert_allclose(mean_return(r, compounding=True), theirs.to_numpy(), rtol=RTOL)
    est = estimate(_gappy(sp500), covariance="sample", policy="pairwise")
    np.testing.assert_allclose(est.mu, frame.mean().to_numpy() * 252, rtol=RTOL)


def test_estimate_follows_the_policy_and_reports_it(sp500):
    est = estimate(_gappy(sp500), expected="mean", covariance="oas", policy="drop_assets")
    assert est.assets.tolist() == [i for i in range(20) if i not in (3, 7)]
    kept = sp500.returns[1:60][:, est.assets]
    np.testing.assert_allclose(est.cov, OAS().fit(kept).covariance_ * 252, rtol=RTOL)
    assert est.notes[0].startswith("missing data policy drop_assets: 3 missing returns")
    assert any("oas shrinkage" in n for n in est.notes)


def test_estimators_that_need_complete_data_refuse_gaps(sp500):
    with pytest.raises(ValueError, match="complete returns"):
        estimate(_gappy(sp500), covariance="ledoit_wolf", policy="pairwise")
    with pytest.raises(ValueError, match="fewer than 2 returns"):
        clean_returns(np.array([[0.01, np.nan], [0.02, np.nan], [0.0, 0.01]]), policy="pairwise")
    with pytest.raises(ValueError, match="unknown missing-data policy"):
        clean_returns(sp500.returns, policy="interpolate")


def test_an_indefinite_pairwise_covariance_is_repaired_and_said_so():
    # A and B move together, B and C together, A and C opposite, each pair on its own dates:
    # correlations +1, +1, -1 cannot all hold, so the pairwise matrix is indefinite
    r = np.full((12, 3), np.nan)
    x = np.array([1.0, -1.0, 2.0, -2.0])
    r[0:4, 0] = r[0:4, 1] = x
    r[4:8, 1] = r[4:8, 2] = x
    r[8:12, 0], r[8:12, 2] = x, -x
    raw = pd.DataFrame(r).cov().to_numpy()
    assert np.linalg.eigvalsh(raw).min() < -1e-6
    est = estimate(r, covariance="sample", policy="pairwise", frequency=1)
    assert np.linalg.eigvalsh(est.cov).min() >= -1e-12
    assert any("not positive semidefinite" in n for n in est.notes)
    theirs = _quiet(risk_models.fix_nonpositive_semidefinite, pd.DataFrame(raw))
    np.testing.assert_allclose(est.cov, theirs.to_numpy(), atol=1e-12)
    assert repair_psd(np.eye(3))[1] is False
