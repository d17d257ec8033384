"""Average ranks along the last axis of a panel (per date, across instruments), by one argsort.

pandas' `rank(axis=1)` and scipy's `rankdata(axis=1)` answer the same numbers; this is 2-3x faster on
a 2,520 x 500 panel (measured: ~35 ms without ties, ~45 ms with ties in every row, against pandas'
70-90 ms and scipy's 70-100 ms), and ranking cross-sections is what cs_rank and screening's rank IC
spend their time on.

Why it is fast: NaN is replaced by +inf before sorting (numpy's SIMD argsort takes a slow path on
NaN: 4-5x slower), so the missing cells sort last; ties are averaged only where a row has some (one
comparison of neighbours in sorted order finds them), and then per run of equal values at once.
"""

from __future__ import annotations

import numpy as np


def rank_rows(values: np.ndarray) -> np.ndarray:
    """Average ranks 1..n of the non-NaN values along the last axis (ties get the mean of the ranks
    they span), NaN where the value is NaN: pandas' `rank(axis=-1, method="average",
    na_option="keep")`. ±inf are ranked as values (largest / smallest). Any shape; float64 out."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return np.empty(values.shape)
    width = values.shape[-1]
    flat = values.reshape(-1, width)
    missing = np.isnan(flat)
    has_missing = missing.any()
    if has_missing and np.isposinf(flat).any():
        # a real +inf would tie with the NaN cells: keep them apart by sorting NaN itself (slower)
        filled = flat
    else:
        filled = np.where(missing, np.inf, flat) if has_missing else flat
    order = np.argsort(filled, axis=-1)
    # flat positions of the sorted cells: plain fancy indexing with them is 3-10x faster than
    # take_along_axis / put_along_axis, which build a broadcast index per axis
    flat_order = order + np.arange(0, flat.size, width)[:, None]
    ordered = filled.reshape(-1)[flat_order]
    starts = np.empty(flat.shape, dtype=bool)  # sorted position begins a run of equal values
    starts[:, 0] = True
    np.not_equal(ordered[:, 1:], ordered[:, :-1], out=starts[:, 1:])
    if has_missing:
        # the missing cells sort last; each is its own run so none joins a value's tie
        present = width - missing.sum(axis=-1, keepdims=True)
        starts |= np.arange(width) >= present
    if starts.all():
        ranks = np.broadcast_to(np.arange(1.0, width + 1.0), flat.shape)
    else:
        # runs never cross rows (every row starts one): a run starting at column f of size s spans
        # ranks f+1 .. f+s, whose mean is f + (s + 1) / 2
        first = np.flatnonzero(starts)
        size = np.diff(first, append=flat.size)
        ranks = np.repeat(first % width + (size + 1) * 0.5, size).reshape(flat.shape)
    out = np.empty(flat.shape)
    out.reshape(-1)[flat_order] = ranks
    out[missing] = np.nan
    return out.reshape(values.shape)


def percentile_rank_rows(values: np.ndarray) -> np.ndarray:
    """`rank_rows` divided by each row's count of non-NaN values, in (0, 1]: pandas'
    `rank(axis=-1, pct=True)`."""
    ranks = rank_rows(values)
    count = np.count_nonzero(~np.isnan(ranks), axis=-1)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return ranks / count
