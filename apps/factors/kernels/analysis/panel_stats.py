"""Row-wise statistics over panels shared by the analysis kernels.

Every function reduces over the last axis (instruments) of an array shaped (..., T, N), so one call
covers every date and every horizon at once. NaN marks a missing cell and is skipped.
"""

from __future__ import annotations

import numpy as np

from apps.factors.kernels import ranks


def rank_rows(values: np.ndarray) -> np.ndarray:
    """Average ranks (1..n) along the last axis, NaN kept NaN: pandas' `rank(axis=1)`, which is what
    scipy's spearmanr and alphalens's `groupby(date).rank()` compute per date (kernels/ranks.py: one
    argsort, 2-3x faster than pandas)."""
    return ranks.rank_rows(values)


def row_mean(values: np.ndarray) -> np.ndarray:
    """Mean over the last axis skipping NaN; NaN where a row has no value. Shape (...,)."""
    present = ~np.isnan(values)
    count = present.sum(axis=-1)
    total = np.where(present, values, 0.0).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def demean_rows(values: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Subtract each date's mean (alphalens `demean_forward_returns`).

    values: (..., T, N); groups: None (one mean per date over the present cells) or an int (T, N)
    label panel (one mean per date and label; label -1 = unknown, whose cells become NaN since
    alphalens drops rows without a group). NaN stays NaN.
    """
    if groups is None:
        return values - row_mean(values)[..., None]
    out = np.full(values.shape, np.nan)
    for label in np.unique(groups[groups >= 0]):  # a handful of sectors: loop over labels, not dates
        member = groups == label
        part = np.where(member, values, np.nan)
        out = np.where(member, part - row_mean(part)[..., None], out)
    return out


def row_pearson(x: np.ndarray, y: np.ndarray, min_count: int = 2) -> np.ndarray:
    """Pearson correlation along the last axis over the cells where both x and y are present.

    NaN where fewer than `min_count` (at least 2) pairs, or where either side is constant over the
    pairs (zero variance). Clipped to [-1, 1] like `np.corrcoef`. Shape: the broadcast shape minus
    the last axis.
    """
    x, y = np.broadcast_arrays(x, y)
    both = ~(np.isnan(x) | np.isnan(y))
    xm = np.where(both, x, np.nan)
    ym = np.where(both, y, np.nan)
    dx = np.where(both, xm - row_mean(xm)[..., None], 0.0)
    dy = np.where(both, ym - row_mean(ym)[..., None], 0.0)
    num = (dx * dy).sum(axis=-1)
    den = np.sqrt((dx * dx).sum(axis=-1) * (dy * dy).sum(axis=-1))
    count = both.sum(axis=-1)
    valid = (count >= max(min_count, 2)) & (den > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(valid, num / np.where(valid, den, 1.0), np.nan)
    return np.clip(r, -1.0, 1.0)
