"""NAV and time-weighted returns from transactions: deposits/withdrawals are never performance,
weekly/monthly chaining, annualization, money-weighted IRR, the benchmark, and 400-style errors.
Prices are the real S&P 500 closes that `arch` ships."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500
from django.core.exceptions import ValidationError

from apps.analytics.kernels import returns as kernel
from apps.analytics.selectors.returns import benchmark_returns, portfolio_returns
from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert
from apps.portfolio.services import portfolio_create, transaction_record

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(scope="module")
def spx() -> pd.DataFrame:
    frame = sp500.load().iloc[:90]
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC")
    return frame


def _store(instrument, closes: pd.Series, adj: pd.Series | None = None) -> None:
    frame = pd.DataFrame({"instrument_id": instrument.pk, "ts": closes.index, "close": closes.to_numpy()})
    frame["open"] = frame["high"] = frame["low"] = frame["close"]
    frame["adj_close"] = frame["close"] if adj is None else adj.to_numpy()
    frame["volume"] = 1.0
    bars_upsert(frame, interval="1d")


@pytest.fixture
def market(db, spx):
    x = instrument_create(symbol="SPX", currency="USD")
    bench = instrument_create(symbol="BENCH", currency="USD")
    _store(x, spx["Close"])
    # A benchmark whose adjusted close differs from its close (a dividend-like factor).
    _store(bench, spx["Close"] * 0.5, spx["Adj Close"] * 0.5 * np.linspace(1.0, 1.02, len(spx)))
    return {"SPX": x, "BENCH": bench}


def _px(spx, i: int) -> Decimal:
    return D(str(round(float(spx["Close"].iloc[i]), 6)))


@pytest.fixture
def invested(user, market, spx):
    """Always fully invested in SPX: deposits are spent on SPX the same day, withdrawals come from
    sales the same day, all at the close. Its returns must be SPX's returns, flows or not."""
    from apps.marketdata.models import Instrument

    p = portfolio_create(code="inv", name="inv", owner=user, benchmark=Instrument.objects.get(symbol="BENCH"))
    ts = spx.index
    for i, kind, qty in [(0, "deposit", 10), (0, "buy", 10), (20, "deposit", 30), (20, "buy", 30)]:
        _book(p, spx, ts[i], kind, i, qty)
    _book(p, spx, ts[50], "sell", 50, 15)
    _book(p, spx, ts[50], "withdrawal", 50, 15)
    return p


def _book(p, spx, when, kind, i, qty):
    amount = _px(spx, i) * qty
    if kind in ("deposit", "withdrawal"):
        transaction_record(portfolio=p, type=kind, amount=amount, timestamp=when.to_pydatetime())
    else:
        transaction_record(
            portfolio=p,
            type=kind,
            instrument="SPX",
            quantity=D(qty),
            price=_px(spx, i),
            timestamp=when.to_pydatetime(),
        )


def test_flows_are_not_returns(invested, spx):
    r = portfolio_returns(portfolio=invested)
    expected = spx["Close"].pct_change().iloc[1:]  # day 0 is the funding close: no period
    assert r.frequency == "1d" and r.periods_per_year == 252
    pd.testing.assert_index_equal(r.returns.index, spx.index[1:], check_names=False)
    np.testing.assert_allclose(r.returns.to_numpy(), expected.to_numpy(), atol=1e-9)
    assert r.flows.loc[spx.index[20]] == pytest.approx(float(_px(spx, 20) * 30))
    assert r.flows.loc[spx.index[50]] == pytest.approx(-float(_px(spx, 50) * 15))
    assert r.nav.iloc[-1] == pytest.approx(25 * spx["Close"].iloc[-1], rel=1e-9)


