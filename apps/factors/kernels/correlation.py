"""Correlation between factors: over time (series against series) and across names (per date, then
averaged over dates).

Missing values: anything non-finite (NaN, ±inf) is "no value", as in pandas' `DataFrame.corr`.
Correlations are pairwise complete: a pair is measured over the observations where both sides have
a value. A pair with fewer than `min_periods` (over time) / `min_names` (across names) such
observations, or whose either side is constant over them, has no correlation (NaN). Results are
clipped to [-1, 1] and the diagonal is exactly 1 where defined.

Over time, `correlation_matrix` is `pandas.DataFrame(series.T).corr(min_periods=m)` computed with
BLAS instead of pandas' O(K² T) Welford loop:
- no missing value: one centred product X Xᵀ (numpy hands `A @ A.T` to syrk);
- missing values: the pairwise sums become masked products. With X̃ each series centred by its own
  full mean and set to 0 where missing, and M the 0/1 validity mask, for a pair (i, j):
      n_ij = (M Mᵀ)_ij,   S_ij = (X̃ Mᵀ)_ij = Σ_{both} x̃_i,   Q_ij = (X̃² Mᵀ)_ij = Σ_{both} x̃_i²,
      var_i|j = Q_ij − S_ij² / n_ij,   cov_ij = (X̃ X̃ᵀ)_ij − S_ij S_ji / n_ij.
  Centring by the full mean first keeps the sums small (the raw one-pass formula loses every
  digit on a series with mean 1e6 and std 1); the correction terms then account for the overlap's
  own mean. Only series that miss something need the masked products (a complete j has
  S_ij = Σ x̃_i), so a panel with a few gappy series costs little more than the fast path. A pair
  whose overlap variance is below `_CANCELLATION` × its sum of squares (its overlap mean far from
  the full mean, or constant on the overlap) has lost digits to cancellation and is recomputed
  exactly, two-pass, from its own values.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

CrossSectionMethod = Literal["rank", "pearson"]
CROSS_SECTION_METHODS = ("rank", "pearson")

# var_i|j / Q_ij below this means the one-pass formula kept fewer than ~13 of 16 digits: recompute exactly.
_CANCELLATION = 1e-3
# Cells (pairs × observations) per chunk of the exact recomputation, to bound its memory.
_CHUNK_CELLS = 1 << 22


def correlation_matrix(series: np.ndarray, min_periods: int = 1) -> np.ndarray:
    """Pearson correlation over time of K series (K, T) -> (K, K), pairwise complete.

    Equal to `pandas.DataFrame(series.T).corr(min_periods=min_periods)`: entry (i, j) uses the
    dates where both series are finite; NaN if there are fewer than `min_periods` of them (at
    least 1) or either series is constant over them (so a constant series has a NaN row, its
    diagonal included)."""
    x = _as_2d(series, "series")
    valid = np.isfinite(x)
    if valid.all():
        return _complete_correlation(x, max(int(min_periods), 1))
    return _masked_correlation(x[None], valid[None], max(int(min_periods), 1))[0]


def correlation_with(target: np.ndarray, series: np.ndarray, min_periods: int = 1) -> np.ndarray:
    """Pearson correlation over time of one series (T,) with each of K series (K, T) -> (K,).

    Same semantics as a row of `correlation_matrix` (pairwise complete, `min_periods`, NaN when a
    side is constant on the overlap); one pass over K × T, exact two-pass per pair."""
    x = _as_2d(series, "series")
    y = np.asarray(target, dtype=float)
    if y.shape != (x.shape[1],):
        raise ValueError(f"target must have shape ({x.shape[1]},), got {y.shape}")
    return _pearson_rows(x, np.broadcast_to(y, x.shape), max(int(min_periods), 1))


def cross_sectional_correlation(
    a: np.ndarray, b: np.ndarray, method: CrossSectionMethod = "rank", min_names: int = 2
) -> np.ndarray:
    """Per-date correlation across names of two panels (T, N) -> (T,).

    On each date, the names where both panels are finite; "rank" is Spearman (average ranks of
    ties, ranked over those common names), "pearson" the plain correlation. NaN on a date with
    fewer than `min_names` common names or a side constant across them."""
    x, y = _as_2d(a, "a"), _as_2d(b, "b")
    if x.shape != y.shape:
        raise ValueError(f"a and b must have the same shape, got {x.shape} and {y.shape}")
    _check_method(method)
    both = np.isfinite(x) & np.isfinite(y)
    x, y = np.where(both, x, np.nan), np.where(both, y, np.nan)
    if method == "rank":
        x, y = rank_rows(x), rank_rows(y)
    return _pearson_rows(x, y, max(int(min_names), 1))


def mean_cross_sectional_correlation(
    a: np.ndarray, b: np.ndarray, method: CrossSectionMethod = "rank", min_names: int = 2
) -> float:
    """The average over dates of `cross_sectional_correlation(a, b)`; dates where it is NaN are
    left out, NaN if no date has one."""
    return _nanmean(cross_sectional_correlation(a, b, method, min_names))


def mean_cross_sectional_correlation_matrix(
    factors: np.ndarray, method: CrossSectionMethod = "rank", min_names: int = 2
) -> np.ndarray:
    """(K, K) average over dates of the per-date cross-sectional correlation of K panels (K, T, N).

    Vectorized over dates (batched masked products, as in `correlation_matrix`), pairwise complete
    per date, dates without a correlation left out of the mean. "pearson" equals
    `mean_cross_sectional_correlation` for every pair. "rank" ranks each factor once per date over
    its own finite names and correlates the ranks over the names both factors have: the same
    figure as the pair function wherever the two factors cover the same names on a date, and an
    approximation of the re-ranked Spearman where their coverage differs (re-ranking every pair
    would cost K² rankings of the panel)."""
    x = np.asarray(factors, dtype=float)
    if x.ndim != 3:
        raise ValueError(f"factors must be (K, T, N), got shape {x.shape}")
    _check_method(method)
    if method == "rank":
        x = np.stack([rank_rows(f) for f in x])  # K rankings of a (T, N) panel
    per_date = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, K, N): one K x N cross-section per date
    corr = _masked_correlation(per_date, np.isfinite(per_date), max(int(min_names), 1))
    defined = np.isfinite(corr)
    count = defined.sum(axis=0)
    total = np.where(defined, corr, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def rank_rows(x: np.ndarray) -> np.ndarray:
    """Average ranks (1..n) along each row of a (T, N) panel, NaN kept where the value is NaN."""
    return pd.DataFrame(x).rank(axis=1, method="average").to_numpy(dtype=float)


def _complete_correlation(x: np.ndarray, min_count: int) -> np.ndarray:
    k, t = x.shape
    if t < min_count:
        return np.full((k, k), np.nan)
    centred = x - x.mean(axis=1, keepdims=True)
    cross = centred @ centred.T
    sumsq = np.diag(cross).copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = cross / np.sqrt(np.outer(sumsq, sumsq))
    # A constant series' centred values are rounding noise, not zero: detect constancy exactly.
    constant = x.max(axis=1) == x.min(axis=1)
    corr[constant, :] = np.nan
    corr[:, constant] = np.nan
    np.clip(corr, -1.0, 1.0, out=corr)
    np.fill_diagonal(corr, np.where(constant, np.nan, 1.0))
    return corr


def _masked_correlation(x: np.ndarray, valid: np.ndarray, min_count: int) -> np.ndarray:
    """Pairwise-complete Pearson over the last axis for a batch (B, K, L) -> (B, K, K)."""
    n_valid = valid.sum(axis=-1)
    mask = valid.astype(float)
    centred = np.where(valid, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(n_valid > 0, centred.sum(axis=-1) / n_valid, 0.0)
    centred -= mean[..., None]
    centred *= mask  # exactly 0 again where missing
    squared = np.square(centred)

    # Columns j of a complete series need no masked product: the overlap with it is the whole of i.
    k = x.shape[1]
    gappy = np.flatnonzero((~valid.all(axis=-1)).any(axis=0))
    cols = slice(None) if gappy.size == k else gappy  # a view, not a gather, when every series is gappy
    count = np.empty(mask.shape[:-1] + (k,))
    count[...] = n_valid[:, :, None]  # n_ij = n_i for a complete j
    sums = np.empty_like(count)
    sums[...] = centred.sum(axis=-1)[:, :, None]
    sumsq = np.empty_like(count)
    sumsq[...] = squared.sum(axis=-1)[:, :, None]
    if gappy.size:
        mask32 = mask.astype(np.float32)
        gappy_mask_t = mask[:, cols, :].swapaxes(-1, -2)
        # Counts are exact in float32 below 2**24 observations, at half the cost of float64.
        count[:, :, cols] = mask32 @ mask32[:, cols, :].swapaxes(-1, -2)
        sums[:, :, cols] = centred @ gappy_mask_t
        sumsq[:, :, cols] = squared @ gappy_mask_t
    cross = centred @ centred.swapaxes(-1, -2)

    # In place where possible: each (K, K) temporary is page faults on a large K.
    with np.errstate(invalid="ignore", divide="ignore"):
        var_i = np.square(sums)
        var_i /= count
        np.subtract(sumsq, var_i, out=var_i)  # var_i|j = Q_ij - S_ij^2 / n_ij
        var_j = var_i.swapaxes(-1, -2)
        correction = sums * sums.swapaxes(-1, -2)
        correction /= count
        corr = np.subtract(cross, correction, out=cross)  # cov_ij
        denominator = np.multiply(var_i, var_j, out=correction)
        np.sqrt(denominator, out=denominator)
        corr /= denominator
    enough = count >= min_count
    lossy = enough & ((var_i <= _CANCELLATION * sumsq) | (var_j <= _CANCELLATION * sumsq.swapaxes(-1, -2)))
    corr[~enough] = np.nan
    _recompute_exactly(corr, x, np.triu(lossy), min_count)
    np.clip(corr, -1.0, 1.0, out=corr)
    diagonal = np.einsum("bkk->bk", corr)  # a writeable view
    diagonal[...] = np.where(np.isnan(diagonal), np.nan, 1.0)
    return corr


def _recompute_exactly(corr: np.ndarray, x: np.ndarray, pairs: np.ndarray, min_count: int) -> None:
    """Two-pass Pearson for the flagged (batch, i, j) pairs (i <= j), written to both (i, j) and (j, i)."""
    b, i, j = np.nonzero(pairs)
    step = max(_CHUNK_CELLS // max(x.shape[-1], 1), 1)
    for start in range(0, b.size, step):  # chunks bound the memory, not a per-pair loop
        sl = slice(start, start + step)
        r = _pearson_rows(x[b[sl], i[sl]], x[b[sl], j[sl]], min_count)
        corr[b[sl], i[sl], j[sl]] = r
        corr[b[sl], j[sl], i[sl]] = r


def _pearson_rows(x: np.ndarray, y: np.ndarray, min_count: int) -> np.ndarray:
    """Row-wise two-pass Pearson of (P, L) against (P, L) over the jointly finite entries -> (P,)."""
    both = np.isfinite(x) & np.isfinite(y)
    n = both.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dx = np.where(both, x - (np.where(both, x, 0.0).sum(axis=1) / n)[:, None], 0.0)
        dy = np.where(both, y - (np.where(both, y, 0.0).sum(axis=1) / n)[:, None], 0.0)
        r = np.einsum("pl,pl->p", dx, dy) / np.sqrt(
            np.einsum("pl,pl->p", dx, dx) * np.einsum("pl,pl->p", dy, dy)
        )
    constant = _constant_rows(x, both) | _constant_rows(y, both)
    r[(n < min_count) | constant] = np.nan
    return np.clip(r, -1.0, 1.0)


def _constant_rows(x: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Whether each row of x takes a single value over `where` (True for an empty row)."""
    return np.where(where, x, np.inf).min(axis=1) >= np.where(where, x, -np.inf).max(axis=1)


def _nanmean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if finite.size else float("nan")


def _as_2d(values: np.ndarray, name: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if x.ndim != 2:
        raise ValueError(f"{name} must be two-dimensional, got shape {x.shape}")
    return x


def _check_method(method: str) -> None:
    if method not in CROSS_SECTION_METHODS:
        raise ValueError(f"method must be one of {CROSS_SECTION_METHODS}, got {method!r}")
