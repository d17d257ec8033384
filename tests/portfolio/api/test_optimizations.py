"""The optimization API: answers equal PyPortfolioOpt and the kernels on the same stored closes,
infeasible problems are 422 naming their conflict, bad input a 400 on its field, someone else's
portfolio 403, every run stored and re-runnable to the same result, large requests a job."""

import json

import numpy as np
import pytest
from pypfopt import EfficientFrontier, expected_returns, risk_models

from apps.platform.models import Job, JobState
from apps.portfolio.kernels.optimization import Constraints, efficient_frontier, estimate, min_cvar
from apps.portfolio.models import Optimization
from apps.portfolio.tasks.optimize import optimize
from tests.portfolio.conftest import MARKET

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning"),
]
URL = "/api/portfolio/optimize/alice_001"
ATOL = 1e-4
TIGHT = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}
SECTORS = {
    "AAPL": "Technology",
    "MSFT": "Technology",
    "JPM": "Financials",
    "XOM": "Energy",
    "SPY": "unclassified",
}


def _body(method="min_variance", **extra):
    return {"method": method, "universe": list(MARKET), "estimator": {"covariance": "sample"}, **extra}


def _weights(doc):
    return np.array([doc["weights"][s] for s in MARKET])


def _reference(market, *, upper=1.0, caps=None):
    mu = expected_returns.mean_historical_return(market, compounding=False)
    cov = risk_models.sample_cov(market)
    ef = EfficientFrontier(mu, cov, weight_bounds=(0, upper), solver="CLARABEL", solver_options=TIGHT)
    if caps:
        ef.add_sector_constraints(SECTORS, {}, caps)
    return ef


def test_min_variance_with_bounds_and_a_sector_cap_equals_pypfopt(api_client, portfolio, market):
    constraints = {"max_weight": 0.45, "sector_caps": {"Technology": 0.3}}
    resp = api_client.post(URL, _body(constraints=constraints), format="json")
    assert resp.status_code == 200, resp.content
    doc = resp.json()
    ef = _reference(market, upper=0.45, caps={"Technology": 0.3})
    ref = ef.min_volatility()
    np.testing.assert_allclose(_weights(doc), [ref[s] for s in MARKET], atol=ATOL)
    _, vol, _ = ef.portfolio_performance()
    assert doc["volatility"] == pytest.approx(vol, rel=1e-4)
    assert sum(doc["risk_contributions"].values()) == pytest.approx(doc["volatility"], rel=1e-9)
    assert doc["status"] == "optimal" and doc["solver"] and doc["attempts"]
    assert doc["inputs"]["returns"] == len(market) - 1 and doc["inputs"]["dropped_assets"] == []
    assert any("missing data policy drop_dates" in n for n in doc["notes"])
    stored = Optimization.objects.get(pk=doc["id"])
    assert stored.weights == doc["weights"] and stored.created_by.username == "alice"
    assert api_client.get(f"/api/portfolio/optimizations/{doc['id']}").json() == doc


def test_max_sharpe_equals_pypfopt(api_client, portfolio, market):
    resp = api_client.post(URL, _body("max_sharpe", risk_free_rate=0.01), format="json")
    assert resp.status_code == 200, resp.content
    ef = _reference(market)
    ref = ef.max_sharpe(risk_free_rate=0.01)
    np.testing.assert_allclose(_weights(resp.json()), [ref[s] for s in MARKET], atol=ATOL)
    assert resp.json()["sharpe"] == pytest.approx(ef.portfolio_performance(risk_free_rate=0.01)[2], rel=1e-4)


def test_min_cvar_equals_the_kernel_on_the_same_returns(api_client, portfolio, market):
    resp = api_client.post(URL, _body("min_cvar", params={"beta": 0.9}), format="json")
    assert resp.status_code == 200, resp.content
    returns = market.pct_change().iloc[1:].to_numpy()
    est = estimate(returns, covariance="sample")
    direct = min_cvar(returns, Constraints(names=list(MARKET)), beta=0.9, cov=est.cov, mu=est.mu)
    np.testing.assert_allclose(_weights(resp.json()), direct.weights, atol=1e-8)


