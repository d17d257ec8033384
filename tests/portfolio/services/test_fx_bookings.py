"""Bookings in an instrument's currency move the book's cash in its base currency, at the rate of the
booking's instant, stored with the transaction: the rebuild, the book check and analytics' replay all
read that one rate, so they end where the book of record stands."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest

from apps.analytics.selectors.book import book_replay as analytics_replay
from apps.analytics.selectors.sources import transactions as analytics_transactions
from apps.marketdata.models import FxRate
from apps.marketdata.services import instrument_create
from apps.portfolio.models import Transaction
from apps.portfolio.services import portfolio_create, positions_rebuild, transaction_record
from tests.analytics.market import store_daily_closes

pytestmark = pytest.mark.django_db
D = Decimal
DAYS = pd.bdate_range("2024-01-08", periods=4, tz="UTC")
NOON = [d + pd.Timedelta(hours=12) for d in DAYS]


@pytest.fixture
def sap(db):
    """SAP quoted in EUR at 100; EURUSD 1.10 stored at Monday 00:00 and 1.20 at Tuesday 18:00."""
    inst = instrument_create(symbol="SAP", currency="EUR")
    flat = pd.Series(100.0, index=DAYS)
    store_daily_closes(inst, flat, flat)
    FxRate.objects.create(base="EUR", quote="USD", ts=DAYS[0].to_pydatetime(), rate=1.10)
    FxRate.objects.create(
        base="EUR", quote="USD", ts=(DAYS[1] + pd.Timedelta(hours=18)).to_pydatetime(), rate=1.20
    )
    return inst


def _book(user):
    p = portfolio_create(code="usd_book", name="USD book", owner=user)  # base USD
    at = [t.to_pydatetime() for t in NOON]
    transaction_record(portfolio=p, type="deposit", amount=D("10000"), timestamp=at[0])
    transaction_record(
        portfolio=p, type="buy", instrument="SAP", quantity=D(10), price=D(100), fees=D(2), timestamp=at[0]
    )
    transaction_record(
        portfolio=p, type="dividend", instrument="SAP", amount=D(5), fees=D("0.5"), timestamp=at[2]
    )
    transaction_record(portfolio=p, type="fee", instrument="SAP", amount=D(1), timestamp=at[2])
    transaction_record(portfolio=p, type="fee", amount=D(3), timestamp=at[3])  # a base-currency fee
    p.refresh_from_db()
    return p


def test_cash_moves_in_base_at_the_rate_of_the_bookings_instant(user, sap):
    p = _book(user)
    rates = list(Transaction.objects.filter(portfolio=p).order_by("id").values_list("fx_rate", flat=True))
    # Monday noon reads Monday's 1.10; Wednesday noon reads Tuesday evening's 1.20; no instrument: 1.
    assert rates == [D(1), D("1.1"), D("1.2"), D("1.2"), D(1)]
    # 10000 − (10 × 100 + 2) × 1.10 + (5 − 0.5) × 1.20 − 1 × 1.20 − 3, worked by hand:
    # 10000 − 1102.20 + 5.40 − 1.20 − 3 = 8899.00
    assert p.cash == D("8899.00")
    # The position keeps its cost in the instrument's currency.
    (position,) = p.positions.all()
    assert (position.quantity, position.average_cost) == (D(10), D(100))


def test_the_rebuild_from_transactions_agrees_with_the_booked_cash(user, sap):
    p = _book(user)
    positions_rebuild(portfolio=p)
    p.refresh_from_db()
    assert p.cash == D("8899.00")


def test_analytics_replay_ends_where_the_book_of_record_stands(user, sap):
    p = _book(user)
    tx = analytics_transactions([p.pk])
    book = analytics_replay(tx, base="USD")
    assert book.cash[-1] == pytest.approx(float(p.cash), abs=1e-9)
    # NAV on Thursday: cash + 10 SAP × 100 EUR × 1.20 (the step's rate values the holding).
    assert book.nav[-1] == pytest.approx(8899.0 + 1200.0, abs=1e-9)


def test_no_rate_by_the_bookings_instant_is_a_400_on_the_symbol(user, sap, api_client):
    portfolio_create(code="early", name="early", owner=user)
    body = {
        "type": "buy",
        "symbol": "SAP",
        "quantity": "1",
        "price": "100",
        "timestamp": "2024-01-05T12:00:00Z",
    }
    resp = api_client.post("/api/portfolio/transactions/", body | {"portfolio": "early"}, format="json")
    assert resp.status_code == 400, resp.content
    assert "EUR/USD" in " ".join(resp.json()["symbol"])
    assert not Transaction.objects.filter(portfolio__code="early").exists()  # nothing half-written


def test_a_base_currency_instrument_books_at_one(user, sap):
    p = portfolio_create(code="eur_book", name="EUR book", owner=user, base_currency="EUR")
    transaction_record(
        portfolio=p,
        type="buy",
        instrument="SAP",
        quantity=D(1),
        price=D(100),
        timestamp=datetime(2024, 1, 9, tzinfo=UTC),
    )
    p.refresh_from_db()
    assert (p.cash, Transaction.objects.get(portfolio=p).fx_rate) == (D(-100), D(1))
