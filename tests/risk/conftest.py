"""Shared risk fixtures: instruments with sector/industry/currency, daily bars, FX rates and
portfolios holding given positions, built through the engines' own services.

Plain helpers (import them: `from tests.risk.conftest import make_portfolio, ...`):

    make_instrument("AAA", currency="USD", sector="Tech", industry="Software")
    store_daily_bars("AAA", [10, 11, 12], volumes=[100, 200, 300])   # days START, START+1, ...
    store_fx("EUR", "USD", [1.10, 1.12])                              # EURUSD per day from START
    make_portfolio("pf1", owner=user, positions={"AAA": 100, "BBB": -50}, cash=1000.0)

`make_portfolio` books the trades long ago (TRADED_AT, outside every turnover window) at
TRADE_PRICE per unit and adjusts with a deposit/withdrawal so the cash ends at exactly `cash`.
The autouse fixture clears the risk engine's in-process caches so no test sees another's data.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import pandas as pd
import pytest

START = pd.Timestamp("2024-01-01", tz="UTC")
TRADED_AT = dt.datetime(2020, 1, 2, tzinfo=dt.UTC)
TRADE_PRICE = Decimal("1")


@pytest.fixture(autouse=True)
def _risk_caches_clear():
    from apps.risk.selectors import book

    book.book_cache_clear()
    yield
    book.book_cache_clear()


def make_instrument(symbol: str, *, currency: str = "USD", sector: str = "", industry: str = ""):
    from apps.marketdata.services import instrument_create

    return instrument_create(symbol=symbol, currency=currency, sector=sector, industry=industry)


def _instrument(symbol_or_instrument):
    from apps.marketdata.models import Instrument

    if isinstance(symbol_or_instrument, Instrument):
        return symbol_or_instrument
    return Instrument.objects.get(symbol=str(symbol_or_instrument).upper())


def day(i: int) -> pd.Timestamp:
    """The i-th day of the test calendar (START + i days)."""
    return START + pd.Timedelta(days=i)


def store_daily_bars(
    symbol_or_instrument,
    closes: Sequence[float],
    *,
    volumes: Sequence[float] | None = None,
    start: pd.Timestamp = START,
) -> pd.DatetimeIndex:
    """One daily bar per calendar day from `start` (open = high = low = close; adj_close = close)."""
    from apps.marketdata.services.storage import bars_upsert

    inst = _instrument(symbol_or_instrument)
    index = pd.date_range(start, periods=len(closes), freq="D", tz="UTC").as_unit("ns")
    frame = pd.DataFrame({"instrument_id": inst.pk, "ts": index, "close": [float(c) for c in closes]})
    frame["open"] = frame["high"] = frame["low"] = frame["adj_close"] = frame["close"]
    frame["volume"] = [1000.0] * len(closes) if volumes is None else [float(v) for v in volumes]
    bars_upsert(frame, interval="1d")
    return index


def store_fx(base: str, quote: str, rates: Sequence[float], *, start: pd.Timestamp = START) -> None:
    """Units of `quote` per one `base`, one rate per calendar day from `start`."""
    from apps.marketdata.services.storage import fx_upsert

    index = pd.date_range(start, periods=len(rates), freq="D", tz="UTC").as_unit("ns")
    fx_upsert(pd.DataFrame({"base": base, "quote": quote, "ts": index, "rate": [float(r) for r in rates]}))


def make_portfolio(
    code: str,
    *,
    owner,
    positions: dict[str, float] | None = None,
    cash: float = 0.0,
    base_currency: str = "USD",
    long_only: bool = False,
):
    """A portfolio holding `positions` (symbol -> signed quantity) with exactly `cash` left."""
    from apps.portfolio.services import portfolio_create

    p = portfolio_create(code=code, name=code, owner=owner, base_currency=base_currency, long_only=long_only)
    positions = positions or {}
    with _formal_booking_rates(positions, base_currency):
        _book_positions(p, positions, cash)
    p.refresh_from_db()
    return p


@contextlib.contextmanager
def _formal_booking_rates(positions: dict, base: str):
    """The fixture's trades are a formality (price 1, in 2020, years before the market data): a
    foreign-currency one books at rate 1 where no rate exists yet, and leaves no rate behind, so
    the market's own FX (or its absence) is what the risk figures read."""
    from apps.marketdata.models import FxRate

    currencies = {_instrument(s).currency for s in positions} - {base}
    added = [
        FxRate.objects.create(base=ccy, quote=base, ts=TRADED_AT, rate=1.0)
        for ccy in sorted(currencies)
        if not FxRate.objects.filter(base__in=(ccy, base), quote__in=(ccy, base), ts__lte=TRADED_AT).exists()
    ]
    try:
        yield
    finally:
        FxRate.objects.filter(pk__in=[r.pk for r in added]).delete()


def _book_positions(p, positions: dict, cash: float) -> None:
    from apps.portfolio.services import transaction_record

    cost = sum(Decimal(str(q)) * TRADE_PRICE for q in positions.values())
    needed = Decimal(str(cash)) + cost
    if needed > 0:
        transaction_record(portfolio=p, type="deposit", amount=needed, timestamp=TRADED_AT)
    for symbol, qty in positions.items():
        q = Decimal(str(qty))
        transaction_record(
            portfolio=p,
            type="buy" if q > 0 else "sell",
            instrument=symbol,
            quantity=abs(q),
            price=TRADE_PRICE,
            timestamp=TRADED_AT,
        )
    if needed < 0:
        transaction_record(portfolio=p, type="withdrawal", amount=-needed, timestamp=TRADED_AT)


def make_limit(portfolio=None, **fields):
    """A RiskLimit row straight through the ORM (the limits service is another helper's)."""
    from apps.risk.models import RiskLimit

    fields.setdefault("scope", "portfolio")
    fields.setdefault("unit", "absolute")
    return RiskLimit.objects.create(portfolio=portfolio, **fields)
