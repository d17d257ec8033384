"""Reads of the market-data engine, one module per resource: instruments, bars (resampled
server-side), latest (bars and quotes), fundamentals and series (point in time), fx, feeds (feed
sessions), ingest/ (reading and checking files before a write) and adapters/ (external sources).
They return plain data: model querysets, dicts, frozen dataclasses and pandas frames."""

from .bars import BarsResult, bar_sources, bars_frame
from .errors import (
    FxRateNotFound,
    MarketDataReadError,
    RangeTooLargeError,
    UnknownSeriesError,
    UnknownSymbolError,
)
from .fundamentals import fundamentals_as_of
from .fx import fx_history, fx_latest_both
from .instruments import (
    instrument_by_symbol,
    instrument_ids,
    instrument_list,
    instruments_active,
    instruments_by_symbols,
    normalize_symbol,
)
from .latest import (
    INTERVALS_FINEST_FIRST,
    LATEST_BAR_TRIGGERS,
    epoch_us,
    intervals_note,
    latest_bar_table_forget,
    latest_bar_table_kept,
    latest_bars,
    latest_closes,
    latest_quotes,
)
from .series import series_as_of

__all__ = [
    "INTERVALS_FINEST_FIRST",
    "LATEST_BAR_TRIGGERS",
    "BarsResult",
    "FxRateNotFound",
    "MarketDataReadError",
    "RangeTooLargeError",
    "UnknownSeriesError",
    "UnknownSymbolError",
    "bar_sources",
    "bars_frame",
    "epoch_us",
    "fundamentals_as_of",
    "fx_history",
    "fx_latest_both",
    "instrument_by_symbol",
    "instrument_ids",
    "instrument_list",
    "instruments_active",
    "instruments_by_symbols",
    "intervals_note",
    "latest_bar_table_forget",
    "latest_bar_table_kept",
    "latest_bars",
    "latest_closes",
    "latest_quotes",
    "normalize_symbol",
    "series_as_of",
]
