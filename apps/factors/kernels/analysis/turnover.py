"""How fast a factor's portfolio changes: quantile turnover and factor rank autocorrelation.

Rows are consecutive dates of the panel: `period` counts rows, which equals alphalens's lag on
its trading-calendar grid when the panel has a row for every trading day (alphalens reindexes its
series to that grid before shifting, so a date missing from its factor_data is a NaN row there too).
"""

from __future__ import annotations

import numpy as np

from apps.factors.kernels.analysis.panel_stats import rank_rows, row_mean


def quantile_turnover(buckets: np.ndarray, period: int = 1, n_quantiles: int | None = None) -> np.ndarray:
    """Share of the names in quantile q at row t that were not in q at row t - period: (Q, T).

    alphalens `quantile_turnover`. NaN for the first `period` rows, where quantile q is empty at t,
    and where it was empty at t - period (alphalens has no name set for that date, and the set
    difference with a missing set is missing). Row q-1 holds quantile q.
    """
    q = int(buckets.max()) if n_quantiles is None else n_quantiles
    labels = np.arange(1, q + 1)[:, None, None]
    now = buckets[None] == labels  # (Q, T, N)
    before = np.zeros_like(now)
    before[:, period:] = now[:, :-period]
    new = (now & ~before).sum(axis=2)
    n_now, n_before = now.sum(axis=2), before.sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = new / n_now
    out = np.where((n_now > 0) & (n_before > 0), out, np.nan)
    out[:, :period] = np.nan
    return out


def rank_autocorrelation(factor: np.ndarray, period: int = 1) -> np.ndarray:
    """Correlation across names of the factor ranks at t and at t - period: (T,).

    alphalens `factor_rank_autocorrelation`: ranks (average, 1..n) are taken within each date over
    that date's own names, then pandas `corrwith` correlates the two rank rows over the names
    present in both — without re-ranking that common subset. Formula, as pandas writes it:
    sum(dx * dy) / ((n - 1) * std_x * std_y) over the n common names; NaN with fewer than 2 common
    names, NaN for the first `period` rows, NaN where either side is constant over the common names
    (0 / 0). pandas does not clip to [-1, 1]; neither does this.
    """
    ranks = rank_rows(np.where(np.isfinite(factor), factor, np.nan))
    lagged = np.full_like(ranks, np.nan)
    lagged[period:] = ranks[:-period]
    both = ~(np.isnan(ranks) | np.isnan(lagged))
    x = np.where(both, ranks, np.nan)
    y = np.where(both, lagged, np.nan)
    n = both.sum(axis=1)
    dx = x - row_mean(x)[:, None]
    dy = y - row_mean(y)[:, None]
    num = np.where(both, dx * dy, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sx = np.sqrt(np.where(both, dx * dx, 0.0).sum(axis=1) / (n - 1))
        sy = np.sqrt(np.where(both, dy * dy, 0.0).sum(axis=1) / (n - 1))
        out = num / ((n - 1) * sx * sy)
    return np.where(n >= 2, out, np.nan)
