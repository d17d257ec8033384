from decimal import Decimal

import numpy as np
import pandas as pd
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


START = pd.Timestamp("2024-01-01", tz="UTC")
MARKET = ("AAPL", "MSFT", "JPM", "XOM", "SPY")


def store_closes(closes: pd.DataFrame) -> None:
    """Daily bars with these closes (adjusted = raw), one column per symbol."""
    from apps.marketdata.facade import instruments_by_symbols
    from apps.marketdata.services.storage import bars_upsert

    ids = instruments_by_symbols(list(closes.columns))
    for symbol in closes.columns:
        col = closes[symbol].dropna()
        frame = pd.DataFrame({"instrument_id": ids[symbol].id, "ts": col.index, "close": col.to_numpy()})
        frame["open"] = frame["high"] = frame["low"] = frame["adj_close"] = frame["close"]
        frame["volume"] = 1000.0
        bars_upsert(frame, interval="1d")


def synthetic_closes(n_days: int = 260, seed: int = 7) -> pd.DataFrame:
    """Correlated geometric random walks for the five instruments, business days from START."""
    rng = np.random.default_rng(seed)
    index = pd.bdate_range(START, periods=n_days, tz="UTC").as_unit("ns")
    drift = np.array([0.0008, 0.0006, 0.0004, 0.0002, 0.0005])
    vol = np.array([0.02, 0.018, 0.015, 0.022, 0.01])
    common = rng.normal(size=(n_days, 1))
    shocks = 0.5 * common + rng.normal(size=(n_days, len(MARKET)))
    returns = drift + vol * shocks / np.sqrt(1.25)
    closes = 100.0 * np.exp(np.cumsum(returns, axis=0))
    return pd.DataFrame(closes, index=index, columns=list(MARKET))


@pytest.fixture
def market(instruments):
    """260 business days of synthetic closes for the five instruments, stored as daily bars."""
    closes = synthetic_closes()
    store_closes(closes)
    return closes
