"""Minimum variance, maximum Sharpe, efficient return/risk, quadratic utility and the frontier:
weights equal PyPortfolioOpt's on the same inputs and constraints (to 1e-4), and every constraint
holds in every result."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from pypfopt import EfficientFrontier, objective_functions

from apps.portfolio.kernels.optimization import (
    Constraints,
    efficient_frontier,
    efficient_return,
    efficient_risk,
    max_sharpe,
    max_utility,
    min_variance,
)
from tests.portfolio.kernels.optimization.checks import assert_holds

# the tight reference solves sometimes end "almost solved" (still well inside 1e-8)
pytestmark = pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning")

ATOL = 1e-4
RF = 0.02
# the reference solved as tightly as ours: at Clarabel's default 1e-8 an efficient-return weight can
# be 2e-4 off the optimum (checked against a 1e-12 solve)
TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}


def _pypfopt(market, bounds=(0, 1), sectors=None, caps=None, w0=None, cost=None, turnover=None, gross=None):
    ef = EfficientFrontier(
        market.mu, market.cov, weight_bounds=bounds, solver="CLARABEL", solver_options=TIGHT
    )
    if caps:
        lower = {k: v[0] for k, v in caps.items() if v[0] is not None}
        upper = {k: v[1] for k, v in caps.items() if v[1] is not None}
        ef.add_sector_constraints(dict(enumerate(sectors)), lower, upper)
    if cost:
        ef.add_objective(objective_functions.transaction_cost, w_prev=w0, k=cost)
    if turnover is not None:
        ef.add_constraint(lambda w: cp.norm(w - w0, 1) <= turnover)
    if gross is not None:
        ef.add_constraint(lambda w: cp.norm(w, 1) <= gross)
    return ef


def _w(weights) -> np.ndarray:
    return np.array(list(weights.values()))


def test_min_variance_equals_pypfopt(sp500):
    result = min_variance(sp500.cov, mu=sp500.mu, risk_free_rate=RF)
    w = assert_holds(result, Constraints())
    np.testing.assert_allclose(w, _w(_pypfopt(sp500).min_volatility()), atol=ATOL)
    # a plain QP: OSQP called directly, its polished answer certified (kernels/optimization/checks.py)
    assert result.solver == "OSQP" and result.status == "optimal"
    assert [(a.solver, a.status) for a in result.attempts] == [("OSQP", "optimal")]
    assert result.objective == pytest.approx(w @ sp500.cov @ w, rel=1e-12)
    assert result.volatility == pytest.approx(np.sqrt(w @ sp500.cov @ w))
    assert result.expected_return == pytest.approx(sp500.mu @ w)
    assert result.sharpe == pytest.approx((sp500.mu @ w - RF) / result.volatility)
    np.testing.assert_allclose(result.risk_contributions, w * (sp500.cov @ w) / result.volatility)


def test_max_sharpe_equals_pypfopt(sp500):
    result = max_sharpe(sp500.mu, sp500.cov, risk_free_rate=RF)
    w = assert_holds(result, Constraints())
    np.testing.assert_allclose(w, _w(_pypfopt(sp500).max_sharpe(risk_free_rate=RF)), atol=ATOL)
    # no feasible portfolio does better: the min-variance one, for instance
    assert result.sharpe > min_variance(sp500.cov, mu=sp500.mu, risk_free_rate=RF).sharpe


def test_efficient_risk_and_return_equal_pypfopt(sp500):
    risk = efficient_risk(sp500.mu, sp500.cov, 0.18)
    np.testing.assert_allclose(
        assert_holds(risk, Constraints()), _w(_pypfopt(sp500).efficient_risk(0.18)), atol=ATOL
    )
    assert risk.volatility == pytest.approx(0.18, abs=1e-7)
    ret = efficient_return(sp500.mu, sp500.cov, 0.35)
    np.testing.assert_allclose(
        assert_holds(ret, Constraints()), _w(_pypfopt(sp500).efficient_return(0.35)), atol=ATOL
    )
    assert ret.expected_return == pytest.approx(0.35, abs=1e-7)


def test_max_utility_equals_pypfopt(sp500):
    result = max_utility(sp500.mu, sp500.cov, 3.0)
    np.testing.assert_allclose(
        assert_holds(result, Constraints()), _w(_pypfopt(sp500).max_quadratic_utility(3.0)), atol=ATOL
    )


@pytest.fixture(scope="module")
def capped(sp500):
    caps = {"Tech": (None, 0.15), "Health": (0.25, 0.4), "Energy": (None, 0.1)}
    return Constraints(upper=0.15, sectors=sp500.sectors, sector_caps=caps, names=sp500.names), caps


def test_bounds_and_sector_caps_equal_pypfopt_for_each_method(sp500, capped):
    c, caps = capped
    ref = dict(bounds=(0, 0.15), sectors=sp500.sectors, caps=caps)
    cases = [
        (min_variance(sp500.cov, c), _pypfopt(sp500, **ref).min_volatility()),
        (max_sharpe(sp500.mu, sp500.cov, c, risk_free_rate=RF), _pypfopt(sp500, **ref).max_sharpe(RF)),
        (efficient_risk(sp500.mu, sp500.cov, 0.16, c), _pypfopt(sp500, **ref).efficient_risk(0.16)),
        (efficient_return(sp500.mu, sp500.cov, 0.2, c), _pypfopt(sp500, **ref).efficient_return(0.2)),
    ]
    for result, theirs in cases:
        w = assert_holds(result, c)
        np.testing.assert_allclose(w, _w(theirs), atol=ATOL, err_msg=result.method)
    # the caps bind somewhere, so the test says something
    unconstrained = min_variance(sp500.cov).weights
    assert unconstrained.max() > 0.15 + 1e-3


def test_industry_caps_beside_sector_caps_equal_pypfopt(sp500):
    industries = np.array([f"I{i // 3}" for i in range(20)])  # 7 industries of 3 (the last of 2)
    sector_caps = {"Health": (None, 0.2)}
    industry_caps = {"I1": (None, 0.05), "I3": (0.2, 0.3), "I6": (None, 0.08)}
    c = Constraints(
        sectors=sp500.sectors, sector_caps=sector_caps, industries=industries, industry_caps=industry_caps
    )
    result = min_variance(sp500.cov, c)
    ef = _pypfopt(sp500, sectors=sp500.sectors, caps=sector_caps)
    ef.add_sector_constraints(
        dict(enumerate(industries)), {"I3": 0.2}, {k: v[1] for k, v in industry_caps.items()}
    )
    np.testing.assert_allclose(assert_holds(result, c), _w(ef.min_volatility()), atol=ATOL)
    assert result.weights[3:6].sum() == pytest.approx(0.05, abs=1e-7)  # I1 binds


def test_turnover_and_transaction_costs_equal_pypfopt(sp500):
    w0 = np.full(20, 0.05)
    c = Constraints(current_weights=w0, max_turnover=0.3, transaction_costs=0.002)
    ref = dict(w0=w0, cost=0.002, turnover=0.3)
    result = min_variance(sp500.cov, c)
    np.testing.assert_allclose(
        assert_holds(result, c), _w(_pypfopt(sp500, **ref).min_volatility()), atol=ATOL
    )
    assert np.abs(result.weights - w0).sum() == pytest.approx(0.3, abs=1e-6)  # the turnover cap binds
    result = efficient_risk(sp500.mu, sp500.cov, 0.2, c)
    np.testing.assert_allclose(
        assert_holds(result, c), _w(_pypfopt(sp500, **ref).efficient_risk(0.2)), atol=ATOL
    )
    # costs alone (no cap) still pull the portfolio towards the current one
    free = min_variance(sp500.cov)
    costly = min_variance(sp500.cov, Constraints(current_weights=w0, transaction_costs=0.01))
    assert np.abs(costly.weights - w0).sum() < np.abs(free.weights - w0).sum() - 0.05


def test_long_short_with_gross_leverage_equals_pypfopt(sp500):
    c = Constraints(long_only=False, lower=-0.3, upper=0.5, gross_leverage=1.6)
    ref = dict(bounds=(-0.3, 0.5), gross=1.6)
    result = efficient_risk(sp500.mu, sp500.cov, 0.2, c)
    w = assert_holds(result, c)
    np.testing.assert_allclose(w, _w(_pypfopt(sp500, **ref).efficient_risk(0.2)), atol=ATOL)
    assert w.min() < -0.01 and np.abs(w).sum() == pytest.approx(1.6, abs=1e-6)
    result = min_variance(sp500.cov, c)
    np.testing.assert_allclose(
        assert_holds(result, c), _w(_pypfopt(sp500, **ref).min_volatility()), atol=ATOL
    )


def test_market_neutral_utility_equals_pypfopt(sp500):
    c = Constraints(long_only=False, net_exposure=(0.0, 0.0), lower=-0.2, upper=0.2)
    result = max_utility(sp500.mu, sp500.cov, 5.0, c)
    theirs = _pypfopt(sp500, bounds=(-0.2, 0.2)).max_quadratic_utility(5.0, market_neutral=True)
    w = assert_holds(result, c)
    np.testing.assert_allclose(w, _w(theirs), atol=ATOL)
    assert abs(w.sum()) < 1e-7 and np.abs(w).sum() > 0.5


def test_frontier_points_are_efficient_portfolios(sp500):
    frontier = efficient_frontier(sp500.mu, sp500.cov, points=6, risk_free_rate=RF)
    low = min_variance(sp500.cov, mu=sp500.mu)
    assert frontier.target_returns[0] == pytest.approx(low.expected_return)
    assert frontier.target_returns[-1] == pytest.approx(sp500.mu.max(), abs=1e-6)  # all in the best asset
    assert np.all(np.diff(frontier.volatilities) > 0) and np.all(np.diff(frontier.returns) > 0)
    # the target binds everywhere but at the min-variance end, where it is already met
    assert np.all(frontier.returns >= frontier.target_returns - 1e-8)
    np.testing.assert_allclose(frontier.returns[1:], frontier.target_returns[1:], atol=1e-6)
    for k in (1, 3):
        theirs = _pypfopt(sp500).efficient_return(float(frontier.target_returns[k]))
        np.testing.assert_allclose(frontier.weights[k], _w(theirs), atol=ATOL)
    for point in frontier.points:
        assert_holds(point, Constraints())
    assert frontier.weights.shape == (6, 20) and frontier.setup_seconds > 0
