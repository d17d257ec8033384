"""`manage.py bench features`: the whole TA-Lib catalogue over many instruments through the engine's
batched kernel, next to a plain loop calling TA-Lib directly on the same arrays in the same run.

The data is a simulated daily OHLCV panel (geometric random walks, seeded): the engine gets it as
(T, N) arrays per field, the baseline as one contiguous array per instrument and field, prepared
before the clock starts. Both call every function with its default parameters. The store's parts are
in store.py.
"""

from __future__ import annotations

import time

import numpy as np
import talib

from apps.platform.bench.figures import figure, progress_bar

from ..kernels.catalog import catalog, params_resolve
from ..kernels.talib_batch import talib_compute

FULL = {"instruments": 500, "bars": 2520}
QUICK = {"instruments": 10, "bars": 300}
SEED = 11


def ohlcv_panel(instruments: int, bars: int, seed: int = SEED) -> dict[str, np.ndarray]:
    """(bars, instruments) open/high/low/close/volume: a random walk per instrument, highs and lows
    around it, volumes log-normal; and `periods` for MAVP (a constant 10 bars). Column-major, as
    the engine's panels are: TA-Lib reads one instrument's column at a time."""
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0003, 0.015, (bars, instruments)), axis=0))
    open_ = close * np.exp(rng.normal(0.0, 0.005, close.shape))
    spread = np.abs(rng.normal(0.0, 0.01, close.shape))
    high = np.maximum(open_, close) * (1.0 + spread)
    low = np.minimum(open_, close) * (1.0 - spread)
    volume = np.exp(rng.normal(13.0, 0.5, close.shape))
    periods = np.full(close.shape, 10.0)
    panel = {"open": open_, "high": high, "low": low, "close": close, "volume": volume, "periods": periods}
    return {k: np.asfortranarray(v) for k, v in panel.items()}


def _engine(specs, fields, bar) -> float:
    t0 = time.perf_counter()
    for spec in specs:
        talib_compute(spec, params_resolve(spec, {}), fields)
        bar.update(1)
    return time.perf_counter() - t0


def _plain_loop(specs, fields, bar) -> float:
    columns = {k: [np.ascontiguousarray(v[:, j]) for j in range(v.shape[1])] for k, v in fields.items()}
    t0 = time.perf_counter()
    for spec in specs:
        fn = getattr(talib, spec.name)
        params = params_resolve(spec, {})
        for j in range(fields["close"].shape[1]):
            fn(*(columns[f][j] for f in spec.inputs), **params)
        bar.update(1)
    return time.perf_counter() - t0


def measure(*, sizes: dict, progress: bool) -> tuple[list[dict], list[str], dict[str, np.ndarray], float]:
    """The catalogue figures, their notes, the panel (the store parts reuse it) and the baseline's seconds."""
    fields = ohlcv_panel(sizes["instruments"], sizes["bars"])
    specs = catalog()
    with progress_bar(progress, len(specs), "engine (batched kernel)") as bar:
        engine = _engine(specs, fields, bar)
    with progress_bar(progress, len(specs), "plain TA-Lib loop") as bar:
        baseline = _plain_loop(specs, fields, bar)
    series = len(specs) * sizes["instruments"]
    notes = [
        f"every catalogue function ({len(specs)}) with its default parameters over "
        f"{sizes['instruments']} instruments x {sizes['bars']} daily bars; baseline: the same calls "
        "to TA-Lib in a plain loop over contiguous per-instrument arrays",
    ]
    figures = [
        figure("catalogue_seconds", engine, "s", baseline),
        figure("catalogue_series_per_s", series / engine, "series/s", series / baseline),
    ]
    return figures, notes, fields, baseline
