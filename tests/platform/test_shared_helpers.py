"""The platform's shared helpers: JSON-safe numbers, UTC timestamps, the Redis coalescer."""

from __future__ import annotations

import datetime as dt
import json
import time

import numpy as np
import pandas as pd
import pytest

from apps.platform.coalescer import Coalescer
from apps.platform.numbers import finite_or_none, json_safe
from apps.platform.timestamps import as_utc, iso_date_or_utc, iso_utc


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.5, 1.5),
        ("2", 2.0),
        (np.float32(0.25), 0.25),
        (None, None),
        (float("nan"), None),
        (float("inf"), None),
        (-np.inf, None),
        (10**400, None),
    ],
)
def test_finite_or_none(value, expected):
    assert finite_or_none(value) == expected


def test_json_safe_walks_containers_and_makes_strict_json():
    doc = {"a": [1.0, float("nan"), {"b": (float("-inf"), 2)}], "c": "x"}
    out = json_safe(doc)
    assert out == {"a": [1.0, None, {"b": [None, 2]}], "c": "x"}
    json.dumps(out, allow_nan=False)  # would raise on a NaN left behind


def test_iso_utc_one_format_from_every_kind_of_time():
    expected = "2026-12-03T12:30:00Z"
    aware = dt.datetime(2026, 12, 3, 13, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert iso_utc(aware) == expected
    assert iso_utc(dt.datetime(2026, 12, 3, 12, 30)) == expected  # naive is UTC
    assert iso_utc(pd.Timestamp("2026-12-03 12:30", tz="UTC")) == expected
    assert iso_utc(np.datetime64("2026-12-03T12:30:00")) == expected
    assert iso_utc(aware.timestamp()) == expected
    assert iso_utc(dt.datetime(2026, 12, 3, 12, 30, 0, 5, tzinfo=dt.UTC)) == "2026-12-03T12:30:00.000005Z"
    assert iso_utc(None) is None and iso_utc(pd.NaT) is None and as_utc(np.datetime64("NaT")) is None
    # A calendar date stays a date; an instant gets the one format.
    assert iso_date_or_utc(dt.date(2026, 12, 3)) == "2026-12-03"
    assert iso_date_or_utc(pd.Timestamp("2026-12-03", tz="UTC")) == "2026-12-03T00:00:00Z"


def test_coalescer_runs_once_now_and_schedules_one_trailing_run(fresh_bus):
    c = Coalescer("test:coalesce", window_ms=2000)
    first = c.offer(items=["p:1"])
    assert first.run_now and first.items == ("p:1",)
    second = c.offer(items=["p:2"])
    assert not second.run_now and 0 < second.trailing_delay <= 2.0
    third = c.offer(items=["s:AAPL", "p:2"])
    assert not third.run_now and third.trailing_delay is None  # the trailing run is already booked
    assert c.trailing() == ("p:2", "s:AAPL")  # everything deferred, once
    assert not c.offer(items=["p:3"]).run_now  # the trailing run holds a new window


def test_coalescer_windows_are_per_key_and_expire(fresh_bus):
    c = Coalescer("test:coalesce", window_ms=100)
    assert c.offer("AAA").run_now
    assert c.offer("BBB").run_now  # another key, another window
    assert not c.offer("AAA").run_now
    time.sleep(0.15)
    assert c.offer("AAA").run_now  # the window closed
