"""POST /api/risk/var/{portfolio} and /api/risk/backtest/{portfolio} on the simulated market of
fixtures_measures: every figure is recomputed here from the stored closes with numpy, scipy,
empyrical and scikit-learn, independently of the services."""

from __future__ import annotations

import empyrical
import numpy as np
import pytest
from scipy import stats
from sklearn.covariance import LedoitWolf

from tests.risk import fixtures_measures

pytestmark = pytest.mark.django_db
market = fixtures_measures.market  # the shared fixture, found by pytest under this name


def _var(client, body=None, portfolio="pf"):
    return client.post(f"/api/risk/var/{portfolio}", body or {}, format="json")


def test_book_and_history_are_the_stored_ones(api_client, market):
    res = _var(api_client)
    assert res.status_code == 200, res.content
    data = res.json()
    assert data["currency"] == "USD" and data["method"] == "historical"
    assert data["nav"] == pytest.approx(market.nav, rel=1e-12)
    assert [p["symbol"] for p in data["positions"]] == market.symbols
    np.testing.assert_allclose([p["value"] for p in data["positions"]], market.values, rtol=1e-12)
    # The short BBB is a negative value; EEE is 200 × close × the last EURUSD (1.15).
    assert data["positions"][1]["value"] < 0
    assert data["positions"][2]["value"] == pytest.approx(200 * market.closes["EEE"].iloc[-1] * 1.15)
    assert data["window"]["observations"] == 250 and data["window"]["requested_days"] == 250
    assert data["window"]["end"].startswith("2024-10-26")  # day 299 of the calendar from 2024-01-01


def test_historical_var_es_equal_empyrical(api_client, market):
    pnl = market.returns() @ market.values
    for confidence in (0.99, 0.95):
        data = _var(api_client, {"confidence": confidence}).json()
        cutoff = 1 - confidence
        assert data["var"] == pytest.approx(-empyrical.value_at_risk(pnl, cutoff=cutoff), rel=1e-12)
        assert data["es"] == pytest.approx(
            -empyrical.conditional_value_at_risk(pnl, cutoff=cutoff), rel=1e-12
        )
        assert data["var_pct_nav"] == pytest.approx(data["var"] / market.nav, rel=1e-12)
        assert data["es_pct_nav"] == pytest.approx(data["es"] / market.nav, rel=1e-12)
        assert data["es"] >= data["var"] > 0
    # 10 days: square-root-of-time scaling of the one-day figures.
    ten = _var(api_client, {"horizon_days": 10}).json()
    assert ten["var"] == pytest.approx(-empyrical.value_at_risk(pnl, cutoff=0.01) * np.sqrt(10), rel=1e-12)
    # A shorter window reads only the last 100 days.
    short = _var(api_client, {"window": 100}).json()
    short_pnl = market.returns(100) @ market.values
    assert short["window"]["observations"] == 100
    assert short["var"] == pytest.approx(-np.percentile(short_pnl, 1), rel=1e-12)


def test_normal_and_cornish_fisher_equal_scipy(api_client, market):
    pnl = market.returns() @ market.values
    mu, sd = pnl.mean(), pnl.std(ddof=1)
    z = stats.norm.ppf(0.01)
    normal = _var(api_client, {"method": "normal"}).json()
    assert normal["var"] == pytest.approx(-(mu + z * sd), rel=1e-10)
    assert normal["var"] == pytest.approx(-stats.norm.ppf(0.01, loc=mu, scale=sd), rel=1e-10)
    assert normal["es"] == pytest.approx(sd * stats.norm.pdf(z) / 0.01 - mu, rel=1e-10)
    # Cornish-Fisher with the bias-corrected skew S and excess kurtosis K of the P&L.
    s, k = stats.skew(pnl, bias=False), stats.kurtosis(pnl, bias=False)
    z_cf = z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36
    cf = _var(api_client, {"method": "cornish_fisher"}).json()
    assert cf["var"] == pytest.approx(-(mu + z_cf * sd), rel=1e-10)
    assert cf["var"] != pytest.approx(normal["var"], rel=1e-3)  # fat tails do move it
    # Horizon h: mean × h, σ × √h.
    h5 = _var(api_client, {"method": "normal", "horizon_days": 5}).json()
    assert h5["var"] == pytest.approx(-(5 * mu + z * sd * np.sqrt(5)), rel=1e-10)


def test_ledoit_wolf_uses_sklearns_covariance(api_client, market):
    r, v = market.returns(), market.values
    lw = LedoitWolf().fit(r).covariance_
    sd = np.sqrt(v @ lw @ v)
    data = _var(api_client, {"method": "normal", "covariance": "ledoit_wolf"}).json()
    assert data["covariance"] == "ledoit_wolf"
    assert data["var"] == pytest.approx(-((r @ v).mean() + stats.norm.ppf(0.01) * sd), rel=1e-8)


