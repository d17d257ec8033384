"""The read errors: the caller asked for something the data cannot answer."""

from __future__ import annotations

from collections.abc import Iterable


class MarketDataReadError(ValueError):
    """Base of the read errors: the caller asked for something the data cannot answer."""


class UnknownSymbolError(MarketDataReadError):
    def __init__(self, symbols: Iterable[str]):
        self.symbols = sorted(set(symbols))
        super().__init__(f"unknown symbol(s): {', '.join(self.symbols)}")


class UnknownSeriesError(MarketDataReadError):
    pass


class RangeTooLargeError(MarketDataReadError):
    def __init__(self, limit: int):
        self.limit = limit
        super().__init__(
            f"more than {limit:,} source bars match; narrow start/end, ask for fewer symbols "
            "or a coarser interval"
        )


class FxRateNotFound(MarketDataReadError):
    pass
