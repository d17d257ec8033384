"""Demo data: users, instruments and a portfolio with positions. Safe to run again: what exists is
left as it is (instruments are brought up to date), nothing is booked twice."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.marketdata.models import Instrument
from apps.marketdata.services import instrument_upsert
from apps.portfolio.models import Portfolio, Transaction
from apps.portfolio.services import portfolio_create, transaction_record

# symbol, name, asset class, currency, exchange, sector, industry, country
INSTRUMENTS = [
    ("AAPL", "Apple Inc.", "equity", "USD", "NASDAQ", "Technology", "Consumer Electronics", "US"),
    ("MSFT", "Microsoft Corp.", "equity", "USD", "NASDAQ", "Technology", "Software", "US"),
    (
        "GOOGL",
        "Alphabet Inc. Class A",
        "equity",
        "USD",
        "NASDAQ",
        "Communication Services",
        "Internet Content",
        "US",
    ),
    ("AMZN", "Amazon.com Inc.", "equity", "USD", "NASDAQ", "Consumer Discretionary", "Internet Retail", "US"),
    ("NVDA", "NVIDIA Corp.", "equity", "USD", "NASDAQ", "Technology", "Semiconductors", "US"),
    ("JPM", "JPMorgan Chase & Co.", "equity", "USD", "NYSE", "Financials", "Banks", "US"),
    ("XOM", "Exxon Mobil Corp.", "equity", "USD", "NYSE", "Energy", "Oil & Gas Integrated", "US"),
    ("JNJ", "Johnson & Johnson", "equity", "USD", "NYSE", "Health Care", "Pharmaceuticals", "US"),
    ("PG", "Procter & Gamble Co.", "equity", "USD", "NYSE", "Consumer Staples", "Household Products", "US"),
    ("SPY", "SPDR S&P 500 ETF Trust", "etf", "USD", "NYSE Arca", "", "", "US"),
    ("TLT", "iShares 20+ Year Treasury Bond ETF", "etf", "USD", "NASDAQ", "", "", "US"),
    ("EURUSD", "Euro / US Dollar", "fx", "USD", "", "", "", ""),
]

DEMO_CODE = "portfolio_001"
START = dt.datetime(2024, 1, 2, 14, 30, tzinfo=dt.UTC)
DEPOSIT = Decimal("1000000")
# symbol, quantity, price, day offset from START
BUYS = [
    ("AAPL", "500", "185.64", 0),
    ("MSFT", "300", "370.87", 0),
    ("GOOGL", "600", "138.17", 1),
    ("AMZN", "550", "149.93", 1),
    ("NVDA", "200", "481.68", 2),
    ("JPM", "450", "170.30", 2),
    ("XOM", "700", "102.14", 3),
    ("JNJ", "400", "158.19", 3),
    ("SPY", "200", "472.65", 4),
    ("AAPL", "100", "181.18", 7),
]
SELLS = [("XOM", "200", "99.80", 9)]


class Command(BaseCommand):
    help = "Load demo users, instruments and portfolio_001 (idempotent)."

    def handle(self, *args, **options):
        User = get_user_model()
        demo, created = User.objects.get_or_create(username="demo", defaults={"email": "demo@example.com"})
        if created:
            password = os.environ.get("DEMO_PASSWORD", "demo-pass-123")
            demo.set_password(password)
            demo.save()
            self.stdout.write(f"Created user demo (password: {password})")

        if not User.objects.filter(username="admin").exists():
            password = os.environ.get("ADMIN_PASSWORD", "admin-pass-123")
            User.objects.create_superuser("admin", "admin@example.com", password)
            self.stdout.write(f"Created superuser admin (password: {password})")

        for symbol, name, asset_class, ccy, exchange, sector, industry, country in INSTRUMENTS:
            instrument_upsert(
                symbol=symbol,
                name=name,
                asset_class=asset_class,
                currency=ccy,
                exchange=exchange,
                sector=sector,
                industry=industry,
                country=country,
            )
        self.stdout.write(f"Instruments: {len(INSTRUMENTS)} up to date")

        self._demo_portfolio(demo)

        token, _ = Token.objects.get_or_create(user=demo)
        self.stdout.write(f"API token for demo: {token.key}")

    @transaction.atomic
    def _demo_portfolio(self, demo) -> None:
        portfolio = Portfolio.objects.filter(code=DEMO_CODE).first()
        if portfolio is None:
            portfolio = portfolio_create(
                code=DEMO_CODE,
                name="Demo US equities",
                owner=demo,
                benchmark=Instrument.objects.get(symbol="SPY"),
            )
        # Booked once: a portfolio that already has transactions is someone's book, left alone.
        if Transaction.objects.filter(portfolio=portfolio).exists():
            self.stdout.write(f"Portfolio {DEMO_CODE}: already booked, left as it is")
            return
        transaction_record(
            portfolio=portfolio, type="deposit", amount=DEPOSIT, timestamp=START, created_by=demo
        )
        trades = [("buy", *b) for b in BUYS] + [("sell", *s) for s in SELLS]
        for side, symbol, qty, price, day in sorted(trades, key=lambda t: t[4]):
            transaction_record(
                portfolio=portfolio,
                type=side,
                instrument=symbol,
                quantity=Decimal(qty),
                price=Decimal(price),
                fees=Decimal("1.00"),
                timestamp=START + dt.timedelta(days=day),
                created_by=demo,
            )
        portfolio.refresh_from_db()
        self.stdout.write(
            f"Portfolio {DEMO_CODE}: {len(trades)} trades booked, "
            f"{portfolio.positions.count()} positions, cash {portfolio.cash:.2f}"
        )
