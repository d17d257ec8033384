"""Cross-sectional operators: per date (row), across instruments (columns).

A NaN is excluded from its row's statistics and stays NaN in the output. Vectorized over all
rows at once: no loop per date or per group.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ranks import percentile_rank_rows
from .panels import finite_or_nan, quiet
from .spec import Arg, OperatorSpec, no_lookback

_X = Arg(name="x", kind="series")


def _row_mean_std(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-row mean and sample std (ddof=1) of the non-NaN values, as (T, 1) columns. The std
    is NaN for a row with fewer than two values and for a constant row (tested exactly,
    max == min, so rounding in the mean cannot turn it into a tiny positive std)."""
    with quiet():
        mean = np.nanmean(x, axis=1, keepdims=True)
        std = np.nanstd(x, axis=1, ddof=1, keepdims=True)
        constant = np.nanmax(x, axis=1, keepdims=True) == np.nanmin(x, axis=1, keepdims=True)
    std[constant] = np.nan
    return mean, std


def cs_rank(x):
    # pandas' rank(axis=1, pct=True) by one argsort (kernels/ranks.py), 2-3x faster
    return finite_or_nan(percentile_rank_rows(x))


def cs_zscore(x):
    mean, std = _row_mean_std(x)
    with quiet():
        return finite_or_nan((x - mean) / std)


def cs_demean(x):
    mean, _ = _row_mean_std(x)
    return finite_or_nan(x - mean)


def cs_scale(x, a=1.0):
    with quiet():
        gross = np.nansum(np.abs(x), axis=1, keepdims=True)
        return finite_or_nan(x * (a / gross))


def cs_winsorize(x, k=3.0):
    mean, std = _row_mean_std(x)
    lower, upper = mean - k * std, mean + k * std
    # No std (one value, or a constant row): nothing lies outside the band, keep x as it is.
    clipped = np.where(np.isnan(std), x, np.clip(x, lower, upper))
    return finite_or_nan(clipped)


def cs_bucket(x, q):
    # The same row quantiles pd.qcut computes (pandas' linear quantile), for all rows at once.
    levels = np.linspace(0.0, 1.0, q + 1)[1:-1]
    frame = pd.DataFrame(x, copy=False)
    edges = frame.quantile(levels, axis=1, interpolation="linear").to_numpy(dtype=np.float64)
    bucket = np.ones(x.shape)
    for edge in edges:  # q - 1 interior edges; right-closed bins as qcut's (e_{i-1}, e_i]
        bucket += x > edge[:, None]
    bucket[np.isnan(x)] = np.nan
    return bucket


def cs_neutralize(x, g):
    valid = ~np.isnan(x) & (g >= 0)
    rows = np.nonzero(valid)[0]
    labels, codes = np.unique(g[valid], return_inverse=True)
    # One key per (date, group) pair; one bincount sums every group of every date at once.
    key = rows * len(labels) + codes
    size = x.shape[0] * len(labels)
    sums = np.bincount(key, weights=x[valid], minlength=size)
    counts = np.bincount(key, minlength=size)
    out = np.full(x.shape, np.nan)
    out[valid] = x[valid] - sums[key] / counts[key]
    return out


_RANK_CUTOFF = 1e-12  # relative eigenvalue below which a (standardized) regressor is collinear


