"""The source-adapter interface: where bars and series come from before ingestion stores them.

Every adapter answers the same three calls with frames the ingestion path understands:

    list_symbols() -> list[str]
    fetch_bars(symbol, interval, start, end) -> DataFrame  # ts (UTC), open, high, low, close,
                                                           # adj_close, volume, vwap, trade_count
    fetch_series(code, start, end) -> DataFrame            # date, value (NaN = released missing)
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pandas as pd

BAR_COLUMNS = ["ts", "open", "high", "low", "close", "adj_close", "volume", "vwap", "trade_count"]
SERIES_COLUMNS = ["date", "value"]


class AdapterError(RuntimeError):
    """A source cannot answer (unknown symbol, unreadable file)."""


class AdapterUnavailable(AdapterError):
    """An optional adapter whose package or network is not there. Never raised by offline adapters."""


@runtime_checkable
class SourceAdapter(Protocol):
    name: str

    def list_symbols(self) -> list[str]: ...

    def fetch_bars(self, symbol: str, interval: str, start, end) -> pd.DataFrame: ...

    def fetch_series(self, code: str, start, end) -> pd.DataFrame: ...


def utc_bounds(start, end) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """Inclusive bounds as UTC timestamps (naive values are UTC); None stays open."""

    def one(value):
        if value is None:
            return None
        ts = pd.Timestamp(value)
        return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")

    return one(start), one(end)
