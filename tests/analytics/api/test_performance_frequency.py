"""Performance on whatever bar interval is stored — monthly fund NAVs, weekly, daily, a mix — and the
first-period rule, against QuantStats/empyrical on the NAV series built from the same prices.

Every portfolio here is funded and fully bought at its first bar's close, so its NAV is quantity x
close: the reference returns are that NAV's period-over-period changes. The funding bar is where the
NAV starts, not a period (QuantStats on the NAV has no zero return for it, neither may we).
Real prices: the S&P 500 and NASDAQ series `arch` ships (1999-2018), sampled to month/week ends."""

from __future__ import annotations

import warnings
from decimal import Decimal

import empyrical
import numpy as np
import pandas as pd
import pytest
import quantstats as qs
from arch.data import nasdaq, sp500

from apps.analytics.api.serializers.reports import ReportRequestSerializer
from apps.analytics.reports.data import report_data_gather
from apps.marketdata.services import instrument_create
from apps.platform.timestamps import iso_utc
from apps.portfolio.services import portfolio_create, transaction_record
from tests.analytics.market import last_of_each, store_closes, utc_index

pytestmark = pytest.mark.django_db
PPY = {"1d": 252, "1w": 52, "1mo": 12}
EMPYRICAL_PERIOD = {"1d": "daily", "1w": "weekly", "1mo": "monthly"}
REL = 1e-9


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def prices() -> dict[str, pd.Series]:
    """Daily closes of the S&P 500 (SPX) and adjusted closes of the NASDAQ (NDQ), UTC-stamped."""
    return {"SPX": utc_index(sp500.load()["Close"]), "NDQ": utc_index(nasdaq.load()["Adj Close"])}


def _month_starts(series: pd.Series) -> pd.Series:
    """Yahoo-style monthly bars: the month's last close stamped on the 1st of the month."""
    monthly = last_of_each(series, "M")
    return pd.Series(monthly.to_numpy(), index=monthly.index.to_period("M").to_timestamp().tz_localize("UTC"))


def _fund(user, code: str, holdings: dict[str, tuple[int, float]], when, benchmark=None):
    """Deposit exactly the cost and buy each instrument at `when` at the given close."""
    p = portfolio_create(code=code, name=code, owner=user, benchmark=benchmark)
    prices = {s: Decimal(str(round(px, 6))) for s, (_, px) in holdings.items()}
    cost = sum(prices[s] * q for s, (q, _) in holdings.items())
    transaction_record(portfolio=p, type="deposit", amount=cost, timestamp=when.to_pydatetime())
    for s, (q, _) in holdings.items():
        transaction_record(
            portfolio=p,
            type="buy",
            instrument=s,
            quantity=Decimal(q),
            price=prices[s],
            timestamp=when.to_pydatetime(),
        )
    return p


def _nav_returns(nav: pd.Series) -> pd.Series:
    """QuantStats' view of a NAV: its period-over-period changes (the first value starts them)."""
    return nav.pct_change().dropna().tz_localize(None)


def _references(r: pd.Series, b: pd.Series | None, frequency: str) -> dict[str, float]:
    ppy, period = PPY[frequency], EMPYRICAL_PERIOD[frequency]
    out = {
        "total_return": qs.stats.comp(r),
        "cagr": qs.stats.cagr(r, periods=ppy),
        "volatility": qs.stats.volatility(r, periods=ppy),
        "sharpe": qs.stats.sharpe(r, periods=ppy),
        "sortino": qs.stats.sortino(r, periods=ppy),
        "calmar": qs.stats.calmar(r, periods=ppy),
        "omega": qs.stats.omega(r, periods=ppy),
        "max_drawdown": qs.stats.max_drawdown(r),
        "skew": qs.stats.skew(r),
        "kurtosis": qs.stats.kurtosis(r),
        "var": empyrical.value_at_risk(r.to_numpy(), cutoff=0.05),
        "cvar": empyrical.conditional_value_at_risk(r.to_numpy(), cutoff=0.05),
        "best": qs.stats.best(r),
        "worst": qs.stats.worst(r),
        "win_rate": qs.stats.win_rate(r),
    }
    if b is not None:
        greeks = qs.stats.greeks(r, b, periods=ppy)
        out |= {
            "alpha": greeks["alpha"],
            "beta": empyrical.beta(r, b),
            "correlation": r.corr(b),
            "information_ratio": qs.stats.information_ratio(r, b) * np.sqrt(ppy),
            "tracking_error": (r - b).std() * np.sqrt(ppy),
            "up_capture": empyrical.up_capture(r, b, period=period),
            "down_capture": empyrical.down_capture(r, b, period=period),
        }
    return out


