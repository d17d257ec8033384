"""latest_closes — the price read of every risk check (the monitor runs it every 5 s) — answers the
last close and its bar's start per instrument, without numpy's "no explicit representation of
timezones" UserWarning (raised as an error here) that its SQLite path logged on every call."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from apps.marketdata.models import Bar
from apps.marketdata.selectors import latest as selectors

pytestmark = [pytest.mark.django_db, pytest.mark.filterwarnings("error::UserWarning")]

T0 = dt.datetime(2024, 3, 1, 21, 0, tzinfo=dt.UTC)


def bar(instrument, interval: str, ts: dt.datetime, close: float) -> Bar:
    return Bar(
        instrument=instrument, interval=interval, ts=ts, open=close, high=close, low=close, close=close
    )


def test_latest_closes_per_instrument_in_the_order_asked(instruments):
    aapl, msft, spy = instruments["AAPL"], instruments["MSFT"], instruments["SPY"]
    Bar.objects.bulk_create(
        [
            bar(aapl, "1d", T0, 180.0),
            bar(aapl, "1d", T0 + dt.timedelta(days=1), 181.5),
            bar(msft, "1d", T0, 400.0),
            bar(msft, "1h", T0 + dt.timedelta(hours=20), 401.25),  # later, at a finer interval
        ]
    )

    close, stamps = selectors.latest_closes([msft.pk, spy.pk, aapl.pk])

    np.testing.assert_array_equal(close, [401.25, np.nan, 181.5])
    assert stamps.tz is not None and str(stamps.tz) == "UTC"
    assert stamps[0] == pd.Timestamp(T0 + dt.timedelta(hours=20))
    assert pd.isna(stamps[1])
    assert stamps[2] == pd.Timestamp(T0 + dt.timedelta(days=1))


def test_aware_timestamps_become_epoch_microseconds_without_a_warning():
    ts = pd.Series(pd.to_datetime(["2024-03-01T21:00:00.000001Z", "2024-03-04T14:30:00.000000Z"], utc=True))
    expected = [
        int(dt.datetime(2024, 3, 1, 21, tzinfo=dt.UTC).timestamp()) * 1_000_000 + 1,
        int(dt.datetime(2024, 3, 4, 14, 30, tzinfo=dt.UTC).timestamp()) * 1_000_000,
    ]
    np.testing.assert_array_equal(selectors.epoch_us(ts), expected)
