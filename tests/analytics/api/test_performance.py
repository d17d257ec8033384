"""GET /api/analytics/performance/{portfolio} and /benchmark/{portfolio} on a stored portfolio that is
always fully invested in an S&P 500 instrument (real closes from `arch`): its figures must be the
reference libraries' figures for the index's own returns. Plus access and bad-input answers."""

from __future__ import annotations

import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import quantstats as qs

from apps.marketdata.services import instrument_create
from apps.platform.timestamps import iso_utc
from apps.portfolio.services import portfolio_create, transaction_record
from tests.analytics.market import sp500_closes, store_daily_closes

pytestmark = pytest.mark.django_db
DAYS = 300


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    return sp500_closes(DAYS)


@pytest.fixture
def book(user, spx):
    """`spx_fund`: deposit and buy 10 SPX at the first close, benchmark BENCH (a different series:
    the index's adjusted close with a drift)."""
    spx_i = instrument_create(symbol="SPX", currency="USD")
    bench = instrument_create(symbol="BENCH", currency="USD")
    store_daily_closes(spx_i, spx["Close"], spx["Close"])
    drifted = spx["Adj Close"] * np.linspace(1.0, 1.05, len(spx)) * (1 + 0.01 * np.sin(np.arange(len(spx))))
    store_daily_closes(bench, spx["Close"], drifted)
    p = portfolio_create(code="spx_fund", name="SPX fund", owner=user, benchmark=bench)
    price = Decimal(str(round(float(spx["Close"].iloc[0]), 6)))
    when = spx.index[0].to_pydatetime()
    transaction_record(portfolio=p, type="deposit", amount=price * 10, timestamp=when)
    transaction_record(
        portfolio=p, type="buy", instrument="SPX", quantity=Decimal(10), price=price, timestamp=when
    )
    plain = portfolio_create(code="no_bench", name="No benchmark", owner=user)
    transaction_record(portfolio=plain, type="deposit", amount=price * 10, timestamp=when)
    transaction_record(
        portfolio=plain, type="buy", instrument="SPX", quantity=Decimal(10), price=price, timestamp=when
    )
    # Day 0 is the funding close, where the NAV starts: the first period is day 1 (for both sides).
    returns = spx["Close"].pct_change().iloc[1:]
    bench_returns = drifted.pct_change().iloc[1:]
    return {"returns": returns, "bench": bench_returns}


def _get(client, path, **params):
    return client.get(f"/api/analytics/{path}", params)


def test_performance_figures_are_quantstats_figures(api_client, book):
    res = _get(api_client, "performance/spx_fund")
    assert res.status_code == 200, res.content
    body = res.json()
    s = book["returns"]
    assert body["periods_per_year"] == 252 and body["annualization"] == "daily: 252 periods per year"
    assert body["observations"] == DAYS - 1 and body["benchmark"] == "BENCH"
    m = body["metrics"]
    expected = {
        "total_return": qs.stats.comp(s),
        "cagr": qs.stats.cagr(s, periods=252),
        "volatility": qs.stats.volatility(s),
        "sharpe": qs.stats.sharpe(s),
        "sortino": qs.stats.sortino(s),
        "calmar": qs.stats.calmar(s),
        "max_drawdown": qs.stats.max_drawdown(s),
        "skew": qs.stats.skew(s),
        "kurtosis": qs.stats.kurtosis(s),
        "win_rate": qs.stats.win_rate(s),
        "worst": qs.stats.worst(s),
    }
    for name, value in expected.items():
        assert m[name] == pytest.approx(value, rel=1e-7), name
    paired = s.tz_localize(None), book["bench"].tz_localize(None)
    greeks = qs.stats.greeks(*paired)
    assert m["beta"] == pytest.approx(greeks["beta"], rel=1e-7)
    assert m["alpha"] == pytest.approx(greeks["alpha"], rel=1e-6)
    assert m["information_ratio"] == pytest.approx(
        qs.stats.information_ratio(*paired) * np.sqrt(252), rel=1e-6
    )
    # The deepest drawdown by hand: wealth against its running peak (which starts at 1.0).
    wealth = (1 + s).cumprod()
    dd = wealth / np.maximum(wealth.cummax(), 1.0) - 1
    trough = dd.idxmin()
    peak = wealth[:trough].idxmax()
    assert body["max_drawdown"]["trough"] == iso_utc(trough)
    assert body["max_drawdown"]["peak"] == iso_utc(peak)
    series = body["series"]
    assert len(series["ts"]) == len(series["drawdown"]) == len(series["rolling_beta"]) == DAYS - 1
    assert body["window"] == 63 and series["rolling_sharpe"][61] is None
    assert series["rolling_volatility"][-1] == pytest.approx(s.iloc[-63:].std() * np.sqrt(252), rel=1e-7)
    assert min(series["drawdown"]) == pytest.approx(m["max_drawdown"])