def _assert_all_metrics(metrics: dict, expected: dict) -> None:
    """Every figure the endpoint reports has a reference, and matches it."""
    assert set(metrics) == set(expected)
    for name, value in expected.items():
        assert metrics[name] == pytest.approx(value, rel=REL, abs=1e-12), name


@pytest.fixture
def monthly_fund(user, prices):
    """MSPX: S&P 500 month-end closes stamped on the month's last trading day (fund NAV style);
    MNDQ, its benchmark: NASDAQ monthly bars stamped on the 1st (Yahoo style). 10 MSPX bought at the
    first month's close."""
    spx_m = last_of_each(prices["SPX"], "M")
    ndq_m = _month_starts(prices["NDQ"])
    fund_i, bench_i = instrument_create(symbol="MSPX"), instrument_create(symbol="MNDQ")
    store_closes(fund_i, spx_m, interval="1mo")
    store_closes(bench_i, ndq_m, interval="1mo")
    _fund(user, "nav_fund", {"MSPX": (10, spx_m.iloc[0])}, spx_m.index[0], benchmark=bench_i)
    r = _nav_returns(10 * spx_m)
    b = ndq_m.pct_change().iloc[1:]
    b.index = r.index
    return {"r": r, "b": b, "months": len(spx_m), "mndq": ndq_m}


def test_monthly_nav_fund_matches_quantstats_on_its_nav(api_client, monthly_fund):
    res = api_client.get("/api/analytics/performance/nav_fund")
    assert res.status_code == 200, res.content
    body = res.json()
    r, b = monthly_fund["r"], monthly_fund["b"]
    # The default frequency is the finest the data has: monthly, annualized by 12.
    assert body["frequency"] == "1mo" and body["periods_per_year"] == 12
    assert body["annualization"] == "monthly: 12 periods per year"
    assert body["pricing"]["interval"] == "1mo" and body["pricing"]["sources"] == {"MSPX": "1mo"}
    assert body["pricing"]["frequency"] == "default"
    # One period per month after the funding month, not one more.
    assert body["observations"] == monthly_fund["months"] - 1 == len(r)
    assert body["start"] == iso_utc(pd.Timestamp("1999-02-01", tz="UTC"))
    _assert_all_metrics(body["metrics"], _references(r, b, "1mo"))
    assert body["metrics"]["sharpe"] == pytest.approx(qs.stats.sharpe(r, periods=12), rel=REL)
    np.testing.assert_allclose(body["series"]["returns"], r.to_numpy(), rtol=1e-12)
    # The same answer when monthly is asked for by name or by code.
    for name in ("monthly", "1mo"):
        asked = api_client.get("/api/analytics/performance/nav_fund", {"frequency": name}).json()
        assert asked["metrics"] == body["metrics"] and asked["pricing"]["frequency"] == "requested"


@pytest.mark.parametrize("frequency", ["daily", "1d", "weekly", "1w"])
def test_a_frequency_finer_than_the_data_is_400_on_frequency(api_client, monthly_fund, frequency):
    for path in ("performance", "benchmark"):
        res = api_client.get(f"/api/analytics/{path}/nav_fund", {"frequency": frequency})
        assert res.status_code == 400, res.content
        message = str(res.json()["frequency"])
        assert "monthly" in message and "MSPX" in message


def test_monthly_benchmark_comparison(api_client, monthly_fund):
    res = api_client.get("/api/analytics/benchmark/nav_fund")
    assert res.status_code == 200, res.content
    body = res.json()
    r, b = monthly_fund["r"], monthly_fund["b"]
    assert body["periods_per_year"] == 12 and body["benchmark"] == "MNDQ"
    side = {
        "total_return": lambda s: qs.stats.comp(s),
        "cagr": lambda s: qs.stats.cagr(s, periods=12),
        "volatility": lambda s: qs.stats.volatility(s, periods=12),
        "sharpe": lambda s: qs.stats.sharpe(s, periods=12),
        "max_drawdown": lambda s: qs.stats.max_drawdown(s),
    }
    for name, ref in side.items():
        assert body["portfolio_metrics"][name] == pytest.approx(ref(r), rel=REL), name
        assert body["benchmark_metrics"][name] == pytest.approx(ref(b), rel=REL), name
    expected = _references(r, b, "1mo")
    for name, value in body["metrics"].items():
        assert value == pytest.approx(expected[name], rel=REL, abs=1e-12), name
    assert body["excess_return"] == pytest.approx(qs.stats.comp(r) - qs.stats.comp(b), rel=REL)
    np.testing.assert_allclose(body["series"]["benchmark_returns"], b.to_numpy(), rtol=1e-12)


