"""The marketdata part of `load_demo`: the demo instruments and a simulated daily price history.

Idempotent: instruments are brought up to date, the history is simulated once (the business days
from START to today, from the simulated market). Trades are booked at the simulated close of their
day (apps/portfolio/demo.py), analytics finds daily prices for performance, and the live feed
carries on from the last stored close."""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pandas as pd
from django.core.management.base import OutputWrapper

from apps.marketdata.kernels.simulation.frames import simulate_bar_frames
from apps.marketdata.kernels.simulation.market import SimulatedMarket
from apps.marketdata.kernels.simulation.params import MarketParams
from apps.marketdata.models import Bar, Instrument
from apps.marketdata.services import instrument_upsert, storage

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

START = dt.datetime(2024, 1, 2, 14, 30, tzinfo=dt.UTC)
# Where the simulated history starts, per symbol (roughly the January 2024 prices).
START_PRICES = {
    "AAPL": 185.6, "MSFT": 370.9, "GOOGL": 138.2, "AMZN": 149.9, "NVDA": 481.7, "JPM": 170.3,
    "XOM": 102.1, "JNJ": 158.2, "PG": 146.5, "SPY": 472.7, "TLT": 98.9, "EURUSD": 1.094,
}  # fmt: skip
SEED = 2024


def seed(*, stdout: OutputWrapper | None = None) -> None:
    out = stdout or OutputWrapper(sys.stdout)
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
    out.write(f"Instruments: {len(INSTRUMENTS)} up to date")
    _price_history(out)


def _price_history(out: OutputWrapper) -> None:
    symbols = list(START_PRICES)
    ids = dict(Instrument.objects.filter(symbol__in=symbols).values_list("symbol", "pk"))
    if Bar.objects.filter(instrument_id__in=ids.values(), interval="1d").exists():
        out.write("Price history: already there, left as it is")
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
    out.write(f"Price history: {written} simulated daily bars from {START:%Y-%m-%d}")
