"""Store parts of `bench features`: the whole catalogue computed from the stored bars and written to
the feature store (what a compute job's chunks do, in this process, chunk after chunk), and the
incremental update of every stored series after one new bar for every instrument.

- compute + store: `symbol_feature_arrays` (bars read, every definition computed per instrument)
  then `store_write` per block, timed apart: "store write" is the write alone, reported next to the
  catalogue figures (the issue asks for it separately). The end-to-end figure has the plain TA-Lib
  loop of catalogue.py as its baseline (same arrays, no database).
- incremental: one more bar stored for every instrument, then `update_on_bars` over all of them
  (one coalesced run, as the bar subscriber runs it): ms for the whole universe.
"""

from __future__ import annotations

import time

import numpy as np

from apps.platform.bench.figures import figure, progress_bar

from ..selectors.panels import symbol_feature_arrays
from ..services.compute import blocks_of
from ..services.incremental import update_on_bars
from ..services.store import InstrumentValues, store_analyze, store_write
from .data import BenchUniverse, bars_append, bench_universe

CHUNK = 25


def _compute_and_store(u: BenchUniverse, bar) -> tuple[float, float, int]:
    compute_s = write_s = 0.0
    values = 0
    blocks = blocks_of(u.definitions)
    for i in range(0, len(u.symbols), CHUNK):
        chunk = u.symbols[i : i + CHUNK]
        t0 = time.perf_counter()
        computed = {
            symbol: (index.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[ns]"), arrays)
            for symbol, _iv, _adj, index, arrays in symbol_feature_arrays(
                definitions=u.definitions, symbols=chunk
            )
        }
        t1 = time.perf_counter()
        for block in blocks:
            by_instrument = {
                u.ids[s]: InstrumentValues(ts=ts, values=np.column_stack([arrays[d.label] for d in block]))
                for s, (ts, arrays) in computed.items()
            }
            values += store_write(block, by_instrument) * len(block)
        t2 = time.perf_counter()
        compute_s += t1 - t0
        write_s += t2 - t1
        bar.update(len(chunk))
    return compute_s, write_s, values


def measure(
    panel: dict[str, np.ndarray], *, baseline_s: float, progress: bool
) -> tuple[list[dict], list[str]]:
    n_bars, n_inst = panel["close"].shape
    with bench_universe(panel, stored_rows=n_bars - 1) as u:
        with progress_bar(progress, n_inst, "compute + store (whole catalogue)") as bar:
            compute_s, write_s, values = _compute_and_store(u, bar)
        store_analyze()  # as the compute job does when its chunks are written
        bars_append(u, slice(n_bars - 1, n_bars))
        t0 = time.perf_counter()
        counts = update_on_bars([f"{s}|1d" for s in u.symbols])
        incremental_s = time.perf_counter() - t0
    total = compute_s + write_s
    figures = [
        figure("catalogue_compute_and_store_seconds", total, "s", baseline_s),
        figure("catalogue_compute_from_stored_bars_seconds", compute_s, "s", baseline_s),
        figure("store_write_seconds", write_s, "s"),
        figure("store_write_values_per_s", values / write_s if write_s else 0.0, "values/s"),
        figure("incremental_update_ms", incremental_s * 1000.0, "ms"),
    ]
    notes = [
        f"compute + store: {len(u.definitions)} definitions (every catalogue output with bar inputs) over "
        f"{n_inst} instruments x {n_bars - 1} stored bars, read from the bars table, {values:,} values "
        "written; baseline: the plain TA-Lib loop above (no database)",
        f"incremental: one new bar for each of {n_inst} instruments, every stored series updated "
        f"({counts['rows']} rows written), publishing features.values.<symbol>",
    ]
    return figures, notes
