"""Today's books as the limit kernel sees them (load.py assembles them, market.py holds the cached
slow data, figures.py the arithmetic)."""

from .load import (
    WINDOW_TYPES,
    LoadedBook,
    book_adhoc,
    book_load,
    book_with,
    portfolio_frames,
    symbols_unknown,
)
from .market import CACHE_TTL_SECONDS, RETURN_DAYS, book_cache_clear, slow_refresh_ahead

__all__ = [
    "CACHE_TTL_SECONDS",
    "RETURN_DAYS",
    "WINDOW_TYPES",
    "LoadedBook",
    "book_adhoc",
    "book_cache_clear",
    "book_load",
    "book_with",
    "portfolio_frames",
    "slow_refresh_ahead",
    "symbols_unknown",
]
