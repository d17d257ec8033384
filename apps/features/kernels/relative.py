"""Rolling beta and correlation of many instruments' returns to one benchmark's returns.

Both use the n = window rows t - n + 1 .. t (no look-ahead) and are NaN during the n - 1 warm-up rows,
for any window where the instrument's or the benchmark's return is NaN, and where a variance in the
denominator is zero (a flat benchmark has no beta). Take returns, not prices: see returns.py.
"""

from __future__ import annotations

import numpy as np

from .panels import as_panel, check_window, rolling_var


def _benchmark_column(benchmark: np.ndarray, rows: int) -> np.ndarray:
    """The benchmark as a (T, 1) column matching `rows`; (T,) and (T, 1) are both accepted."""
    bench = np.asarray(benchmark, dtype=np.float64)
    if bench.ndim == 2 and bench.shape[1] == 1:
        bench = bench[:, 0]
    if bench.ndim != 1 or len(bench) != rows:
        raise ValueError(f"benchmark must have shape ({rows},), got {np.shape(benchmark)}")
    return bench[:, None]


def _moments(returns: np.ndarray, benchmark: np.ndarray, window: int):
    """Rolling sample covariance of each column with the benchmark, and both sample variances.

    The covariance comes from the polarization identity cov(x, y) = (var(x + y) - var(x - y)) / 4 so
    that every term is a centred (Welford-style) rolling variance: the raw-moment form
    mean(xy) - mean(x) mean(y) loses digits when means are large next to the dispersion.
    """
    window = check_window(window, minimum=2)
    x = as_panel(returns, "returns")
    y = np.broadcast_to(_benchmark_column(benchmark, len(x)), x.shape)
    cov = (rolling_var(x + y, window) - rolling_var(x - y, window)) / 4.0
    # The benchmark's variance is the same for every column: compute it once and broadcast.
    var_y = np.broadcast_to(rolling_var(y[:, :1], window), x.shape)
    return cov, rolling_var(x, window), var_y


def rolling_beta(returns: np.ndarray, benchmark: np.ndarray, window: int) -> np.ndarray:
    """beta_t = cov(r, b) / var(b) over the window (OLS slope of r on b with an intercept), (T, N)."""
    cov, _, var_b = _moments(returns, benchmark, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(var_b > 0, cov / var_b, np.nan)


def rolling_correlation(returns: np.ndarray, benchmark: np.ndarray, window: int) -> np.ndarray:
    """Pearson correlation of r and b over the window, clipped to [-1, 1] against rounding, (T, N)."""
    cov, var_r, var_b = _moments(returns, benchmark, window)
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where((var_r > 0) & (var_b > 0), cov / np.sqrt(var_r * var_b), np.nan)
    return np.clip(corr, -1.0, 1.0)
