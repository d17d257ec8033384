"""Forward returns over a price panel, as alphalens's `compute_forward_returns` computes them."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd


def forward_returns(
    prices: np.ndarray, horizons: Sequence[int], *, filter_zscore: float | None = None
) -> np.ndarray:
    """The simple return from row t to row t+h for each horizon h: shape (H, T, N).

    Semantics are alphalens's (`prices.ffill().pct_change(h).shift(-h)`):
    - missing prices are forward-filled per instrument first, so a gap (a halted name) earns a 0%
      return across it and a name's last price is carried to the end; leading NaN (before the
      first price) stays NaN;
    - out[k, t] = ffilled[t + h] / ffilled[t] - 1, NaN for the last h rows (t + h past the data);
    - horizons are taken in the order given (alphalens sorts them; pass them sorted to compare).
    filter_zscore: alphalens's outlier filter (its `get_clean_factor_and_forward_returns` default is
    20; None, the default here, disables it): a return further than z standard deviations (ddof=1)
    from its mean is set to NaN, mean and deviation taken per instrument over all T rows of that
    horizon (so it uses future data: alphalens's own caution).
    """
    filled = pd.DataFrame(np.asarray(prices, dtype=float)).ffill().to_numpy()
    t_len = filled.shape[0]
    out = np.full((len(horizons), *filled.shape), np.nan)
    for k, h in enumerate(horizons):
        if h < 1:
            raise ValueError(f"horizon must be >= 1, got {h}")
        if h < t_len:
            with np.errstate(invalid="ignore", divide="ignore"):
                out[k, : t_len - h] = filled[h:] / filled[: t_len - h] - 1.0
    if filter_zscore is not None:
        # pandas DataFrame.mean()/.std(): per column over the dates, NaN skipped, ddof=1
        frame = out.transpose(0, 2, 1)  # (H, N, T) so the reduction is the last axis
        mean = np.nanmean(frame, axis=-1, keepdims=True)
        count = (~np.isnan(frame)).sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            std = np.sqrt(np.nansum((frame - mean) ** 2, axis=-1, keepdims=True) / (count - 1))
        outlier = np.abs(frame - mean) > filter_zscore * std
        out = np.where(outlier.transpose(0, 2, 1), np.nan, out)
    return out


def complete_cases(factor: np.ndarray, fwd: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
    """Cells alphalens keeps before binning (`get_clean_factor`'s `dropna`): bool (T, N).

    True where the factor is finite, every horizon's forward return is present (not NaN) and, when
    groups are given, the group is known (>= 0). alphalens drops a (date, asset) row from every
    horizon as soon as one horizon is missing, so the last max(h) dates vanish from all of its
    analyses; our kernels are pairwise-complete per horizon instead, and this mask is how a caller
    reproduces alphalens's sample.
    """
    keep = np.isfinite(factor) & ~np.isnan(fwd).any(axis=0)
    if groups is not None:
        keep &= groups >= 0
    return keep
