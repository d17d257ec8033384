"""Risk parity and risk budgeting against skfolio's RiskBudgeting and the defining property
(each asset's share of the volatility equals its budget)."""

from __future__ import annotations

import numpy as np
import pytest
from skfolio import RiskMeasure
from skfolio.optimization import RiskBudgeting

from apps.portfolio.kernels.optimization import Constraints, risk_parity
from tests.portfolio.kernels.optimization.checks import assert_holds

ATOL = 1e-4
TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10}


def _skfolio(returns, **kwargs) -> np.ndarray:
    model = RiskBudgeting(risk_measure=RiskMeasure.VARIANCE, solver_params=TIGHT, **kwargs)
    return model.fit(returns).weights_


def test_equal_risk_contribution_equals_skfolio(sp500):
    cov = np.cov(sp500.returns, rowvar=False)
    result = risk_parity(cov)
    w = assert_holds(result, Constraints())
    np.testing.assert_allclose(w, _skfolio(sp500.returns), atol=ATOL)
    np.testing.assert_allclose(result.risk_contributions / result.volatility, 1 / 20, atol=1e-5)
    assert w.min() > 0.01 and result.method == "risk_parity"


def test_risk_budgets_equal_skfolio_and_are_met(sp500):
    cov = np.cov(sp500.returns, rowvar=False)
    budgets = np.linspace(1.0, 3.0, 20)
    result = risk_parity(cov, budgets=budgets)
    np.testing.assert_allclose(
        assert_holds(result, Constraints()), _skfolio(sp500.returns, risk_budget=budgets), atol=ATOL
    )
    np.testing.assert_allclose(
        result.risk_contributions / result.volatility, budgets / budgets.sum(), atol=1e-5
    )


def test_constrained_risk_budgeting_equals_skfolio(sp500):
    cov = np.cov(sp500.returns, rowvar=False)
    c = Constraints(upper=0.06)
    result = risk_parity(cov, c)
    w = assert_holds(result, c)
    np.testing.assert_allclose(w, _skfolio(sp500.returns, max_weights=0.06), atol=ATOL)
    assert w.max() == pytest.approx(0.06, abs=1e-7)  # the cap binds, so contributions are no longer equal
    assert np.ptp(result.risk_contributions / result.volatility) > 1e-3


def test_risk_budgeting_refuses_what_it_cannot_do(sp500):
    with pytest.raises(ValueError, match="long-only"):
        risk_parity(sp500.cov, Constraints(long_only=False))
    with pytest.raises(ValueError, match="positive"):
        risk_parity(sp500.cov, budgets=np.r_[0.0, np.ones(19)])
    with pytest.raises(ValueError, match="transaction costs"):
        risk_parity(sp500.cov, Constraints(transaction_costs=0.001))