def test_attribution_from_the_book_uses_the_same_monthly_periods(api_client, user, prices, monthly_fund):
    r = monthly_fund["r"]
    url = "/api/analytics/attribution/nav_fund"
    res = api_client.post(url, {"method": "contribution", "frequency": "1mo"}, format="json")
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["periods"] == len(r)
    assert body["portfolio_return"] == pytest.approx(qs.stats.comp(r), rel=REL)
    [spx] = [row for row in body["securities"] if row["symbol"] == "MSPX"]
    assert spx["return_contribution"] == pytest.approx(qs.stats.comp(r), rel=1e-9)
    # Brinson against a model of the monthly benchmark, read on the same monthly bars.
    res = api_client.post(
        url,
        {"method": "brinson", "frequency": "monthly", "benchmark": {"weights": {"MNDQ": 1}}},
        format="json",
    )
    assert res.status_code == 200, res.content
    assert res.json()["periods"] == len(r)
    assert res.json()["benchmark_return"] == pytest.approx(qs.stats.comp(monthly_fund["b"]), rel=REL)
    # ... and against another stored book valued on the same monthly bars (all in MNDQ).
    mndq = monthly_fund["mndq"]
    _fund(user, "ndq_book", {"MNDQ": (4, mndq.iloc[0])}, mndq.index[0])
    body = {"method": "brinson", "frequency": "1mo", "benchmark": {"portfolio": "ndq_book"}}
    res = api_client.post(url, body, format="json")
    assert res.status_code == 200, res.content
    assert res.json()["benchmark_return"] == pytest.approx(qs.stats.comp(monthly_fund["b"]), rel=REL)
    # A book valued daily does not line up with monthly steps: a 400 saying so, not wrong numbers.
    daily = instrument_create(symbol="DAILY")
    store_closes(daily, prices["SPX"], interval="1d")
    _fund(user, "daily_book", {"DAILY": (1, prices["SPX"].iloc[0])}, prices["SPX"].index[0])
    body["benchmark"] = {"portfolio": "daily_book"}
    res = api_client.post(url, body, format="json")
    assert res.status_code == 400 and "1d bars" in str(res.json()["benchmark.portfolio"])
    # Daily attribution of monthly data: a frequency finer than the data.
    res = api_client.post(url, {"method": "contribution", "frequency": "1d"}, format="json")
    assert res.status_code == 400 and "frequency" in res.json()


@pytest.fixture
def daily_fund(user, prices):
    """DSPX: the S&P 500's daily closes; benchmark DNDQ the NASDAQ's. 10 DSPX bought at the first close."""
    spx, ndq = prices["SPX"], prices["NDQ"]
    fund_i, bench_i = instrument_create(symbol="DSPX"), instrument_create(symbol="DNDQ")
    store_closes(fund_i, spx, interval="1d")
    store_closes(bench_i, ndq, interval="1d")
    _fund(user, "daily_fund", {"DSPX": (10, spx.iloc[0])}, spx.index[0], benchmark=bench_i)
    return {"nav": 10 * spx, "bench": ndq}


@pytest.mark.parametrize("frequency", ["1d", "1w", "1mo"])
def test_daily_data_matches_quantstats_at_every_frequency(api_client, daily_fund, frequency):
    """Daily NAV, and the same NAV at week/month ends (the first period runs from the funding close)."""
    nav, bench = daily_fund["nav"], daily_fund["bench"]
    if frequency != "1d":
        period = {"1w": "W-SUN", "1mo": "M"}[frequency]
        nav = pd.concat([nav.iloc[:1], last_of_each(nav, period)]).groupby(level=0).last()
        bench = bench.reindex(nav.index)
    r, b = _nav_returns(nav), _nav_returns(bench)
    res = api_client.get("/api/analytics/performance/daily_fund", {"frequency": frequency})
    assert res.status_code == 200, res.content
    body = res.json()
    assert body["periods_per_year"] == PPY[frequency] and body["observations"] == len(r)
    assert body["pricing"]["interval"] == "1d"
    _assert_all_metrics(body["metrics"], _references(r, b, frequency))
    comparison = api_client.get("/api/analytics/benchmark/daily_fund", {"frequency": frequency}).json()
    assert comparison["benchmark_metrics"]["total_return"] == pytest.approx(qs.stats.comp(b), rel=REL)
    assert comparison["metrics"]["beta"] == pytest.approx(empyrical.beta(r, b), rel=REL)


