"""Shared plumbing for operator kernels: float64 panels, ±inf cleanup, rolling windows.

Every kernel returns a fresh (T, N) float64 array with ±inf replaced by NaN, so downstream
operators only ever see finite numbers or NaN.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd


def finite_or_nan(values: np.ndarray) -> np.ndarray:
    """`values` as float64 with ±inf turned into NaN (division by zero, overflow).

    Writes in place when `values` already is a float64 array: pass only arrays the caller owns.
    """
    out = np.asarray(values, dtype=np.float64)
    out[np.isinf(out)] = np.nan
    return out


def rolling(x: np.ndarray, window: int):
    """pandas' rolling over axis 0 of the whole panel: vectorized over columns in Cython.

    min_periods=window: the output is NaN until `window` rows exist and whenever the window
    holds a NaN.
    """
    return pd.DataFrame(x, copy=False).rolling(window, min_periods=window)


def rolled(result) -> np.ndarray:
    """The float64 array of a pandas rolling result, ±inf -> NaN, in C (row-major) order.

    pandas stores a frame column-major; mixing that layout with the row-major input panels in
    one numpy expression makes every element access a cache miss (a 10x slowdown).
    """
    return finite_or_nan(np.array(result.to_numpy(dtype=np.float64), order="C"))


def full_from_windows(valid: np.ndarray, n_rows: int, window: int) -> np.ndarray:
    """Pad the per-window results `valid` (rows window-1..T-1) with NaN warm-up rows to (T, N)."""
    out = np.full((n_rows, *valid.shape[1:]), np.nan)
    if n_rows >= window:
        out[window - 1 :] = valid
    return finite_or_nan(out)


def all_nan(x: np.ndarray) -> np.ndarray:
    """A NaN panel shaped like `x` (a window longer than the history)."""
    return np.full(x.shape, np.nan)


def window_offsets(x: np.ndarray, window: int):
    """Yield (k, rows) for k = 0..window-1: rows[i] is row i + k of `x`, for i = 0..T-window.

    Row i of the k-th slice is the (k+1)-th oldest value of the window ending at row
    i + window - 1, so summing f(slice_k) over k computes a window statistic for every row and
    column at once with O(T x N) memory (the strided (T, N, window) view would have to be copied
    by most numpy routines). Slices are views; callers must not write to them.
    """
    n_valid = x.shape[0] - window + 1
    for k in range(window):
        yield k, x[k : k + n_valid]


def window_has_nan(x: np.ndarray, window: int) -> np.ndarray:
    """(T - window + 1, N) bool: does the window ending at row window-1+i hold a NaN?

    An exact integer count from a cumulative sum, so it does not rely on NaN propagating
    through arithmetic.
    """
    counts = np.cumsum(np.isnan(x), axis=0, dtype=np.int64)
    counts = np.concatenate([np.zeros((1, *x.shape[1:]), dtype=np.int64), counts])
    return (counts[window:] - counts[:-window]) > 0


@contextmanager
def quiet() -> Iterator[None]:
    """Silence numpy's floating-point and empty-slice warnings: NaN results are the answer."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield
