"""Simulated bars as pandas frames with real timestamps, in chunks (for bulk loads and adapters).

Daily bars fall on business days at 00:00 UTC. Intraday bars fill a 6.5-hour session (14:30–21:00
UTC) on business days, so only intervals that divide the session evenly are offered. Each bar is
simulated with an intrabar path (market.DAILY_SUBSTEPS steps for daily bars, INTRADAY_SUBSTEPS
for intraday ones).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd

from .market import DAILY_SUBSTEPS, DAY, SimulatedMarket
from .params import SESSION_SECONDS, seconds_to_years

INTRADAY_SUBSTEPS = 6
SESSION_OPEN = dt.time(14, 30)
BAR_SECONDS = {"1m": 60, "5m": 300, "15m": 900, "30m": 1800, "1d": None}
SIMULATED_INTERVALS = tuple(BAR_SECONDS)


def bars_per_day(interval: str) -> int:
    if interval not in BAR_SECONDS:
        raise ValueError(f"simulated bars come in {', '.join(SIMULATED_INTERVALS)}; not {interval!r}")
    seconds = BAR_SECONDS[interval]
    return 1 if seconds is None else SESSION_SECONDS // seconds


def business_days(start: dt.date, days: int) -> pd.DatetimeIndex:
    """`days` business days from `start` (itself, if it is one), at 00:00 UTC."""
    return pd.bdate_range(pd.Timestamp(start), periods=days, tz="UTC")


def bar_timestamps(interval: str, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Start time of every bar on these dates, in order."""
    seconds = BAR_SECONDS.get(interval)
    if seconds is None:
        bars_per_day(interval)  # validates
        return dates
    offsets = pd.to_timedelta(
        SESSION_OPEN.hour * 3600 + SESSION_OPEN.minute * 60 + seconds * np.arange(bars_per_day(interval)),
        unit="s",
    )
    naive = dates.tz_convert(None).to_numpy() if dates.tz is not None else dates.to_numpy()
    return pd.DatetimeIndex((naive[:, None] + offsets.to_numpy()[None, :]).ravel(), tz="UTC")


def simulate_bar_frames(
    market: SimulatedMarket,
    *,
    instrument_ids: np.ndarray,
    interval: str,
    start: dt.date,
    days: int,
    chunk_days: int | None = None,
) -> Iterator[pd.DataFrame]:
    """Bars of every instrument for `days` business days from `start`, a chunk of days at a time,
    as long frames (instrument_id, ts, open, high, low, close, adj_close, volume, vwap, trade_count)
    sorted by ts then instrument. The market advances as it goes."""
    per_day = bars_per_day(interval)
    if chunk_days is None:
        chunk_days = max(1, 100_000 // (per_day * market.params.n))  # ~100k bars per chunk
    dates = business_days(start, days)
    ids = np.asarray(instrument_ids)
    seconds = BAR_SECONDS[interval]
    dt_years, substeps = (
        (DAY, DAILY_SUBSTEPS) if seconds is None else (seconds_to_years(seconds), INTRADAY_SUBSTEPS)
    )
    for lo in range(0, days, chunk_days):
        chunk = dates[lo : lo + chunk_days]
        ts = bar_timestamps(interval, chunk)
        b = market.bars(len(ts), dt=dt_years, substeps=substeps)
        n = len(ids)
        yield pd.DataFrame(
            {
                "instrument_id": np.tile(ids, len(ts)),
                "ts": np.repeat(ts, n),
                "open": b.open.ravel(),
                "high": b.high.ravel(),
                "low": b.low.ravel(),
                "close": b.close.ravel(),
                "adj_close": b.close.ravel(),
                "volume": np.round(b.volume.ravel()),
                "vwap": b.vwap.ravel(),
                "trade_count": b.trade_count.ravel(),
            }
        )