def test_monte_carlo_is_reproducible_with_a_seed(api_client, market):
    body = {"method": "monte_carlo", "simulations": 20000, "seed": 7}
    a, b = _var(api_client, body).json(), _var(api_client, body).json()
    assert (a["var"], a["es"]) == (b["var"], b["es"])
    other = _var(api_client, {**body, "seed": 8}).json()
    assert other["var"] != a["var"]
    # Independent simulation: the same Generator stream, Cholesky factor and estimator.
    r, v = market.returns(), market.values
    cov = np.cov(r, rowvar=False)
    draws = np.random.default_rng(7).standard_normal((20000, 3)) @ np.linalg.cholesky(cov).T
    pnl = draws @ v + r.mean(axis=0) @ v
    assert a["var"] == pytest.approx(-np.percentile(pnl, 1), rel=1e-9)
    # ... and it agrees with the normal closed form within the simulation error (a few %).
    normal = _var(api_client, {"method": "normal"}).json()
    assert a["var"] == pytest.approx(normal["var"], rel=0.05)
    assert a["simulations"] == 20000 and a["seed"] == 7


def test_component_var_sums_to_the_normal_var_and_matches_a_hand_euler(api_client, market):
    r, v = market.returns(), market.values
    cov = np.cov(r, rowvar=False)
    m = r.mean(axis=0)
    sigma = np.sqrt(v @ cov @ v)
    z = stats.norm.ppf(0.99)
    for method in ("historical", "normal", "monte_carlo"):
        data = _var(api_client, {"method": method, "horizon_days": 4}).json()
        marginal = z * 2 * (cov @ v) / sigma - 4 * m  # h = 4: z√h (Σv)/σ − h·m
        np.testing.assert_allclose([p["marginal_var"] for p in data["positions"]], marginal, rtol=1e-9)
        components = [p["component_var"] for p in data["positions"]]
        np.testing.assert_allclose(components, v * marginal, rtol=1e-9)
        normal_var = -(4 * (r @ v).mean() - z * 2 * sigma)
        assert sum(components) == pytest.approx(data["components"]["var"], rel=1e-10)
        assert data["components"]["var"] == pytest.approx(normal_var, rel=1e-10)
        assert data["components"]["method"] == "normal"
    normal = _var(api_client, {"method": "normal", "horizon_days": 4}).json()
    assert normal["components"]["var"] == pytest.approx(normal["var"], rel=1e-12)


def test_historical_contributions_sum_to_the_historical_figures(api_client, market):
    data = _var(api_client).json()
    assert sum(p["historical_var_contribution"] for p in data["positions"]) == pytest.approx(
        data["var"], rel=1e-10
    )
    assert sum(p["historical_es_contribution"] for p in data["positions"]) == pytest.approx(
        data["es"], rel=1e-10
    )


def test_an_empty_book_has_no_risk(api_client, market):
    data = _var(api_client, portfolio="empty_pf").json()
    assert data["var"] == 0.0 and data["es"] == 0.0 and data["positions"] == []
    assert data["nav"] == 500.0 and data["var_pct_nav"] == 0.0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"method": "garch"}, "method"),
        ({"confidence": 1.0}, "confidence"),
        ({"confidence": 0}, "confidence"),
        ({"confidence": "high"}, "confidence"),
        ({"horizon_days": 0}, "horizon_days"),
        ({"window": 5}, "window"),
        ({"simulations": 200_001}, "simulations"),
        ({"seed": -1}, "seed"),
        ({"covariance": "shrunk"}, "covariance"),
    ],
)
def test_bad_var_input_is_a_400_by_field(api_client, market, body, field):
    res = _var(api_client, body)
    assert res.status_code == 400 and field in res.json(), res.content


def test_too_little_history_is_a_400_on_window(api_client, market, user):
    from tests.risk.conftest import make_instrument, make_portfolio, store_daily_bars

    make_instrument("NEW")
    store_daily_bars("NEW", [10, 11, 12, 13, 14])
    make_portfolio("young", owner=user, positions={"NEW": 10})
    res = _var(api_client, portfolio="young")
    assert res.status_code == 400 and "window" in res.json()


def test_access(api_client, other_client, staff_client, anon_client, market):
    assert _var(api_client, portfolio="nope").status_code == 404
    assert _var(other_client).status_code == 403
    assert _var(staff_client).status_code == 200
    assert _var(anon_client).status_code in (401, 403)


# --- backtest -------------------------------------------------------------------------------------


def _exceptions_by_hand(pnl, window, observations, var_of):
    count, days = 0, []
    for t in range(len(pnl) - observations, len(pnl)):
        forecast = var_of(pnl[t - window : t])
        if pnl[t] < -forecast:
            count += 1
            days.append(t)
    return count, days


