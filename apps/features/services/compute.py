"""Compute definitions for a chunk of instruments from their stored bars and write them to the store.

One call does one chunk of a compute job (tasks/compute.py splits the job): every definition over
every instrument of the chunk, each instrument on its own whole history (warm-up from before `start`),
then stored for bars in [start, end) — one binary COPY per block of definitions for the whole chunk.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from apps.marketdata import facade as marketdata

from ..models import BLOCK_WIDTH, FeatureDefinition
from ..selectors.panels import symbol_feature_arrays
from .store import InstrumentValues, store_write


def blocks_of(definitions: Sequence[FeatureDefinition]) -> list[list[FeatureDefinition]]:
    """Definitions grouped by (interval, adjusted), in a stable order, cut into blocks of BLOCK_WIDTH."""
    groups: dict[tuple[str, bool], list[FeatureDefinition]] = {}
    for d in sorted(definitions, key=lambda d: (d.interval, d.adjusted, d.name, d.version)):
        groups.setdefault((d.interval, d.adjusted), []).append(d)
    return [g[i : i + BLOCK_WIDTH] for g in groups.values() for i in range(0, len(g), BLOCK_WIDTH)]


def compute_chunk(
    *, definitions: Sequence[FeatureDefinition], symbols: Sequence[str], start=None, end=None
) -> dict[str, int]:
    """Compute and store; returns counts: instruments with bars, rows and values written."""
    infos = marketdata.instruments_by_symbols(symbols)
    lo = marketdata.window_start_utc(start)
    lo_ns = None if lo is None else lo.tz_convert("UTC").tz_localize(None).to_datetime64()
    computed: dict[str, dict[str, tuple[np.ndarray, np.ndarray]]] = {}
    for symbol, _interval, _adjusted, index, arrays in symbol_feature_arrays(
        definitions=definitions, symbols=list(infos), end=end
    ):
        ts = index.tz_convert("UTC").tz_localize(None).to_numpy(dtype="datetime64[ns]")
        keep = slice(None) if lo_ns is None else ts >= lo_ns
        for label, values in arrays.items():
            computed.setdefault(symbol, {})[label] = (ts[keep], values[keep])
    rows = values_written = 0
    for block in blocks_of(definitions):
        by_instrument = {}
        for symbol, by_label in computed.items():
            if block[0].label not in by_label:
                continue
            ts = by_label[block[0].label][0]
            matrix = (
                np.column_stack([by_label[d.label][1] for d in block])
                if len(ts)
                else np.empty((0, len(block)))
            )
            by_instrument[infos[symbol].id] = InstrumentValues(ts=ts, values=matrix)
        if by_instrument:
            written = store_write(block, by_instrument)
            rows += written
            values_written += written * len(block)
    return {"instruments": len(computed), "rows": rows, "values": values_written}
