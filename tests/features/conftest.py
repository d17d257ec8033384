"""Fixtures of the features engine's tests: bars from arch's bundled S&P 500 series."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arch.data import sp500

from apps.marketdata.services import instrument_create
from apps.marketdata.services.storage import bars_upsert

SP500_ROWS = 300


@pytest.fixture
def sp500_market():
    """(Needs a django_db marker.) {symbol: its stored daily bars indexed by ts}. AAA: the S&P 500's last 300 days from
    2024-01-01; BBB: the same scaled by 0.5 with every 7th bar missing."""
    data = sp500.load().iloc[-SP500_ROWS:]
    ts = pd.date_range("2024-01-01", periods=SP500_ROWS, freq="D", tz="UTC")
    frames = {}
    for symbol, scale, keep in (
        ("AAA", 1.0, np.ones(SP500_ROWS, bool)),
        ("BBB", 0.5, np.arange(SP500_ROWS) % 7 != 3),
    ):
        inst = instrument_create(symbol=symbol)
        f = pd.DataFrame(
            {
                "instrument_id": inst.pk,
                "ts": ts,
                "open": data["Open"].to_numpy() * scale,
                "high": data["High"].to_numpy() * scale,
                "low": data["Low"].to_numpy() * scale,
                "close": data["Close"].to_numpy() * scale,
                "volume": data["Volume"].to_numpy(dtype=float),
            }
        )[keep]
        f["adj_close"] = f["close"]
        bars_upsert(f, interval="1d")
        frames[symbol] = f.set_index("ts")
    return frames


@pytest.fixture(scope="session")
def celery_app():
    from nautilus.celery import app

    return app
