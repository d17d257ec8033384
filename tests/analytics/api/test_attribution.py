"""Attribution: kernels against hand-worked examples and statsmodels, then the API."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm

from apps.analytics.kernels import attribution as k

# Bacon, "Practical Portfolio Performance Measurement and Attribution", the three-market example:
# sectors UK, Japan, US.
WP = [0.40, 0.30, 0.30]
RP = [0.20, -0.05, 0.06]
WB = [0.40, 0.20, 0.40]
RB = [0.10, -0.04, 0.08]


def test_brinson_fachler_textbook_single_period():
    e = k.brinson_fachler([WP], [RP], [WB], [RB])
    # Rp = .08 - .015 + .018 = .083; Rb = .04 - .008 + .032 = .064; excess .019
    assert e.portfolio_return[0] == pytest.approx(0.083)
    assert e.benchmark_return[0] == pytest.approx(0.064)
    # allocation (wp-wb)(rb_i - Rb): UK 0, Japan .1 x (-.104) = -.0104, US -.1 x .016 = -.0016
    np.testing.assert_allclose(e.allocation[0], [0.0, -0.0104, -0.0016], atol=1e-15)
    # selection wb (rp_i - rb_i): UK .4 x .1 = .04, Japan .2 x -.01 = -.002, US .4 x -.02 = -.008
    np.testing.assert_allclose(e.selection[0], [0.04, -0.002, -0.008], atol=1e-15)
    # interaction (wp-wb)(rp_i - rb_i): UK 0, Japan .1 x -.01 = -.001, US -.1 x -.02 = .002
    np.testing.assert_allclose(e.interaction[0], [0.0, -0.001, 0.002], atol=1e-15)
    total = e.allocation.sum() + e.selection.sum() + e.interaction.sum()
    assert total == pytest.approx(0.019, abs=1e-15)


def _random_periods(seed: int, p: int, t: int, n: int):
    rng = np.random.default_rng(seed)
    wp = rng.dirichlet(np.ones(n), size=(p, t))
    wb = rng.dirichlet(np.ones(n), size=(p, t))
    rp = rng.normal(0.01, 0.05, size=(p, t, n))
    rb = rng.normal(0.01, 0.05, size=(p, t, n))
    return wp, rp, wb, rb


@pytest.mark.parametrize("method", k.LINKINGS)
def test_linked_effects_add_up_to_compounded_excess(method):
    wp, rp, wb, rb = _random_periods(7, p=5, t=12, n=4)
    e = k.brinson_fachler(wp, rp, wb, rb)
    linked = [
        k.link_effects(x, e.portfolio_return, e.benchmark_return, method)
        for x in (e.allocation, e.selection, e.interaction)
    ]
    total = sum(x.sum(axis=-1) for x in linked)
    excess = np.prod(1 + e.portfolio_return, axis=-1) - np.prod(1 + e.benchmark_return, axis=-1)
    np.testing.assert_allclose(total, excess, rtol=0, atol=1e-14)
    # and the vectorized pass equals one portfolio at a time
    one = k.link_effects(e.allocation[2], e.portfolio_return[2], e.benchmark_return[2], method)
    np.testing.assert_allclose(linked[0][2], one, atol=1e-15)


def test_carino_and_menchero_coefficients_by_hand():
    rp, rb = np.array([0.10, -0.05]), np.array([0.06, -0.02])
    tp, tb = 1.10 * 0.95 - 1, 1.06 * 0.98 - 1  # 0.045, 0.0388
    kt = [(math.log(1.10) - math.log(1.06)) / 0.04, (math.log(0.95) - math.log(0.98)) / -0.03]
    kk = (math.log(1 + tp) - math.log(1 + tb)) / (tp - tb)
    np.testing.assert_allclose(k.link_coefficients(rp, rb, "carino"), np.array(kt) / kk, rtol=1e-12)
    m = (tp - tb) / (2 * ((1 + tp) ** 0.5 - (1 + tb) ** 0.5))
    d = rp - rb
    alpha = ((tp - tb) - m * d.sum()) / (d @ d) * d
    np.testing.assert_allclose(k.link_coefficients(rp, rb, "menchero"), m + alpha, rtol=1e-12)


def test_linking_when_portfolio_equals_benchmark():
    r = np.array([0.02, -0.01, 0.03])
    for method in k.LINKINGS:
        c = k.link_coefficients(r, r, method)
        assert np.all(np.isfinite(c))
        assert k.link_effects(np.zeros((3, 2)), r, r, method).sum() == 0.0


def test_unknown_linking_is_rejected():
    with pytest.raises(ValueError, match="linking"):
        k.link_coefficients([0.1], [0.0], "geometric")


def test_factor_attribution_matches_statsmodels_on_known_betas():
    rng = np.random.default_rng(42)
    t, betas = 750, np.array([[1.2, -0.5, 0.3], [0.8, 0.2, -0.4]])
    f = rng.normal(0.0004, 0.01, size=(t, 3))
    y = 0.0002 + betas @ f.T + rng.normal(0, 0.002, size=(2, t))
    res = k.factor_attribution(y, f)
    for i in range(2):
        ref = sm.OLS(y[i], sm.add_constant(f)).fit()
        np.testing.assert_allclose(res.exposures[i], ref.params[1:], rtol=1e-10)
        np.testing.assert_allclose(res.alpha[i], ref.params[0], rtol=1e-9)
        np.testing.assert_allclose(res.t_stats[i], ref.tvalues[1:], rtol=1e-9)
        np.testing.assert_allclose(res.alpha_t[i], ref.tvalues[0], rtol=1e-9)
        assert res.r_squared[i] == pytest.approx(ref.rsquared, rel=1e-10)
        # the simulated betas are recovered
        np.testing.assert_allclose(res.exposures[i], betas[i], atol=0.03)
        # contributions + specific = total, and specific is alpha over T periods
        assert res.contributions[i].sum() + res.specific[i] == pytest.approx(y[i].sum(), abs=1e-12)
        assert res.specific[i] == pytest.approx(ref.params[0] * t, rel=1e-8)
        np.testing.assert_allclose(res.contributions[i], ref.params[1:] * f.sum(axis=0), rtol=1e-10)


def test_factor_attribution_rejects_too_few_periods():
    with pytest.raises(ValueError, match="more periods"):
        k.factor_attribution([0.1, 0.2], [[0.1, 0.2], [0.3, 0.1]])


def test_contribution_to_risk_hand_example():
    # vols 20% and 10%, correlation 0.5
    cov = np.array([[0.04, 0.01], [0.01, 0.01]])
    contrib, vol = k.contribution_to_risk([0.6, 0.4], cov)
    # Σw = (.028, .010); w'Σw = .0168 + .004 = .0208
    sigma = math.sqrt(0.0208)
    assert vol == pytest.approx(sigma)
    np.testing.assert_allclose(contrib, [0.0168 / sigma, 0.004 / sigma], rtol=1e-12)
    assert contrib.sum() == pytest.approx(vol, rel=1e-12)


def test_contribution_to_risk_sums_to_volatility_for_many_portfolios():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(6, 6))
    cov = a @ a.T / 100
    w = rng.dirichlet(np.ones(6), size=20)
    contrib, vol = k.contribution_to_risk(w, cov)
    np.testing.assert_allclose(contrib.sum(axis=1), vol, rtol=1e-12)
    np.testing.assert_allclose(vol, np.sqrt(np.einsum("pi,ij,pj->p", w, cov, w)), rtol=1e-12)


def test_contribution_to_return_hand_example():
    w = [[0.5, 0.5], [0.6, 0.4]]
    r = [[0.10, 0.02], [-0.05, 0.05]]
    linked, port = k.contribution_to_return(w, r)
    # period returns: .06 and -.01; compounded 1.06 x .99 - 1 = .0494
    np.testing.assert_allclose(port, [0.06, -0.01])
    assert linked.sum() == pytest.approx(0.0494, abs=1e-15)
    kk = math.log(1.0494) / 0.0494
    k1, k2 = math.log(1.06) / 0.06, math.log(0.99) / -0.01
    np.testing.assert_allclose(linked, [(0.05 * k1 - 0.03 * k2) / kk, (0.01 * k1 + 0.02 * k2) / kk])


# --- API -------------------------------------------------------------------------------------------

URL = "/api/analytics/attribution/{}"


@pytest.fixture
def pf(db, user):
    from apps.portfolio.models import Portfolio

    return Portfolio.objects.create(code="attr", name="Attribution", owner=user)


def _sectors(w, r):
    return {s: {"weight": wi, "return": ri} for s, wi, ri in zip(("UK", "Japan", "US"), w, r, strict=True)}


def _period(date, wp=WP, rp=RP, wb=WB, rb=RB):
    return {"date": date, "portfolio": _sectors(wp, rp), "benchmark": _sectors(wb, rb)}


def test_api_brinson_textbook(api_client, pf):
    res = api_client.post(
        URL.format("attr"), {"method": "brinson", "periods": [_period("2024-01-31")]}, format="json"
    )
    assert res.status_code == 200, res.json()
    body = res.json()
    assert body["excess_return"] == pytest.approx(0.019)
    assert body["totals"]["allocation"] == pytest.approx(-0.012)
    assert body["totals"]["selection"] == pytest.approx(0.03)
    assert body["totals"]["interaction"] == pytest.approx(0.001)
    japan = next(s for s in body["sectors"] if s["sector"] == "Japan")
    assert japan["allocation"] == pytest.approx(-0.0104)


@pytest.mark.parametrize("linking", ["carino", "menchero"])
def test_api_brinson_multi_period_links_to_compounded_excess(api_client, pf, linking):
    periods = [
        _period("2024-01-31"),
        _period("2024-02-29", rp=[0.01, 0.03, -0.02], rb=[0.02, 0.01, -0.01]),
        _period("2024-03-29", wp=[0.5, 0.2, 0.3], rp=[-0.03, 0.04, 0.05]),
        _period("2024-04-30"),  # outside the window
    ]
    res = api_client.post(
        URL.format("attr"),
        {
            "method": "brinson",
            "linking": linking,
            "periods": periods,
            "start": "2024-01-01",
            "end": "2024-03-31",
        },
        format="json",
    )
    body = res.json()
    assert res.status_code == 200, body
    assert body["periods"] == 3
    rp = [p["portfolio_return"] for p in body["by_period"]]
    rb = [p["benchmark_return"] for p in body["by_period"]]
    excess = np.prod(1 + np.array(rp)) - np.prod(1 + np.array(rb))
    assert body["excess_return"] == pytest.approx(excess, abs=1e-15)
    assert body["totals"]["total"] == pytest.approx(excess, abs=1e-14)
    assert sum(s["total"] for s in body["sectors"]) == pytest.approx(excess, abs=1e-14)


def test_api_brinson_without_benchmark_data_says_why(api_client, pf):
    period = {"date": "2024-01-31", "portfolio": _sectors(WP, RP)}
    res = api_client.post(URL.format("attr"), {"method": "brinson", "periods": [period]}, format="json")
    assert res.status_code == 400
    assert "no benchmark" in str(res.json()["benchmark"])


def test_api_brinson_weights_must_add_up(api_client, pf):
    period = _period("2024-01-31", wp=[0.5, 0.3, 0.3])
    res = api_client.post(URL.format("attr"), {"method": "brinson", "periods": [period]}, format="json")
    assert res.status_code == 400
    assert "periods[0].portfolio" in res.json()


def test_api_factor_from_body_matches_statsmodels(api_client, pf):
    rng = np.random.default_rng(11)
    dates = [d.strftime("%Y-%m-%d") for d in __import__("pandas").bdate_range("2024-01-01", periods=120)]
    mkt, smb = rng.normal(0, 0.01, 120), rng.normal(0, 0.005, 120)
    y = 0.0001 + 1.1 * mkt - 0.4 * smb + rng.normal(0, 0.001, 120)
    body = {
        "method": "factor",
        "returns": dict(zip(dates, y.tolist(), strict=True)),
        "factors": {
            "market": dict(zip(dates, mkt.tolist(), strict=True)),
            "size": dict(zip(dates, smb.tolist(), strict=True)),
        },
    }
    res = api_client.post(URL.format("attr"), body, format="json")
    out = res.json()
    assert res.status_code == 200, out
    ref = sm.OLS(y, sm.add_constant(np.column_stack([mkt, smb]))).fit()
    assert out["periods"] == 120 and out["source"] == "body"
    assert [f["exposure"] for f in out["factors"]] == pytest.approx(list(ref.params[1:]), rel=1e-9)
    assert [f["t_stat"] for f in out["factors"]] == pytest.approx(list(ref.tvalues[1:]), rel=1e-9)
    assert out["r_squared"] == pytest.approx(ref.rsquared, rel=1e-10)
    assert sum(f["contribution"] for f in out["factors"]) + out["specific_return"] == pytest.approx(y.sum())


def test_api_contribution(api_client, pf):
    periods = [
        {
            "date": "2024-01-31",
            "securities": {"AAPL": {"weight": 0.5, "return": 0.10}, "MSFT": {"weight": 0.5, "return": 0.02}},
        },
        {
            "date": "2024-02-29",
            "securities": {"AAPL": {"weight": 0.6, "return": -0.05}, "MSFT": {"weight": 0.4, "return": 0.05}},
        },
        {
            "date": "2024-03-29",
            "securities": {
                "AAPL": {"weight": 0.55, "return": 0.03},
                "MSFT": {"weight": 0.45, "return": -0.01},
            },
        },
    ]
    res = api_client.post(URL.format("attr"), {"method": "contribution", "periods": periods}, format="json")
    out = res.json()
    assert res.status_code == 200, out
    assert out["portfolio_return"] == pytest.approx(1.06 * 0.99 * (1 + 0.55 * 0.03 - 0.45 * 0.01) - 1)
    assert sum(s["return_contribution"] for s in out["securities"]) == pytest.approx(out["portfolio_return"])
    cov = np.cov(np.array([[0.10, 0.02], [-0.05, 0.05], [0.03, -0.01]]), rowvar=False)
    w = np.array([0.55, 0.45])
    assert out["volatility"] == pytest.approx(math.sqrt(w @ cov @ w))
    assert sum(s["risk_contribution"] for s in out["securities"]) == pytest.approx(out["volatility"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            {
                "method": "brinson",
                "periods": [_period("2024-01-31")],
                "start": "2024-03-01",
                "end": "2024-02-01",
            },
            "start",
        ),
        ({"method": "brinson", "periods": [_period("2024-01-31")], "start": "2025-01-01"}, "period"),
        ({"method": "brinson", "periods": [_period("2024-01-31")], "linking": "geometric"}, "linking"),
        ({"method": "brinson"}, "periods"),
        ({"method": "factor"}, "factors"),
        ({"method": "magic"}, "method"),
        (
            {"method": "factor", "returns": {"2024-01-02": 0.01}, "factors": {"m": {"2024-01-02": 0.01}}},
            "factors",
        ),
    ],
)
def test_api_bad_input_is_400_with_the_field(api_client, pf, body, field):
    res = api_client.post(URL.format("attr"), body, format="json")
    assert res.status_code == 400
    assert field in res.json()


def test_api_unknown_portfolio_404_other_owner_403_anonymous_refused(
    api_client, other_client, anon_client, pf
):
    body = {"method": "brinson", "periods": [_period("2024-01-31")]}
    assert api_client.post(URL.format("nope"), body, format="json").status_code == 404
    assert other_client.post(URL.format("attr"), body, format="json").status_code == 403
    assert anon_client.post(URL.format("attr"), body, format="json").status_code in (401, 403)


def test_api_factor_from_stored_series_codes(api_client, pf):
    import pandas as pd

    from apps.marketdata.models import EconomicSeries, SeriesObservation

    rng = np.random.default_rng(5)
    dates = pd.bdate_range("2024-01-01", periods=60)
    mkt = rng.normal(0, 0.01, 60)
    y = 0.9 * mkt + rng.normal(0, 0.001, 60)
    series = EconomicSeries.objects.create(code="MKT_RF", title="market excess return")
    known = pd.Timestamp("2024-06-01", tz="UTC").to_pydatetime()
    SeriesObservation.objects.bulk_create(
        SeriesObservation(series=series, date=d.date(), known_at=known, value=v)
        for d, v in zip(dates, mkt, strict=True)
    )
    body = {
        "method": "factor",
        "returns": {d.strftime("%Y-%m-%d"): v for d, v in zip(dates, y.tolist(), strict=True)},
        "factors": {"market": "MKT_RF"},
    }
    res = api_client.post(URL.format("attr"), body, format="json")
    out = res.json()
    assert res.status_code == 200, out
    ref = sm.OLS(y, sm.add_constant(mkt)).fit()
    assert out["factors"][0]["exposure"] == pytest.approx(ref.params[1], rel=1e-9)

    body["factors"] = {"market": "NO_SUCH_SERIES"}
    res = api_client.post(URL.format("attr"), body, format="json")
    assert res.status_code == 400 and "factors.market" in res.json()


def test_api_factor_on_the_stored_book_returns(api_client, user):
    """Without `returns` in the body the stored book's time-weighted returns are regressed: a
    portfolio half in the real S&P 500 (arch's data), half cash, against the S&P 500's returns."""
    from decimal import Decimal

    import pandas as pd
    from arch.data import sp500

    from apps.analytics.selectors.returns import portfolio_returns
    from apps.marketdata.services import instrument_create
    from apps.marketdata.services.storage import bars_upsert
    from apps.portfolio.services import portfolio_create, transaction_record

    spx = sp500.load().iloc[:80]
    spx.index = pd.DatetimeIndex(spx.index).tz_localize("UTC")
    inst = instrument_create(symbol="SPX", currency="USD")
    frame = pd.DataFrame({"instrument_id": inst.pk, "ts": spx.index, "close": spx["Close"].to_numpy()})
    frame["open"] = frame["high"] = frame["low"] = frame["adj_close"] = frame["close"]
    frame["volume"] = 1.0
    bars_upsert(frame, interval="1d")
    p = portfolio_create(code="half", name="half", owner=user)
    t0 = spx.index[0].to_pydatetime()
    transaction_record(portfolio=p, type="deposit", amount=Decimal("200000"), timestamp=t0)
    px = Decimal(str(round(float(spx["Close"].iloc[0]), 6)))
    qty = (Decimal("100000") / px).quantize(Decimal("0.0001"))
    transaction_record(portfolio=p, type="buy", instrument="SPX", quantity=qty, price=px, timestamp=t0)

    market = spx["Close"].pct_change().dropna()
    body = {
        "method": "factor",
        "factors": {"market": {ts.strftime("%Y-%m-%d"): float(v) for ts, v in market.items()}},
    }
    res = api_client.post(URL.format("half"), body, format="json")
    out = res.json()
    assert res.status_code == 200, out
    assert out["source"] == "stored"
    y = portfolio_returns(portfolio="half").returns
    y.index = y.index.normalize()
    aligned = pd.concat([y, market.rename("m")], axis=1, join="inner").dropna()
    ref = sm.OLS(aligned.iloc[:, 0].to_numpy(), sm.add_constant(aligned["m"].to_numpy())).fit()
    assert out["periods"] == len(aligned)
    assert out["factors"][0]["exposure"] == pytest.approx(ref.params[1], rel=1e-9)
    # half invested at the start, drifting with the index: the beta is near one half
    assert 0.4 < out["factors"][0]["exposure"] < 0.6
