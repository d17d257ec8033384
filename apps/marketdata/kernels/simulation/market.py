"""A stateful simulated market: prices, regime and random generator carried from one call to the
next, so a live feed can draw one tick at a time and a bulk generator a year of bars at a time.

Determinism: the same params, seed and start prices, with the same sequence of calls, give the
same numbers (every draw comes from one numpy Generator seeded once).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import SESSION_SECONDS, TRADING_DAYS, MarketParams, seconds_to_years
from .paths import (
    Bars,
    Book,
    Quotes,
    bars_from_path,
    book_from_quotes,
    quotes_from_mid,
    simulate_log_returns,
    step_volumes,
)

DAY = 1.0 / TRADING_DAYS  # one trading day, in years
DAILY_SUBSTEPS = 13  # intrabar path of a daily bar: one step per half hour of the session

__all__ = [
    "DAY",
    "DAILY_SUBSTEPS",
    "SESSION_SECONDS",
    "TRADING_DAYS",
    "SimulatedMarket",
    "Tick",
    "seconds_to_years",
]


def default_start_prices(n: int, seed: int) -> np.ndarray:
    """Plausible share prices (≈ 20–500), drawn from the seed."""
    rng = np.random.default_rng([seed, 0x9A1CE])
    return np.round(np.exp(rng.uniform(np.log(20), np.log(500), n)), 2)


@dataclass(frozen=True)
class Tick:
    """One step of every instrument: mid prices, quotes, traded volume, optional book."""

    mid: np.ndarray  # (N,)
    volume: np.ndarray  # (N,)
    quotes: Quotes
    regime: int
    book: Book | None = None


class SimulatedMarket:
    def __init__(self, params: MarketParams, *, seed: int, start_prices: np.ndarray | None = None) -> None:
        self.params = params
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        prices = (
            default_start_prices(params.n, seed) if start_prices is None else np.asarray(start_prices, float)
        )
        if prices.shape != (params.n,) or np.any(~np.isfinite(prices)) or np.any(prices <= 0):
            raise ValueError(f"start_prices must be {params.n} positive finite numbers")
        self.prices = prices.copy()
        self.regime = 0

    def returns(self, n_steps: int, *, dt: float) -> tuple[np.ndarray, np.ndarray]:
        """(log returns (T, N), regimes (T,)) for the next n_steps, advancing prices and regime."""
        r, regimes = simulate_log_returns(
            self.params, n_steps=n_steps, dt=dt, rng=self.rng, regime_start=self.regime
        )
        if n_steps:
            self.prices = self.prices * np.exp(r.sum(axis=0))
            self.regime = int(regimes[-1])
        return r, regimes

    def bars(self, n_bars: int, *, dt: float = DAY, substeps: int = DAILY_SUBSTEPS) -> Bars:
        """The next n_bars bars of `dt` years each, built from an intrabar path of `substeps` steps."""
        last = self.prices.copy()
        fine_dt = dt / substeps
        r, regimes = self.returns(n_bars * substeps, dt=fine_dt)
        vols = step_volumes(self.params, r, regimes, dt=fine_dt, rng=self.rng)
        return bars_from_path(
            last, r, vols, regimes, substeps=substeps, avg_trade_size=self.params.avg_trade_size
        )

    def tick(self, *, dt: float, levels: int = 0) -> Tick:
        """Advance one step of `dt` years; quote (and book, with levels > 0) around the new mids."""
        r, regimes = self.returns(1, dt=dt)
        volume = step_volumes(self.params, r, regimes, dt=dt, rng=self.rng)[0]
        mult = self.params.regimes.multipliers()[self.regime] if self.params.regimes.enabled else 1.0
        quotes = quotes_from_mid(self.prices, self.params.spread_bps, rng=self.rng, multiplier=mult)
        book = book_from_quotes(quotes, levels=levels, rng=self.rng) if levels > 0 else None
        return Tick(self.prices.copy(), volume, quotes, self.regime, book)
