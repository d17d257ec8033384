"""Economic series as factor fields: at each instant, the value of the latest observation date
published by then, in its latest version published by then (`series_as_of`'s rule, applied at
many instants at once). A revision of an older date changes nothing at the front; a revision of the
newest date replaces its value from its publication on."""

from __future__ import annotations

import numpy as np


def known_values(
    dates: np.ndarray, known_at: np.ndarray, values: np.ndarray, instants: np.ndarray
) -> np.ndarray:
    """`dates`, `known_at` (int64 ns, rows in known_at order) and `values` of every published
    version; returns the value in force at each of `instants` (int64 ns), NaN before the first
    publication (or where the value in force was published as missing)."""
    if len(dates) == 0:
        return np.full(len(instants), np.nan)
    newest = np.maximum.accumulate(dates)
    # The row setting the front at each step: one of the newest date so far (a first release or a
    # revision of it); rows revising older dates leave the front where it was.
    setter = np.where(dates == newest, np.arange(len(dates)), -1)
    setter = np.maximum.accumulate(setter)
    front = values[setter]
    at = np.searchsorted(known_at, instants, side="right") - 1
    out = np.where(at >= 0, front[np.clip(at, 0, None)], np.nan)
    return out.astype(np.float64)
