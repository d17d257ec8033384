"""Demo data: users, instruments, a simulated daily price history and a portfolio with positions.
Safe to run again: what exists is left as it is (instruments are brought up to date), nothing is
booked or simulated twice.

The history (business days from START to today, from the simulated market) is what makes the demo
coherent: trades are booked at the simulated close of their day, analytics finds daily prices for
performance, and the live feed carries on from the last stored close."""

from __future__ import annotations

import datetime as dt
import os
from decimal import Decimal

import numpy as np
import pandas as pd
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token

from apps.marketdata.kernels.simulation.frames import simulate_bar_frames
from apps.marketdata.kernels.simulation.market import SimulatedMarket
from apps.marketdata.kernels.simulation.params import MarketParams
from apps.marketdata.models import Bar, Instrument
from apps.marketdata.services import instrument_upsert, storage
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
# Where the simulated history starts, per symbol (roughly the January 2024 prices).
START_PRICES = {
    "AAPL": 185.6, "MSFT": 370.9, "GOOGL": 138.2, "AMZN": 149.9, "NVDA": 481.7, "JPM": 170.3,
    "XOM": 102.1, "JNJ": 158.2, "PG": 146.5, "SPY": 472.7, "TLT": 98.9, "EURUSD": 1.094,
}  # fmt: skip
SEED = 2024
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


# Global default limits for the demo desk (fractions: pct_nav of NAV, ratio as such).
DEMO_LIMITS = (
    {"limit_type": "max_position", "unit": "pct_nav", "warn_threshold": 0.20, "breach_threshold": 0.25},
    {"limit_type": "concentration_limit", "warn_threshold": 0.30, "breach_threshold": 0.40},
    {"limit_type": "var_limit", "unit": "pct_nav", "warn_threshold": 0.03, "breach_threshold": 0.05},
    {
        "limit_type": "expected_shortfall_limit",
        "unit": "pct_nav",
        "warn_threshold": 0.04,
        "breach_threshold": 0.07,
    },
    {"limit_type": "gross_exposure", "unit": "pct_nav", "warn_threshold": 1.5, "breach_threshold": 2.0},
    {"limit_type": "net_exposure", "unit": "pct_nav", "warn_threshold": 1.2, "breach_threshold": 1.5},
    {
        "limit_type": "sector_concentration",
        "unit": "pct_nav",
        "warn_threshold": 0.35,
        "breach_threshold": 0.50,
    },
    {"limit_type": "industry_exposure", "unit": "pct_nav", "warn_threshold": 0.30, "breach_threshold": 0.45},
    {"limit_type": "currency_exposure", "unit": "pct_nav", "warn_threshold": 0.30, "breach_threshold": 0.50},
    {"limit_type": "fx_risk", "unit": "pct_nav", "warn_threshold": 0.01, "breach_threshold": 0.02},
    {"limit_type": "adv_limit", "warn_threshold": 0.10, "breach_threshold": 0.20},
    {"limit_type": "turnover_limit", "unit": "pct_nav", "warn_threshold": 0.5, "breach_threshold": 1.0},
    {"limit_type": "leverage", "warn_threshold": 1.5, "breach_threshold": 2.0},
    {"limit_type": "drawdown", "window_days": 252, "warn_threshold": 0.10, "breach_threshold": 0.20},
)
DEMO_ESCALATION = {
    "name": "Desk default",
    "description": "Demo: a bus alert after a minute unacknowledged, email to the desk after five.",
    "is_default": True,
    "levels": [
        {"level": 1, "delay_seconds": 60, "channels": ["bus"]},
        {"level": 2, "delay_seconds": 300, "channels": ["bus", "email"], "emails": ["risk-desk@example.com"]},
    ],
}


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

        self._price_history()
        self._demo_portfolio(demo)
        self._risk_defaults(User.objects.get(username="admin"))

        token, _ = Token.objects.get_or_create(user=demo)
        self.stdout.write(f"API token for demo: {token.key}")

    def _risk_defaults(self, admin) -> None:
        """Desk-wide default limits, a default escalation policy and a few stress scenarios, so the
        5-second monitor has something to watch; only where none exist yet (an operator's own
        limits and policies are never touched). Written through the services: audited."""
        from apps.risk.models import EscalationPolicy, RiskLimit
        from apps.risk.services.limits import limit_create
        from apps.risk.services.policies import policy_create

        if not EscalationPolicy.objects.filter(is_default=True).exists():
            policy_create(data=DEMO_ESCALATION, user=admin)
            self.stdout.write("Escalation policy: desk default (bus after 60 s, bus + email after 5 min)")
        if not RiskLimit.objects.exists():
            for limit in DEMO_LIMITS:
                limit_create(data={"name": "desk default", **limit}, user=admin)
            self.stdout.write(f"Risk limits: {len(DEMO_LIMITS)} global defaults")
        call_command("risk_scenarios_seed", stdout=self.stdout)

    def _price_history(self) -> None:
        symbols = list(START_PRICES)
        ids = dict(Instrument.objects.filter(symbol__in=symbols).values_list("symbol", "pk"))
        if Bar.objects.filter(instrument_id__in=ids.values(), interval="1d").exists():
            self.stdout.write("Price history: already there, left as it is")
            return
        days = len(pd.bdate_range(START.date(), dt.date.today()))
        market = SimulatedMarket(
            MarketParams.universe(len(symbols), seed=SEED),
            seed=SEED,
            start_prices=np.array([START_PRICES[s] for s in symbols]),
        )
        frames = simulate_bar_frames(
            market,
            instrument_ids=np.array([ids[s] for s in symbols]),
            interval="1d",
            start=START.date(),
            days=days,
        )
        written = sum(storage.bars_upsert(frame, interval="1d") for frame in frames)
        self.stdout.write(f"Price history: {written} simulated daily bars from {START:%Y-%m-%d}")

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
        days = pd.bdate_range(START.date(), periods=max(t[3] for t in trades) + 1, tz="UTC")
        for side, symbol, qty, day in sorted(trades, key=lambda t: t[3]):
            close = Bar.objects.get(instrument__symbol=symbol, interval="1d", ts=days[day]).close
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
        self.stdout.write(
            f"Portfolio {DEMO_CODE}: {len(trades)} trades booked, "
            f"{portfolio.positions.count()} positions, cash {portfolio.cash:.2f}"
        )
