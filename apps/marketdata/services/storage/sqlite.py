"""SQLite: executemany of INSERT ... ON CONFLICT DO UPDATE."""

from __future__ import annotations

import pandas as pd
from django.db import connection

from .tables import CHUNK_ROWS, TableSpec, update_clause


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


def sqlite_upsert(spec: TableSpec, frame: pd.DataFrame, constants: dict) -> int:
    names = [c.name for c in spec.columns] + list(constants)
    placeholders = ", ".join(["%s"] * len(names))
    sql = (
        f"INSERT INTO {spec.table} ({', '.join(names)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({', '.join(spec.key)}) DO UPDATE SET {update_clause(spec, excluded='excluded')}"
    )
    values = _sqlite_values(spec, frame)
    extra = tuple(constants.values())
    with connection.cursor() as cursor:
        for start in range(0, len(values), CHUNK_ROWS):
            chunk = values.iloc[start : start + CHUNK_ROWS]
            cursor.executemany(sql, [tuple(row) + extra for row in chunk.itertuples(index=False, name=None)])
    return len(values)
