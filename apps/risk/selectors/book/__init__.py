"""Today's books as the limit kernel sees them (load.py assembles them, market.py holds the cached
slow data, history.py the universes' aligned histories built on it, warm.py fills the cache before
a worker's first run, figures.py the arithmetic, frames.py reads one portfolio's frames, held.py
turns frames into arrays)."""

from .frames import portfolio_frames
from .held import Held, books_held, trades_of
from .load import (
    DEFAULT_WINDOWS,
    WINDOW_TYPES,
    LoadedBook,
    book_adhoc,
    book_load,
    book_with,
    symbols_unknown,
)
from .market import CACHE_TTL_SECONDS, RETURN_DAYS, book_cache_clear, slow_refresh_ahead

__all__ = [
    "CACHE_TTL_SECONDS",
    "DEFAULT_WINDOWS",
    "RETURN_DAYS",
    "WINDOW_TYPES",
    "Held",
    "LoadedBook",
    "book_adhoc",
    "book_cache_clear",
    "book_load",
    "book_with",
    "books_held",
    "portfolio_frames",
    "slow_refresh_ahead",
    "symbols_unknown",
    "trades_of",
]
