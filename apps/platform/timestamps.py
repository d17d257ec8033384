"""UTC timestamps as text, in the one format every answer and event uses: ISO 8601 with `Z`
(`2026-12-03T12:00:00Z`, microseconds when there are any) — the format DRF gives datetimes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd


def as_utc(value) -> dt.datetime | None:
    """A timezone-aware UTC datetime from a datetime (naive means UTC), a pandas Timestamp, a
    numpy datetime64, or seconds since the epoch; None for None and NaT."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, tz=dt.UTC)
    if isinstance(value, np.datetime64 | pd.Timestamp):
        ts = pd.Timestamp(value)
        if ts is pd.NaT:
            return None
        value = ts.to_pydatetime()
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def iso_utc(value) -> str | None:
    """`value` (see as_utc) as ISO 8601 UTC ending in `Z`; None for None and NaT."""
    ts = as_utc(value)
    if ts is None:
        return None
    return ts.isoformat().replace("+00:00", "Z")


def iso_date_or_utc(value) -> str | None:
    """A calendar date as YYYY-MM-DD; an instant (see as_utc) as iso_utc gives it."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    return iso_utc(value)
