"""Simple and log returns over a (T, N) panel of prices (panel checks: panels.py).

Rows are bars in time order, columns are instruments. The return at row t uses rows t and t - periods
only (no look-ahead), so the first `periods` rows are NaN (warm-up) and a NaN price at row s makes the
returns at rows s and s + periods NaN, nothing else. A non-positive price has no meaningful return
and is treated like a missing one (NaN), so a bad tick never turns into ±inf downstream.
"""

from __future__ import annotations

import numpy as np

from .panels import as_panel, check_window


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
