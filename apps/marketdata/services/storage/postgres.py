"""PostgreSQL: COPY into a staging table, then one INSERT ... ON CONFLICT; new data (no stored row of
these instruments inside the frame's time range) is COPYed straight into the table."""

from __future__ import annotations

import io
import struct

import numpy as np
import pandas as pd
from django.db import IntegrityError, connection, transaction

from .tables import CHUNK_ROWS, Column, TableSpec, update_clause

_PG_EPOCH_US = np.datetime64("2000-01-01T00:00:00", "us").astype(np.int64)
_PG_EPOCH_DAYS = np.datetime64("2000-01-01", "D").astype(np.int64)
_BINARY_HEADER = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, 0)
_BINARY_TRAILER = struct.pack(">h", -1)

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


def pg_upsert(spec: TableSpec, frame: pd.DataFrame, constants: dict) -> int:
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
            f"ON CONFLICT ({', '.join(spec.key)}) DO UPDATE SET {update_clause(spec, excluded='EXCLUDED')}",
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