def test_backtest_exceptions_equal_a_hand_loop(api_client, market):
    window, obs = 100, 180
    pnl = market.returns(window + obs) @ market.values
    res = api_client.post(
        "/api/risk/backtest/pf", {"window": window, "observations": obs, "confidence": 0.95}, format="json"
    )
    assert res.status_code == 200, res.content
    data = res.json()
    count, days = _exceptions_by_hand(pnl, window, obs, lambda w: -np.percentile(w, 5))
    assert data["observations"] == obs and data["exceptions"] == count > 0
    assert [d["pnl"] for d in data["exception_days"]] == pytest.approx([pnl[t] for t in days], rel=1e-12)
    assert data["rate"] == pytest.approx(count / obs)
    # Kupiec by hand: LR = -2 ln[(1-p)^(n-x) p^x / ((1-x/n)^(n-x) (x/n)^x)], χ²(1).
    p, x, n = 0.05, count, obs
    lr = -2 * ((n - x) * np.log(1 - p) + x * np.log(p) - (n - x) * np.log(1 - x / n) - x * np.log(x / n))
    assert data["tests"]["kupiec"]["lr"] == pytest.approx(lr, rel=1e-10)
    assert data["tests"]["kupiec"]["p_value"] == pytest.approx(stats.chi2.sf(lr, 1), rel=1e-10)
    # Christoffersen by hand from the transition counts of the exception sequence.
    exc = np.zeros(obs, dtype=bool)
    exc[[t - (len(pnl) - obs) for t in days]] = True
    prev, cur = exc[:-1], exc[1:]
    n00, n01 = np.sum(~prev & ~cur), np.sum(~prev & cur)
    n10, n11 = np.sum(prev & ~cur), np.sum(prev & cur)
    pi01, pi11, pi = n01 / (n00 + n01), n11 / max(n10 + n11, 1), (n01 + n11) / (n00 + n01 + n10 + n11)

    def xlogy(a, b):
        return 0.0 if a == 0 else a * np.log(b)

    markov = xlogy(n00, 1 - pi01) + xlogy(n01, pi01) + xlogy(n10, 1 - pi11) + xlogy(n11, pi11)
    lr_ind = -2 * (xlogy(n00 + n10, 1 - pi) + xlogy(n01 + n11, pi) - markov)
    ind = data["tests"]["christoffersen_independence"]
    cc = data["tests"]["christoffersen_conditional_coverage"]
    assert ind["lr"] == pytest.approx(lr_ind, rel=1e-9, abs=1e-12)
    assert cc["lr"] == pytest.approx(lr + lr_ind, rel=1e-9)
    assert cc["p_value"] == pytest.approx(stats.chi2.sf(lr + lr_ind, 2), rel=1e-9)
    for t in data["tests"].values():
        assert t["verdict"] == ("reject" if t["p_value"] < 0.05 else "accept")
    assert data["verdict"] == (
        "reject" if any(t["verdict"] == "reject" for t in data["tests"].values()) else "accept"
    )


def test_backtest_of_the_normal_method(api_client, market):
    window, obs = 60, 200
    pnl = market.returns(window + obs) @ market.values
    z = stats.norm.ppf(0.01)
    count, _ = _exceptions_by_hand(pnl, window, obs, lambda w: -(w.mean() + z * w.std(ddof=1)))
    data = api_client.post(
        "/api/risk/backtest/pf", {"method": "normal", "window": window, "observations": obs}, format="json"
    ).json()
    assert data["exceptions"] == count and data["method"] == "normal"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"method": "monte_carlo"}, "method"),
        ({"confidence": 2}, "confidence"),
        ({"window": 10}, "window"),
        ({"observations": 5}, "observations"),
        ({"window": 290, "observations": 100}, "observations"),  # 299 days stored < 290 + 20
    ],
)
def test_bad_backtest_input_is_a_400_by_field(api_client, market, body, field):
    res = api_client.post("/api/risk/backtest/pf", body, format="json")
    assert res.status_code == 400 and field in res.json(), res.content


def test_backtest_access_and_empty_book(api_client, other_client, market):
    assert api_client.post("/api/risk/backtest/nope", {}, format="json").status_code == 404
    assert other_client.post("/api/risk/backtest/pf", {}, format="json").status_code == 403
    res = api_client.post("/api/risk/backtest/empty_pf", {}, format="json")
    assert res.status_code == 400 and "portfolio" in res.json()


def test_monte_carlo_memory_is_bounded(api_client, market, monkeypatch):
    from apps.risk.selectors import var as measures

    monkeypatch.setattr(measures, "MC_MAX_CELLS", 3 * 1000)  # 3 instruments: at most 1,000 paths
    assert _var(api_client, {"method": "monte_carlo", "simulations": 1000}).status_code == 200
    res = _var(api_client, {"method": "monte_carlo", "simulations": 1001})
    assert res.status_code == 400 and "1000 paths" in res.json()["simulations"][0]
