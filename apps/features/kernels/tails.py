"""Panels of the newest bars of many instruments, for incremental updates: column j holds the last
`rows` bars of instrument j, its own bars (not a shared calendar), left-padded with NaN when it has
fewer. `talib_compute` computes each column on its valid suffix, so the padding never enters a value;
index outputs come back as panel rows and `unpad_index` turns them back into rows of the history.

No Django here (kernels are pure).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .catalog import FunctionSpec
from .extra import extra_spec
from .functions import feature_compute
from .talib_batch import INDEX_FUNCTIONS, talib_series


def tail_panel(series: Sequence[np.ndarray], rows: int | None) -> tuple[np.ndarray, np.ndarray]:
    """((rows, N) Fortran-ordered panel, per-column NaN padding). `rows` None: the longest series."""
    lengths = np.array([len(s) for s in series], dtype=np.int64)
    height = int(lengths.max(initial=0)) if rows is None else int(rows)
    panel = np.full((len(series), height), np.nan)
    pad = np.maximum(height - lengths, 0)
    for j, s in enumerate(series):
        take = min(len(s), height)
        if take:
            panel[j, height - take :] = s[len(s) - take :]
    return panel.T, pad  # (N, rows) C order transposed: each column contiguous


def unpad_index(values: np.ndarray, pad: np.ndarray, bars_before: np.ndarray) -> np.ndarray:
    """Index outputs of a tail panel as rows of each instrument's history: panel row − its padding +
    the bars before its tail."""
    return values - pad[None, :] + bars_before[None, :]


def columns_compute_all(
    spec: FunctionSpec,
    params: Mapping,
    fields: Mapping[str, Sequence[np.ndarray]],
    *,
    rows: int | None = None,
    keep: int | None = None,
) -> dict[str, list[np.ndarray]]:
    """Every output of `spec` for each instrument on its own series (fields[f][j]: instrument j's
    input f), in one batched call over a right-aligned panel of their last `rows` bars (None: all):
    {output: per-instrument values}, each instrument's last `keep` values (None: one per bar of its
    series), equal to the function called on that instrument's series alone; index outputs are rows
    of its series. One call serves every definition of the same function and parameters (MACD's three
    outputs, HT_SINE's two...): TA-Lib computes all of a function's outputs together.

    Whole series of a TA-Lib function (`rows` and `keep` None): each series as it is, no panel
    (`talib_series`, equal to the panel's columns)."""
    if rows is None and keep is None and extra_spec(spec.name) is not spec:
        return talib_series(spec, params, fields)
    lengths = np.array([len(s) for s in fields[spec.inputs[0]]], dtype=np.int64)
    panels, pad = {}, np.zeros(len(lengths), dtype=np.int64)
    for f in spec.inputs:
        panels[f], pad = tail_panel(fields[f], rows)
    out = {}
    for output, values in feature_compute(spec, params, panels).items():
        if spec.name in INDEX_FUNCTIONS:
            before = np.maximum(lengths - values.shape[0], 0) if rows is not None else np.zeros(len(lengths))
            values = unpad_index(values, pad, before)
        height = values.shape[0]
        out[output] = [
            values[height - (min(n, height) if keep is None else keep) :, j] for j, n in enumerate(lengths)
        ]
    return out
