from decimal import Decimal

import pytest

from apps.marketdata.services import instrument_create


@pytest.fixture
def instruments(db):
    rows = [
        ("AAPL", "Apple Inc.", "equity", "USD", "NASDAQ", "Technology"),
        ("MSFT", "Microsoft Corp.", "equity", "USD", "NASDAQ", "Technology"),
        ("JPM", "JPMorgan Chase & Co.", "equity", "USD", "NYSE", "Financials"),
        ("SAP", "SAP SE", "equity", "EUR", "XETRA", "Technology"),
        ("SPY", "SPDR S&P 500 ETF", "etf", "USD", "NYSE Arca", ""),
        ("EURUSD", "Euro / US Dollar", "fx", "USD", "", ""),
    ]
    return {
        sym: instrument_create(
            symbol=sym,
            name=name,
            asset_class=ac,
            currency=ccy,
            exchange=ex,
            sector=sector,
            lot_size=Decimal("1"),
        )
        for sym, name, ac, ccy, ex, sector in rows
    }