def test_daily_data_defaults_to_daily(api_client, daily_fund):
    body = api_client.get("/api/analytics/performance/daily_fund").json()
    assert body["frequency"] == "1d" and body["periods_per_year"] == 252
    assert body["pricing"] == {
        "interval": "1d",
        "sources": {"DSPX": "1d"},
        "frequency": "default",
        "note": "daily bars",
    }


def test_mixed_daily_and_monthly_instruments_resample_to_monthly(api_client, user, prices):
    """DSPX has daily bars, MNDQ monthly ones only: the book is valued monthly, DSPX's daily bars
    resampled to months, and the answer says so."""
    spx, ndq_m = prices["SPX"], last_of_each(prices["NDQ"], "M")
    daily_i, monthly_i = instrument_create(symbol="DSPX"), instrument_create(symbol="MNDQ")
    store_closes(daily_i, spx, interval="1d")
    store_closes(monthly_i, ndq_m, interval="1mo")
    spx_m = last_of_each(spx, "M")
    when = spx_m.index[0]  # the last trading day of January 1999: both closes are known there
    _fund(user, "mixed", {"DSPX": (10, spx_m.iloc[0]), "MNDQ": (3, ndq_m.iloc[0])}, when)
    nav = 10 * spx_m.to_numpy() + 3 * ndq_m.to_numpy()
    r = _nav_returns(pd.Series(nav, index=spx_m.index))
    body = api_client.get("/api/analytics/performance/mixed").json()
    assert body["frequency"] == "1mo" and body["periods_per_year"] == 12
    assert body["pricing"]["sources"] == {"DSPX": "1d", "MNDQ": "1mo"}
    assert "DSPX" in body["pricing"]["note"] and "resampled" in body["pricing"]["note"]
    _assert_all_metrics(body["metrics"], _references(r, None, "1mo"))
    res = api_client.get("/api/analytics/performance/mixed", {"frequency": "daily"})
    assert res.status_code == 400 and "MNDQ" in str(res.json()["frequency"])


@pytest.fixture
def weekly_fund(user, prices):
    """WSPX: weekly bars only, the week's last close stamped on its Friday."""
    weekly = prices["SPX"].resample("W-FRI").last().dropna()
    inst = instrument_create(symbol="WSPX")
    store_closes(inst, weekly, interval="1w")
    _fund(user, "weekly_fund", {"WSPX": (10, weekly.iloc[0])}, weekly.index[0])
    return 10 * weekly


def test_weekly_data_defaults_to_weekly_and_chains_into_months(api_client, weekly_fund):
    body = api_client.get("/api/analytics/performance/weekly_fund").json()
    assert body["frequency"] == "1w" and body["periods_per_year"] == 52
    _assert_all_metrics(body["metrics"], _references(_nav_returns(weekly_fund), None, "1w"))
    # Monthly from weekly bars: each month ends at the last week whose Friday falls in it.
    monthly = weekly_fund.groupby(weekly_fund.index.tz_localize(None).to_period("M")).last()
    nav = pd.Series(monthly.to_numpy(), index=monthly.index.to_timestamp())
    body = api_client.get("/api/analytics/performance/weekly_fund", {"frequency": "monthly"}).json()
    assert body["frequency"] == "1mo" and body["periods_per_year"] == 12
    _assert_all_metrics(body["metrics"], _references(_nav_returns(nav), None, "1mo"))
    res = api_client.get("/api/analytics/performance/weekly_fund", {"frequency": "daily"})
    assert res.status_code == 400 and "weekly" in str(res.json()["frequency"])


def test_attribution_and_reports_default_to_the_books_own_frequency(api_client, monthly_fund):
    """Without `frequency`, attribution and tear sheets take the book's finest bars (monthly here)
    instead of asking for daily prices a fund NAV does not have."""
    r = monthly_fund["r"]
    res = api_client.post("/api/analytics/attribution/nav_fund", {"method": "contribution"}, format="json")
    assert res.status_code == 200, res.content
    assert res.json()["frequency"] == "1mo" and res.json()["periods"] == len(r)
    assert res.json()["portfolio_return"] == pytest.approx(qs.stats.comp(r), rel=REL)
    params = ReportRequestSerializer(data={"format": "csv"})
    assert params.is_valid(), params.errors
    data = report_data_gather(portfolio="nav_fund", frequency=params.validated_data["frequency"])
    assert data.frequency == "1mo"
    assert data.performance["metrics"]["sharpe"] == pytest.approx(qs.stats.sharpe(r, periods=12), rel=REL)
