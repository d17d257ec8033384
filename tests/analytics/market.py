"""Test data helpers: real S&P 500 prices (shipped by `arch`) stored as daily bars."""

from __future__ import annotations

import pandas as pd


def sp500_closes(days: int) -> pd.DataFrame:
    """The first `days` rows of arch's S&P 500 OHLCV, on a UTC index (bar timestamps)."""
    from arch.data import sp500

    frame = sp500.load().iloc[:days]
    frame.index = pd.DatetimeIndex(frame.index).tz_localize("UTC").as_unit("ns")
    return frame


def store_daily_closes(instrument, close: pd.Series, adj: pd.Series) -> None:
    """Daily bars whose open/high/low equal the close: enough for NAV and return tests."""
    from apps.marketdata.services.storage import bars_upsert

    frame = pd.DataFrame({"instrument_id": instrument.pk, "ts": close.index, "close": close.to_numpy()})
    frame["open"] = frame["high"] = frame["low"] = frame["close"]
    frame["adj_close"] = adj.to_numpy()
    frame["volume"] = 1.0
    bars_upsert(frame, interval="1d")


def store_closes(instrument, close: pd.Series, adj: pd.Series | None = None, *, interval: str) -> None:
    """Bars at `interval` (1d, 1w, 1mo ...) stamped at `close`'s index, open/high/low = close."""
    from apps.marketdata.services.storage import bars_upsert

    frame = pd.DataFrame({"instrument_id": instrument.pk, "ts": close.index, "close": close.to_numpy()})
    frame["open"] = frame["high"] = frame["low"] = frame["close"]
    frame["adj_close"] = (close if adj is None else adj).to_numpy()
    frame["volume"] = 1.0
    bars_upsert(frame, interval=interval)


def utc_index(series: pd.Series) -> pd.Series:
    out = series.copy()
    out.index = pd.DatetimeIndex(out.index).tz_localize("UTC").as_unit("ns")
    return out


def last_of_each(series: pd.Series, period: str) -> pd.Series:
    """The last observation of each calendar period ("M", "W-FRI"), stamped with its own date (a
    fund's month-end NAV is dated on the month's last trading day)."""
    return series.groupby(series.index.tz_localize(None).to_period(period)).tail(1)
