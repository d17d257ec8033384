"""IC and quantile returns per group (sector), alphalens's `by_group=True` results.

groups: int64 (T, N) labels, -1 = unknown (alphalens drops rows without a group). One loop over
the distinct labels (a handful of sectors); everything inside is vectorized over dates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apps.factors.kernels.analysis.ic import Method, information_coefficient
from apps.factors.kernels.analysis.quantiles import QuantileReturns, adjust_returns, quantile_stats


def group_labels(groups: np.ndarray) -> np.ndarray:
    """The known labels (>= 0) present in the panel, ascending."""
    return np.unique(groups[groups >= 0])


def ic_by_group(
    factor: np.ndarray,
    fwd: np.ndarray,
    groups: np.ndarray,
    *,
    method: Method = "rank",
    min_names: int = 2,
    group_adjust: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """IC per group and date: (labels (G,), ic (G, H, T)); alphalens `factor_information_coefficient(
    by_group=True)`. Within a group the IC is computed over that group's names only, NaN on dates
    where the group has fewer than min_names (alphalens omits the (date, group) rows of an absent
    group and gives NaN for a single name). group_adjust subtracts the (date, group) mean return
    first; within one group that shifts every return by the same amount, so neither IC changes:
    kept for parity with alphalens's flag.
    """
    labels = group_labels(groups)
    if group_adjust:
        fwd = adjust_returns(fwd, groups >= 0, demeaned=False, group_adjust=True, groups=groups)
    out = np.full((len(labels), fwd.shape[0], fwd.shape[1]), np.nan)
    for g, label in enumerate(labels):
        member = groups == label
        out[g] = information_coefficient(
            np.where(member, factor, np.nan), fwd, method=method, min_names=min_names
        )
    return labels, out


@dataclass(frozen=True)
class GroupQuantileReturns:
    """labels (G,) and one QuantileReturns per label, stacked: mean/std_error (G, H, Q),
    mean_by_date/std_error_by_date/count_by_date (G, H, Q, T)."""

    labels: np.ndarray
    returns: QuantileReturns


def quantile_returns_by_group(
    fwd: np.ndarray,
    buckets: np.ndarray,
    groups: np.ndarray,
    *,
    n_quantiles: int | None = None,
    demeaned: bool = True,
    group_adjust: bool = False,
) -> GroupQuantileReturns:
    """alphalens `mean_return_by_quantile(by_group=True)`: returns are adjusted over the whole kept
    universe first (demeaned: minus the date's mean over all groups; group_adjust: minus the (date,
    group) mean), then averaged per (quantile, date, group) and over dates per (quantile, group)."""
    labels = group_labels(groups)
    q = int(buckets.max()) if n_quantiles is None else n_quantiles
    keep = (buckets > 0) & (groups >= 0)
    adjusted = adjust_returns(fwd, keep, demeaned=demeaned, group_adjust=group_adjust, groups=groups)
    parts = [quantile_stats(np.where(groups == label, adjusted, np.nan), buckets, q) for label in labels]
    stacked = QuantileReturns(
        *(np.stack([getattr(p, f) for p in parts]) for f in QuantileReturns.__dataclass_fields__)
    )
    return GroupQuantileReturns(labels, stacked)
