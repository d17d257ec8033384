"""POST /api/risk/stress/{portfolio}: per-position P&L worked by hand on the simulated market of
fixtures_measures (AAA long, BBB short, EEE quoted in EUR), factor betas against statsmodels OLS,
historical replays against the stored closes and FX."""

from __future__ import annotations

import pytest
import statsmodels.api as sm

from apps.risk.models import StressScenario
from tests.risk import fixtures_measures
from tests.risk.conftest import day

pytestmark = pytest.mark.django_db
market = fixtures_measures.market  # the shared fixture, found by pytest under this name


def _stress(client, body, portfolio="pf"):
    return client.post(f"/api/risk/stress/{portfolio}", body, format="json")


def _by_symbol(result):
    return {p["symbol"]: p for p in result["positions"]}


def test_inline_shocks_by_instrument_sector_and_currency(api_client, market):
    shocks = {
        "instrument": {"aaa": -0.3},
        "sector": {"Tech": -0.1, "Energy": -0.2},
        "currency": {"EUR": -0.05, "USD": 0.5},  # a shock on the book's own base currency is ignored
    }
    res = _stress(api_client, {"shocks": shocks})
    assert res.status_code == 200, res.content
    data = res.json()
    (result,) = data["results"]
    rows = _by_symbol(result)
    p_a, p_b, p_e = (market.closes[s].iloc[-1] for s in ("AAA", "BBB", "EEE"))
    # AAA (Tech, USD): its own shock replaces the sector's: 100 × P_A × -0.3.
    assert rows["AAA"]["shock"] == pytest.approx(-0.3)
    assert rows["AAA"]["pnl"] == pytest.approx(100 * p_a * -0.3, rel=1e-12)
    # BBB (Energy) is short 50: -50 × P_B × -0.2 = +10 × P_B, a gain.
    assert rows["BBB"]["pnl"] == pytest.approx(10 * p_b, rel=1e-12) and rows["BBB"]["pnl"] > 0
    # EEE (Tech, EUR): (1 - 0.10)(1 - 0.05) - 1 = -0.145 on 200 × P_E × 1.15 USD.
    assert rows["EEE"]["shock"] == pytest.approx(-0.145, rel=1e-12)
    assert rows["EEE"]["pnl"] == pytest.approx(200 * p_e * 1.15 * -0.145, rel=1e-12)
    total = 100 * p_a * -0.3 + 10 * p_b + 200 * p_e * 1.15 * -0.145
    assert result["pnl"] == pytest.approx(total, rel=1e-12)
    assert result["pnl_pct_nav"] == pytest.approx(total / market.nav, rel=1e-12)
    assert rows["AAA"]["pnl_pct_nav"] == pytest.approx(100 * p_a * -0.3 / market.nav, rel=1e-12)
    assert data["nav"] == pytest.approx(market.nav, rel=1e-12) and data["currency"] == "USD"
    assert result["scenario"]["shocks"]["instrument"] == {"AAA": -0.3}


def test_factor_shock_uses_ols_betas_on_the_factor_instrument(api_client, market):
    res = _stress(api_client, {"shocks": {"factor": {"MKT": -0.1}}})
    assert res.status_code == 200, res.content
    rows = _by_symbol(res.json()["results"][0])
    closes = market.closes
    r = (closes / closes.shift(1) - 1).iloc[1:].tail(250)
    for sym in market.symbols:
        fit = sm.OLS(r[sym].to_numpy(), sm.add_constant(r["MKT"].to_numpy())).fit()
        beta = fit.params[1]
        assert rows[sym]["betas"]["MKT"] == pytest.approx(beta, rel=1e-9)
        assert rows[sym]["shock"] == pytest.approx(beta * -0.1, rel=1e-9)
        value = market.values[market.symbols.index(sym)]
        assert rows[sym]["pnl"] == pytest.approx(value * beta * -0.1, rel=1e-9)
    # The simulated betas were 1.5, 0.5 and 0.8: the estimates are near them.
    assert rows["AAA"]["betas"]["MKT"] == pytest.approx(1.5, abs=0.1)


def test_stored_historical_replay_applies_the_windows_price_change(api_client, market):
    scenario = StressScenario.objects.create(
        name="Autumn slide", kind="historical", window_start=day(100), window_end=day(150)
    )
    res = _stress(api_client, {"scenario": scenario.pk})
    assert res.status_code == 200, res.content
    (result,) = res.json()["results"]
    assert result["scenario"]["name"] == "Autumn slide" and result["scenario"]["kind"] == "historical"
    rows = _by_symbol(result)
    fx_move = market.eurusd[150] / market.eurusd[100]
    for sym, qty in (("AAA", 100), ("BBB", -50), ("EEE", 200)):
        start, end, last = (market.closes[sym].iloc[i] for i in (100, 150, -1))
        assert rows[sym]["price_start"] == start and rows[sym]["price_end"] == end
        fx = market.fx(sym)
        # Today's position × the price change over the window (relative), FX move compounded for EEE.
        ret = (end / start) * (fx_move if sym == "EEE" else 1.0) - 1
        assert rows[sym]["pnl"] == pytest.approx(qty * last * fx * ret, rel=1e-10)
    assert result["unshocked"] == []


