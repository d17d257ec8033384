"""Vectorized kernels of the simulated market: every function works on all instruments at once
(arrays are time × instruments) and takes its randomness from the generator it is given, so the
same seed and parameters always give the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .params import TRADING_DAYS, MarketParams

# Mean of (1 + VOLUME_MOVE_SENSITIVITY·|z|) for a standard normal z: volume rises with the size of
# a move, and dividing by this keeps the average volume at the parameter.
VOLUME_MOVE_SENSITIVITY = 2.0
_VOLUME_MOVE_MEAN = 1.0 + VOLUME_MOVE_SENSITIVITY * np.sqrt(2.0 / np.pi)
_VOLUME_NOISE = 0.5  # sd of the log-normal noise on step volumes


def regime_path(
    params: MarketParams, *, n_steps: int, dt: float, rng: np.random.Generator, start: int = 0
) -> np.ndarray:
    """(T,) int8 regime of each step (0 calm, 1 stressed), from a Markov chain whose per-day
    transition probabilities are compounded to the step length."""
    reg = params.regimes
    out = np.zeros(n_steps, dtype=np.int8)
    if not reg.enabled or n_steps == 0:
        return out
    days = dt * TRADING_DAYS
    p_up = 1.0 - (1.0 - reg.p_calm_to_stressed) ** days
    p_down = 1.0 - (1.0 - reg.p_stressed_to_calm) ** days
    u = rng.random(n_steps)
    state = start
    # A scalar chain: its steps depend on each other, and T is at most ~10⁵ here.
    for t in range(n_steps):
        state = (1 if u[t] < p_up else 0) if state == 0 else (0 if u[t] < p_down else 1)
        out[t] = state
    return out


def simulate_log_returns(
    params: MarketParams, *, n_steps: int, dt: float, rng: np.random.Generator, regime_start: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """(log returns (T, N), regimes (T,)) for `n_steps` steps of `dt` years (see params.py)."""
    regimes = regime_path(params, n_steps=n_steps, dt=dt, rng=rng, start=regime_start)
    mult = params.regimes.multipliers()[regimes][:, None] if params.regimes.enabled else np.ones((n_steps, 1))
    b, idio = params.loadings()
    factors = rng.standard_normal((n_steps, b.shape[1]))
    eps = rng.standard_normal((n_steps, params.n))
    diffusion = (factors @ b.T + eps * idio) * (np.sqrt(dt) * mult)
    # Itô correction: the expected *price* grows at the drift whatever the regime's vol.
    drift = (params.drifts - 0.5 * (mult * params.vols) ** 2) * dt
    out = drift + diffusion
    jp = params.jumps
    if jp.enabled and jp.intensity > 0:
        counts = rng.poisson(jp.intensity * dt, (n_steps, params.n))
        # A sum of k normal jumps is normal with k× the mean and variance.
        out += counts * jp.mean + np.sqrt(counts) * jp.std * rng.standard_normal((n_steps, params.n))
    return out, regimes


def step_volumes(
    params: MarketParams, log_returns: np.ndarray, regimes: np.ndarray, *, dt: float, rng: np.random.Generator
) -> np.ndarray:
    """(T, N) traded volume per step: the daily volume's share of the step, higher in stress and
    on large moves, with log-normal noise (mean-preserving)."""
    share = params.daily_volume * (dt * TRADING_DAYS)
    mult = params.regimes.multipliers()[regimes][:, None] if params.regimes.enabled else 1.0
    scale = np.sqrt(dt) * params.vols * mult
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(scale > 0, np.abs(log_returns) / scale, 0.0)
    move = (1.0 + VOLUME_MOVE_SENSITIVITY * np.minimum(z, 10.0)) / _VOLUME_MOVE_MEAN
    noise = np.exp(_VOLUME_NOISE * rng.standard_normal(log_returns.shape) - 0.5 * _VOLUME_NOISE**2)
    return share * mult * move * noise


@dataclass(frozen=True)
class Bars:
    """OHLCV arrays, each (bars, instruments)."""

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray
    vwap: np.ndarray
    trade_count: np.ndarray
    regime: np.ndarray  # (bars,) regime at the bar's close


def bars_from_path(
    last_close: np.ndarray,
    log_returns: np.ndarray,
    volumes: np.ndarray,
    regimes: np.ndarray,
    *,
    substeps: int,
    avg_trade_size: float = 100.0,
) -> Bars:
    """Bars from a fine path: `substeps` consecutive steps make one bar. A bar opens at the previous
    close, closes at its last step, and its high/low are the extremes of the path *including the
    open*, so high ≥ max(open, close) and low ≤ min(open, close) hold by construction; the VWAP is a
    volume-weighted mean of path prices, hence within [low, high]."""
    steps, n = log_returns.shape
    if steps % substeps:
        raise ValueError("the path length must be a multiple of substeps")
    t = steps // substeps
    path = np.asarray(last_close, dtype=float) * np.exp(np.cumsum(log_returns, axis=0))
    fine = path.reshape(t, substeps, n)
    close = fine[:, -1, :]
    open_ = np.vstack([np.asarray(last_close, dtype=float)[None, :], close[:-1]])
    high = np.maximum(fine.max(axis=1), open_)
    low = np.minimum(fine.min(axis=1), open_)
    vol = volumes.reshape(t, substeps, n)
    volume = vol.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        vwap = np.where(volume > 0, (fine * vol).sum(axis=1) / volume, close)
    vwap = np.clip(vwap, low, high)  # rounding only
    trade_count = np.maximum(np.rint(volume / avg_trade_size), 1).astype(np.int64)
    return Bars(open_, high, low, close, volume, vwap, trade_count, regimes[substeps - 1 :: substeps])


def tick_size(mid: np.ndarray) -> np.ndarray:
    return np.where(mid >= 1.0, 0.01, 0.0001)


@dataclass(frozen=True)
class Quotes:
    bid: np.ndarray
    ask: np.ndarray
    bid_size: np.ndarray
    ask_size: np.ndarray

    @property
    def mid(self) -> np.ndarray:
        return (self.bid + self.ask) / 2


def quotes_from_mid(
    mid: np.ndarray, spread_bps: np.ndarray, *, rng: np.random.Generator, multiplier: np.ndarray | float = 1.0
) -> Quotes:
    """Bid/ask around `mid` (any shape ending in instruments): a spread of `spread_bps` (wider by the
    regime multiplier, with log-normal noise), at least one tick, rounded outward to the tick, so
    ask − bid ≥ one tick > 0. Sizes are round lots of 100."""
    mid = np.asarray(mid, dtype=float)
    tick = tick_size(mid)
    spread = mid * spread_bps * 1e-4 * multiplier * np.exp(0.25 * rng.standard_normal(mid.shape))
    spread = np.maximum(spread, tick)
    bid = np.floor((mid - spread / 2) / tick) * tick
    ask = np.ceil((mid + spread / 2) / tick) * tick
    ask = np.maximum(ask, bid + tick)  # guards float rounding of floor/ceil at exact ticks
    bid_size = 100.0 * rng.integers(1, 50, mid.shape)
    ask_size = 100.0 * rng.integers(1, 50, mid.shape)
    return Quotes(np.round(bid, 6), np.round(ask, 6), bid_size, ask_size)


@dataclass(frozen=True)
class Book:
    """Level-2 snapshot per instrument: (instruments, levels) arrays, best level first."""

    bid_prices: np.ndarray
    bid_sizes: np.ndarray
    ask_prices: np.ndarray
    ask_sizes: np.ndarray


def book_from_quotes(quotes: Quotes, *, levels: int, rng: np.random.Generator) -> Book:
    """Deeper levels one step apart (half the spread, at least a tick), sizes growing with depth."""
    tick = tick_size(quotes.mid)
    step = np.maximum(np.round((quotes.ask - quotes.bid) / 2 / tick) * tick, tick)[..., None]
    k = np.arange(levels)
    noise = rng.uniform(0.7, 1.3, (*quotes.bid.shape, levels))
    noise[..., 0] = 1.0  # the top level is the quote itself
    depth = (1.0 + 0.6 * k) * noise
    bid_sizes = np.maximum(np.rint(quotes.bid_size[..., None] * depth / 100) * 100, 100)
    ask_sizes = np.maximum(np.rint(quotes.ask_size[..., None] * depth / 100) * 100, 100)
    return Book(
        np.round(quotes.bid[..., None] - k * step, 6),
        bid_sizes,
        np.round(quotes.ask[..., None] + k * step, 6),
        ask_sizes,
    )
