"""Market data models: reference data (instruments) and time series (bars, quotes, trades, order
books, economic series, fundamentals, FX), and the latest bar per instrument kept by database
triggers."""

from .feeds import FeedMode, FeedSession, FeedState
from .instruments import CURRENCY_RE, AssetClass, Instrument, currency_validator
from .latest import LatestBar
from .series import EconomicSeries, Fundamental, FxRate, SeriesObservation
from .ticks import INTERVALS, Bar, OrderBookSnapshot, Quote, Trade, interval_seconds

__all__ = [
    "CURRENCY_RE",
    "INTERVALS",
    "AssetClass",
    "Bar",
    "EconomicSeries",
    "FeedMode",
    "FeedSession",
    "FeedState",
    "Fundamental",
    "FxRate",
    "Instrument",
    "LatestBar",
    "OrderBookSnapshot",
    "Quote",
    "SeriesObservation",
    "Trade",
    "currency_validator",
    "interval_seconds",
]
