"""The tables the bulk writes fill: their columns, natural keys and the frame preparation every
write path shares (dtypes, UTC times, the last row winning for a repeated key)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Rows per COPY write / executemany batch: bounds the memory of one encoded chunk.
CHUNK_ROWS = 100_000


@dataclass(frozen=True)
class Column:
    """kind: i8 (bigint), f8 (float), f8? (nullable float), i8? (nullable bigint), ts (timestamptz),
    date, text."""

    name: str
    kind: str


@dataclass(frozen=True)
class TableSpec:
    table: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    constants: tuple[str, ...] = ()  # key columns passed as one value for the whole frame (interval)
    entity: str | None = None  # with `time`: the columns the direct-COPY overlap probe ranges over
    time: str | None = None

    @property
    def binary(self) -> bool:
        return all(c.kind != "text" for c in self.columns)


def _cols(spec: str) -> tuple[Column, ...]:
    return tuple(Column(*item.split(":")) for item in spec.split())


BARS = TableSpec(
    "marketdata_bar",
    _cols(
        "instrument_id:i8 ts:ts open:f8 high:f8 low:f8 close:f8 adj_close:f8? volume:f8 vwap:f8? trade_count:i8?"
    ),
    key=("instrument_id", "interval", "ts"),
    constants=("interval",),
    entity="instrument_id",
    time="ts",
)
QUOTES = TableSpec(
    "marketdata_quote",
    _cols("instrument_id:i8 ts:ts bid:f8 ask:f8 bid_size:f8 ask_size:f8"),
    key=("instrument_id", "ts"),
    entity="instrument_id",
    time="ts",
)
TRADES = TableSpec(
    "marketdata_trade",
    _cols("instrument_id:i8 ts:ts seq:i8 price:f8 size:f8"),
    key=("instrument_id", "ts", "seq"),
    entity="instrument_id",
    time="ts",
)
OBSERVATIONS = TableSpec(
    "marketdata_series_observation",
    _cols("series_id:i8 date:date known_at:ts value:f8?"),
    key=("series_id", "date", "known_at"),
)
FUNDAMENTALS = TableSpec(
    "marketdata_fundamental",
    _cols("instrument_id:i8 field:text period:text period_end:date reported_at:ts value:f8"),
    key=("instrument_id", "field", "period_end", "reported_at"),
)
FX_RATES = TableSpec(
    "marketdata_fxrate", _cols("base:text quote:text ts:ts rate:f8"), key=("base", "quote", "ts")
)


def prepare(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """The spec's columns in order with the right dtypes; optional columns filled with NaN; the
    last row wins for a repeated key (ON CONFLICT cannot touch one row twice in a statement)."""
    missing = [c.name for c in spec.columns if c.name not in frame.columns and not c.kind.endswith("?")]
    if missing:
        raise ValueError(f"{spec.table}: frame lacks column(s) {', '.join(missing)}")
    out = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        values = frame[col.name] if col.name in frame.columns else np.nan
        if col.kind == "ts":
            out[col.name] = _utc(pd.Series(values, index=frame.index), col.name)
        elif col.kind == "date":
            out[col.name] = pd.to_datetime(pd.Series(values, index=frame.index)).dt.normalize()
        elif col.kind == "i8":
            out[col.name] = pd.Series(values, index=frame.index).astype(np.int64)
        elif col.kind == "text":
            out[col.name] = pd.Series(values, index=frame.index).fillna("").astype(str)
        else:  # f8, f8?, i8? (staged as float8 so NaN can stand for NULL)
            out[col.name] = pd.to_numeric(pd.Series(values, index=frame.index), errors="raise").astype(
                np.float64
            )
    frame_key = [k for k in spec.key if k not in spec.constants]
    return out.drop_duplicates(subset=frame_key, keep="last").reset_index(drop=True)


def _utc(values: pd.Series, name: str) -> pd.Series:
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(values.dtype):
            raise ValueError(f"column {name!r} must be timezone-aware (UTC)")
        values = pd.to_datetime(values, utc=True)
    return values.dt.tz_convert("UTC")


def update_clause(spec: TableSpec, *, excluded: str) -> str:
    value_cols = [c.name for c in spec.columns if c.name not in spec.key]
    return ", ".join(f"{c} = {excluded}.{c}" for c in value_cols)
