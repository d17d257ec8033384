"""Time-ordered validation splits that never train on a label overlapping the test window.

Samples are rows sorted by their time t0 (non-decreasing: a stacked time × instrument panel has
many rows per time); each row's label is known at t1 >= t0 (a forward return over h bars ends h bars
later). Times are datetimes (tz-aware ones compared in UTC) or numbers.

Both splitters cut the rows into contiguous test blocks and, for each block [a, b):
- its span is [t0[a], max(t1[a:b])], the time from the first test sample to the last test label;
- purge: a training row i is dropped when its closed label interval [t0_i, t1_i] meets the span
  (t0_i <= span end and t1_i >= span start). Every test interval lies inside the span, so no kept
  training label overlaps any test label, even when two labels only touch at an end point; and
  since rows are sorted by t0, a row outside the block that meets the span meets some test label,
  so nothing more than the overlapping rows is purged.

`walk_forward_splits` trains only on rows before the block: expanding (every earlier row) or
rolling (the `train_size` rows just before the block), then purged. The test blocks are the last
`n_splits * test_size` rows, `test_size` each, as in scikit-learn's `TimeSeriesSplit(test_size=)`
(which this equals, rolling or not, when times are distinct and every label ends where it starts).

`purged_kfold_splits` is López de Prado's purged k-fold with embargo (AFML ch. 7): the k test blocks
are `numpy.array_split` of the rows (scikit-learn's unshuffled `KFold`), training is every other row
after purging, and after each block the `embargo = floor(embargo_pct * n)` rows that follow the
purged ones are dropped too (AFML's `int(n * pctEmbargo)`): with m the first row after the block
whose t0 is past the span end, rows [m, m + embargo) are embargoed, so training resumes at
m + embargo. The embargo guards against serial correlation of the features beyond the label.

Both return a list of (train, test) int64 index arrays, usable as a scikit-learn `cv`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

Split = tuple[np.ndarray, np.ndarray]


def walk_forward_splits(
    t0, t1, *, n_splits: int, test_size: int, train_size: int | None = None
) -> list[Split]:
    """Walk-forward splits, purged: expanding window when `train_size` is None, else rolling.

    Split j (0-based) tests rows [n - (n_splits - j) * test_size, + test_size); it trains on the
    rows before it (all of them, or the last `train_size`) whose label ends before the test span
    starts. Raises ValueError if a split would have no training row."""
    start, end = _times(t0, t1)
    n = start.size
    _positive(n_splits=n_splits, test_size=test_size)
    if train_size is not None:
        _positive(train_size=train_size)
    first = n - n_splits * test_size
    if first < 1:
        raise ValueError(f"{n} samples cannot hold {n_splits} test blocks of {test_size} and a training set")
    idx = np.arange(n)
    splits = []
    for a in range(first, n, test_size):
        b = a + test_size
        lo = 0 if train_size is None else max(0, a - train_size)
        candidates = idx[lo:a]
        train = candidates[~_overlaps(start[lo:a], end[lo:a], start[a], end[a:b].max())]
        if train.size == 0:
            raise ValueError(f"the test block starting at sample {a} leaves no training sample after purging")
        splits.append((train, idx[a:b]))
    return splits


def purged_kfold_splits(t0, t1, *, n_splits: int, embargo_pct: float = 0.0) -> list[Split]:
    """Purged k-fold with embargo (AFML ch. 7): contiguous test folds, training on every other row
    whose label does not meet the fold's span, less `floor(embargo_pct * n)` rows after it."""
    start, end = _times(t0, t1)
    n = start.size
    _positive(n_splits=n_splits)
    if n_splits < 2 or n_splits > n:
        raise ValueError(f"n_splits must be between 2 and the number of samples ({n}), got {n_splits}")
    if not 0.0 <= embargo_pct < 1.0:
        raise ValueError(f"embargo_pct must be in [0, 1), got {embargo_pct}")
    embargo = embargo_size(n, embargo_pct)
    idx = np.arange(n)
    splits = []
    for block in np.array_split(idx, n_splits):
        a, b = int(block[0]), int(block[-1]) + 1
        span_start, span_end = start[a], end[a:b].max()
        keep = ~_overlaps(start, end, span_start, span_end)
        keep[a:b] = False
        # m: the first row after the block that starts after the span (rows in [b, m) meet the span
        # and are purged above); t0 is sorted, so searchsorted finds it.
        m = max(b, int(np.searchsorted(start, span_end, side="right")))
        keep[m : m + embargo] = False
        splits.append((idx[keep], idx[a:b]))
    return splits


def embargo_size(n_samples: int, embargo_pct: float) -> int:
    """Rows embargoed after each test fold: floor(embargo_pct * n), as AFML's `int(n * pct)`, with a
    tolerance so a product like 0.29 * 100 = 28.999999999999996 counts as 29."""
    return int(math.floor(embargo_pct * n_samples + 1e-9))


def _overlaps(start: np.ndarray, end: np.ndarray, span_start, span_end) -> np.ndarray:
    """Closed intervals [start_i, end_i] that meet [span_start, span_end]."""
    return (start <= span_end) & (end >= span_start)


def _times(t0, t1) -> tuple[np.ndarray, np.ndarray]:
    start, end = _as_time_array(t0, "t0"), _as_time_array(t1, "t1")
    if start.dtype.kind != end.dtype.kind:
        raise ValueError("t0 and t1 must both be datetimes or both be numbers")
    if start.shape != end.shape or start.ndim != 1:
        raise ValueError(f"t0 and t1 must be 1-D of the same length, got {start.shape} and {end.shape}")
    # Before the order check: NaT is int64's minimum, and differences with it overflow.
    if start.dtype.kind == "i" and (np.any(start == _NAT) or np.any(end == _NAT)):
        raise ValueError("t0 and t1 must not be missing (NaT)")
    if np.any(start[1:] < start[:-1]):
        raise ValueError("t0 must be sorted in time (non-decreasing)")
    # Written as a negation so a NaN (a label whose end is unknown) is refused too.
    if not np.all(end >= start):
        raise ValueError("every label must end at or after its start (t1 >= t0, no missing t1)")
    return start, end


_NAT = np.iinfo(np.int64).min


def _as_time_array(x, name: str) -> np.ndarray:
    idx = pd.Index(x)
    if isinstance(idx, pd.DatetimeIndex):
        # Nanoseconds since the epoch, in UTC for tz-aware times: one unit for t0 and t1.
        return idx.as_unit("ns").asi8
    if idx.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be datetimes or numbers, got {idx.dtype}")
    return idx.to_numpy(dtype=float)


def _positive(**values: int) -> None:
    for name, value in values.items():
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value}")