def test_an_infeasible_problem_is_422_naming_the_conflict_and_a_relaxation(api_client, portfolio, market):
    constraints = {"max_weight": 0.15}  # five names at most 15 % each cannot sum to 1
    resp = api_client.post(URL, _body(constraints=constraints), format="json")
    assert resp.status_code == 422, resp.content
    report = resp.json()["infeasibility"]
    assert "sum of weights = 1" in report["conflict"]
    assert {f"max weight {s} <= 0.15" for s in MARKET} <= set(report["conflict"])
    assert report["relaxations"] and report["proven"]
    # a 5-point total shortfall: the relaxation moves the stated limits by 0.25 in all
    assert sum(r["slack"] for r in report["relaxations"]) == pytest.approx(0.25, abs=1e-5)
    assert Optimization.objects.get(pk=resp.json()["id"]).status == "infeasible"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"method": "best"}, "method"),
        ({"estimator": {"covariance": "magic"}}, "estimator"),
        ({"constraints": {"max_weight": "lots"}}, "constraints"),
        ({"constraints": {"max_names": 0}}, "constraints"),
        ({"method": "efficient_return"}, "params"),
        ({"window": {"start": "2024-06-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"}}, "window"),
        ({"universe": ["AAPL", "NOPE"]}, "universe"),
        ({"constraints": {"sector_caps": {"Utilities": 0.1}}}, "constraints.sector_caps"),
        ({"constraints": {"max_weight": {"TSLA": 0.1}}}, "constraints.max_weight"),
    ],
)
def test_bad_input_is_a_400_on_its_field(api_client, portfolio, market, change, field):
    resp = api_client.post(URL, {**_body(), **change}, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json(), resp.json()
    assert not Optimization.objects.exists()


def test_a_portfolio_you_may_not_see_is_403_and_an_unknown_one_404(
    api_client, other_client, portfolio, market
):
    assert other_client.post(URL, _body(), format="json").status_code == 403
    assert api_client.post("/api/portfolio/optimize/nope", _body(), format="json").status_code == 404
    doc = api_client.post(URL, _body(), format="json").json()
    for suffix in ("", "/frontier"):
        assert other_client.get(f"/api/portfolio/optimizations/{doc['id']}{suffix}").status_code == 403
    assert other_client.post(f"/api/portfolio/optimizations/{doc['id']}/rerun").status_code == 403
    assert api_client.get("/api/portfolio/optimizations/999999").status_code == 404


def test_the_portfolio_may_be_named_by_id(api_client, portfolio, market):
    resp = api_client.post(f"/api/portfolio/optimize/{portfolio.pk}", _body(), format="json")
    assert resp.status_code == 200 and resp.json()["portfolio"] == "alice_001"


def test_a_rerun_equals_the_stored_result_even_after_later_bars(api_client, portfolio, market):
    first = api_client.post(
        URL, _body("max_sharpe", constraints={"max_weight": 0.4}, window={"lookback": 200}), format="json"
    ).json()
    later = market.iloc[-1:] * 1.5  # a new bar after the stored window must not change the re-run
    later.index = later.index + np.timedelta64(3, "D")
    from tests.portfolio.conftest import store_closes

    store_closes(later)
    resp = api_client.post(f"/api/portfolio/optimizations/{first['id']}/rerun")
    assert resp.status_code == 201, resp.content
    again = resp.json()
    assert again["id"] != first["id"] and again["rerun_of"] == first["id"]
    assert again["inputs_fingerprint"] == first["inputs_fingerprint"]
    assert again["inputs"]["returns"] == 200
    np.testing.assert_allclose(_weights(again), _weights(first), atol=1e-9)
    assert again["expected_return"] == pytest.approx(first["expected_return"], rel=1e-9)


def test_the_frontier_is_computed_once_and_equals_the_kernel(api_client, portfolio, market):
    doc = api_client.post(URL, _body(constraints={"max_weight": 0.5}), format="json").json()
    resp = api_client.get(f"/api/portfolio/optimizations/{doc['id']}/frontier?points=6")
    assert resp.status_code == 200, resp.content
    points = resp.json()["points"]
    returns = market.pct_change().iloc[1:].to_numpy()
    est = estimate(returns, covariance="sample")
    direct = efficient_frontier(est.mu, est.cov, Constraints(upper=0.5, names=list(MARKET)), points=6)
    np.testing.assert_allclose([p["volatility"] for p in points], direct.volatilities, rtol=1e-6)
    np.testing.assert_allclose([[p["weights"][s] for s in MARKET] for p in points], direct.weights, atol=1e-6)
    # one OSQP object along the curve: the answer says how many points it started warm
    assert resp.json()["warm_started_points"] == direct.warm_started_points > 0
    assert Optimization.objects.get(pk=doc["id"]).frontier["points"] == points
    assert api_client.get(f"/api/portfolio/optimizations/{doc['id']}/frontier?points=1").status_code == 400


def test_method_frontier_stores_its_curve_and_answers_its_best_sharpe_point(api_client, portfolio, market):
    doc = api_client.post(URL, _body("frontier", params={"points": 5}), format="json").json()
    stored = Optimization.objects.get(pk=doc["id"]).frontier["points"]
    best = max(stored, key=lambda p: p["sharpe"])
    assert len(stored) == 5 and doc["weights"] == best["weights"]


def test_a_large_request_is_a_job_on_the_portfolio_queue(api_client, portfolio, market, settings):
    settings.PORTFOLIO_OPTIMIZE_SYNC_MAX_ASSETS = 3
    settings.JOB_SYNC_WAIT_SECONDS = 0
    resp = api_client.post(URL, _body(), format="json")
    assert resp.status_code == 202, resp.content
    job = Job.objects.get()
    assert job.engine == "portfolio" and job.name == "apps.portfolio.tasks.optimize.optimize"
    result = optimize(str(job.pk), json.loads(json.dumps(job.params)))  # as a worker receives them
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED and job.result == json.loads(json.dumps(result))
    direct = api_client.post(URL + "?async=false", _body(), format="json")
    assert direct.status_code == 202  # still large: a job again
    settings.PORTFOLIO_OPTIMIZE_SYNC_MAX_ASSETS = 10
    np.testing.assert_allclose(
        _weights(result), _weights(api_client.post(URL, _body(), format="json").json()), atol=1e-9
    )
    assert api_client.post(URL + "?async=true", _body(), format="json").status_code == 202
