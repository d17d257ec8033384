"""Black-Litterman and tracking-error optimization through the API: the posterior equals
PyPortfolioOpt's BlackLittermanModel on the same covariance and prior, the active portfolio equals an
independent cvxpy formulation and keeps its tracking-error cap, bad views and benchmarks are a 400
naming the field, and a re-run reproduces the stored answer."""

import cvxpy as cp
import numpy as np
import pandas as pd
import pytest
from pypfopt import BlackLittermanModel, EfficientFrontier, expected_returns, risk_models
from pypfopt.black_litterman import market_implied_prior_returns

from apps.portfolio.models import Optimization
from tests.portfolio.conftest import MARKET

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.filterwarnings("ignore:Solution may be inaccurate:UserWarning"),
]
URL = "/api/portfolio/optimize/alice_001"
ATOL = 1e-4
VIEWS = [
    {"asset": "AAPL", "return": 0.12, "confidence": 0.7},  # absolute
    {"long": "MSFT", "short": ["JPM", "XOM"], "return": 0.03, "confidence": 0.4},  # relative, a basket
]


def _body(method, params, **extra):
    return {
        "method": method,
        "universe": list(MARKET),
        "estimator": {"covariance": "sample"},
        "params": params,
        **extra,
    }


def _picks():
    p = np.zeros((2, 5))
    p[0, 0] = 1.0
    p[1, 1], p[1, 2], p[1, 3] = 1.0, -0.5, -0.5
    return p


def _model(market, *, market_weights, delta=2.5, rf=0.0, **kwargs):
    cov = risk_models.sample_cov(market)
    pi = market_implied_prior_returns(
        pd.Series(market_weights, index=list(MARKET)), delta, cov, risk_free_rate=rf
    )
    return BlackLittermanModel(
        cov, pi=pi, P=_picks(), Q=np.array([0.12, 0.03]), risk_aversion=delta, **kwargs
    )


def _by(doc_map):
    return np.array([doc_map[s] for s in MARKET])


@pytest.mark.parametrize("omega", ["idzorek", "he_litterman"])
def test_black_litterman_posterior_and_weights_equal_pypfopt(api_client, portfolio, market, omega):
    params = {"views": VIEWS, "omega": omega, "tau": 0.05, "risk_aversion": 2.5}
    resp = api_client.post(URL, _body("black_litterman", params, risk_free_rate=0.01), format="json")
    assert resp.status_code == 200, resp.content
    doc = resp.json()
    kwargs = {"omega": "idzorek", "view_confidences": [0.7, 0.4]} if omega == "idzorek" else {}
    model = _model(market, market_weights=np.full(5, 0.2), rf=0.01, tau=0.05, **kwargs)
    bl = doc["details"]["black_litterman"]
    np.testing.assert_allclose(_by(bl["prior"]), model.pi.ravel(), atol=ATOL)
    np.testing.assert_allclose(_by(bl["posterior"]), model.bl_returns().to_numpy(), atol=ATOL)
    assert "equal weights" in bl["prior_source"] and "no market capitalizations" in bl["prior_source"]
    assert [v["kind"] for v in bl["views"]] == ["absolute", "relative"]
    np.testing.assert_allclose([v["omega"] for v in bl["views"]], np.diag(model.omega), rtol=1e-6)
    ef = EfficientFrontier(model.bl_returns(), model.bl_cov(), weight_bounds=(0, 1), solver="CLARABEL")
    ref = ef.max_sharpe(risk_free_rate=0.01)
    np.testing.assert_allclose(_by(doc["weights"]), [ref[s] for s in MARKET], atol=ATOL)
    assert doc["method"] == "black_litterman" and doc["status"] == "optimal"
    # the stored run answers the same details
    assert api_client.get(f"/api/portfolio/optimizations/{doc['id']}").json()["details"] == doc["details"]


def test_black_litterman_prior_from_the_benchmark(api_client, portfolio, market):
    bench = {"weights": {"SPY": 3, "AAPL": 1}}  # normalized to 0.75 / 0.25
    params = {"views": VIEWS[:1], "prior": "benchmark", "benchmark": bench}
    resp = api_client.post(URL, _body("black_litterman", params), format="json")
    assert resp.status_code == 200, resp.content
    weights = np.array([0.25, 0, 0, 0, 0.75])
    cov = risk_models.sample_cov(market)
    pi = market_implied_prior_returns(pd.Series(weights, index=list(MARKET)), 2.5, cov)
    model = BlackLittermanModel(
        cov, pi=pi, P=_picks()[:1], Q=np.array([0.12]), omega="idzorek", view_confidences=[0.7]
    )
    bl = resp.json()["details"]["black_litterman"]
    np.testing.assert_allclose(_by(bl["prior_weights"]), weights, atol=1e-12)
    np.testing.assert_allclose(_by(bl["posterior"]), model.bl_returns().to_numpy(), atol=ATOL)
    assert "benchmark" in bl["prior_source"]


