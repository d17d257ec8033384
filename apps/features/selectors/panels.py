"""Feature values computed on request from the stored bars: the read behind `facade.feature_panel`
until the feature store serves it.

Each instrument is computed on its own bars (never on a calendar shared with other instruments, so a
missing bar of one symbol is not a NaN that TA-Lib would carry forward), over its whole history up
to `end`, and only then cut to [start, end): the warm-up comes from the history before `start`, and a
value never depends on a bar after its own (prefix invariance, tested over the catalogue).

A fundamental ratio's value at a bar uses only the figures reported by that bar's close, and a
relative kernel (rolling beta/correlation) reads the definition's benchmark on the instrument's bars:
see `symbol_feature_arrays`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from apps.marketdata import facade as marketdata

from ..kernels.functions import feature_compute, feature_function, fundamental_fields
from ..kernels.fundamentals import ROW_COLUMNS, fundamental_field, fundamentals_aligned
from ..kernels.returns import simple_returns
from ..kernels.tails import columns_compute_all
from ..models import FeatureDefinition

BAR_FIELDS = ("open", "high", "low", "close", "volume")
RELATIVE_INPUTS = ("returns", "benchmark")  # rolling_beta / rolling_correlation
_NO_REPORTS = pd.DataFrame(columns=list(ROW_COLUMNS))


class FeatureNotComputable(ValueError):
    """A definition reads a series the store does not give: MAVP's "periods" (a period per bar, which
    no stored data holds), or a benchmark its definition does not name (saved before it had one)."""


def definition_checked(definition: FeatureDefinition):
    """The function spec of a definition computable from stored bars; FeatureNotComputable otherwise."""
    spec = feature_function(definition.function)
    missing = [
        f
        for f in spec.inputs
        if f not in BAR_FIELDS and f not in RELATIVE_INPUTS and fundamental_field(f) is None
    ]
    if missing:
        raise FeatureNotComputable(
            f"{definition.label}: {spec.name} reads {', '.join(missing)}, which neither bars, "
            "fundamentals nor a benchmark give; not available from feature_panel"
        )
    if "benchmark" in spec.inputs and not definition.benchmark:
        raise FeatureNotComputable(
            f"{definition.label}: {spec.name} reads a benchmark and the definition names none; "
            "save a new version with one"
        )
    return spec


def _column(values) -> np.ndarray:
    return np.asfortranarray(np.asarray(values, dtype=float).reshape(-1, 1))


def _relative_inputs(index: pd.DatetimeIndex, close: np.ndarray, benchmark: pd.Series) -> dict:
    """The instrument's and the benchmark's simple returns between the instrument's consecutive bars,
    so both returns span the same interval (a gap in the instrument's bars is one return for both).
    The benchmark's close is taken at the instrument's bar timestamps: where the benchmark has no bar
    at one, its returns into and out of that bar are NaN (never a stale close carried forward), and
    the rolling windows holding them are NaN."""
    bench = benchmark.reindex(index).to_numpy(dtype=float)
    both = simple_returns(np.column_stack([close, bench]), 1)
    return {"returns": _column(both[:, 0]), "benchmark": both[:, 1]}


def _one_symbol(
    rows: pd.DataFrame,
    index: pd.DatetimeIndex,
    close_at: pd.DatetimeIndex,
    definitions: Sequence[FeatureDefinition],
    specs,
    reports: pd.DataFrame,
    benchmarks: dict[str, pd.Series],
) -> dict[str, np.ndarray]:
    fields = {f: _column(rows[f].to_numpy(dtype=float)) for f in BAR_FIELDS}
    wanted = [f for spec in specs for f in fundamental_fields(spec)]
    if wanted:
        fields.update(fundamentals_aligned(close_at, reports, wanted))
    out = {}
    for d, spec in zip(definitions, specs, strict=True):
        inputs = fields
        if "benchmark" in spec.inputs:
            inputs = {**fields, **_relative_inputs(index, fields["close"][:, 0], benchmarks[d.benchmark])}
        out[d.label] = feature_compute(spec, d.params, inputs)[d.output][:, 0]
    return out


def _benchmark_closes(definitions, *, end, interval: str, adjusted: bool) -> dict[str, pd.Series]:
    """Each named benchmark's closes by bar timestamp, from one bars read for all of them."""
    names = sorted({d.benchmark for d in definitions if d.benchmark})
    if not names:
        return {}
    bars = marketdata.bars(names, end=end, interval=interval, adjusted=adjusted)
    found = {
        str(s): pd.Series(r["close"].to_numpy(dtype=float), index=pd.DatetimeIndex(r["ts"]))
        for s, r in bars.groupby("symbol", observed=True, sort=False)
    }
    return {name: found.get(name, pd.Series(dtype=float)) for name in names}


def _reports(symbols, specs, bars: pd.DataFrame, interval: str) -> dict[str, pd.DataFrame]:
    """Per symbol, every report of the fields the definitions read, up to the last bar's close: one
    read for the group (the as-of rule is applied per bar by the kernel, not by a query per bar)."""
    fields = list(dict.fromkeys(f for spec in specs for f in fundamental_fields(spec)))
    if not fields or bars.empty:
        return {}
    until = marketdata.bar_close_instants([bars["ts"].max()], interval)[0]
    rows = marketdata.fundamentals_history(symbols, fields, until=until)
    return {str(s): r for s, r in rows.groupby("symbol", sort=False)}


def symbol_feature_arrays(
    *, definitions: Sequence[FeatureDefinition], symbols: Sequence[str], end=None
) -> Iterator[tuple[str, str, bool, pd.DatetimeIndex, dict[str, np.ndarray]]]:
    """Per symbol and (interval, adjusted) group of `definitions`: (symbol, interval, adjusted, bar
    timestamps, {"name@version": values}) over the symbol's whole stored history up to `end`. A symbol
    with no bars in a group yields nothing for it.

    Inputs besides the bars: a fundamental field's value at a bar is the one known at the bar's close
    (ts + interval; `marketdata.fundamentals_as_of`'s rule, from every report up to the last close,
    read once per group); a benchmark's returns are aligned on the symbol's own bars (see
    `_relative_inputs`). MAVP's periods have no source: such a definition is FeatureNotComputable.

    Definitions on bar fields only are computed in one batched call per definition over every
    symbol's own bars (kernels/tails.py); the others symbol by symbol."""
    specs = [definition_checked(d) for d in definitions]
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, d in enumerate(definitions):
        groups.setdefault((d.interval, d.adjusted), []).append(i)
    for (interval, adjusted), members in groups.items():
        mine, my_specs = [definitions[i] for i in members], [specs[i] for i in members]
        bars = marketdata.bars(symbols, end=end, interval=interval, adjusted=adjusted)
        if bars.empty:
            continue
        bars, spans = _by_symbol(bars)
        batched = _bars_batched(bars, spans, mine, my_specs)
        others = [(d, spec) for d, spec in zip(mine, my_specs, strict=True) if d.label not in batched]
        reports = _reports(symbols, [spec for _, spec in others], bars, interval) if others else {}
        benchmarks = _benchmark_closes([d for d, _ in others], end=end, interval=interval, adjusted=adjusted)
        all_ts = pd.DatetimeIndex(bars["ts"], name="ts")
        for j, (symbol, lo, hi) in enumerate(spans):
            index = all_ts[lo:hi]
            computed = {label: per_symbol[j] for label, per_symbol in batched.items()}
            if others:
                close_at = marketdata.bar_close_instants(index, interval)
                computed |= _one_symbol(
                    bars.iloc[lo:hi],
                    index,
                    close_at,
                    [d for d, _ in others],
                    [spec for _, spec in others],
                    reports.get(symbol, _NO_REPORTS),
                    benchmarks,
                )
            yield symbol, interval, adjusted, index, {d.label: computed[d.label] for d in mine}


def _by_symbol(bars: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, int, int]]]:
    """The bars in (symbol, ts) order and each symbol's rows as (symbol, start, stop) of it, symbols
    in the order asked. No frame per symbol: the read comes ordered (one query by instrument and
    time), which is checked in one vectorized pass; only a read that is not is sorted (once)."""
    codes = bars["symbol"].cat.codes.to_numpy()
    ts = pd.DatetimeIndex(bars["ts"]).asi8
    step, dt = np.diff(codes), np.diff(ts)
    if not np.all((step > 0) | ((step == 0) & (dt > 0))):
        bars = bars.sort_values(["symbol", "ts"], kind="stable").reset_index(drop=True)
        codes = bars["symbol"].cat.codes.to_numpy()
    cuts = np.flatnonzero(np.diff(codes)) + 1
    starts, stops = np.r_[0, cuts], np.r_[cuts, len(codes)]
    names = bars["symbol"].cat.categories
    return bars, [(str(names[codes[a]]), int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def _bars_batched(
    bars: pd.DataFrame, spans: list[tuple[str, int, int]], definitions, specs
) -> dict[str, list[np.ndarray]]:
    """Definitions that read bar fields only: {label: per-symbol values}, one call per function and
    parameters (the definitions of a multi-output function's outputs share it). Each symbol's series
    is a view of the read's column, not a copy."""
    columns = {f: np.ascontiguousarray(bars[f].to_numpy(dtype=float)) for f in BAR_FIELDS}
    fields = {f: [c[lo:hi] for _s, lo, hi in spans] for f, c in columns.items()}
    by_call: dict[tuple, dict[str, list[np.ndarray]]] = {}
    out = {}
    for d, spec in zip(definitions, specs, strict=True):
        if not all(f in BAR_FIELDS for f in spec.inputs):
            continue
        key = (spec.name, json.dumps(d.params, sort_keys=True))
        if key not in by_call:
            by_call[key] = columns_compute_all(spec, d.params, fields)
        out[d.label] = by_call[key][d.output]
    return out


def feature_values(
    *, definitions: Sequence[FeatureDefinition], symbols: Sequence[str], start=None, end=None
) -> dict[str, pd.DataFrame]:
    """`{"name@version": DataFrame}`: one column per symbol (in the order given), indexed by bar
    timestamp (bucket start, UTC; a value is known at its bar's close), rows in [start, end)."""
    columns: dict[str, dict[str, pd.Series]] = {d.label: {} for d in definitions}
    for symbol, _interval, _adjusted, index, computed in symbol_feature_arrays(
        definitions=definitions, symbols=symbols, end=end
    ):
        for label, values in computed.items():
            columns[label][symbol] = pd.Series(values, index=index)
    lo = marketdata.window_start_utc(start)
    out = {}
    for label, by_symbol in columns.items():
        frame = pd.DataFrame(by_symbol).reindex(columns=list(symbols))
        frame.index.name = "ts"
        out[label] = frame.loc[frame.index >= lo] if lo is not None else frame
    return out
