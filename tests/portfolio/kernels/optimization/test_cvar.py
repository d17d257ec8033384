"""Minimum CVaR against skfolio's MeanRisk and the empirical CVaR of the scenarios."""

from __future__ import annotations

import math

import numpy as np
import pytest
from skfolio import RiskMeasure
from skfolio.optimization import MeanRisk, ObjectiveFunction

from apps.portfolio.kernels.optimization import Constraints, min_cvar
from tests.portfolio.kernels.optimization.checks import assert_holds

ATOL = 1e-4


def empirical_cvar(losses: np.ndarray, beta: float) -> float:
    """Rockafellar-Uryasev's function at its minimizer, the ceil((1 - beta) T)-th largest loss."""
    t = losses.size
    var = np.sort(losses)[::-1][math.ceil((1 - beta) * t) - 1]
    return var + np.maximum(losses - var, 0).sum() / ((1 - beta) * t)


def _skfolio(returns, beta, **kwargs) -> np.ndarray:
    model = MeanRisk(
        risk_measure=RiskMeasure.CVAR,
        objective_function=ObjectiveFunction.MINIMIZE_RISK,
        cvar_beta=beta,
        solver_params={"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10},
        **kwargs,
    )
    return model.fit(returns).weights_


@pytest.mark.parametrize("beta", [0.95, 0.9])
def test_min_cvar_equals_skfolio(sp500, beta):
    result = min_cvar(sp500.returns, beta=beta)
    w = assert_holds(result, Constraints())
    np.testing.assert_allclose(w, _skfolio(sp500.returns, beta), atol=ATOL)
    assert result.objective == pytest.approx(empirical_cvar(-sp500.returns @ w, beta), rel=1e-6)


def test_min_cvar_with_caps_equals_skfolio_and_beats_min_variance_on_cvar(sp500):
    c = Constraints(upper=0.1)
    result = min_cvar(sp500.returns, c, cov=sp500.cov)
    w = assert_holds(result, c)
    np.testing.assert_allclose(w, _skfolio(sp500.returns, 0.95, max_weights=0.1), atol=ATOL)
    assert result.volatility == pytest.approx(np.sqrt(w @ sp500.cov @ w))
    equal = np.full(20, 0.05)
    assert result.objective < empirical_cvar(-sp500.returns @ equal, 0.95)


def test_a_target_return_bounds_the_scenario_mean(sp500):
    result = min_cvar(sp500.returns, target_return=0.0015)
    w = assert_holds(result, Constraints())
    assert sp500.returns.mean(axis=0) @ w == pytest.approx(0.0015, abs=1e-9)
    assert result.objective > min_cvar(sp500.returns).objective
