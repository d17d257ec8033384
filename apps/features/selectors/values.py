"""Reads of the feature store: stored values of definitions for instruments over a window, as known
at an instant.

Each (definition, instrument) is read from the block its series points at (models/store.py); one
binary COPY per block selects only the positions asked for, so a read of 3 features from a block of
128 moves 3 values per row, not 128. A value at bar `ts` is known at `ts + interval` (the bar's
close): `as_of` keeps only values known at or before it, `known_at` is in every row.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection

from ..kernels.copy_binary import selection_decode
from ..models import FeatureColumns, FeatureDefinition, FeatureSeries

_INTERVAL_RE = re.compile(r"^(\d+)(mo|m|h|d|w)$")
_PG_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks", "mo": "months"}


class TooManyRows(ValueError):
    """The read would return more rows than the caller's cap."""


def pg_interval(interval: str) -> str:
    """A bar interval ("1d", "15m", "1mo") as a PostgreSQL interval literal ("1 days")."""
    m = _INTERVAL_RE.match(interval)
    if not m:
        raise ValueError(f"unknown interval {interval!r}")
    return f"{int(m.group(1))} {_PG_UNITS[m.group(2)]}"


def known_at(ts, interval: str) -> pd.Series:
    """When a value at bar start `ts` was first known: the bar's close (`ts` + the interval)."""
    m = _INTERVAL_RE.match(interval)
    if not m:
        raise ValueError(f"unknown interval {interval!r}")
    return pd.Series(pd.DatetimeIndex(ts) + pd.DateOffset(**{_PG_UNITS[m.group(2)]: int(m.group(1))}))


@dataclass(frozen=True)
class _Home:
    block: int
    position: int
    first: np.datetime64  # the range the series covers in its block (naive UTC)
    last: np.datetime64


def _homes(
    definitions: Sequence[FeatureDefinition], instrument_ids: Sequence[int]
) -> dict[tuple[int, int], _Home]:
    rows = FeatureSeries.objects.filter(
        definition_id__in=[d.pk for d in definitions], instrument_id__in=list(instrument_ids)
    ).values_list("definition_id", "instrument_id", "columns_id", "position", "first_ts", "last_ts")
    return {(d, i): _Home(b, p, _naive(lo), _naive(hi)) for d, i, b, p, lo, hi in rows}


def _naive(value) -> np.datetime64:
    return pd.Timestamp(value).tz_convert("UTC").tz_localize(None).to_datetime64()


def _copy_out(sql: str, params: list) -> bytes:
    buf = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(sql, params) as copy:
        for chunk in copy:
            buf += chunk
    return bytes(buf)


def _block_read(block: FeatureColumns, positions: list[int], instruments: list[int], lo, hi, as_of, cap):
    columns = ", ".join(f"coalesce(values[{int(p)}], 'NaN'::float8)" for p in positions)
    where = ["columns_id = %s", "instrument_id = ANY(%s::int[])"]
    params: list = [block.pk, instruments]
    if lo is not None:
        where.append("ts >= %s")
        params.append(lo)
    if hi is not None:
        where.append("ts < %s")
        params.append(hi)
    if as_of is not None:
        where.append(f"ts + interval '{pg_interval(block.interval)}' <= %s")
        params.append(as_of)
    limit = f" LIMIT {int(cap) + 1}" if cap is not None else ""
    sql = (
        f"COPY (SELECT instrument_id, ts, {columns} FROM features_row WHERE {' AND '.join(where)}"
        f" ORDER BY instrument_id, ts{limit}) TO STDOUT (FORMAT BINARY)"
    )
    ids, ts, values = selection_decode(_copy_out(sql, params), len(positions))
    if cap is not None and len(ids) > cap:
        raise TooManyRows(f"more than {cap} rows")
    return ids, ts, values


def stored_values(
    *,
    definitions: Sequence[FeatureDefinition],
    instruments: Mapping[str, int],
    start=None,
    end=None,
    as_of=None,
    max_rows: int | None = None,
) -> pd.DataFrame:
    """Long rows (symbol, ts, known_at, one column per definition "name@version") for the
    instruments {symbol: id}, bars in [start, end), values known at or before `as_of` (None: all).
    A (symbol, ts) row exists where any asked feature is stored; a feature not stored there is NaN.
    Raises TooManyRows when a block would return more than `max_rows` rows."""
    labels = [d.label for d in definitions]
    pk_of = {d.label: d.pk for d in definitions}
    homes = _homes(definitions, list(instruments.values()))
    by_block: dict[int, dict[int, list[tuple[str, int]]]] = {}
    for d in definitions:
        for inst in instruments.values():
            home = homes.get((d.pk, inst))
            if home is not None:
                by_block.setdefault(home.block, {}).setdefault(inst, []).append((d.label, home.position))
    blocks = FeatureColumns.objects.in_bulk(list(by_block))
    symbol_of = {pk: s for s, pk in instruments.items()}
    parts = []
    for block_id, per_instrument in by_block.items():
        block = blocks[block_id]
        wanted = sorted(
            {(label, pos) for pairs in per_instrument.values() for label, pos in pairs}, key=lambda x: x[1]
        )
        ids, ts, values = _block_read(
            block, [p for _, p in wanted], sorted(per_instrument), start, end, as_of, max_rows
        )
        frame = pd.DataFrame(values, columns=[label for label, _ in wanted])
        # Rows come sorted by instrument: each instrument's rows are one slice.
        starts = np.searchsorted(ids, sorted(per_instrument), side="left")
        stops = np.searchsorted(ids, sorted(per_instrument), side="right")
        for label, _pos in wanted:
            # A value is read from here only for an instrument whose series of this label lives in
            # this block, and only inside the range that series covers (rows of the block outside it
            # were written before the series last moved, by the block's other definitions).
            keep = np.zeros(len(ids), dtype=bool)
            for inst, lo, hi in zip(sorted(per_instrument), starts, stops, strict=True):
                home = homes.get((pk_of[label], inst))
                if home is not None and home.block == block_id:
                    keep[lo:hi] = (ts[lo:hi] >= home.first) & (ts[lo:hi] <= home.last)
            frame.loc[~keep, label] = np.nan
        frame.insert(0, "instrument", ids)
        frame.insert(1, "ts", pd.DatetimeIndex(ts, tz="UTC"))
        frame.insert(2, "known_at", known_at(frame["ts"], block.interval).to_numpy())
        parts.append(frame)
    if not parts:
        return pd.DataFrame(columns=["symbol", "ts", "known_at", *labels])
    long = parts[0]
    if len(parts) > 1:  # features of one instrument from several blocks: one row per (instrument, ts)
        long = (
            pd.concat(parts, ignore_index=True)
            .groupby(["instrument", "ts"], sort=False)
            .first()
            .reset_index()
        )
    order = {pk: k for k, pk in enumerate(instruments.values())}
    long = long.assign(_o=long["instrument"].map(order)).sort_values(["_o", "ts"], kind="stable")
    long.insert(0, "symbol", long["instrument"].map(symbol_of))
    return (
        long.drop(columns=["instrument", "_o"])
        .reindex(columns=["symbol", "ts", "known_at", *labels])
        .reset_index(drop=True)
    )
