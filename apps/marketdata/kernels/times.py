"""Turning caller-supplied instants (datetime, date, ISO string, pandas Timestamp) into UTC.

Naive values are read as UTC. A bare date means midnight UTC at its start, except where a window
*end* is meant: there a bare date covers that whole day (the window runs to the next midnight), so
`end="2024-03-31"` includes the bar stamped 2024-03-31.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def utc(value) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts is pd.NaT:
        raise ValueError(f"not a timestamp: {value!r}")
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def is_bare_date(value) -> bool:
    if isinstance(value, dt.datetime | pd.Timestamp):
        return False
    if isinstance(value, dt.date):
        return True
    return isinstance(value, str) and bool(_DATE_ONLY.match(value.strip()))


def window_start(value) -> pd.Timestamp | None:
    return None if value is None else utc(value)


def window_end(value) -> pd.Timestamp | None:
    """Exclusive end of a window; a bare date includes its whole day."""
    if value is None:
        return None
    end = utc(value.strip() if isinstance(value, str) else value)
    return end + pd.Timedelta(days=1) if is_bare_date(value) else end