def test_risk_free_window_and_weekly_frequency(api_client, book):
    body = _get(api_client, "performance/spx_fund", risk_free="0.04", window="20").json()
    assert body["metrics"]["sharpe"] == pytest.approx(qs.stats.sharpe(book["returns"], rf=0.04), rel=1e-7)
    assert body["window"] == 20 and body["series"]["rolling_sharpe"][19] is not None
    weekly = _get(api_client, "performance/spx_fund", frequency="1w").json()
    assert weekly["periods_per_year"] == 52 and weekly["annualization"] == "weekly: 52 periods per year"
    assert weekly["metrics"]["total_return"] == pytest.approx(qs.stats.comp(book["returns"]), rel=1e-7)


def test_benchmark_comparison(api_client, book):
    res = _get(api_client, "benchmark/spx_fund")
    assert res.status_code == 200, res.content
    body = res.json()
    s, b = book["returns"], book["bench"]
    assert body["metrics"]["correlation"] == pytest.approx(s.corr(b), rel=1e-7)
    assert body["benchmark_metrics"]["total_return"] == pytest.approx(qs.stats.comp(b), rel=1e-7)
    assert body["excess_return"] == pytest.approx(qs.stats.comp(s) - qs.stats.comp(b), rel=1e-6)
    excess = body["series"]["excess"]
    assert excess[0] == pytest.approx(s.iloc[0] - b.iloc[0]) and excess[5] == pytest.approx(
        s.iloc[5] - b.iloc[5]
    )
    # Against the instrument it holds: identical returns once paired.
    same = _get(api_client, "benchmark/spx_fund", benchmark="SPX").json()
    assert same["benchmark"] == "SPX"
    assert same["metrics"]["beta"] == pytest.approx(1.0) and same["metrics"][
        "tracking_error"
    ] == pytest.approx(0.0)
    assert same["metrics"]["up_capture"] == pytest.approx(1.0) and same["excess_return"] == pytest.approx(0.0)


def test_access(api_client, other_client, anon_client, staff_client, book):
    assert _get(api_client, "performance/nope").status_code == 404
    assert _get(api_client, "benchmark/nope").status_code == 404
    assert _get(other_client, "performance/spx_fund").status_code == 403
    assert _get(other_client, "benchmark/spx_fund").status_code == 403
    assert _get(anon_client, "performance/spx_fund").status_code in (401, 403)
    assert _get(staff_client, "performance/spx_fund").status_code == 200


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("performance", {"start": "2000-06-01", "end": "2000-01-01"}, "start"),
        ("performance", {"frequency": "5m"}, "frequency"),
        ("performance", {"window": "1"}, "window"),
        ("performance", {"start": "2030-01-01", "end": "2030-02-01"}, "period"),
        ("performance", {"start": "yesterday-ish"}, "start"),
        ("performance", {"risk_free": "NO_SUCH_SERIES"}, "risk_free"),
        ("benchmark", {"benchmark": "NOPE"}, "benchmark"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, book, path, params, field):
    res = _get(api_client, f"{path}/spx_fund", **params)
    assert res.status_code == 400, res.content
    assert field in res.json()


def test_benchmark_needs_a_benchmark(api_client, book):
    res = _get(api_client, "benchmark/no_bench")
    assert res.status_code == 400 and "benchmark" in res.json()
    # Performance without a benchmark still answers, without the benchmark figures.
    body = _get(api_client, "performance/no_bench").json()
    assert body["benchmark"] is None and "beta" not in body["metrics"]
    assert "rolling_beta" not in body["series"]
    assert body["metrics"]["sharpe"] == pytest.approx(qs.stats.sharpe(book["returns"]), rel=1e-7)


def test_risk_free_from_a_stored_economic_series(api_client, book, spx):
    """A rate series in percent (FRED style), each rate in force from its date until the next."""
    from apps.marketdata.services import series_ingest

    change = spx.index[150]
    csv = (
        "observation_date,DTB3,realtime_start\n"
        f"1998-12-01,4.0,1998-12-01\n{change.date()},6.0,{change.date()}\n"
    ).encode()
    series_ingest(source=csv)
    body = _get(api_client, "performance/spx_fund", risk_free="DTB3").json()
    assert body["risk_free"] == "series DTB3 (percent)"
    s = book["returns"].tz_localize(None)
    rates = pd.Series(np.where(s.index < change.tz_localize(None), 0.04, 0.06), index=s.index)
    assert body["metrics"]["sharpe"] == pytest.approx(qs.stats.sharpe(s, rf=rates, periods=252), rel=1e-7)
    assert body["metrics"]["sharpe"] != pytest.approx(qs.stats.sharpe(s, rf=0.04, periods=252), rel=1e-4)
