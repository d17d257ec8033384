"""Rolling sum and mean of a (T, N) panel along its rows, computed where the panel lies (no copy
laid end to end, no pandas window bounds), a block of columns at a time.

Each window's sum is a pairwise sum over its own rows only: the sums of blocks of 1, 2, 4, ... rows
ending at every row (a sparse table, one add per level) combined by the binary digits of the window.
Nothing carries from one window to the next, so a huge value or a jump earlier in the column cannot
leave rounding behind (a running sum's weak point), the error is at most log2(w) ulps of the sum of
|x| over the window, and a window's value does not depend on the rows before it (evaluate_tail's
answer is the full panel's last row bit for bit).

pandas' rolling, the reference (time_series.WINDOW_SEMANTICS): NaN for the first w-1 rows and wherever
the window holds a NaN (NaN propagates through the adds), ±inf counted as missing, a window of
equal values answered exactly (mean = the value, sum = value * w, pandas' num_consecutive_same_value
rule), otherwise equal to pandas' compensated running sum within a few ulps; a sum of integers is
exact. Outputs are finite or NaN (an overflowing sum is NaN).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

# Columns per block: the block's scratch arrays (T x columns float64) stay about 1 MB, in cache and
# reused by malloc from block to block instead of faulting fresh pages (costly on a VM).
_BLOCK_BYTES = 1 << 20


def column_blocks(shape: tuple[int, int]) -> Iterator[slice]:
    rows, columns = shape
    width = max(1, _BLOCK_BYTES // (8 * max(rows, 1)))
    for start in range(0, columns, width):
        yield slice(start, min(start + width, columns))


def finite_block(x: np.ndarray) -> np.ndarray:
    """x as float64 with ±inf as NaN (pandas' rolling treats an infinite input as missing); x
    itself, a view, when it holds no infinity."""
    x = np.asarray(x, dtype=np.float64)
    infinite = np.isinf(x)
    return np.where(infinite, np.nan, x) if infinite.any() else x


def output_panel(shape: tuple[int, int], window: int) -> np.ndarray:
    """The (T, N) result, its first w-1 rows NaN; the caller fills rows w-1.. block by block."""
    out = np.empty(shape)
    out[: window - 1] = np.nan
    return out


def window_reduce(
    x: np.ndarray, window: int, combine: Callable = np.add, out: np.ndarray | None = None
) -> np.ndarray:
    """`combine` (an associative ufunc) over rows t-w+1..t for every t >= w-1: (T-w+1, N).

    Level k holds the reduction of the 2**k rows ending at each row; level k+1 combines two
    neighbours of level k. The window takes the level-k block of every binary digit 2**k of w, from
    the newest rows back. log2(w) + popcount(w) array operations in all. Written into `out` if given."""
    n_out = x.shape[0] - window + 1
    total, covered = None, 0  # reduction of the newest `covered` rows of each window
    level, size = x, 1
    while True:
        if window & size:
            start = window - covered - size  # the block just older than what is covered
            block = level[start : start + n_out]
            if total is None:
                total = np.array(block) if out is None else out
                if out is not None:
                    out[...] = block
            else:
                combine(total, block, out=total)
            covered += size
        if 2 * size > window:
            return total
        level = combine(level[:-size], level[size:])
        size *= 2


def constant_windows(x: np.ndarray, window: int) -> np.ndarray:
    """(T-w+1, N) bool: are all of rows t-w+1..t equal (and not NaN: NaN != NaN counts as a change)?"""
    if window == 1:
        return np.ones(x.shape, dtype=bool)
    changes = x[1:] != x[:-1]  # changes[j]: row j+1 differs from row j
    return ~window_reduce(changes, window - 1, np.logical_or)


def by_column_blocks(x: np.ndarray, window: int, kernel, y: np.ndarray | None = None) -> np.ndarray:
    """A (T, N) rolling result: `kernel(x_block, y_block, out_block)` over column blocks of x (and
    y), their ±inf made NaN, `out_block` the block's rows from window - 1 on (the rows before stay
    NaN; all NaN when the window is longer than the data); what the kernel leaves infinite is NaN."""
    x = np.asarray(x, dtype=np.float64)
    out = output_panel(x.shape, window)
    if window > x.shape[0]:
        out[:] = np.nan
        return out
    with np.errstate(all="ignore"):
        for columns in column_blocks(x.shape):
            xb = finite_block(x[:, columns])
            yb = None if y is None else finite_block(y[:, columns])
            valid = out[window - 1 :, columns]
            kernel(xb, yb, valid)
            valid[~np.isfinite(valid)] = np.nan
    return out


def _sum_into(x: np.ndarray, window: int, out: np.ndarray) -> None:
    window_reduce(x, window, out=out)
    np.multiply(x[window - 1 :], float(window), out=out, where=constant_windows(x, window))


def _mean_into(x: np.ndarray, window: int, out: np.ndarray) -> None:
    window_reduce(x, window, out=out)
    out /= float(window)
    np.copyto(out, x[window - 1 :], where=constant_windows(x, window))


def rolling_sum(x: np.ndarray, window: int) -> np.ndarray:
    return by_column_blocks(x, window, lambda xb, _, out: _sum_into(xb, window, out))


def rolling_mean(x: np.ndarray, window: int) -> np.ndarray:
    return by_column_blocks(x, window, lambda xb, _, out: _mean_into(xb, window, out))
