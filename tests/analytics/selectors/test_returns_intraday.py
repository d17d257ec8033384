"""Intraday NAV and returns (1m ... 1h): holdings valued at intraday bar closes resampled from stored
minute bars, a booking counting in the bar bucket that contains it, annualization by the bars per
trading day observed, the benchmark on the same bars, and a 400 when there are no intraday bars.

The reference for every return is pandas' own `resample` of the stored minute closes."""

from __future__ import annotations

import math
import warnings
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from apps.analytics.kernels import returns as kernel
from apps.analytics.selectors.returns import portfolio_returns
from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert
from apps.portfolio.services import portfolio_create, transaction_record
from tests.analytics.market import sp500_closes, store_daily_closes

pytestmark = pytest.mark.django_db
D = Decimal
SESSIONS = ["2024-03-04", "2024-03-05", "2024-03-06"]  # Monday to Wednesday
RULE = {"1m": "1min", "5m": "5min", "15m": "15min", "30m": "30min", "1h": "1h"}


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _minutes() -> pd.DatetimeIndex:
    """A US session in UTC, 14:30 to 20:59: 390 one-minute bars per day."""
    days = [pd.date_range(f"{d} 14:30", f"{d} 20:59", freq="1min", tz="UTC") for d in SESSIONS]
    return days[0].append(days[1:])


@pytest.fixture(scope="module")
def minute_closes() -> pd.DataFrame:
    idx = _minutes()
    rng = np.random.default_rng(20240304)
    walk = lambda s0, vol: np.round(s0 * np.exp(np.cumsum(rng.normal(0, vol, len(idx)))), 4)  # noqa: E731
    return pd.DataFrame({"MIN": walk(100.0, 0.001), "MBENCH": walk(50.0, 0.0008)}, index=idx)


def _store_minutes(instrument, closes: pd.Series) -> None:
    frame = pd.DataFrame({"instrument_id": instrument.pk, "ts": closes.index, "close": closes.to_numpy()})
    frame["open"] = frame["high"] = frame["low"] = frame["adj_close"] = frame["close"]
    frame["volume"] = 10.0
    bars_upsert(frame, interval="1m")


def _at(ts: str) -> pd.Timestamp:
    return pd.Timestamp(ts, tz="UTC")


@pytest.fixture
def intra(user, minute_closes):
    """Deposit and buy 1000 MIN at 14:37:20 on Monday; on Tuesday at 16:02:10 deposit and buy 500
    more at the close of the 16:00-16:04 bucket (so the purchase itself moves nothing at 5m)."""
    mins, bench = (instrument_create(symbol=s, currency="USD") for s in ("MIN", "MBENCH"))
    _store_minutes(mins, minute_closes["MIN"])
    _store_minutes(bench, minute_closes["MBENCH"])
    p = portfolio_create(code="intra", name="intra", owner=user, benchmark=bench)
    px1 = D(str(minute_closes["MIN"].loc[_at("2024-03-04 14:37")]))
    when1 = _at("2024-03-04 14:37:20").to_pydatetime()
    transaction_record(portfolio=p, type="deposit", amount=px1 * 1000, timestamp=when1)
    transaction_record(
        portfolio=p, type="buy", instrument="MIN", quantity=D(1000), price=px1, timestamp=when1
    )
    px2 = D(str(minute_closes["MIN"].loc[_at("2024-03-05 16:04")]))
    when2 = _at("2024-03-05 16:02:10").to_pydatetime()
    transaction_record(portfolio=p, type="deposit", amount=px2 * 500, timestamp=when2)
    transaction_record(portfolio=p, type="buy", instrument="MIN", quantity=D(500), price=px2, timestamp=when2)
    return p


def _reference(minute_closes: pd.DataFrame, frequency: str) -> pd.Series:
    """Bucket closes from pandas (left-labelled, left-closed buckets, empty ones dropped), from the
    bucket that holds the first booking on; that bucket is where the NAV starts (the book is funded
    at its close), so the first return is the next bucket's. The bucket holding the second purchase: r = (NAV - flow) / NAV_prev - 1 with NAV = 1500 c, flow =
    500 p2 and NAV_prev = 1000 c_prev; it is c / c_prev - 1 only when p2 is the bucket's close."""
    closes = minute_closes["MIN"].resample(RULE[frequency], label="left", closed="left").last().dropna()
    first = _at("2024-03-04 14:37:20").floor(RULE[frequency])
    closes = closes[closes.index >= first]
    expected = closes.pct_change()
    bucket = _at("2024-03-05 16:02:10").floor(RULE[frequency])
    k = closes.index.get_loc(bucket)
    p2 = minute_closes["MIN"].loc[_at("2024-03-05 16:04")]
    expected.iloc[k] = (1500 * closes.iloc[k] - 500 * p2) / (1000 * closes.iloc[k - 1]) - 1
    return expected.iloc[1:]


