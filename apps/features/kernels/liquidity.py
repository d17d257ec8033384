"""Volume and liquidity features over (T, N) panels: ADV, dollar volume, Amihud illiquidity.

Each is a rolling mean over the n = window rows t - n + 1 .. t (no look-ahead); a window holding a NaN
gives NaN rather than a mean over fewer bars, so a figure always means the same number of bars.
"""

from __future__ import annotations

import numpy as np

from .panels import check_window, rolling_mean, same_shape
from .returns import simple_returns


def adv(volume: np.ndarray, window: int) -> np.ndarray:
    """Average daily (per-bar) volume: mean of volume over the window. Warm-up n - 1 rows."""
    window = check_window(window)
    (volume,) = same_shape(volume=volume)
    return rolling_mean(volume, window)


def dollar_volume(close: np.ndarray, volume: np.ndarray, window: int) -> np.ndarray:
    """Mean of close_i × volume_i over the window (traded value per bar). Warm-up n - 1 rows."""
    window = check_window(window)
    close, volume = same_shape(close=close, volume=volume)
    return rolling_mean(close * volume, window)


def amihud(close: np.ndarray, volume: np.ndarray, window: int) -> np.ndarray:
    """Amihud (2002) illiquidity: mean over the window of |r_i| / (close_i × volume_i), r_i the simple
    return close_i / close_{i-1} - 1. Unscaled (multiply by 1e6 for the usual "per million" figure).
    Warm-up n rows (the first bar has no return). A bar with zero (or negative) dollar volume has no
    defined ratio: it is NaN, not inf, and so is every window that holds it."""
    window = check_window(window)
    close, volume = same_shape(close=close, volume=volume)
    traded = close * volume
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(traded > 0, np.abs(simple_returns(close)) / traded, np.nan)
    return rolling_mean(ratio, window)
