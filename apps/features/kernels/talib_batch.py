"""Any TA-Lib function over a panel of instruments: arrays shaped (T, N), one column per instrument.

TA-Lib works on one series at a time, so we loop over the N columns and call it on each; the loop does
nothing else per column (no pandas, no copies beyond one transposition per field), so the cost is
TA-Lib's own plus one C call per instrument.

Layout matters for speed: pass (T, N) arrays in Fortran order (each instrument's series contiguous,
e.g. `np.asfortranarray(panel)` once, or the outputs of this kernel) and no copy is made; a C-ordered
panel is transposed once per call. Measured on 500 instruments x 2,520 bars, whole catalogue:
Fortran order 4.3 s, C order 10.2 s, a plain loop calling TA-Lib on prepared columns 3.5 s.

NaN semantics, per column:
- An instrument that starts later has leading NaN in its inputs. TA-Lib would let that NaN leak into
  every later value of a recursive function (EMA, RSI, SAR...), so we compute on the valid suffix only
  (from the first row where every input is finite) and leave the prefix NaN.
- After that start, the first `lookback(spec, params)` values are NaN (TA-Lib's warm-up).
- NaN inside the valid suffix is passed to TA-Lib as is (what it does with it is TA-Lib's business).
- Integer outputs (candlestick patterns: -100/0/100) come back as float64; their warm-up is NaN, not
  the 0 TA-Lib's wrapper writes there (0 would read as "no pattern" where nothing was computed).
- A column with fewer valid rows than the warm-up is all NaN.
- Index outputs (MAXINDEX, MININDEX, MINMAXINDEX: the row of the max/min) are row numbers of the
  panel as given, as TA-Lib called on the whole column returns them, so a late starter's indices are
  not shifted by its start. They depend on where the panel starts: store them only with that origin.

No Django here (kernels are pure).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import talib

from apps.features.kernels.catalog import FunctionSpec, params_resolve, talib_lookback


def lookback(spec: FunctionSpec, params: Mapping | None = None) -> int:
    """TA-Lib's own lookback for these parameters: the number of leading NaN (warm-up) of a series."""
    resolved = params_resolve(spec, dict(params or {}))
    return talib_lookback(spec.name, tuple(resolved.items()))


def _panel(spec: FunctionSpec, fields: Mapping[str, np.ndarray]) -> tuple[list[np.ndarray], int, int]:
    """Each input as an (N, T) C-contiguous float64 array, so a row is one instrument's contiguous series.

    A (T, N) array in Fortran order (e.g. one returned by `talib_compute`) is used without a copy."""
    missing = [f for f in spec.inputs if f not in fields]
    if missing:
        raise ValueError(f"{spec.name} reads {', '.join(spec.inputs)}; missing: {', '.join(missing)}")
    arrays = [np.asarray(fields[f], dtype=np.float64) for f in spec.inputs]
    shape = arrays[0].shape
    if len(shape) != 2:
        raise ValueError(f"inputs must be 2-D (T, N), got shape {shape}")
    for f, a in zip(spec.inputs, arrays, strict=True):
        if a.shape != shape:
            raise ValueError(f"input {f!r} has shape {a.shape}, expected {shape}")
    return [np.ascontiguousarray(a.T) for a in arrays], shape[0], shape[1]


def _starts(rows: list[np.ndarray], n_rows: int) -> np.ndarray:
    """Per instrument, the first time index where every input is finite (n_rows if never).

    Most instruments have a finite first row; only the others pay for a scan of their column."""
    n_cols = rows[0].shape[0]
    if n_rows == 0:
        return np.zeros(n_cols, dtype=np.int64)
    first = np.logical_and.reduce([np.isfinite(r[:, 0]) for r in rows])
    starts = np.zeros(n_cols, dtype=np.int64)
    for j in np.flatnonzero(~first):
        finite = np.logical_and.reduce([np.isfinite(r[j]) for r in rows])
        starts[j] = finite.argmax() if finite.any() else n_rows
    return starts


# TA-Lib's metadata has no flag for "this output is a position in the input"; these are the functions
# that return one (tested against `talib.get_functions()` so a new one is noticed).
INDEX_FUNCTIONS = frozenset(name for name in talib.get_functions() if name.endswith("INDEX"))


