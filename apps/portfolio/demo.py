"""The portfolio part of `load_demo`: portfolio_001, owned by the `demo` user (load_demo creates
it first), with a deposit and a few trades booked at the simulated close of their day (the daily
history apps/marketdata/demo.py simulates from the same START).

Idempotent: a portfolio that already has transactions is someone's book, left alone."""

from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal

import pandas as pd
from django.contrib.auth import get_user_model
from django.core.management.base import OutputWrapper
from django.db import transaction

from apps.marketdata import facade as marketdata

from .selectors import portfolio_by_code, transactions_of
from .services import portfolio_create, transaction_record

DEMO_CODE = "portfolio_001"
DEMO_USER = "demo"
START = dt.datetime(2024, 1, 2, 14, 30, tzinfo=dt.UTC)  # where the demo price history starts
DEPOSIT = Decimal("1000000")
# symbol, quantity, business-day offset from START; each is booked at that day's simulated close
BUYS = [
    ("AAPL", "500", 0),
    ("MSFT", "300", 0),
    ("GOOGL", "600", 1),
    ("AMZN", "550", 1),
    ("NVDA", "200", 2),
    ("JPM", "450", 2),
    ("XOM", "700", 3),
    ("JNJ", "400", 3),
    ("SPY", "200", 4),
    ("AAPL", "100", 7),
]
SELLS = [("XOM", "200", 9)]


@transaction.atomic
def seed(*, stdout: OutputWrapper | None = None) -> None:
    out = stdout or OutputWrapper(sys.stdout)
    demo = get_user_model().objects.get(username=DEMO_USER)
    portfolio = portfolio_by_code(DEMO_CODE)
    if portfolio is None:
        portfolio = portfolio_create(
            code=DEMO_CODE,
            name="Demo US equities",
            owner=demo,
            benchmark=marketdata.instrument_get("SPY"),
        )
    # Booked once: a portfolio that already has transactions is someone's book, left alone.
    if transactions_of(portfolio).exists():
        out.write(f"Portfolio {DEMO_CODE}: already booked, left as it is")
        return
    transaction_record(portfolio=portfolio, type="deposit", amount=DEPOSIT, timestamp=START, created_by=demo)
    trades = [("buy", *b) for b in BUYS] + [("sell", *s) for s in SELLS]
    days = pd.bdate_range(START.date(), periods=max(t[3] for t in trades) + 1, tz="UTC")
    bars = marketdata.bars(
        sorted({t[1] for t in trades}), start=days[0], end=days[-1] + pd.Timedelta(days=1), interval="1d"
    )
    rows = zip(bars["symbol"], bars["ts"], bars["close"], strict=True)
    closes = {(str(symbol), pd.Timestamp(ts)): close for symbol, ts, close in rows}
    for side, symbol, qty, day in sorted(trades, key=lambda t: t[3]):
        close = closes[(symbol, days[day])]
        transaction_record(
            portfolio=portfolio,
            type=side,
            instrument=symbol,
            quantity=Decimal(qty),
            price=Decimal(f"{close:.2f}"),
            fees=Decimal("1.00"),
            timestamp=days[day].to_pydatetime() + dt.timedelta(hours=20),  # at the close
            created_by=demo,
        )
    portfolio.refresh_from_db()
    out.write(
        f"Portfolio {DEMO_CODE}: {len(trades)} trades booked, "
        f"{portfolio.positions.count()} positions, cash {portfolio.cash:.2f}"
    )
