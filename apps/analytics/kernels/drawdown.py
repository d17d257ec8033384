"""Drawdowns for many portfolios at once: the drawdown series and the deepest drawdown's peak, trough,
recovery and duration. Pure numpy over a returns matrix (portfolios × periods).

Conventions (QuantStats' `to_drawdown_series` / `max_drawdown`, empyrical's `max_drawdown`): wealth
starts at 1.0 *before* the first period, so a loss in the very first period is a drawdown. Missing
returns (NaN, e.g. before a late starter's first period) leave wealth unchanged. Depths are negative
fractions (-0.25 is a 25% drawdown).

Indices refer to periods (columns) of the returns matrix. `peak == -1` means the starting value before
the first period; `recovery == -1` means not recovered by the last period; a portfolio with no
drawdown at all has peak = trough = recovery = -1 and duration 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def wealth_index(returns: np.ndarray) -> np.ndarray:
    """Compounded wealth after each period, starting from 1.0; NaN returns count as flat periods."""
    r = np.atleast_2d(np.asarray(returns, dtype=float))
    gross = 1.0 + r
    gross[np.isnan(r)] = 1.0
    return np.cumprod(gross, axis=1, out=gross)


def drawdown_series(returns: np.ndarray) -> np.ndarray:
    """Drawdown after each period (P×T, values ≤ 0) against the running peak including the start."""
    wealth = wealth_index(returns)
    peak = np.maximum(np.maximum.accumulate(wealth, axis=1), 1.0)
    return wealth / peak - 1.0


@dataclass(frozen=True)
class MaxDrawdown:
    depth: np.ndarray  # (P,) ≤ 0
    peak: np.ndarray  # (P,) int, -1 = the starting value
    trough: np.ndarray  # (P,) int
    recovery: np.ndarray  # (P,) int, -1 = not recovered
    duration: np.ndarray  # (P,) int periods from peak to recovery (to the last period if ongoing)


def max_drawdown(returns: np.ndarray, *, wealth: np.ndarray | None = None) -> MaxDrawdown:
    """The deepest drawdown per row; pass `wealth` (from `wealth_index`) when the caller has it."""
    if wealth is None:
        wealth = wealth_index(returns)
    p, t = wealth.shape
    rows = np.arange(p)
    cols = np.arange(t)
    running = np.maximum.accumulate(wealth, axis=1)
    np.maximum(running, 1.0, out=running)
    ratio = np.divide(wealth, running)
    trough = np.argmin(ratio, axis=1)
    depth = ratio[rows, trough] - 1.0
    # Nothing before the trough exceeds the high it fell from, so the periods at or above that level
    # are: ties of the high before the trough (the peak is the last of them) and, after it, the
    # periods that made the loss back (the recovery is the first).
    peak_wealth = running[rows, trough]
    at_high = wealth >= peak_wealth[:, None]
    before = cols[None, :] <= trough[:, None]
    mask = at_high & before
    peak = np.where(mask.any(axis=1), t - 1 - np.argmax(mask[:, ::-1], axis=1), -1)
    np.logical_and(at_high, ~before, out=mask)
    any_rec = mask.any(axis=1)
    recovery = np.where(any_rec, np.argmax(mask, axis=1), -1)
    duration = np.where(any_rec, recovery, t - 1) - peak
    none = depth >= 0.0
    return MaxDrawdown(
        depth=np.where(none, 0.0, depth),
        peak=np.where(none, -1, peak),
        trough=np.where(none, -1, trough),
        recovery=np.where(none, -1, recovery),
        duration=np.where(none, 0, duration),
    )
