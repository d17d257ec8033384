"""Historical VaR and ES of many P&L rows at several confidences from one partial sort per row.

`historical_var_es` (var.py) defines the figures: VaR at confidence c is minus numpy's linear (1 - c)
percentile of a row's scenarios, ES minus the mean of the scenarios at or below that percentile. Both
need only the smallest few order statistics of a row: at 99 % over 250 scenarios the percentile lies
between the 3rd and 4th smallest, and the scenarios at or below it are the three smallest. So each
NaN-free row is partitioned once (`np.partition` at the order statistics every confidence needs,
where `np.percentile` partitions once per confidence and also at the row's minimum and maximum), the
percentile is interpolated with numpy's own formula (the same bits as `np.percentile`), and the
tail mean is the mean of the first partitioned entries. A scenario past them that equals the
percentile (ties) also belongs to the tail: such rows are done with a mask over the whole row.

Rows with a NaN scenario keep the reference path (nanpercentile and a masked mean) row block by
confidence; the monitor's books seldom have one.
"""

from __future__ import annotations

import warnings

import numpy as np


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's quantile interpolation (`numpy.lib._function_base_impl._lerp`): a + (b - a) t, taken
    from b's side when t >= 0.5, so the result equals `np.percentile`'s bit for bit."""
    diff = b - a
    out = a + diff * t
    np.subtract(b, diff * (1 - t), out=out, where=np.broadcast_to(t >= 0.5, out.shape))
    return out


def _reference(block: np.ndarray, confidence: float) -> tuple[np.ndarray, np.ndarray]:
    """One-day (VaR, ES) of rows that may hold NaN: nanpercentile and the mean of the tail."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        # An all-NaN row is documented to give NaN; numpy's warning about it is noise here.
        warnings.simplefilter("ignore", RuntimeWarning)
        cut = np.nanpercentile(block, 100.0 * (1.0 - confidence), axis=1)
        tail = np.where(block <= cut[:, None], block, np.nan)
        tail_mean = np.nanmean(tail, axis=1) if tail.size else np.full(len(block), np.nan)
    return -cut, -tail_mean


def historical_var_es_levels(pnl: np.ndarray, levels) -> tuple[np.ndarray, np.ndarray]:
    """One-day (VaR, ES) of every row of `pnl` (rows x scenarios) at each confidence of `levels`: two
    (rows, len(levels)) arrays, equal to `historical_var_es` row by row and level by level (VaR bit
    for bit; ES to the last bits, its sum being taken in another order). NaN for a row with no
    finite scenario."""
    pnl = np.atleast_2d(np.asarray(pnl, dtype=float))
    levels = np.atleast_1d(np.asarray(levels, dtype=float))
    rows, n = pnl.shape
    var = np.full((rows, levels.size), np.nan)
    es = np.full((rows, levels.size), np.nan)
    if rows == 0 or n == 0 or levels.size == 0:
        return var, es
    # np.percentile's virtual index for the linear method: (n - 1) q, q = (100 (1 - c)) / 100.
    virtual = (n - 1) * (100.0 * (1.0 - levels) / 100.0)
    inside = bool(((virtual >= 0) & (virtual < n - 1)).all())
    dirty = np.isnan(pnl).any(axis=1)
    clean = np.flatnonzero(~dirty) if inside else np.empty(0, dtype=np.intp)
    if clean.size:
        lo = np.floor(virtual).astype(np.intp)
        gamma = virtual - lo
        block = pnl[clean] if clean.size < rows else pnl.copy()  # partitioned in place
        block.partition(np.unique(np.concatenate([lo, lo + 1])), axis=1)
        below, above = block[:, lo], block[:, lo + 1]  # (R, L)
        cut = _lerp(below, above, gamma)
        head = np.cumsum(block[:, : lo.max() + 1], axis=1)
        tail_mean = head[:, lo] / (lo + 1)
        r, k = np.nonzero(above <= cut)  # a scenario past the first lo + 1 may equal the percentile
        if r.size:  # nanmean's own sum over the whole row (the reference's figure exactly)
            tied = pnl[clean[r]]
            tail = tied <= cut[r, k][:, None]
            tail_mean[r, k] = np.where(tail, tied, 0.0).sum(axis=1) / tail.sum(axis=1)
        var[clean], es[clean] = -cut, -tail_mean
    rest = np.flatnonzero(dirty) if inside else np.arange(rows)
    if rest.size:
        for k, c in enumerate(levels):
            var[rest, k], es[rest, k] = _reference(pnl[rest], c)
    return var, es
