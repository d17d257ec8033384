"""Plain-SQL helpers for the hot read paths (the pre-trade check, the monitor) where the ORM's
per-query cost is most of the read. Engines still own their tables; these only spell SQL."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from django.db import connection


def in_values(column: str, values: Sequence, array_type: str = "bigint") -> tuple[str, list]:
    """`column` in `values` as a WHERE fragment and its parameters: one array parameter on
    PostgreSQL (a placeholder per value costs psycopg more to bind than the query takes), a
    placeholder list elsewhere. The array is cast to the column's type: psycopg sends small ints as
    smallint[], and `bigint = ANY(smallint[])` is a cross-type comparison PostgreSQL cannot hash
    (500 ids: 4.6 ms instead of 0.3 ms)."""
    if connection.vendor == "postgresql":
        param = int_array(values) if array_type in ("bigint", "integer") else list(values)
        return f"{column} = ANY(%s::{array_type}[])", [param]
    return f"{column} IN ({', '.join(['%s'] * len(values)) or 'NULL'})", list(values)


def int_array(values: Sequence) -> str:
    """Integers as a PostgreSQL array literal ('{1,2,3}') for an `%s::bigint[]` parameter: psycopg
    adapts a 500-int list element by element (0.3 ms, a third of a 500-id primary-key read)."""
    return "{" + ",".join(str(int(v)) for v in values) + "}"


def fetch_rows(sql: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def rows_frame(rows: list[tuple], columns: dict[str, object]) -> pd.DataFrame:
    """Query rows as a frame, column by column: {name: numpy dtype} in the rows' order, each column
    one `np.asarray(values, dtype)` (None → NaN for floats; `object` for strings and datetimes,
    which pandas then infers). About 2.5× cheaper than DataFrame(rows) plus an astype per column."""
    data = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame(
        {
            name: np.asarray(values, dtype=dtype)
            for (name, dtype), values in zip(columns.items(), data, strict=True)
        }
    )
