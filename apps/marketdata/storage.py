"""Bulk writes of market-data frames: idempotent upserts keyed by each table's natural primary key.

    bars_upsert(frame, interval="1d")   # -> rows inserted or updated

PostgreSQL: the frame is streamed with `COPY` into a TEMP staging table, then moved with one
`INSERT ... SELECT ... ON CONFLICT (pk) DO UPDATE`, so loading the same file twice leaves the same
rows and a corrected file updates values. New data — the common bulk load, where no stored row of
these instruments falls inside the frame's time range (one index probe tells) — skips the staging
table and the conflict handling: it is COPYed straight into the table, about 3x faster; should a
concurrent load slip rows in between, the unique violation rolls back to a savepoint and the
upsert path runs instead. Numeric tables use binary COPY built by numpy in one
vectorized pass (no per-row Python); tables with text columns use CSV COPY. SQLite: `executemany`
of `INSERT ... ON CONFLICT DO UPDATE`. Either way the whole frame is written in one transaction.

The frames are expected to be validated already (apps.marketdata.ingest.validate); the database's
CHECK constraints remain the last line of defence. Within one frame the last row for a key wins.
Nullable float columns take NaN for "missing" (stored as NULL).
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction

from . import selectors
from .models import INTERVALS

# Rows per COPY write / executemany batch: bounds the memory of one encoded chunk.
CHUNK_ROWS = 100_000
_PG_EPOCH_US = np.datetime64("2000-01-01T00:00:00", "us").astype(np.int64)
_PG_EPOCH_DAYS = np.datetime64("2000-01-01", "D").astype(np.int64)
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_BINARY_TRAILER = struct.pack(">h", -1)


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


# --- public API -----------------------------------------------------------------------------------


def bars_upsert(frame: pd.DataFrame, *, interval: str) -> int:
    """Columns: instrument_id, ts (tz-aware UTC), open, high, low, close, adj_close, volume, vwap,
    trade_count (the last three and adj_close may be missing or NaN)."""
    if interval not in INTERVALS:
        raise ValueError(f"unknown interval {interval!r}; use one of {', '.join(INTERVALS)}")
    written = _upsert(BARS, frame, constants={"interval": interval})
    if len(frame):
        selectors.intervals_note(pd.unique(frame["instrument_id"]), interval)
    return written


def quotes_upsert(frame: pd.DataFrame) -> int:
    """Columns: instrument_id, ts, bid, ask, bid_size, ask_size."""
    return _upsert(QUOTES, frame)


def trades_upsert(frame: pd.DataFrame) -> int:
    """Columns: instrument_id, ts, seq, price, size."""
    return _upsert(TRADES, frame)


def observations_upsert(frame: pd.DataFrame) -> int:
    """Columns: series_id, date, known_at, value (NaN: released as missing)."""
    return _upsert(OBSERVATIONS, frame)


def fundamentals_upsert(frame: pd.DataFrame) -> int:
    """Columns: instrument_id, field, period, period_end, reported_at, value."""
    return _upsert(FUNDAMENTALS, frame)


def fx_upsert(frame: pd.DataFrame) -> int:
    """Columns: base, quote, ts, rate (units of quote per one base)."""
    return _upsert(FX_RATES, frame)


def bars_bulk_create(frame: pd.DataFrame, *, interval: str, batch_size: int = 5000) -> int:
    """The ORM path (model instances + bulk_create with update_conflicts). Only the bench uses it,
    as the baseline the COPY path is measured against."""
    from .models import Bar

    frame = _prepare(BARS, frame)
    records = frame.replace({np.nan: None}).to_dict("records")
    objs = [
        Bar(
            instrument_id=r["instrument_id"],
            interval=interval,
            ts=r["ts"].to_pydatetime(),
            open=r["open"],
            high=r["high"],
            low=r["low"],
            close=r["close"],
            adj_close=r["adj_close"],
            volume=r["volume"],
            vwap=r["vwap"],
            trade_count=None if r["trade_count"] is None else int(r["trade_count"]),
        )
        for r in records
    ]
    with transaction.atomic():
        Bar.objects.bulk_create(
            objs,
            batch_size=batch_size,
            update_conflicts=True,
            unique_fields=["instrument", "interval", "ts"],
            update_fields=["open", "high", "low", "close", "adj_close", "volume", "vwap", "trade_count"],
        )
    return len(objs)


# --- shared machinery -----------------------------------------------------------------------------


def _prepare(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
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


def _upsert(spec: TableSpec, frame: pd.DataFrame, *, constants: dict | None = None) -> int:
    constants = constants or {}
    frame = _prepare(spec, frame)
    if frame.empty:
        return 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            return _pg_upsert(spec, frame, constants)
        return _sqlite_upsert(spec, frame, constants)


def _update_clause(spec: TableSpec, *, excluded: str) -> str:
    value_cols = [c.name for c in spec.columns if c.name not in spec.key]
    return ", ".join(f"{c} = {excluded}.{c}" for c in value_cols)


# --- PostgreSQL: COPY into a staging table, then one INSERT ... ON CONFLICT -------------------------

_PG_STAGE_TYPES = {
    "i8": "bigint",
    "f8": "double precision",
    "f8?": "double precision",
    "i8?": "double precision",
    "ts": "timestamptz",
    "date": "date",
    "text": "text",
}


def _pg_select_expr(col: Column) -> str:
    if col.kind == "f8?":
        return f"NULLIF({col.name}, 'NaN')"
    if col.kind == "i8?":
        return f"NULLIF({col.name}, 'NaN')::bigint"
    if col.kind == "text":
        return f"COALESCE({col.name}, '')"
    return col.name


def _pg_upsert(spec: TableSpec, frame: pd.DataFrame, constants: dict) -> int:
    if spec.entity and spec.binary and not _pg_overlaps(spec, frame, constants):
        try:
            with transaction.atomic():  # a savepoint: a concurrent writer's rows only cost a retry
                written = _pg_copy_direct(spec, frame, constants)
            if written is not None:
                return written
        except IntegrityError:
            pass
    return _pg_stage_and_upsert(spec, frame, constants)


def _pg_overlaps(spec: TableSpec, frame: pd.DataFrame, constants: dict) -> bool:
    """Does any stored row of the frame's entities lie inside the frame's time range?"""
    where = " AND ".join(f"{name} = %s" for name in constants)
    sql = (
        f"SELECT 1 FROM {spec.table} WHERE {spec.entity} = ANY(%s::bigint[]) AND {spec.time} BETWEEN %s AND %s"
        + (f" AND {where}" if where else "")
        + " LIMIT 1"
    )
    times = frame[spec.time]
    entities = [int(v) for v in np.unique(frame[spec.entity].to_numpy())]
    params = [entities, times.min().to_pydatetime(), times.max().to_pydatetime(), *constants.values()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


def _pg_copy_direct(spec: TableSpec, frame: pd.DataFrame, constants: dict) -> int | None:
    """Binary COPY into the table itself. Binary rows here are fixed-width, so a nullable column is
    sent only when it has no gaps and left out (NULL) when it is all gaps; a column with some gaps
    returns None and the caller takes the staging path, which maps NaN to NULL."""
    columns: list[Column] = []
    for col in spec.columns:
        if col.kind.endswith("?"):
            present = frame[col.name].notna().to_numpy()
            if not present.any():
                continue
            if not present.all():
                return None
            col = Column(col.name, col.kind[:-1])
        columns.append(col)
    direct = TableSpec(spec.table, tuple(columns), spec.key)
    consts = {name: str(value).encode() for name, value in constants.items()}
    names = [c.name for c in columns] + list(consts)
    # The raw psycopg cursor bypasses Django's error translation: restore it so a unique violation
    # arrives as django.db.IntegrityError.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {spec.table} ({', '.join(names)}) FROM STDIN (FORMAT binary)") as copy:
            copy.write(_BINARY_HEADER)
            for start in range(0, len(frame), CHUNK_ROWS):
                copy.write(_binary_rows(direct, frame.iloc[start : start + CHUNK_ROWS], consts))
            copy.write(_BINARY_TRAILER)
    return len(frame)


def _pg_stage_and_upsert(spec: TableSpec, frame: pd.DataFrame, constants: dict) -> int:
    stage = f"stage_{spec.table}"
    names = [c.name for c in spec.columns]
    target = ", ".join([*names, *constants])
    select = ", ".join([*(_pg_select_expr(c) for c in spec.columns), *(["%s"] * len(constants))])
    stage_cols = ", ".join(f"{c.name} {_PG_STAGE_TYPES[c.kind]}" for c in spec.columns)
    with connection.cursor() as cursor:
        # Dropped first: the table lives until commit, and one transaction may load twice.
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{stage}")
        cursor.execute(f"CREATE TEMP TABLE {stage} ({stage_cols}) ON COMMIT DROP")
        raw = cursor.cursor  # the psycopg 3 cursor under Django's wrapper, for COPY
        if spec.binary:
            with raw.copy(f"COPY {stage} ({', '.join(names)}) FROM STDIN (FORMAT binary)") as copy:
                copy.write(_BINARY_HEADER)
                for start in range(0, len(frame), CHUNK_ROWS):
                    copy.write(_binary_rows(spec, frame.iloc[start : start + CHUNK_ROWS]))
                copy.write(_BINARY_TRAILER)
        else:
            with raw.copy(f"COPY {stage} ({', '.join(names)}) FROM STDIN (FORMAT csv)") as copy:
                for start in range(0, len(frame), CHUNK_ROWS):
                    copy.write(_csv_rows(spec, frame.iloc[start : start + CHUNK_ROWS]))
        cursor.execute(
            f"INSERT INTO {spec.table} ({target}) SELECT {select} FROM {stage} "
            f"ON CONFLICT ({', '.join(spec.key)}) DO UPDATE SET {_update_clause(spec, excluded='EXCLUDED')}",
            list(constants.values()),
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE pg_temp.{stage}")
    return written


def _binary_rows(spec: TableSpec, frame: pd.DataFrame, constants: dict[str, bytes] | None = None) -> bytes:
    """PostgreSQL binary COPY tuples for fixed-width columns, built as one numpy record array:
    int16 field count, then per field int32 byte length and the big-endian value. `constants` are
    text values repeated on every row (after the columns)."""
    constants = constants or {}
    fields: list[tuple[str, str]] = [("n", ">i2")]
    widths = {"i8": ">i8", "f8": ">f8", "f8?": ">f8", "i8?": ">f8", "ts": ">i8", "date": ">i4"}
    for col in spec.columns:
        fields += [(f"{col.name}__len", ">i4"), (col.name, widths[col.kind])]
    for name, value in constants.items():
        fields += [(f"{name}__len", ">i4"), (name, f"S{len(value)}")]
    rows = np.empty(len(frame), dtype=np.dtype(fields))
    rows["n"] = len(spec.columns) + len(constants)
    for name, value in constants.items():
        rows[f"{name}__len"] = len(value)
        rows[name] = value
    for col in spec.columns:
        rows[f"{col.name}__len"] = np.dtype(widths[col.kind]).itemsize
        values = frame[col.name]
        if col.kind == "ts":
            us = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[us]").astype(np.int64)
            rows[col.name] = us - _PG_EPOCH_US
        elif col.kind == "date":
            rows[col.name] = values.to_numpy("datetime64[D]").astype(np.int64) - _PG_EPOCH_DAYS
        else:
            rows[col.name] = values.to_numpy()
    return rows.tobytes()


def _csv_rows(spec: TableSpec, frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    for col in spec.columns:
        if col.kind == "ts":
            out[col.name] = out[col.name].dt.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
        elif col.kind == "date":
            out[col.name] = out[col.name].dt.strftime("%Y-%m-%d")
    buf = io.StringIO()
    # NaN is written as an empty unquoted field, which CSV COPY reads as NULL.
    out.to_csv(buf, index=False, header=False, float_format="%.17g")
    return buf.getvalue().encode()


# --- SQLite: executemany of INSERT ... ON CONFLICT DO UPDATE -----------------------------------------


def _sqlite_values(spec: TableSpec, frame: pd.DataFrame) -> pd.DataFrame:
    """Values in the text forms Django's SQLite backend stores, so ORM reads and these rows match."""
    out = pd.DataFrame(index=frame.index)
    for col in spec.columns:
        values = frame[col.name]
        if col.kind == "ts":
            naive = values.dt.tz_convert("UTC").dt.tz_localize(None)
            text = naive.dt.strftime("%Y-%m-%d %H:%M:%S")
            micro = naive.dt.microsecond
            # Django writes str(datetime): microseconds only when there are some.
            text = text.where(micro == 0, text + "." + micro.astype(str).str.zfill(6))
            out[col.name] = text.astype(object)
        elif col.kind == "date":
            out[col.name] = values.dt.strftime("%Y-%m-%d").astype(object)
        elif col.kind == "i8?":
            out[col.name] = values.astype(object).where(values.notna(), None)
            out[col.name] = out[col.name].map(lambda v: None if v is None else int(v))
        elif col.kind in ("f8?", "f8"):
            out[col.name] = values.astype(object).where(values.notna(), None)
        else:
            out[col.name] = values.astype(object)
    return out


def _sqlite_upsert(spec: TableSpec, frame: pd.DataFrame, constants: dict) -> int:
    names = [c.name for c in spec.columns] + list(constants)
    placeholders = ", ".join(["%s"] * len(names))
    sql = (
        f"INSERT INTO {spec.table} ({', '.join(names)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(spec.key)}) DO UPDATE SET {_update_clause(spec, excluded='excluded')}"
    )
    values = _sqlite_values(spec, frame)
    extra = tuple(constants.values())
    with connection.cursor() as cursor:
        for start in range(0, len(values), CHUNK_ROWS):
            chunk = values.iloc[start : start + CHUNK_ROWS]
            cursor.executemany(sql, [tuple(row) + extra for row in chunk.itertuples(index=False, name=None)])
    return len(values)
