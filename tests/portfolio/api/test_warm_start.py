"""Warm starts across runs: the next optimization of a portfolio over the same assets (a re-run, or
a new run as the book is rebalanced) starts OSQP from the last stored weights; the answer equals a
cold solve, and the stored attempts and notes say the warm start was used."""

import numpy as np
import pytest

from apps.portfolio.kernels.optimization import Constraints, estimate, min_variance
from apps.portfolio.selectors.optimizations import last_weights
from tests.portfolio.conftest import MARKET

pytestmark = pytest.mark.django_db
URL = "/api/portfolio/optimize/alice_001"
BODY = {
    "method": "min_variance",
    "universe": list(MARKET),
    "estimator": {"covariance": "sample"},
    "constraints": {"max_weight": 0.4},
}


def _weights(doc):
    return np.array([doc["weights"][s] for s in MARKET])


def test_a_rerun_starts_from_the_stored_weights_and_equals_a_cold_solve(api_client, portfolio, market):
    first = api_client.post(URL, BODY, format="json").json()
    assert first["attempts"] == [
        {
            "solver": "OSQP",
            "status": "optimal",
            "seconds": first["attempts"][0]["seconds"],
            "error": None,
            "warm_start": False,
        }
    ]
    resp = api_client.post(f"/api/portfolio/optimizations/{first['id']}/rerun")
    assert resp.status_code == 201, resp.content
    again = resp.json()
    assert [(a["solver"], a["warm_start"]) for a in again["attempts"]] == [("OSQP", True)]
    assert f"warm start: the solver began at optimization {first['id']}'s weights" in again["notes"]
    np.testing.assert_allclose(_weights(again), _weights(first), atol=1e-6)
    # and both equal the kernel solved cold on the same returns
    est = estimate(market.pct_change().iloc[1:].to_numpy(), covariance="sample")
    cold = min_variance(est.cov, Constraints(upper=0.4))
    assert not cold.attempts[0].warm_start
    np.testing.assert_allclose(_weights(again), cold.weights, atol=1e-6)


def test_the_next_run_starts_from_the_last_run_over_the_same_assets(api_client, portfolio, market):
    first = api_client.post(URL, BODY, format="json").json()
    other = api_client.post(URL, {**BODY, "universe": list(MARKET)[:3]}, format="json").json()
    assert not other["attempts"][0]["warm_start"]  # other assets: nothing to start from
    # another method over the first run's assets (as a rebalancing run would be) starts from it
    body = {**BODY, "method": "efficient_return", "params": {"target_return": 0.0}}
    second = api_client.post(URL, body, format="json").json()
    assert second["attempts"][0]["warm_start"]
    assert f"warm start: the solver began at optimization {first['id']}'s weights" in second["notes"]
    stored = last_weights(portfolio.pk, list(MARKET))
    assert stored.optimization_id == second["id"]
    np.testing.assert_allclose(stored.weights, _weights(second))
    assert last_weights(portfolio.pk, ["AAPL", "NOPE"]) is None