def _te_reference(market, benchmark, cap, upper):
    """max mu'(w - b) s.t. (w - b)' S (w - b) <= cap^2, 1'w = 1, 0 <= w <= upper (cvxpy, by hand)."""
    mu = expected_returns.mean_historical_return(market, compounding=False).to_numpy()
    cov = risk_models.sample_cov(market).to_numpy()
    w = cp.Variable(5)
    problem = cp.Problem(
        cp.Maximize(mu @ (w - benchmark)),
        [cp.quad_form(w - benchmark, cp.psd_wrap(cov)) <= cap**2, cp.sum(w) == 1, w >= 0, w <= upper],
    )
    problem.solve(solver="CLARABEL")
    return w.value, mu, cov


def test_tracking_error_equals_an_independent_cvxpy_problem_and_keeps_its_cap(api_client, portfolio, market):
    bench = np.array([0.2, 0.2, 0.2, 0.2, 0.2])
    params = {
        "tracking_error": 0.03,
        "benchmark": {"weights": dict(zip(MARKET, bench.tolist(), strict=True))},
    }
    resp = api_client.post(
        URL, _body("tracking_error", params, constraints={"max_weight": 0.4}), format="json"
    )
    assert resp.status_code == 200, resp.content
    doc = resp.json()
    ref, mu, cov = _te_reference(market, bench, 0.03, 0.4)
    w = _by(doc["weights"])
    np.testing.assert_allclose(w, ref, atol=ATOL)
    active = w - bench
    te = np.sqrt(active @ cov @ active)
    assert te <= 0.03 + 1e-6
    details = doc["details"]["tracking_error"]
    assert details["cap"] == 0.03
    assert details["achieved"] == pytest.approx(te, abs=1e-6)
    assert details["active_return"] == pytest.approx(mu @ active, abs=1e-6)
    assert details["active_return"] > 0 and w.max() <= 0.4 + 1e-7


def test_tracking_error_against_a_symbol_and_the_portfolios_benchmark(
    api_client, portfolio, market, instruments
):
    body = _body("tracking_error", {"tracking_error": 0.05, "benchmark": {"symbol": "spy"}})
    doc = api_client.post(URL, body, format="json").json()
    ref, _, _ = _te_reference(market, np.eye(5)[4], 0.05, 1.0)
    np.testing.assert_allclose(_by(doc["weights"]), ref, atol=ATOL)
    assert doc["details"]["benchmark"]["weights"]["SPY"] == 1.0
    # no benchmark given: the portfolio's own benchmark instrument, else a 400 naming the field
    resp = api_client.post(URL, _body("tracking_error", {"tracking_error": 0.05}), format="json")
    assert resp.status_code == 400 and "params.benchmark" in resp.json(), resp.content
    portfolio.benchmark = instruments["SPY"]
    portfolio.save()
    again = api_client.post(URL, _body("tracking_error", {"tracking_error": 0.05}), format="json").json()
    assert again["weights"] == pytest.approx(doc["weights"], abs=1e-8)
    assert "portfolio's benchmark SPY" in again["details"]["benchmark"]["source"]


def test_a_portfolio_benchmark_is_pinned_for_the_rerun(api_client, portfolio, market, user):
    from decimal import Decimal

    from apps.portfolio.services import portfolio_create, transaction_record

    bench = portfolio_create(code="alice_bench", name="B", owner=user, initial_cash=Decimal(100000))
    for symbol, qty in (("MSFT", 300), ("JPM", 200)):
        transaction_record(
            portfolio=bench, type="buy", instrument=symbol, quantity=Decimal(qty), price=Decimal(100)
        )
    body = _body("tracking_error", {"tracking_error": 0.04, "benchmark": {"portfolio": "alice_bench"}})
    first = api_client.post(URL, body, format="json").json()
    closes = market.iloc[-1]
    value = np.array([0, 300 * closes["MSFT"], 200 * closes["JPM"], 0, 0])
    np.testing.assert_allclose(_by(first["details"]["benchmark"]["weights"]), value / value.sum(), atol=1e-9)
    # the benchmark portfolio trades afterwards: the re-run still answers the stored result
    transaction_record(
        portfolio=bench, type="buy", instrument="XOM", quantity=Decimal(500), price=Decimal(100)
    )
    again = api_client.post(f"/api/portfolio/optimizations/{first['id']}/rerun").json()
    np.testing.assert_allclose(_by(again["weights"]), _by(first["weights"]), atol=1e-9)
    assert again["details"] == first["details"]