def test_several_scenarios_at_once_by_name_and_id(api_client, market):
    crash = StressScenario.objects.create(name="Crash", shocks={"sector": {"Tech": -0.2}})
    usd = StressScenario.objects.create(name="EUR down", shocks={"currency": {"EUR": -0.1}})
    res = _stress(api_client, {"scenarios": ["crash", str(usd.pk)]})
    assert res.status_code == 200, res.content
    results = res.json()["results"]
    assert [r["scenario"]["id"] for r in results] == [crash.pk, usd.pk]
    p_a, p_e = market.closes["AAA"].iloc[-1], market.closes["EEE"].iloc[-1]
    # Crash: AAA and EEE are Tech; BBB (Energy) untouched.
    assert results[0]["pnl"] == pytest.approx(-0.2 * (100 * p_a + 200 * p_e * 1.15), rel=1e-12)
    # EUR -10 %: only EEE, quoted in EUR, moves.
    assert results[1]["pnl"] == pytest.approx(-0.1 * 200 * p_e * 1.15, rel=1e-12)


def test_inline_historical_window_and_a_window_without_prices(api_client, market):
    res = _stress(api_client, {"historical": {"start": "2024-01-11", "end": "2024-01-21"}})
    assert res.status_code == 200, res.content
    rows = _by_symbol(res.json()["results"][0])
    a = market.closes["AAA"]
    assert rows["AAA"]["pnl"] == pytest.approx(100 * a.iloc[-1] * (a.iloc[20] / a.iloc[10] - 1), rel=1e-10)
    empty = _stress(api_client, {"historical": {"start": "2030-01-01", "end": "2030-02-01"}}).json()
    result = empty["results"][0]
    assert result["pnl"] == 0.0 and sorted(result["unshocked"]) == ["AAA", "BBB", "EEE"]


def test_an_empty_book_loses_nothing(api_client, market):
    data = _stress(api_client, {"shocks": {"sector": {"Tech": -0.5}}}, portfolio="empty_pf").json()
    assert data["results"][0]["pnl"] == 0.0 and data["results"][0]["positions"] == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "scenario"),
        ({"scenario": "no such scenario"}, "scenario"),
        ({"scenarios": ["no such scenario"]}, "scenarios"),
        ({"scenarios": []}, "scenarios"),
        ({"shocks": {"instrument": {"AAA": -1.0}}}, "shocks"),
        ({"shocks": {"instrument": {"AAA": 1e308}}}, "shocks"),  # overflowed the P&L: a 500 before
        ({"shocks": {"instrument": {"ZZZ": -0.1}}}, "shocks"),
        ({"shocks": {"sector": {"Tech": "a lot"}}}, "shocks"),
        ({"shocks": {"sector": {"Tech": True}}}, "shocks"),
        ({"shocks": {"country": {"US": -0.1}}}, "shocks"),
        ({"shocks": {"currency": {"EURO": -0.1}}}, "shocks"),
        ({"shocks": {"factor": {"NOPE": -0.1}}}, "shocks"),
        ({"shocks": "crash"}, "shocks"),
        ({"historical": {"start": "2024-03-01", "end": "2024-02-01"}}, "historical"),
        ({"historical": {"start": "yesterday", "end": "2024-02-01"}}, "historical"),
        ({"historical": {"start": "2024-01-01"}}, "historical"),
        ({"shocks": {"sector": {"Tech": -0.1}}, "beta_window": 5}, "beta_window"),
    ],
)
def test_bad_stress_input_is_a_400_by_field(api_client, market, body, field):
    res = _stress(api_client, body)
    assert res.status_code == 400 and field in res.json(), res.content


def test_access(api_client, other_client, market):
    body = {"shocks": {"sector": {"Tech": -0.1}}}
    assert _stress(api_client, body, portfolio="nope").status_code == 404
    assert _stress(other_client, body).status_code == 403


def test_factor_shock_on_a_stored_economic_series(api_client, market):
    """A series whose levels are MKT's closes: its period changes are MKT's returns, so the betas
    (and the P&L) equal those of the instrument factor."""
    import pandas as pd

    from apps.marketdata.models import EconomicSeries
    from apps.marketdata.services.storage import observations_upsert

    series = EconomicSeries.objects.create(code="MKT_INDEX")
    dates = pd.date_range("2024-01-01", periods=len(market.closes), freq="D")
    observations_upsert(
        pd.DataFrame(
            {
                "series_id": series.pk,
                "date": dates.date,
                "known_at": pd.Timestamp("2024-01-01", tz="UTC"),
                "value": market.closes["MKT"].to_numpy(),
            }
        )
    )
    by_series = _by_symbol(
        _stress(api_client, {"shocks": {"factor": {"MKT_INDEX": -0.1}}}).json()["results"][0]
    )
    by_symbol = _by_symbol(_stress(api_client, {"shocks": {"factor": {"mkt": -0.1}}}).json()["results"][0])
    for sym in market.symbols:
        assert by_series[sym]["betas"]["MKT_INDEX"] == pytest.approx(by_symbol[sym]["betas"]["MKT"], rel=1e-9)
        assert by_series[sym]["pnl"] == pytest.approx(by_symbol[sym]["pnl"], rel=1e-9)
