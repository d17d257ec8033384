"""Black-Litterman prior, posterior and weights against PyPortfolioOpt, and the limiting cases of
view confidence."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pypfopt import BlackLittermanModel, EfficientFrontier
from pypfopt.black_litterman import market_implied_prior_returns, market_implied_risk_aversion

from apps.portfolio.kernels.optimization import Constraints, black_litterman, posterior
from apps.portfolio.kernels.optimization.methods import implied_risk_aversion, market_implied_returns
from tests.portfolio.kernels.optimization.checks import assert_holds

RTOL = 1e-10
DELTA = 2.5


@pytest.fixture(scope="module")
def setup(sp500):
    cov = pd.DataFrame(sp500.cov, index=sp500.names, columns=sp500.names)
    caps = pd.Series(np.linspace(50.0, 1000.0, 20), index=sp500.names)
    picks = np.zeros((3, 20))
    picks[0, 0] = 1.0  # AAPL returns 10 %
    picks[1, 12], picks[1, 1] = 1.0, -1.0  # MSFT beats AMD by 3 %
    picks[2, [4, 19]] = 0.5  # the energy pair returns 2 %
    views = np.array([0.10, 0.03, 0.02])
    return cov, caps, picks, views


def _model(setup, **kwargs):
    cov, caps, picks, views = setup
    pi = market_implied_prior_returns(caps, DELTA, cov, risk_free_rate=0.01)
    return BlackLittermanModel(cov, pi=pi, P=picks, Q=views, risk_aversion=DELTA, **kwargs)


def test_prior_and_implied_risk_aversion_equal_pypfopt(setup, sp500_prices, sp500):
    cov, caps, _, _ = setup
    ours = market_implied_returns(sp500.cov, caps.to_numpy(), DELTA, 0.01)
    theirs = market_implied_prior_returns(caps, DELTA, cov, risk_free_rate=0.01)
    np.testing.assert_allclose(ours, theirs.to_numpy(), rtol=RTOL)
    prices = sp500_prices["AAPL"]
    expected = market_implied_risk_aversion(prices, risk_free_rate=0.01)
    ours = implied_risk_aversion(prices.pct_change().to_numpy(), risk_free_rate=0.01)
    assert ours == pytest.approx(expected, rel=RTOL)


@pytest.mark.parametrize("kind", ["he_litterman", "idzorek", "omega"])
def test_posterior_equals_pypfopt(setup, sp500, kind):
    cov, caps, picks, views = setup
    prior = market_implied_returns(sp500.cov, caps.to_numpy(), DELTA, 0.01)
    if kind == "he_litterman":
        ours, theirs = posterior(sp500.cov, prior, picks, views), _model(setup)
    elif kind == "idzorek":
        conf = [0.8, 0.4, 0.6]
        ours = posterior(sp500.cov, prior, picks, views, confidences=conf)
        theirs = _model(setup, omega="idzorek", view_confidences=conf)
    else:
        omega = np.diag([0.001, 0.0005, 0.002])
        ours, theirs = posterior(sp500.cov, prior, picks, views, omega=omega), _model(setup, omega=omega)
    np.testing.assert_allclose(ours.returns, theirs.bl_returns().to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(ours.cov, theirs.bl_cov().to_numpy(), rtol=RTOL)
    np.testing.assert_allclose(ours.omega, theirs.omega, rtol=RTOL)
    assert np.abs(ours.returns - prior).max() > 0.005  # the views move the returns


def test_full_confidence_makes_a_view_hold_and_none_drops_it(setup, sp500):
    _, caps, picks, views = setup
    prior = market_implied_returns(sp500.cov, caps.to_numpy(), DELTA)
    certain = posterior(sp500.cov, prior, picks, views, confidences=[1.0, 0.5, 0.5])
    assert picks[0] @ certain.returns == pytest.approx(views[0], abs=1e-12)
    without = posterior(sp500.cov, prior, picks[1:], views[1:], confidences=[0.5, 0.5])
    dropped = posterior(sp500.cov, prior, picks, views, confidences=[0.0, 0.5, 0.5])
    np.testing.assert_allclose(dropped.returns, without.returns, rtol=RTOL)
    assert dropped.views_used.tolist() == [1, 2]


def test_black_litterman_weights_equal_pypfopt_max_sharpe_on_the_posterior(setup, sp500):
    _, caps, picks, views = setup
    conf = [0.8, 0.4, 0.6]
    c = Constraints(upper=0.3)
    result = black_litterman(
        sp500.cov,
        caps.to_numpy(),
        picks,
        views,
        c,
        risk_aversion=DELTA,
        confidences=conf,
        risk_free_rate=0.01,
    )
    model = _model(setup, omega="idzorek", view_confidences=conf)
    ef = EfficientFrontier(model.bl_returns(), model.bl_cov(), weight_bounds=(0, 0.3), solver="CLARABEL")
    theirs = np.array(list(ef.max_sharpe(risk_free_rate=0.01).values()))
    np.testing.assert_allclose(assert_holds(result, c), theirs, atol=1e-4)
    assert result.method == "black_litterman" and "3 views" in result.notes[0]
    assert result.expected_return == pytest.approx(model.bl_returns().to_numpy() @ result.weights)
