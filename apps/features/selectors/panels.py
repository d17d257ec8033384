"""Feature values computed on request from the stored bars: the read behind `facade.feature_panel`
until the feature store serves it.

Each instrument is computed on its own bars (never on a calendar shared with other instruments, so a
missing bar of one symbol is not a NaN that TA-Lib would carry forward), over its whole history up
to `end`, and only then cut to [start, end): the warm-up comes from the history before `start`, and a
value never depends on a bar after its own (prefix invariance, tested over the catalogue).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd

from apps.marketdata import facade as marketdata

from ..kernels.functions import feature_compute, feature_function
from ..kernels.tails import columns_compute
from ..models import FeatureDefinition

BAR_FIELDS = ("open", "high", "low", "close", "volume")


class FeatureNotComputable(ValueError):
    """A definition reads series that bars do not give (a benchmark, MAVP's periods)."""


def definition_checked(definition: FeatureDefinition):
    """The function spec of a definition computable from stored bars; FeatureNotComputable otherwise."""
    spec = feature_function(definition.function)
    missing = [f for f in spec.inputs if f not in BAR_FIELDS]
    if missing:
        raise FeatureNotComputable(
            f"{definition.label}: {spec.name} reads {', '.join(missing)}, which bars do not give; "
            "not available from feature_panel yet"
        )
    return spec


def _one_symbol(rows: pd.DataFrame, definitions: Sequence[FeatureDefinition], specs) -> dict[str, np.ndarray]:
    fields = {f: np.asfortranarray(rows[f].to_numpy(dtype=float).reshape(-1, 1)) for f in BAR_FIELDS}
    return {
        d.label: feature_compute(spec, d.params, fields)[d.output][:, 0]
        for d, spec in zip(definitions, specs, strict=True)
    }


def symbol_feature_arrays(
    *, definitions: Sequence[FeatureDefinition], symbols: Sequence[str], end=None
) -> Iterator[tuple[str, str, bool, pd.DatetimeIndex, dict[str, np.ndarray]]]:
    """Per symbol and (interval, adjusted) group of `definitions`: (symbol, interval, adjusted, bar
    timestamps, {"name@version": values}) over the symbol's whole stored history up to `end`. A symbol
    with no bars in a group yields nothing for it."""
    specs = [definition_checked(d) for d in definitions]
    groups: dict[tuple[str, bool], list[int]] = {}
    for i, d in enumerate(definitions):
        groups.setdefault((d.interval, d.adjusted), []).append(i)
    for (interval, adjusted), members in groups.items():
        bars = marketdata.bars(symbols, end=end, interval=interval, adjusted=adjusted)
        frames = {
            str(symbol): rows.sort_values("ts")
            for symbol, rows in bars.groupby("symbol", observed=True, sort=False)
        }
        if not frames:
            continue
        # Definitions on bar fields only: one batched call per definition over every symbol's own bars.
        batched = _bars_batched(
            list(frames.values()), [definitions[i] for i in members], [specs[i] for i in members]
        )
        for j, (symbol, rows) in enumerate(frames.items()):
            index = pd.DatetimeIndex(rows["ts"], name="ts")
            computed = {label: per_symbol[j] for label, per_symbol in batched.items()}
            others = [i for i in members if definitions[i].label not in batched]
            if others:
                computed |= _one_symbol(rows, [definitions[i] for i in others], [specs[i] for i in others])
            yield (
                symbol,
                interval,
                adjusted,
                index,
                {definitions[i].label: computed[definitions[i].label] for i in members},
            )


def _bars_batched(frames: list[pd.DataFrame], definitions, specs) -> dict[str, list[np.ndarray]]:
    fields = {f: [rows[f].to_numpy(dtype=float) for rows in frames] for f in BAR_FIELDS}
    return {
        d.label: columns_compute(spec, d.params, d.output, fields)
        for d, spec in zip(definitions, specs, strict=True)
        if all(f in BAR_FIELDS for f in spec.inputs)
    }


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
