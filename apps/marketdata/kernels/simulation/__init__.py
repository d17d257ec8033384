"""A deterministic, seedable simulated market: pure numpy, no Django.

    params = MarketParams.universe(12, n_sectors=4, seed=7)
    market = SimulatedMarket(params, seed=7)
    bars = market.bars(252, dt=DAY)            # OHLCV + vwap + trade counts, (bars × instruments)
    params.correlation(), params.vols()        # what the simulated returns should show

Layout: params.py (the model's parameters and the moments they imply), paths.py (vectorized
return, bar, quote and book construction), market.py (a stateful market that advances in steps,
for the live feed and the bulk generator).
"""

from .market import DAY, SESSION_SECONDS, TRADING_DAYS, SimulatedMarket, seconds_to_years
from .params import JumpParams, MarketParams, RegimeParams
from .paths import (
    Bars,
    Book,
    Quotes,
    bars_from_path,
    book_from_quotes,
    quotes_from_mid,
    simulate_log_returns,
)

__all__ = [
    "DAY",
    "SESSION_SECONDS",
    "TRADING_DAYS",
    "Bars",
    "Book",
    "JumpParams",
    "MarketParams",
    "Quotes",
    "RegimeParams",
    "SimulatedMarket",
    "bars_from_path",
    "book_from_quotes",
    "quotes_from_mid",
    "seconds_to_years",
    "simulate_log_returns",
]
