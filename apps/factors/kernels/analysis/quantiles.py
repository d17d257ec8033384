"""Factor quantiles and the returns of each quantile, as alphalens computes them.

`quantize` is `alphalens.utils.quantize_factor` (pandas `qcut` / `cut` per date, run with
`no_raise=True` as `get_clean_factor` does); `quantile_returns` is
`alphalens.performance.mean_return_by_quantile`; `spread` is `compute_mean_returns_spread`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from apps.factors.kernels.analysis.panel_stats import demean_rows


def _qcut_levels(quantiles: int | Sequence[float]) -> np.ndarray:
    # pandas.qcut's own levels: linspace rounded up where q * level is not exactly an integer
    if isinstance(quantiles, (int, np.integer)):
        if quantiles < 1:
            raise ValueError("quantiles must be >= 1")
        levels = np.linspace(0, 1, quantiles + 1)
        np.putmask(levels, quantiles * levels != np.arange(quantiles + 1), np.nextafter(levels, 1))
        return levels
    return np.asarray(quantiles, dtype=float)


def _row_quantiles(values: np.ndarray, levels: np.ndarray) -> np.ndarray:
    """np.quantile(method="linear") of each row's present values, bit for bit: (T, L).

    numpy's own nan-quantile loops over rows in Python; this sorts once (NaN last) and applies
    numpy's index and `_lerp` arithmetic to all rows together. NaN for a row with no value.
    """
    ordered = np.sort(values, axis=1)
    n = (~np.isnan(values)).sum(axis=1)
    virtual = (n[:, None] - 1) * levels[None, :]
    prev = np.floor(virtual)
    top = virtual >= (n[:, None] - 1)  # numpy takes the last value for both neighbours there
    gamma = virtual - np.where(top, -1.0, prev)
    last = np.maximum(n - 1, 0)[:, None]
    lo_idx = np.where(top, last, prev).astype(np.intp)
    hi_idx = np.where(top, last, prev + 1).astype(np.intp)
    a = np.take_along_axis(ordered, np.clip(lo_idx, 0, None), axis=1)
    b = np.take_along_axis(ordered, np.clip(hi_idx, 0, None), axis=1)
    diff = b - a
    out = np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)
    return np.where(n[:, None] > 0, out, np.nan)


def _bucket_rows(values: np.ndarray, edges: np.ndarray, include_lowest: bool) -> np.ndarray:
    """pandas `_bins_to_cuts` (right-closed bins, labels=False) + 1 per row: int64 (T, N), 0 = none.

    A row whose edges are not unique fails in pandas ("Bin edges must be unique"; alphalens's
    no_raise then drops the whole date): every cell of that row gets 0. So does a value outside
    the edges and a NaN.
    """
    # searchsorted(side="left") = number of edges strictly below the value
    ids = (edges[:, None, :] < values[:, :, None]).sum(axis=2)
    if include_lowest:
        ids = np.where(values == edges[:, :1], 1, ids)
    n_edges = edges.shape[1]
    ok = ~np.isnan(values) & (ids > 0) & (ids < n_edges)
    unique = (np.diff(edges, axis=1) != 0).all(axis=1) | (n_edges == 2)
    ok &= (unique & ~np.isnan(edges).any(axis=1))[:, None]
    return np.where(ok, ids, 0).astype(np.int64)


def _int_bin_edges(values: np.ndarray, bins: int) -> np.ndarray:
    # pandas.cut with an integer: equal-width edges over each row's range, lowest edge lowered by
    # 0.1% of the range (or the range widened by 0.1% of |value| when the row is constant)
    mn = np.nanmin(np.where(np.isnan(values), np.inf, values), axis=1)
    mx = np.nanmax(np.where(np.isnan(values), -np.inf, values), axis=1)
    flat = mn == mx
    mn_flat = mn - np.where(mn != 0, 0.001 * np.abs(mn), 0.001)
    mx_flat = mx + np.where(mx != 0, 0.001 * np.abs(mx), 0.001)
    lo = np.where(flat, mn_flat, mn)
    hi = np.where(flat, mx_flat, mx)
    edges = np.linspace(lo, hi, bins + 1, endpoint=True, axis=1)
    edges[:, 0] = np.where(flat, edges[:, 0], edges[:, 0] - (mx - mn) * 0.001)
    return np.where(np.isfinite(mn)[:, None], edges, np.nan)


def _quantize_rows(values: np.ndarray, quantiles, bins) -> np.ndarray:
    if bins is None:
        edges = _row_quantiles(values, _qcut_levels(quantiles))
        return _bucket_rows(values, edges, include_lowest=True)
    if isinstance(bins, (int, np.integer)):
        return _bucket_rows(values, _int_bin_edges(values, int(bins)), include_lowest=False)
    fixed = np.broadcast_to(np.asarray(bins, dtype=float), (values.shape[0], len(bins)))
    return _bucket_rows(values, fixed, include_lowest=False)


def quantize(
    factor: np.ndarray,
    quantiles: int | Sequence[float] | None = 5,
    bins: int | Sequence[float] | None = None,
    groups: np.ndarray | None = None,
) -> np.ndarray:
    """Bucket each date's factor values: int64 (T, N), 1..k, 0 = no bucket.

    quantiles: k equal-count buckets (pandas `qcut` per date: edges are the linear-interpolated
    quantiles of the date's present values, bins right-closed, the lowest edge included) or a
    sequence of quantile levels. bins: instead of quantiles, k equal-width buckets over the date's
    range (pandas `cut`) or a sequence of fixed edges (values outside get 0). Exactly one of the two.
    groups: int (T, N) labels; when given, bucket within each (date, group) (alphalens
    `binning_by_group`), cells with label -1 get 0.

    0 where the factor is NaN, and for every cell of a date (or date and group) whose edges are
    not unique — ties spanning a quantile boundary, a single name — because pandas raises there and
    alphalens (max_loss > 0) drops that date from all of its analyses. Fewer names than buckets is
    not a failure when the values are distinct: some buckets are then simply empty.
    """
    if (quantiles is None) == (bins is None):
        raise ValueError("give exactly one of quantiles or bins")
    values = np.asarray(factor, dtype=float)
    values = np.where(np.isfinite(values), values, np.nan)
    if groups is None:
        return _quantize_rows(values, quantiles, bins)
    out = np.zeros(values.shape, dtype=np.int64)
    for label in np.unique(groups[groups >= 0]):  # loop over a handful of groups, not dates
        member = groups == label
        part = _quantize_rows(np.where(member, values, np.nan), quantiles, bins)
        out = np.where(member, part, out)
    return out


@dataclass(frozen=True)
class QuantileReturns:
    """Mean forward return per quantile (index q-1 holds quantile q).

    mean, std_error: (H, Q) — the mean over dates of each date's mean return, and the standard
    deviation (ddof=1) of those daily means over sqrt(number of dates) (alphalens by_date=False).
    mean_by_date, std_error_by_date: (H, Q, T) — the date's mean return of the quantile's names and
    their std (ddof=1) / sqrt(count) (alphalens by_date=True); NaN where the quantile is empty that
    date (std_error also where it holds one name).
    count_by_date: (H, Q, T) names used.
    """

    mean: np.ndarray
    std_error: np.ndarray
    mean_by_date: np.ndarray
    std_error_by_date: np.ndarray
    count_by_date: np.ndarray


def _masked_mean_std(values: np.ndarray, mask: np.ndarray):
    """Mean, std (ddof=1) and count over the last axis of the cells in mask."""
    count = mask.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(mask, values, 0.0).sum(axis=-1) / count
        dev = np.where(mask, values - mean[..., None], 0.0)
        std = np.sqrt((dev * dev).sum(axis=-1) / (count - 1))
    mean = np.where(count > 0, mean, np.nan)
    std = np.where(count > 1, std, np.nan)
    return mean, std, count


def quantile_stats(adjusted: np.ndarray, buckets: np.ndarray, n_quantiles: int) -> QuantileReturns:
    """QuantileReturns of already-adjusted (demeaned or not) returns (H, T, N) by bucket (T, N)."""
    present = ~np.isnan(adjusted)
    shape = (adjusted.shape[0], n_quantiles, adjusted.shape[1])
    mean_d, std_d, count_d = np.full(shape, np.nan), np.full(shape, np.nan), np.zeros(shape, np.int64)
    for q in range(1, n_quantiles + 1):
        mean_d[:, q - 1], std_d[:, q - 1], count_d[:, q - 1] = _masked_mean_std(
            adjusted, present & (buckets == q)
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        se_d = std_d / np.sqrt(count_d)
    # by_date=False: statistics of the daily means over the dates where the quantile has names
    mean, std, n_dates = _masked_mean_std(mean_d, ~np.isnan(mean_d))
    with np.errstate(invalid="ignore", divide="ignore"):
        se = std / np.sqrt(n_dates)
    return QuantileReturns(mean, se, mean_d, se_d, count_d)


def adjust_returns(
    fwd: np.ndarray,
    keep: np.ndarray,
    *,
    demeaned: bool,
    group_adjust: bool,
    groups: np.ndarray | None,
) -> np.ndarray:
    """Forward returns restricted to the cells in keep (T, N) and demeaned as alphalens does.

    group_adjust=True subtracts each (date, group) mean and takes precedence over demeaned, which
    subtracts each date's mean over the kept universe (all quantiles together); both means are
    taken over the cells kept for that horizon.
    """
    values = np.where(keep[None], fwd, np.nan)
    if group_adjust:
        if groups is None:
            raise ValueError("group_adjust needs groups")
        return demean_rows(values, groups)
    if demeaned:
        return demean_rows(values)
    return values


def quantile_returns(
    fwd: np.ndarray,
    buckets: np.ndarray,
    *,
    n_quantiles: int | None = None,
    demeaned: bool = True,
    group_adjust: bool = False,
    groups: np.ndarray | None = None,
) -> QuantileReturns:
    """alphalens `mean_return_by_quantile` (by_date both ways) over fwd (H, T, N) and buckets (T, N).

    The universe of a horizon is the cells with a bucket (> 0) and a forward return; pass buckets
    from `clean_factor` to reproduce alphalens's sample exactly (it also drops cells missing another
    horizon). n_quantiles defaults to the largest bucket present.
    """
    q = int(buckets.max()) if n_quantiles is None else n_quantiles
    adjusted = adjust_returns(fwd, buckets > 0, demeaned=demeaned, group_adjust=group_adjust, groups=groups)
    return quantile_stats(adjusted, buckets, q)


def spread(
    mean_by_date: np.ndarray,
    std_error_by_date: np.ndarray | None = None,
    *,
    upper: int | None = None,
    lower: int = 1,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Top-minus-bottom quantile return at 100% gross (alphalens `compute_mean_returns_spread`).

    mean_by_date, std_error_by_date: (..., Q, T). Returns ((top - bottom) / 2, sqrt(se_top^2 +
    se_bottom^2) / 2), each (..., T). alphalens 0.5 halves the raw difference so the long-short
    book carries the gross leverage of one quantile portfolio (earlier versions did not).
    upper defaults to the last quantile, lower to 1.
    """
    top = mean_by_date.shape[-2] if upper is None else upper
    diff = (mean_by_date[..., top - 1, :] - mean_by_date[..., lower - 1, :]) / 2.0
    if std_error_by_date is None:
        return diff, None
    s1, s2 = std_error_by_date[..., top - 1, :], std_error_by_date[..., lower - 1, :]
    return diff, np.sqrt(s1**2 + s2**2) / 2.0


def rate_of_return(values: np.ndarray, horizons: Sequence[int], base: int = 1) -> np.ndarray:
    """Per-`base`-period compounded rate of h-period returns (alphalens `utils.rate_of_return`):
    (1 + r) ** (base / h) - 1, horizons along axis 0 of values."""
    factor = (base / np.asarray(horizons, dtype=float)).reshape((-1,) + (1,) * (values.ndim - 1))
    return np.power(values + 1, factor) - 1


def std_conversion(values: np.ndarray, horizons: Sequence[int], base: int = 1) -> np.ndarray:
    """Per-`base`-period standard error of h-period ones (alphalens `utils.std_conversion`):
    s / sqrt(h / base), horizons along axis 0."""
    factor = (np.asarray(horizons, dtype=float) / base).reshape((-1,) + (1,) * (values.ndim - 1))
    return values / np.sqrt(factor)
