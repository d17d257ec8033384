"""The database part of `bench factors`: instruments BENCHFACT<TAG>_<n> carrying a synthetic panel's
daily bars (storage.bars_upsert, the COPY path), made under one unique tag and removed afterwards
(also when the bench fails)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import connection

from apps.marketdata.models import Bar, Instrument, LatestBar
from apps.marketdata.services import storage

START = pd.Timestamp("2010-01-04", tz="UTC")
PREFIX = "BENCHFACT"
BAR_FIELDS = ("open", "high", "low", "close", "volume", "vwap")


@dataclass(frozen=True)
class StoredUniverse:
    symbols: list[str]
    dates: pd.DatetimeIndex


@contextmanager
def stored_universe(panels: dict[str, np.ndarray]) -> Iterator[StoredUniverse]:
    """The panels' columns as instruments with every row stored as a daily bar; removed on exit."""
    tag = uuid.uuid4().hex[:6].upper()
    n_dates, n_inst = panels["close"].shape
    symbols = [f"{PREFIX}{tag}_{j:04d}" for j in range(n_inst)]
    try:
        made = Instrument.objects.bulk_create([Instrument(symbol=s, name="bench") for s in symbols])
        ids = [i.pk for i in made]
        dates = pd.bdate_range(START, periods=n_dates, tz="UTC")
        frame = pd.DataFrame(
            {
                "instrument_id": np.repeat(ids, n_dates),
                "ts": np.tile(dates, n_inst),
                **{f: panels[f].T.reshape(-1) for f in BAR_FIELDS},
            }
        )
        frame["adj_close"] = frame["close"]
        storage.bars_upsert(frame, interval="1d")
        yield StoredUniverse(symbols=symbols, dates=dates)
    finally:
        _cleanup(tag)


def _cleanup(tag: str) -> None:
    pks = list(Instrument.objects.filter(symbol__startswith=f"{PREFIX}{tag}_").values_list("pk", flat=True))
    if pks:
        LatestBar.objects.filter(instrument_id__in=pks).delete()
        Bar.objects.filter(instrument_id__in=pks).delete()
        Instrument.objects.filter(pk__in=pks).delete()
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        with connection.cursor() as cursor:  # dead rows of a million bars would slow the next run
            cursor.execute("VACUUM ANALYZE marketdata_bar")
