"""Hierarchical risk parity against PyPortfolioOpt's HRPOpt and a hand-worked case."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pypfopt import HRPOpt

from apps.portfolio.kernels.optimization import Constraints, hrp
from tests.portfolio.kernels.optimization.checks import assert_holds
from tests.portfolio.kernels.optimization.conftest import simulated_market


def _pypfopt(frame: pd.DataFrame, method: str = "single") -> np.ndarray:
    return pd.Series(HRPOpt(frame).optimize(method))[frame.columns].to_numpy()


@pytest.mark.parametrize("method", ["single", "average", "ward"])
def test_hrp_equals_pypfopt(sp500, method):
    result = hrp(np.cov(sp500.returns, rowvar=False), linkage_method=method)
    w = assert_holds(result, Constraints(), statuses=("closed_form",))
    np.testing.assert_allclose(w, _pypfopt(sp500.frame, method), atol=1e-12)
    assert result.solver is None


def test_hrp_equals_pypfopt_on_a_larger_sectored_market():
    market = simulated_market(120, 300, seed=5)
    np.testing.assert_allclose(
        hrp(np.cov(market.returns, rowvar=False)).weights, _pypfopt(market.frame), atol=1e-12
    )


def test_hrp_by_hand_on_two_independent_pairs():
    # pairs (0, 1) and (2, 3) correlated inside, independent across: the first split is between
    # the pairs, each weighted by the inverse variance of its own inverse-variance portfolio
    sd = np.array([0.1, 0.2, 0.3, 0.4])
    corr = np.array([[1, 0.5, 0, 0], [0.5, 1, 0, 0], [0, 0, 1, 0.5], [0, 0, 0.5, 1]])
    cov = corr * np.outer(sd, sd)

    def ivp_var(idx):
        v = 1 / np.diag(cov)[idx]
        v /= v.sum()
        return v @ cov[np.ix_(idx, idx)] @ v

    a, b = ivp_var([0, 1]), ivp_var([2, 3])
    alpha = 1 - a / (a + b)
    inner = lambda i, j: 1 - cov[i, i] / (cov[i, i] + cov[j, j])  # noqa: E731
    expected = [
        alpha * inner(0, 1),
        alpha * inner(1, 0),
        (1 - alpha) * inner(2, 3),
        (1 - alpha) * inner(3, 2),
    ]
    np.testing.assert_allclose(hrp(cov).weights, expected, rtol=1e-12)


def test_hrp_takes_no_other_constraints(sp500):
    with pytest.raises(ValueError, match="closed form"):
        hrp(sp500.cov, Constraints(upper=0.1))