def test_weekly_and_monthly_chain_like_prices(invested, spx):
    for freq, rule in (("1w", "W-SUN"), ("1mo", "ME")):
        r = portfolio_returns(portfolio=invested, frequency=freq)
        closes = spx["Close"].resample(rule).last()
        expected = closes.pct_change()
        expected.iloc[0] = closes.iloc[0] / spx["Close"].iloc[0] - 1  # first period starts at the buy
        np.testing.assert_allclose(r.returns.to_numpy(), expected.to_numpy(), atol=1e-9)
        # Labelled by the last trading day in each period.
        assert list(r.returns.index) == list(
            spx["Close"].groupby(spx.index.tz_localize(None).to_period(rule[0])).tail(1).index
        )
        assert r.periods_per_year == {"1w": 52, "1mo": 12}[freq]
        assert r.nav.iloc[-1] == pytest.approx(25 * spx["Close"].iloc[-1], rel=1e-9)


def test_window_slices_and_idle_cash_dilutes(user, market, spx):
    # 10 SPX, then a huge idle deposit: the window's returns follow the NAV formula exactly.
    p = portfolio_create(code="half", name="half", owner=user)
    transaction_record(
        portfolio=p, type="deposit", amount=_px(spx, 0) * 10, timestamp=spx.index[0].to_pydatetime()
    )
    transaction_record(
        portfolio=p,
        type="buy",
        instrument="SPX",
        quantity=D(10),
        price=_px(spx, 0),
        timestamp=spx.index[0].to_pydatetime(),
    )
    transaction_record(portfolio=p, type="deposit", amount=D("1e9"), timestamp=spx.index[30].to_pydatetime())
    r = portfolio_returns(portfolio=p, start=spx.index[30], end=spx.index[40])
    assert len(r.returns) == 10 and r.returns.index[0] == spx.index[30]
    nav = 10 * spx["Close"].iloc[29:40].to_numpy() + float(_px(spx, 0) * 10) - 10 * float(_px(spx, 0))
    nav[1:] += 1e9
    expected = (nav[1:] - np.r_[1e9, np.zeros(9)]) / nav[:-1] - 1
    np.testing.assert_allclose(r.returns.to_numpy(), expected, rtol=1e-9, atol=1e-12)
    # The 1e9 deposit is not a return: the day it lands earns SPX's move on the 10 shares alone,
    # afterwards the idle cash dilutes SPX's moves to almost nothing.
    assert r.returns.iloc[0] == pytest.approx(spx["Close"].pct_change().iloc[30], rel=1e-9)
    assert r.returns.iloc[1:].abs().max() < 1e-5


def test_performance_starts_after_the_funding_bar_and_idle_cash_is_a_period(user, market, spx):
    """Deposited on day 2, bought on day 5: day 2 funds the book (no period); days 3-5 hold idle cash
    (real zero returns); SPX's moves from day 6. A window opening before the funding starts there too."""
    p = portfolio_create(code="late", name="late", owner=user)
    transaction_record(
        portfolio=p, type="deposit", amount=_px(spx, 5) * 10, timestamp=spx.index[2].to_pydatetime()
    )
    _book(p, spx, spx.index[5], "buy", 5, 10)
    r = portfolio_returns(portfolio=p)
    assert r.returns.index[0] == spx.index[3]
    expected = np.r_[0.0, 0.0, 0.0, spx["Close"].pct_change().iloc[6:].to_numpy()]
    np.testing.assert_allclose(r.returns.to_numpy(), expected, atol=1e-12)
    assert r.period_starts[0] == spx.index[2] and (r.period_starts[1:] == r.returns.index[:-1]).all()
    early = portfolio_returns(portfolio=p, start="1998-06-01", end=spx.index[8])
    pd.testing.assert_series_equal(early.returns, r.returns.iloc[:5])
    # Nothing at risk before the last valuation of the window: no returns, a 400 on period.
    with pytest.raises(ValidationError) as exc:
        portfolio_returns(portfolio=p, end=spx.index[3])
    assert "period" in exc.value.message_dict


