"""Raw-cursor helpers of the reads: each read is one query (or one per FX leg), fetched through a raw
cursor into numpy/pandas: no model instances and no per-row Python."""

from __future__ import annotations

import pandas as pd
from django.db import connection


def raw(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch(qs) -> list[tuple]:
    """The queryset's rows straight from the cursor: Django's row iterator and per-row converters
    are the slow part of reading a million bars."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def utc_column(values) -> pd.Series:
    # PostgreSQL hands back aware datetimes; SQLite naive UTC datetimes, or ISO text from aggregates.
    return pd.Series(pd.to_datetime(pd.Series(values), utc=True, format="ISO8601"))