@pytest.mark.parametrize("frequency", ["1m", "5m", "15m", "1h"])
def test_intraday_returns_are_the_bucket_closes_flows_or_not(intra, minute_closes, frequency):
    r = portfolio_returns(portfolio="intra", frequency=frequency)
    expected = _reference(minute_closes, frequency)
    pd.testing.assert_index_equal(r.returns.index, expected.index, check_names=False, exact=False)
    np.testing.assert_allclose(r.returns.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
    assert r.nav.iloc[-1] == pytest.approx(1500 * minute_closes["MIN"].iloc[-1], rel=1e-12)
    # The second deposit is a flow in the bucket holding 16:02:10, not a return.
    bucket = _at("2024-03-05 16:02:10").floor(RULE[frequency])
    assert r.flows.loc[bucket] == pytest.approx(500 * minute_closes["MIN"].loc[_at("2024-03-05 16:04")])
    assert r.flows.drop([bucket]).abs().max() == 0.0


def test_annualization_is_bars_per_trading_day_times_252(intra, api_client):
    res = api_client.get("/api/analytics/performance/intra", {"frequency": "5m"})
    body = res.json()
    assert res.status_code == 200, body
    # Monday has 77 five-minute buckets from 14:35 (the first booking), Tuesday and Wednesday 78:
    # the median per UTC day is 78, so 78 x 252 = 19,656 periods per year. The 14:35 bucket funds
    # the book: the returns start at the next one.
    assert body["periods_per_year"] == 78 * 252 == 19656
    assert "78 bars per trading day" in body["annualization"] and "252 trading days" in body["annualization"]
    r = np.asarray(body["series"]["returns"], dtype=float)
    assert body["metrics"]["volatility"] == pytest.approx(np.std(r, ddof=1) * math.sqrt(19656), rel=1e-9)
    assert body["observations"] == 77 + 78 + 78 - 1


def test_weekend_trading_data_is_annualized_on_365_days():
    every_hour = pd.date_range(
        "2024-03-01", periods=24 * 14, freq="1h", tz="UTC"
    )  # 24 bars a day, 7 days a week
    assert kernel.annualization(every_hour, "1h") == 24 * 365
    weekdays = every_hour[every_hour.day_of_week < 5]
    assert kernel.annualization(weekdays, "1h") == 24 * 252
    # a half session does not set the scale: median of (2, 7, 7) bars per day is 7
    hours = pd.DatetimeIndex(
        [
            "2024-03-04 19:00",
            "2024-03-04 20:00",
            *pd.date_range("2024-03-05 14:00", periods=7, freq="1h"),
            *pd.date_range("2024-03-06 14:00", periods=7, freq="1h"),
        ],
        tz="UTC",
    )
    assert kernel.intraday_annualization(hours) == (7.0, 252)


def test_a_window_starts_from_the_bar_before_it(intra, minute_closes):
    full = portfolio_returns(portfolio="intra", frequency="5m")
    part = portfolio_returns(portfolio="intra", frequency="5m", start="2024-03-05T15:00", end="2024-03-06")
    expected = full.returns[
        (full.returns.index >= _at("2024-03-05 15:00")) & (full.returns.index < _at("2024-03-07"))
    ]
    np.testing.assert_allclose(part.returns.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-15)
    assert part.returns.index[0] == _at("2024-03-05 15:00")


def test_benchmark_on_the_same_intraday_bars(intra, minute_closes, api_client):
    res = api_client.get("/api/analytics/benchmark/intra", {"frequency": "15m"})
    body = res.json()
    assert res.status_code == 200, body
    closes = minute_closes["MBENCH"].resample("15min", label="left", closed="left").last().dropna()
    expected = closes.pct_change()
    # The 14:30 bucket holds the booking: both sides' returns run from its close.
    expected = expected[expected.index > _at("2024-03-04 14:30")]
    got = np.asarray(body["series"]["benchmark_returns"], dtype=float)
    np.testing.assert_allclose(got, expected.to_numpy(), rtol=1e-12)
    assert np.isfinite(got).all()
    assert body["periods_per_year"] == 26 * 252  # 26 fifteen-minute buckets in a 6.5 h session


def test_no_intraday_bars_is_400_on_frequency(user, api_client, intra):
    spx = sp500_closes(20)
    daily = instrument_create(symbol="DAILY", currency="USD")
    store_daily_closes(daily, spx["Close"], spx["Close"])
    p = portfolio_create(code="daily_only", name="d", owner=user)
    when = spx.index[0].to_pydatetime()
    price = D(str(round(float(spx["Close"].iloc[0]), 4)))
    transaction_record(portfolio=p, type="deposit", amount=price * 10, timestamp=when)
    transaction_record(
        portfolio=p, type="buy", instrument="DAILY", quantity=D(10), price=price, timestamp=when
    )
    for code in ("daily_only", "intra"):
        params = {"frequency": "5m"} if code == "daily_only" else {"frequency": "5m", "start": "2024-04-01"}
        res = api_client.get(f"/api/analytics/performance/{code}", params)
        assert res.status_code == 400, res.json()
        assert "5m bars" in str(res.json()["frequency"])
    # A benchmark with daily bars only has no 5m returns: 400 on benchmark, with the reason.
    res = api_client.get("/api/analytics/benchmark/intra", {"frequency": "5m", "benchmark": "DAILY"})
    assert res.status_code == 400 and "No prices for DAILY" in str(res.json()["benchmark"])
    cash = portfolio_create(code="cash_only", name="c", owner=user)
    transaction_record(portfolio=cash, type="deposit", amount=D(100), timestamp=when)
    res = api_client.get("/api/analytics/performance/cash_only", {"frequency": "1h"})
    assert res.status_code == 400 and "frequency" in res.json()
    res = api_client.get("/api/analytics/performance/intra", {"frequency": "2m"})
    assert res.status_code == 400 and "frequency" in res.json()
