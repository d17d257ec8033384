"""Point-in-time economic series."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..models import EconomicSeries, SeriesObservation
from .errors import UnknownSeriesError


def series_as_of(
    *, code: str, as_of: pd.Timestamp, start: dt.date | None = None, end: dt.date | None = None
) -> pd.Series:
    """Each observation date's value in its latest version known at `as_of` (revisions published
    later are invisible; a date first published after `as_of` is absent). Index: UTC midnight of
    each date, named `date`; NaN where a value was released as missing."""
    series = EconomicSeries.objects.filter(code__iexact=(code or "").strip()).first()
    if series is None:
        raise UnknownSeriesError(f"unknown economic series {code!r}")
    qs = SeriesObservation.objects.filter(series=series, known_at__lte=as_of.to_pydatetime())
    if start is not None:
        qs = qs.filter(date__gte=start)
    if end is not None:
        qs = qs.filter(date__lte=end)
    rows = list(qs.order_by("date", "known_at").values_list("date", "value"))
    frame = pd.DataFrame.from_records(rows, columns=["date", "value"]).drop_duplicates("date", keep="last")
    index = pd.DatetimeIndex(pd.to_datetime(frame["date"]), name="date").tz_localize("UTC")
    return pd.Series(
        frame["value"].to_numpy(dtype=np.float64, na_value=np.nan), index=index, name=series.code
    )


def series_history(*, code: str, until: pd.Timestamp | None = None) -> pd.DataFrame:
    """Every version of every observation of the series known at or before `until` (None: all):
    rows (date, known_at, value) ordered by known_at then date, `date` as UTC midnight. For a reader
    applying the `series_as_of` rule at many instants (one per bar) from one query."""
    series = EconomicSeries.objects.filter(code__iexact=(code or "").strip()).first()
    if series is None:
        raise UnknownSeriesError(f"unknown economic series {code!r}")
    qs = SeriesObservation.objects.filter(series=series)
    if until is not None:
        qs = qs.filter(known_at__lte=until.to_pydatetime())
    rows = list(qs.order_by("known_at", "date").values_list("date", "known_at", "value"))
    frame = pd.DataFrame.from_records(rows, columns=["date", "known_at", "value"])
    frame["date"] = pd.to_datetime(frame["date"]).dt.tz_localize("UTC")
    frame["known_at"] = pd.to_datetime(frame["known_at"], utc=True)
    frame["value"] = frame["value"].astype(np.float64)
    return frame
