from decimal import Decimal

import pytest

from apps.marketdata.services import instrument_create
from apps.portfolio.services import portfolio_create, transaction_record


@pytest.fixture
def instruments(db):
    specs = {
        "AAPL": ("equity", "Technology"),
        "MSFT": ("equity", "Technology"),
        "JPM": ("equity", "Financials"),
        "XOM": ("equity", "Energy"),
        "SPY": ("etf", ""),
    }
    return {
        s: instrument_create(symbol=s, name=s, asset_class=ac, sector=sec) for s, (ac, sec) in specs.items()
    }


@pytest.fixture
def portfolio(user, instruments):
    """alice's long-only portfolio with 100,000 cash and 100 AAPL @ 150."""
    p = portfolio_create(code="alice_001", name="Alice", owner=user, initial_cash=Decimal("100000"))
    transaction_record(
        portfolio=p, type="buy", instrument="AAPL", quantity=Decimal("100"), price=Decimal("150")
    )
    p.refresh_from_db()
    return p


@pytest.fixture
def mallorys(other_user, instruments):
    p = portfolio_create(code="mallory_001", name="Mallory", owner=other_user, initial_cash=Decimal(500))
    transaction_record(portfolio=p, type="buy", instrument="JPM", quantity=Decimal(2), price=Decimal(100))
    return p