def test_first_at_risk_hand_examples():
    nav = lambda *v: pd.Series(v, dtype=float)  # noqa: E731
    assert kernel.first_at_risk(nav(100, 110, 105)) == 1  # funded at the first close
    assert kernel.first_at_risk(nav(0, 0, 100, 105)) == 3
    assert kernel.first_at_risk(nav(100, 0, 0, 50)) == 1  # emptied later: those periods stay
    assert kernel.first_at_risk(nav(0, 0, 100)) is None


def test_twr_kernel_hand_example():
    nav = pd.DataFrame({"a": [100.0, 160.0, 150.0], "b": [0.0, 50.0, 55.0]})
    flows = pd.DataFrame({"a": [100.0, 50.0, 0.0], "b": [0.0, 50.0, 0.0]})
    # a: nothing before -> 0; (160-50)/100-1 = 0.10; 150/160-1 = -1/16.
    # b: the 50 deposited at the close of period 1 earns nothing there; then 55/50-1 = 0.10.
    out = kernel.twr_returns(nav, flows)
    np.testing.assert_allclose(out["a"], [0.0, 0.10, -1 / 16])
    np.testing.assert_allclose(out["b"], [0.0, 0.0, 0.10])


def test_irr_hand_examples():
    d = pd.DatetimeIndex(["2020-01-01", "2020-12-31", "2021-12-31"])
    assert kernel.irr(d[[0, 1]], np.array([-100.0, 110.0])) == pytest.approx(0.10, abs=1e-10)  # 365 days
    # -100 now, -100 in 365 days, 231 in 730 days: 100*1.1^2 + 100*1.1 = 231 -> 10%.
    assert kernel.irr(d, np.array([-100.0, -100.0, 231.0])) == pytest.approx(0.10, abs=1e-10)
    assert np.isnan(kernel.irr(d[[0, 1]], np.array([100.0, 110.0])))


def test_money_weighted_return_of_a_single_deposit(invested, spx):
    r = portfolio_returns(portfolio=invested, end=spx.index[15])
    days = (spx.index[14] - spx.index[0]).days
    growth = spx["Close"].iloc[14] / float(_px(spx, 0))
    assert r.money_weighted_return == pytest.approx(growth ** (365 / days) - 1, rel=1e-6)


def test_annualization_follows_the_calendar():
    weekdays = pd.bdate_range("2024-01-01", periods=30, tz="UTC")
    every_day = pd.date_range("2024-01-01", periods=30, tz="UTC")
    assert kernel.annualization(weekdays, "1d") == 252
    assert kernel.annualization(every_day, "1d") == 365
    assert kernel.annualization(every_day, "1mo") == 12


def test_benchmark_returns_on_the_same_calendar(invested, spx):
    adj = spx["Adj Close"] * 0.5 * np.linspace(1.0, 1.02, len(spx))
    b = benchmark_returns(portfolio=invested, start=spx.index[5])
    r = portfolio_returns(portfolio=invested, start=spx.index[5])
    pd.testing.assert_index_equal(b.index, r.returns.index)
    np.testing.assert_allclose(b.to_numpy(), adj.pct_change().iloc[5:].to_numpy(), rtol=1e-9)
    monthly = benchmark_returns(portfolio=invested, frequency="1mo")
    m_adj = adj.resample("ME").last()
    np.testing.assert_allclose(monthly.iloc[1:].to_numpy(), m_adj.pct_change().iloc[1:].to_numpy(), rtol=1e-9)


def test_no_benchmark_is_none(user, market):
    p = portfolio_create(code="nob", name="nob", owner=user, initial_cash=D("10"))
    assert benchmark_returns(portfolio=p) is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"start": "2000-01-01", "end": "1999-01-01"}, "start"),
        ({"frequency": "5h"}, "frequency"),
        ({"start": "2010-01-01"}, "period"),
        ({"end": "1998-01-01"}, "period"),
        ({"start": "not a date"}, "start"),
    ],
)
def test_bad_input_names_the_field(invested, kwargs, field):
    with pytest.raises(ValidationError) as exc:
        portfolio_returns(portfolio=invested, **kwargs)
    assert field in exc.value.message_dict
