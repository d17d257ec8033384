"""Rolling Sharpe, volatility and beta over a window, for many portfolios at once (P×T in, P×T out).

Window sums come from cumulative sums of row-centred values (centring keeps the variance free of
cancellation), so the cost is O(P·T) whatever the window. Like pandas' `rolling(window)` (which
QuantStats' rolling_* use), the value at period t covers periods t-window+1..t and is NaN until a
full window of observations exists or when any of them is missing. Standard deviations use ddof=1.
"""

from __future__ import annotations

import numpy as np


def _window_sum(x: np.ndarray, window: int) -> np.ndarray:
    """Sum over the trailing window at every period; NaN-free input, NaN where the window is short."""
    c = np.cumsum(x, axis=1)
    out = np.full(x.shape, np.nan)
    out[:, window - 1] = c[:, window - 1]
    out[:, window:] = c[:, window:] - c[:, :-window]
    return out


def _prepare(x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    if window < 2:
        raise ValueError("window must be at least 2 periods")
    x = np.atleast_2d(np.asarray(x, dtype=float))
    if x.shape[1] < window:
        return x, np.zeros(x.shape, dtype=bool)
    # A window is complete when it holds `window` observations (pandas' default min_periods).
    return x, _window_sum((~np.isnan(x)).astype(float), window) == window


def _centred(x: np.ndarray) -> np.ndarray:
    return np.nan_to_num(x - np.nanmean(x, axis=1, keepdims=True), nan=0.0)


def _rolling_moments(x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Window mean, window standard deviation (ddof=1) and the mask of complete windows."""
    x, full = _prepare(x, window)
    if not full.any():
        nan = np.full(x.shape, np.nan)
        return nan, nan, full
    mu = np.nanmean(x, axis=1, keepdims=True)
    xc = _centred(x)
    s1 = _window_sum(xc, window)
    s2 = _window_sum(xc * xc, window)
    var = np.maximum(s2 - s1 * s1 / window, 0.0) / (window - 1)
    mean = s1 / window + mu
    return np.where(full, mean, np.nan), np.where(full, np.sqrt(var), np.nan), full


def rolling_volatility(returns: np.ndarray, *, window: int, periods_per_year: int) -> np.ndarray:
    _, std, _ = _rolling_moments(returns, window)
    return std * np.sqrt(periods_per_year)


def rolling_sharpe(
    returns: np.ndarray, *, window: int, periods_per_year: int, risk_free: float | np.ndarray = 0.0
) -> np.ndarray:
    """Rolling mean over rolling std of excess returns (risk_free an annual rate, de-annualized
    geometrically as in QuantStats), annualized by sqrt(periods_per_year)."""
    from .metrics import per_period_rate

    excess = np.atleast_2d(np.asarray(returns, dtype=float)) - per_period_rate(risk_free, periods_per_year)
    mean, std, _ = _rolling_moments(excess, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(std > 0, mean / std, np.nan) * np.sqrt(periods_per_year)


def rolling_beta(returns: np.ndarray, benchmark: np.ndarray, *, window: int) -> np.ndarray:
    """Rolling cov(portfolio, benchmark) / var(benchmark); benchmark is T or P×T."""
    r = np.atleast_2d(np.asarray(returns, dtype=float))
    b = np.broadcast_to(np.asarray(benchmark, dtype=float), r.shape)
    both = ~(np.isnan(r) | np.isnan(b))
    r = np.where(both, r, np.nan)
    b = np.where(both, b, np.nan)
    _, full = _prepare(r, window)
    if not full.any():
        return np.full(r.shape, np.nan)
    rc, bc = _centred(r), _centred(b)
    sr, sb = _window_sum(rc, window), _window_sum(bc, window)
    cov = _window_sum(rc * bc, window) - sr * sb / window
    var = _window_sum(bc * bc, window) - sb * sb / window
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(full & (var > 0), cov / var, np.nan)
