"""Incremental updates: new bars of some instruments update their stored features for the new bars
only, and `features.values.{symbol}` tells subscribers.

Per block of stored definitions (models/store.py) and the instruments whose series live in it, each
definition is computed on a panel of every instrument's newest bars (kernels/tails.py): as many as
`lookback_bars` says its value needs to equal the batch value over the whole history (to 1e-9
relative; kernels/incremental.py), or the whole history where no window can promise that
(accumulations, state machines, Hilbert-transform functions, index outputs); definitions with
inputs other than bars (fundamental ratios, a benchmark's beta) by the store's own per-symbol
computation over the whole history. The new rows go to the same block (`store_extend`); nothing else moves.

A bar re-published for a time already stored (a correction) is not recomputed here: it is at or
before the series' end. Recompute the instrument with POST /api/features/compute.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from django.db import transaction

from apps.marketdata import facade as marketdata

from ..kernels.catalog import FunctionSpec
from ..kernels.functions import feature_function, feature_params_resolve
from ..kernels.incremental import Unclassified, lookback_bars
from ..kernels.tails import columns_compute_all
from ..kernels.talib_batch import INDEX_FUNCTIONS
from ..models import FeatureDefinition
from ..selectors.panels import BAR_FIELDS, symbol_feature_arrays
from ..selectors.series import blocks_with_definitions, series_ends
from ..selectors.values import intervals_before, known_at
from .store import InstrumentValues, store_extend


def _window(spec: FunctionSpec, params: dict) -> int | None:
    """Bars the value at the newest bar needs; None: the whole history."""
    if spec.name in INDEX_FUNCTIONS or any(f not in BAR_FIELDS for f in spec.inputs):
        return None
    try:
        return lookback_bars(spec, params)
    except Unclassified:
        return None


def _definition_window(d: FeatureDefinition) -> int | None:
    spec = feature_function(d.function)
    return _window(spec, feature_params_resolve(spec, d.params))


def _frames(bars: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        str(s): rows.sort_values("ts").reset_index(drop=True)
        for s, rows in bars.groupby("symbol", observed=True)
    }


def _history(
    symbols: Sequence[str],
    interval: str,
    adjusted: bool,
    *,
    window: int | None,
    ends: dict[str, pd.Timestamp],
) -> dict[str, pd.DataFrame]:
    """The bars the update needs: every bar from `window` bars before each symbol's oldest series end
    (the whole history when `window` is None). The read starts at a calendar estimate (twice the
    window's span, plus ten days for holidays); a symbol that has fewer than `window` bars up to its
    end in it is read again whole, so an estimate that falls short costs time, never a value."""
    if window is None or not ends:
        return _frames(marketdata.bars(list(symbols), interval=interval, adjusted=adjusted))
    oldest = min(ends.values())
    start = intervals_before(oldest, interval, 2 * window) - pd.Timedelta(days=10)
    frames = _frames(marketdata.bars(list(symbols), start=start, interval=interval, adjusted=adjusted))
    short = [
        s for s in symbols if s in frames and s in ends and int((frames[s]["ts"] <= ends[s]).sum()) < window
    ]
    if short:
        frames |= _frames(marketdata.bars(short, interval=interval, adjusted=adjusted))
    return frames


def _block_values(
    definitions: Sequence[FeatureDefinition],
    symbols: list[str],
    history: list[pd.DataFrame],
    new_rows: np.ndarray,
) -> np.ndarray:
    """(K, N, width): each definition's values at the last K = max(new_rows) bars of every instrument.
    Definitions on bar fields: one batched call each over the instruments' newest bars. The others
    (fundamental ratios, a benchmark's beta): the store's own per-symbol computation over the whole
    history (selectors/panels.py), which aligns their inputs, cut to the last K bars."""
    k = int(new_rows.max())
    out = np.full((k, len(history), len(definitions)), np.nan)
    fields = {f: [h[f].to_numpy(dtype=float) for h in history] for f in BAR_FIELDS}
    # One call per function, parameters and window: a multi-output function's definitions (MACD's
    # three, HT_SINE's two...) share it, as TA-Lib computes every output together.
    calls: dict[tuple, dict[str, list[np.ndarray]]] = {}
    others = []
    for col, d in enumerate(definitions):
        spec = feature_function(d.function)
        if any(f not in BAR_FIELDS for f in spec.inputs):
            others.append(col)
            continue
        params = feature_params_resolve(spec, d.params)
        window = _window(spec, params)
        rows = None if window is None else window + k - 1
        key = (spec.name, json.dumps(params, sort_keys=True), rows)
        if key not in calls:
            calls[key] = columns_compute_all(spec, params, fields, rows=rows, keep=k)
        out[:, :, col] = np.column_stack(calls[key][d.output])
    if others:
        labels = {definitions[c].label: c for c in others}
        computed = symbol_feature_arrays(definitions=[definitions[c] for c in others], symbols=symbols)
        position = {s: j for j, s in enumerate(symbols)}
        for symbol, _interval, _adjusted, _index, arrays in computed:
            for label, col in labels.items():
                out[:, position[symbol], col] = arrays[label][-k:]
    return out


def _publish(updates: dict[str, dict]) -> None:
    from apps.platform import bus

    for symbol, payload in updates.items():
        bus.publish(f"features.values.{marketdata.symbol_segment(symbol)}", payload)


def _history_for(blocks, ends, symbol_of, interval: str, adjusted: bool) -> dict[str, pd.DataFrame]:
    """The bars every block at `adjusted` needs: back as far as its longest window (the whole history
    if any definition needs it) from each symbol's oldest series end."""
    same = [(b, ds) for b, ds in blocks if b.adjusted == adjusted]
    windows = [_definition_window(d) for _b, ds in same for d in ds]
    window = None if any(w is None for w in windows) else max(windows)
    oldest: dict[str, pd.Timestamp] = {}
    for b, _ds in same:
        for inst, last in ends[b.pk].items():
            sym = symbol_of[inst]
            oldest[sym] = min(last, oldest.get(sym, last))
    return _history(sorted(symbol_of.values()), interval, adjusted, window=window, ends=oldest)


def _iso(ts: pd.Timestamp) -> str:
    return ts.isoformat().replace("+00:00", "Z")


def update_on_bars(items: Iterable[str]) -> dict:
    """Items "SYMBOL|interval" (a coalesced burst of bar events): update every stored series of those
    instruments at that interval for the bars after its end. Returns counts."""
    by_interval: dict[str, set[str]] = {}
    for item in items:
        symbol, _, interval = str(item).partition("|")
        by_interval.setdefault(interval or "1d", set()).add(symbol.upper())
    rows_written, updates = 0, {}
    for interval, symbols in by_interval.items():
        symbol_of = {i.id: s for s, i in marketdata.instruments_by_symbols(sorted(symbols)).items()}
        ends = series_ends(list(symbol_of), interval)
        blocks = blocks_with_definitions(list(ends))
        histories: dict[bool, dict[str, pd.DataFrame]] = {}
        for block, definitions in blocks:
            if block.adjusted not in histories:
                histories[block.adjusted] = _history_for(blocks, ends, symbol_of, interval, block.adjusted)
            history = histories[block.adjusted]
            members = [
                (i, symbol_of[i], last) for i, last in ends[block.pk].items() if symbol_of[i] in history
            ]
            new = np.array([int((history[s]["ts"] > last).sum()) for _, s, last in members], dtype=np.int64)
            members = [m for m, n in zip(members, new, strict=True) if n > 0]
            new = new[new > 0]
            if not members:
                continue
            symbols_here = [s for _, s, _ in members]
            values = _block_values(definitions, symbols_here, [history[s] for s in symbols_here], new)
            by_instrument = {}
            for j, ((inst, symbol, _), n) in enumerate(zip(members, new, strict=True)):
                ts = history[symbol]["ts"].iloc[-n:]
                matrix = values[-n:, j, :]
                by_instrument[inst] = InstrumentValues(
                    ts=ts.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy(dtype="datetime64[ns]"),
                    values=matrix,
                )
                event = updates.setdefault(
                    symbol,
                    {
                        "symbol": symbol,
                        "interval": interval,
                        "ts": _iso(ts.iloc[-1]),
                        "known_at": _iso(known_at([ts.iloc[-1]], interval).iloc[0]),
                        "bars": int(n),
                        "values": {},
                    },
                )
                event["values"].update(
                    {
                        d.label: (float(v) if np.isfinite(v) else None)
                        for d, v in zip(definitions, matrix[-1], strict=True)
                    }
                )
            rows_written += store_extend(block, by_instrument)
    transaction.on_commit(lambda: _publish(updates))
    return {"instruments": len(updates), "rows": rows_written}