def test_a_black_litterman_rerun_equals_the_stored_result(api_client, portfolio, market):
    first = api_client.post(URL, _body("black_litterman", {"views": VIEWS}), format="json").json()
    resp = api_client.post(f"/api/portfolio/optimizations/{first['id']}/rerun")
    assert resp.status_code == 201, resp.content
    again = resp.json()
    assert again["rerun_of"] == first["id"] and again["details"] == first["details"]
    np.testing.assert_allclose(_by(again["weights"]), _by(first["weights"]), atol=1e-9)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"views": [{"asset": "TSLA", "return": 0.1, "confidence": 0.5}]}, "params.views[0].asset"),
        (
            {"views": [VIEWS[0], {"long": "MSFT", "short": "NOPE", "return": 0.1, "confidence": 1}]},
            "params.views[1].short",
        ),
        ({"views": [{"asset": "AAPL", "return": 0.1}]}, "params"),  # idzorek needs a confidence
        ({"views": [{"asset": "AAPL", "return": 0.1, "confidence": 1.5}]}, "params"),
        ({"views": [{"asset": "AAPL", "return": 99, "confidence": 0.5}]}, "params"),
        ({"views": [{"long": "AAPL", "return": 0.1, "confidence": 0.5}]}, "params"),
        ({"views": [{"long": "AAPL", "short": "AAPL", "return": 0.1, "confidence": 0.5}]}, "params"),
        ({"views": []}, "params"),
        ({"views": VIEWS, "tau": 0}, "params"),
        ({"views": VIEWS, "prior": "caps"}, "params"),
        ({"views": VIEWS, "prior": "benchmark", "benchmark": {"symbol": "TSLA"}}, "params.benchmark.symbol"),
    ],
)
def test_bad_views_are_a_400_naming_the_field(api_client, portfolio, market, params, field):
    resp = api_client.post(URL, _body("black_litterman", params), format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json(), resp.json()
    assert not Optimization.objects.exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"benchmark": {"symbol": "SPY"}}, "params"),  # no cap
        ({"tracking_error": 0, "benchmark": {"symbol": "SPY"}}, "params"),
        ({"tracking_error": 0.05, "benchmark": {"symbol": "SPY", "portfolio": "x"}}, "params"),
        ({"tracking_error": 0.05, "benchmark": {"weights": {"TSLA": 1}}}, "params.benchmark.weights"),
        ({"tracking_error": 0.05, "benchmark": {"weights": {"AAPL": 0}}}, "params.benchmark.weights"),
        ({"tracking_error": 0.05, "benchmark": {"weights": {"AAPL": 99}}}, "params"),
        ({"tracking_error": 0.05, "benchmark": {"portfolio": "mallory_001"}}, "params.benchmark.portfolio"),
        ({"tracking_error": 0.05, "benchmark": {"portfolio": "nope"}}, "params.benchmark.portfolio"),
    ],
)
def test_bad_benchmarks_are_a_400_naming_the_field(api_client, portfolio, mallorys, market, params, field):
    resp = api_client.post(URL, _body("tracking_error", params), format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json(), resp.json()
    assert not Optimization.objects.exists()


@pytest.mark.parametrize(
    ("method", "params"),
    [
        ("black_litterman", {"views": VIEWS, "prior": "benchmark", "benchmark": {"portfolio": "alice_001"}}),
        ("tracking_error", {"tracking_error": 0.05, "benchmark": {"weights": {"SPY": 1, "AAPL": 1}}}),
    ],
)
def test_as_a_job_the_json_round_tripped_request_gives_the_same_answer(
    api_client, portfolio, market, settings, method, params
):
    import json

    from apps.platform.models import Job
    from apps.portfolio.tasks.optimize import optimize

    settings.PORTFOLIO_OPTIMIZE_SYNC_MAX_ASSETS = 3
    settings.JOB_SYNC_WAIT_SECONDS = 0
    resp = api_client.post(URL, _body(method, params), format="json")
    assert resp.status_code == 202, resp.content
    job = Job.objects.get()
    result = optimize(str(job.pk), json.loads(json.dumps(job.params)))  # as a worker receives them
    settings.PORTFOLIO_OPTIMIZE_SYNC_MAX_ASSETS = 10
    direct = api_client.post(URL, _body(method, params), format="json").json()
    assert result["status"] == direct["status"] == "optimal"
    np.testing.assert_allclose(_by(result["weights"]), _by(direct["weights"]), atol=1e-9)
    assert result["details"] == direct["details"]
