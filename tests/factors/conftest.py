"""Fixtures of the factors engine's tests: a small market built from arch's bundled S&P 500 and
NASDAQ series (each instrument a different stretch of one of them), with sectors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch.data import nasdaq, sp500

from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert

MARKET_DAYS = 300
# symbol, source, stretch, scale, sector; GAP misses every 11th bar, NOVWAP's source gives no VWAP.
MARKET = (
    ("AAA", "sp500", 0, 1.0, "Tech"),
    ("BBB", "nasdaq", 0, 0.1, "Tech"),
    ("CCC", "sp500", 1, 0.5, "Energy"),
    ("DDD", "nasdaq", 1, 0.2, "Energy"),
    ("EEE", "sp500", 2, 2.0, "Health"),
    ("GAP", "nasdaq", 2, 0.3, "Health"),
    ("NOVWAP", "sp500", 3, 1.5, ""),
    ("FFF", "nasdaq", 3, 0.05, "Tech"),
)


@pytest.fixture
def factor_market():
    """(Needs a django_db marker.) {symbol: its stored daily bars indexed by ts}, business days
    from 2023-01-02."""
    sources = {"sp500": sp500.load(), "nasdaq": nasdaq.load()}
    ts = pd.bdate_range("2023-01-02", periods=MARKET_DAYS, tz="UTC")
    frames = {}
    for symbol, source, stretch, scale, sector in MARKET:
        data = sources[source].iloc[stretch * MARKET_DAYS : (stretch + 1) * MARKET_DAYS]
        inst = instrument_create(
            symbol=symbol, sector=sector, industry=f"{sector} {stretch % 2}" if sector else ""
        )
        f = pd.DataFrame(
            {
                "instrument_id": inst.pk,
                "ts": ts,
                "open": data["Open"].to_numpy() * scale,
                "high": data["High"].to_numpy() * scale,
                "low": data["Low"].to_numpy() * scale,
                "close": data["Close"].to_numpy() * scale,
                "volume": data["Volume"].to_numpy(dtype=float) / 1e3,
            }
        )
        f["adj_close"] = f["close"]
        if symbol != "NOVWAP":
            f["vwap"] = (f["open"] + f["high"] + f["low"] + 2 * f["close"]) / 5
        if symbol == "GAP":
            f = f[np.arange(MARKET_DAYS) % 11 != 5]
        bars_upsert(f, interval="1d")
        frames[symbol] = f.set_index("ts")
    return frames