def cs_residual(x, *ys):
    design = np.stack(ys, axis=-1)  # (T, N, k)
    valid = ~np.isnan(x) & ~np.isnan(design).any(axis=-1)
    n = valid.sum(axis=1)
    with quiet():
        x_mean = np.where(valid, x, 0.0).sum(axis=1) / n
        design_mean = np.where(valid[..., None], design, 0.0).sum(axis=1) / n[:, None]
        # Centering per date absorbs the intercept; scaling each regressor to unit norm keeps the
        # normal equations well conditioned.
        xc = np.where(valid, x - x_mean[:, None], 0.0)
        dc = np.where(valid[..., None], design - design_mean[:, None, :], 0.0)
        norm = np.sqrt(np.einsum("tnk,tnk->tk", dc, dc))
        dc /= np.where(norm > 0.0, norm, 1.0)[:, None, :]
        gram = np.einsum("tnk,tnl->tkl", dc, dc)
        moment = np.einsum("tnk,tn->tk", dc, xc)
        # pinv handles a singular date (collinear or constant regressors) as lstsq does.
        beta = np.einsum("tkl,tl->tk", np.linalg.pinv(gram, rcond=_RANK_CUTOFF, hermitian=True), moment)
        residual = xc - np.einsum("tnk,tk->tn", dc, beta)
    residual[~valid] = np.nan
    residual[n <= len(ys) + 1] = np.nan
    return finite_or_nan(residual)


def _spec(name, kernel, args, doc, aliases=(), variadic=False):
    return OperatorSpec(
        name=name,
        category="cross_section",
        args=args,
        kernel=kernel,
        lookback=no_lookback,
        variadic=variadic,
        aliases=aliases,
        doc=doc,
    )


SPECS: tuple[OperatorSpec, ...] = (
    _spec(
        "cs_rank",
        cs_rank,
        (_X,),
        "Percentile rank within the date's row: rank among the row's non-NaN values (ties get "
        "their average rank) divided by their count, in (0, 1] (pandas rank(axis=1, pct=True); "
        "the 101 alphas' rank). NaN stays NaN.",
        ("rank",),
    ),
    _spec(
        "cs_zscore",
        cs_zscore,
        (_X,),
        "(x - row mean) / row std (ddof=1) over the row's non-NaN values. NaN stays NaN; a row "
        "with zero std or fewer than two values is all NaN.",
    ),
    _spec(
        "cs_demean",
        cs_demean,
        (_X,),
        "x - the mean of the row's non-NaN values. NaN stays NaN.",
    ),
    _spec(
        "cs_scale",
        cs_scale,
        (_X, Arg(name="a", kind="number", default=1.0)),
        "x scaled per row so that the sum of |x| over the row's non-NaN values is a (default 1; "
        "the 101 alphas' scale). NaN stays NaN; a row whose values are all 0 is all NaN.",
        ("scale",),
    ),
    _spec(
        "cs_winsorize",
        cs_winsorize,
        (_X, Arg(name="k", kind="number", default=3.0)),
        "x clipped per row to [mean - k std, mean + k std] (ddof=1, over the row's non-NaN "
        "values; k defaults to 3). NaN stays NaN; a row with fewer than two values or constant "
        "is returned unchanged.",
    ),
    _spec(
        "cs_bucket",
        cs_bucket,
        (_X, Arg(name="q", kind="window")),
        "Quantile bucket 1..q of x within its row, like alphalens's pd.qcut(row, q, labels=False) "
        "+ 1: edges are the row's linear-interpolated quantiles at 0, 1/q, .., 1 of its non-NaN "
        "values, bins are right-closed with the row minimum in bucket 1. NaN stays NaN. Where ties "
        "make edges coincide (qcut would raise), buckets keep their quantile numbering and some "
        "stay empty.",
    ),
    _spec(
        "cs_neutralize",
        cs_neutralize,
        (_X, Arg(name="g", kind="group")),
        "x minus the mean of x over the instruments in the same group on the same date (the 101 "
        "alphas' IndNeutralize). NaN stays NaN; an unknown group (label < 0, -1 by convention) "
        "gives NaN and is left out of every mean.",
        ("indneutralize", "IndNeutralize"),
    ),
    _spec(
        "cs_residual",
        cs_residual,
        (_X, Arg(name="y", kind="series")),
        "Residual of the per-date OLS of x on an intercept and y1, y2, .. (variadic): instruments "
        "where x or any y is NaN are left out of the fit and are NaN; a date with no more usable "
        "instruments than coefficients (k + 1) is all NaN; collinear or constant regressors are "
        "handled like lstsq (minimum-norm solution).",
        variadic=True,
    ),
)
