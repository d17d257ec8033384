"""A large optimization as a job through a real Celery worker on real Redis (the platform's
in-thread worker, tests/platform/conftest.py): 202, the worker solves it on the portfolio queue, the
job succeeds, and the stored optimization read through the API is the job's answer and equals the
kernel on the same returns."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from apps.marketdata.services import instrument_create
from apps.portfolio.kernels.optimization import Constraints, estimate, min_variance
from tests.portfolio.conftest import START, store_closes

pytestmark = [
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("clean_broker"),
]
N_ASSETS = 210  # beyond PORTFOLIO_OPTIMIZE_SYNC_MAX_ASSETS (200): a job without ?async=true
N_DAYS = 260
POLL_LIMIT_SECONDS = 120  # a bound so a broken worker fails the test instead of hanging it


@pytest.fixture
def large_market(instruments):
    rng = np.random.default_rng(11)
    symbols = [f"S{i:03d}" for i in range(N_ASSETS)]
    for k, s in enumerate(symbols):
        instrument_create(symbol=s, name=s, asset_class="equity", sector=f"Sector{k % 7}")
    index = pd.bdate_range(START, periods=N_DAYS, tz="UTC").as_unit("ns")
    common = rng.normal(size=(N_DAYS, 1))
    returns = 0.0004 + 0.012 * (0.6 * common + rng.normal(size=(N_DAYS, N_ASSETS)))
    closes = pd.DataFrame(100.0 * np.exp(np.cumsum(returns, axis=0)), index=index, columns=symbols)
    store_closes(closes)
    return closes


def _poll(client, url: str) -> dict:
    deadline = time.monotonic() + POLL_LIMIT_SECONDS
    while True:
        doc = client.get(url).json()
        if doc["state"] in {"succeeded", "failed", "cancelled"}:
            return doc
        assert time.monotonic() < deadline, f"job stuck: {doc}"
        time.sleep(0.1)


def test_a_large_optimization_runs_on_a_real_worker_and_is_read_through_the_api(
    api_client, portfolio, large_market, worker_on, settings
):
    settings.JOB_SYNC_WAIT_SECONDS = 0  # answer 202 at once; the worker does the rest
    symbols = list(large_market.columns)
    body = {"method": "min_variance", "universe": symbols, "constraints": {"max_weight": 0.02}}
    with worker_on(["portfolio"]):
        resp = api_client.post("/api/portfolio/optimize/alice_001", body, format="json")
        assert resp.status_code == 202, resp.content
        assert resp.json()["engine"] == "portfolio"
        job = _poll(api_client, resp["Location"])
    assert job["state"] == "succeeded", job
    result = job["result"]
    stored = api_client.get(f"/api/portfolio/optimizations/{result['id']}")
    assert stored.status_code == 200
    doc = stored.json()
    assert doc == result and doc["status"] == "optimal" and len(doc["weights"]) == N_ASSETS
    returns = large_market.pct_change().iloc[1:].to_numpy()
    est = estimate(returns)  # the API's defaults: mean, Ledoit-Wolf, drop_dates
    direct = min_variance(est.cov, Constraints(upper=0.02, names=symbols), mu=est.mu)
    weights = np.array([doc["weights"][s] for s in symbols])
    np.testing.assert_allclose(weights, direct.weights, atol=1e-6)
    assert weights.max() <= 0.02 + 1e-7 and weights.sum() == pytest.approx(1.0, abs=1e-7)
