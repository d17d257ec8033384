"""P&L: FIFO and average-cost lots against a hand-worked example with partial closes, fees, a
dividend and a EUR position in a USD portfolio; breakdowns; daily P&L; the pure kernel alone."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest

from apps.analytics.kernels import pnl as kernel
from apps.analytics.selectors.pnl import portfolio_pnl, portfolios_pnl, positions_pnl
from apps.marketdata.models import FxRate
from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert
from apps.portfolio.services import portfolio_create, transaction_record

pytestmark = pytest.mark.django_db


def _t(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=UTC)


def _bars(instruments: dict, closes: dict[str, dict[str, float]]) -> None:
    rows = [
        {"instrument_id": instruments[sym].pk, "ts": pd.Timestamp(day, tz="UTC"), "close": px}
        for sym, by_day in closes.items()
        for day, px in by_day.items()
    ]
    frame = pd.DataFrame(rows)
    frame["open"] = frame["high"] = frame["low"] = frame["close"]
    frame["volume"] = 1000.0
    bars_upsert(frame, interval="1d")


@pytest.fixture
def market(db):
    instruments = {
        "AAPL": instrument_create(symbol="AAPL", currency="USD", sector="Technology"),
        "SAP": instrument_create(symbol="SAP", currency="EUR", sector="Software"),
    }
    FxRate.objects.create(base="EUR", quote="USD", ts=_t("2024-01-01"), rate=1.1)
    _bars(
        instruments,
        {"AAPL": {"2024-01-08": 13.0, "2024-01-09": 14.0}, "SAP": {"2024-01-08": 115.0, "2024-01-09": 120.0}},
    )
    return instruments


def _book(user, code: str, cost_method: str):
    p = portfolio_create(
        code=code, name=code, owner=user, initial_cash=Decimal("100000"), cost_method=cost_method
    )
    D = Decimal
    for type_, sym, qty, px, fee, day in [
        ("buy", "AAPL", "100", "10", "1", "2024-01-02"),
        ("buy", "AAPL", "100", "12", "1", "2024-01-03"),
        ("sell", "AAPL", "150", "15", "2", "2024-01-04"),  # partial close across both lots
        ("buy", "SAP", "10", "100", "0", "2024-01-03"),
        ("sell", "SAP", "4", "110", "1", "2024-01-04"),  # fee in EUR
    ]:
        transaction_record(
            portfolio=p,
            type=type_,
            instrument=sym,
            quantity=D(qty),
            price=D(px),
            fees=D(fee),
            timestamp=_t(day),
        )
    transaction_record(
        portfolio=p, type="dividend", instrument="AAPL", amount=D("20"), timestamp=_t("2024-01-05")
    )
    return p


def test_fifo_worked_example(user, market):
    # AAPL (USD): FIFO sells 100 of the 10 lot and 50 of the 12 lot:
    #   realized 100*(15-10) + 50*(15-12) = 650; open 50 @ 12 (cost 600) at 14 -> unrealized 100;
    #   fees 1+1+2 = 4; dividend 20; total 650 + 100 + 20 - 4 = 766.
    # SAP (EUR, EURUSD 1.1): realized 4*(110-100) = 40 EUR = 44 USD; open 6 @ 100 at 120 ->
    #   unrealized 120 EUR = 132 USD; fee 1 EUR = 1.1 USD; total 44 + 132 - 1.1 = 174.9.
    r = portfolio_pnl(portfolio=_book(user, "fifo_pf", "fifo"))
    s = r.summary
    assert r.cost_method == "fifo" and r.base_currency == "USD"
    assert s["realized"] == pytest.approx(694.0)
    assert s["unrealized"] == pytest.approx(232.0)
    assert s["fees"] == pytest.approx(5.1)
    assert s["dividends"] == pytest.approx(20.0)
    assert s["total"] == pytest.approx(940.9)
    assert s["market_value"] == pytest.approx(50 * 14 + 6 * 120 * 1.1)
    assert s["nav"] == pytest.approx(s["cash"] + s["market_value"])
    # Daily: prev closes (Jan 8) AAPL 13, SAP 115: 50*(14-13) + 6*(120-115)*1.1 = 50 + 33.
    assert s["daily"] == pytest.approx(83.0)
    pos = r.positions.set_index("symbol")
    assert pos.loc["AAPL", "quantity"] == pytest.approx(50)
    assert pos.loc["AAPL", "cost_basis"] == pytest.approx(600)
    assert pos.loc["SAP", "cost_basis"] == pytest.approx(660)  # 600 EUR at 1.1
    assert r.by_currency.loc["USD", "total"] == pytest.approx(766.0)
    assert r.by_currency.loc["EUR", "total"] == pytest.approx(174.9)
    assert r.by_sector.loc["Technology", "realized"] == pytest.approx(650.0)
    assert r.by_sector.loc["Software", "unrealized"] == pytest.approx(132.0)


def test_average_cost_moves_pnl_between_realized_and_unrealized_only(user, market):
    # AAPL average 11: realized 150*(15-11) = 600, open 50 @ 11 at 14 -> 150. The total is unchanged.
    fifo = portfolio_pnl(portfolio=_book(user, "fifo_pf", "fifo")).summary
    avg = portfolio_pnl(portfolio=_book(user, "avg_pf", "average")).summary
    assert avg["realized"] == pytest.approx(600.0 + 44.0)
    assert avg["unrealized"] == pytest.approx(150.0 + 132.0)
    assert avg["total"] == pytest.approx(fifo["total"])


def test_batch_matches_one_by_one(user, market):
    a, b = _book(user, "pf_a", "fifo"), _book(user, "pf_b", "average")
    batch = portfolios_pnl(portfolios=[a.code, b.code])
    assert set(batch) == {"pf_a", "pf_b"}
    assert batch["pf_b"].summary["realized"] == pytest.approx(portfolio_pnl(portfolio=b).summary["realized"])


def test_adhoc_positions_latest_and_given_price(market):
    r = positions_pnl(
        positions=[
            {"symbol": "AAPL", "quantity": 100},  # latest 14
            {"symbol": "SAP", "quantity": 10, "price": 100.0, "cost_basis": 900.0},  # EUR
        ],
        base_currency="USD",
    )
    pos = r.positions.set_index("symbol")
    assert pos.loc["AAPL", "market_value"] == pytest.approx(1400.0)
    assert pd.isna(pos.loc["AAPL", "unrealized"])
    assert pos.loc["SAP", "unrealized"] == pytest.approx((1000 - 900) * 1.1)
    assert r.summary["market_value"] == pytest.approx(1400 + 1100)


def test_kernel_short_and_cross_through_zero():
    tx = pd.DataFrame(
        {
            "portfolio": [1, 1, 1],
            "type": ["sell", "buy", "buy"],
            "symbol": ["X", "X", "X"],
            "quantity": [10.0, 4.0, 10.0],  # short 10 @ 50, cover 4 @ 40, buy 10 @ 45 -> long 4 @ 45
            "price": [50.0, 40.0, 45.0],
            "fees": [0.0, 0.0, 0.0],
            "amount": [float("nan")] * 3,
        }
    )
    for method in ("fifo", "average"):
        book = kernel.lots_book(tx, {1: method}).set_index("symbol")
        # Realized: 4*(50-40) + 6*(50-45) = 70; the remaining 4 are long at 45.
        assert book.loc["X", "realized"] == pytest.approx(70.0)
        assert book.loc["X", "quantity"] == pytest.approx(4.0)
        assert book.loc["X", "cost_basis"] == pytest.approx(180.0)