def talib_compute(
    spec: FunctionSpec, params: Mapping | None, fields: Mapping[str, np.ndarray]
) -> dict[str, np.ndarray]:
    """`spec` on every instrument of the panel: {output name: (T, N) float64 array}.

    `fields` maps each of `spec.inputs` ("open", "high", ..., or "periods" for MAVP) to a (T, N) array;
    `params` are checked and completed with `params_resolve` (raises `BadParameter`).
    Column j of each output is TA-Lib called on column j of the inputs (see the module docstring for NaN).
    """
    resolved = params_resolve(spec, dict(params or {}))
    warmup = talib_lookback(spec.name, tuple(resolved.items()))
    rows, n_rows, n_cols = _panel(spec, fields)
    starts = _starts(rows, n_rows)
    func = getattr(talib, spec.name)
    out = {name: np.full((n_cols, n_rows), np.nan) for name in spec.outputs}
    targets = [out[name] for name in spec.outputs]
    is_index = spec.name in INDEX_FUNCTIONS
    for j in range(n_cols):
        s = int(starts[j])
        if n_rows - s <= warmup:  # too little history: all warm-up
            continue
        result = func(*(r[j, s:] for r in rows), **resolved)
        results = result if isinstance(result, tuple) else (result,)
        for target, values in zip(targets, results, strict=True):
            target[j, s:] = values + s if is_index else values
            if values.dtype.kind in "iu":  # pattern codes: the wrapper's warm-up 0s mean "not computed"
                target[j, s : s + warmup] = np.nan
    # Transposed views, not copies: (T, N) arrays in Fortran order, each instrument's series contiguous.
    return {name: a.T for name, a in out.items()}


def _series_start(inputs: list[np.ndarray]) -> int:
    """The first index where every input is finite (len if never): `_starts` for one instrument.
    The common case, a finite first row, is checked on Python floats (`np.isfinite` on a scalar costs
    a ufunc call, and this runs once per instrument and function)."""
    n = len(inputs[0])
    if n == 0 or all(math.isfinite(a[0]) for a in inputs):
        return 0
    finite = np.logical_and.reduce([np.isfinite(a) for a in inputs])
    return int(finite.argmax()) if finite.any() else n


def talib_series(
    spec: FunctionSpec, params: Mapping | None, series: Mapping[str, Sequence[np.ndarray]]
) -> dict[str, list[np.ndarray]]:
    """`spec` on each instrument's own 1-D series: {output name: [instrument j's values]}, each
    exactly column j of `talib_compute` over a panel holding that series alone (same NaN rules).

    `series[f][j]` is instrument j's input f; the instruments' lengths may differ. No panel is built:
    TA-Lib reads each series in place and its own output array is returned where no NaN prefix or
    integer conversion is needed, so the values are neither padded into nor copied out of a panel
    (the cost `tails.columns_compute_all` pays for its tail panels, needed there for the incremental windows)."""
    missing = [f for f in spec.inputs if f not in series]
    if missing:
        raise ValueError(f"{spec.name} reads {', '.join(spec.inputs)}; missing: {', '.join(missing)}")
    resolved = params_resolve(spec, dict(params or {}))
    warmup = talib_lookback(spec.name, tuple(resolved.items()))
    func = getattr(talib, spec.name)
    is_index = spec.name in INDEX_FUNCTIONS
    columns = [series[f] for f in spec.inputs]
    out: dict[str, list[np.ndarray]] = {name: [] for name in spec.outputs}
    targets = list(out.values())
    for j in range(len(columns[0])):
        inputs = [np.asarray(c[j], dtype=np.float64) for c in columns]
        n = len(inputs[0])
        if any(len(a) != n for a in inputs):
            raise ValueError(f"{spec.name}: instrument {j}'s inputs differ in length")
        s = _series_start(inputs)
        if n - s <= warmup:  # too little history: all warm-up
            for target in targets:
                target.append(np.full(n, np.nan))
            continue
        result = func(*(a[s:] for a in inputs), **resolved)
        for target, values in zip(targets, result if isinstance(result, tuple) else (result,), strict=True):
            integer = values.dtype.kind in "iu"
            if is_index:
                values = values + s
            if integer or s:
                full = np.empty(n)
                full[:s] = np.nan
                full[s:] = values
                if integer:  # pattern codes: the wrapper's warm-up 0s mean "not computed"
                    full[s : s + warmup] = np.nan
                values = full
            target.append(values)
    return out
