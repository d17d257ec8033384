"""Simple and log returns over a (T, N) panel of prices, plus the panel checks the other kernels share.

Rows are bars in time order, columns are instruments. The return at row t uses rows t and t - periods
only (no look-ahead), so the first `periods` rows are NaN (warm-up) and a NaN price at row s makes the
returns at rows s and s + periods NaN, nothing else. A non-positive price has no meaningful return
and is treated like a missing one (NaN), so a bad tick never turns into ±inf downstream.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_panel(values: np.ndarray, name: str) -> np.ndarray:
    """`values` as a (T, N) float64 array. Any other rank is refused rather than guessed at: a 1-D
    series could be one instrument or one bar, and silently picking one hides a caller's bug."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a (T, N) array (bars × instruments), got shape {arr.shape}")
    return arr


def same_shape(**panels: np.ndarray) -> tuple[np.ndarray, ...]:
    """The keyword panels as (T, N) float64 arrays, checked to share one shape."""
    arrays = tuple(as_panel(v, name) for name, v in panels.items())
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        listed = ", ".join(f"{name}={a.shape}" for name, a in zip(panels, arrays, strict=True))
        raise ValueError(f"inputs must share one (T, N) shape, got {listed}")
    return arrays


def check_window(window: int, minimum: int = 1, name: str = "window") -> int:
    """`window` as an int >= `minimum` (2 for anything with a sample variance)."""
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {window!r}")
    return int(window)


def rolling_mean(panel: np.ndarray, window: int) -> np.ndarray:
    """Mean of rows t - window + 1 .. t per column; NaN for t < window - 1 and for any window holding
    a NaN (min_periods = window: a partial mean would silently change the estimator's meaning).
    pandas treats ±inf inputs as NaN here too."""
    return pd.DataFrame(panel).rolling(window, min_periods=window).mean().to_numpy(dtype=np.float64)


def rolling_var(panel: np.ndarray, window: int) -> np.ndarray:
    """Sample variance (ddof=1) of rows t - window + 1 .. t per column, NaN as in `rolling_mean`.
    pandas' online algorithm is Welford-style and returns exactly 0 for a constant window."""
    return pd.DataFrame(panel).rolling(window, min_periods=window).var(ddof=1).to_numpy(dtype=np.float64)


def _price_ratio(close: np.ndarray, periods: int) -> np.ndarray:
    """close[t] / close[t - periods], NaN for t < periods and where either price is NaN or <= 0."""
    close = as_panel(close, "close")
    periods = check_window(periods, name="periods")
    ratio = np.full_like(close, np.nan)
    now, before = close[periods:], close[:-periods] if periods < len(close) else close[:0]
    if len(now):
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio[periods:] = np.where((now > 0) & (before > 0), now / before, np.nan)
    return ratio


def simple_returns(close: np.ndarray, periods: int = 1) -> np.ndarray:
    """close[t] / close[t - periods] - 1, shape (T, N). The first `periods` rows are NaN; a NaN or
    non-positive price at row s gives NaN at rows s and s + periods."""
    return _price_ratio(close, periods) - 1.0


def log_returns(close: np.ndarray, periods: int = 1) -> np.ndarray:
    """ln(close[t] / close[t - periods]), shape (T, N), with the NaN rules of `simple_returns`."""
    return np.log(_price_ratio(close, periods))
