"""GET /api/marketdata/bars (JSON, CSV, Parquet; resampling; 400s) and /snapshot."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from apps.marketdata.models import Bar, Instrument, Quote
from tests.marketdata.kernels.test_resample import FIELDS, pandas_reference, store_bars, synthetic_bars

BARS = "/api/marketdata/bars"
SNAPSHOT = "/api/marketdata/snapshot"
pytestmark = pytest.mark.django_db


@pytest.fixture
def minute_data(instruments):
    frame = synthetic_bars(["AAPL", "MSFT"], "2024-03-04 13:30", 1800, "1min", seed=5)
    store_bars(frame, "1m")
    return frame


def _json_frame(body: dict) -> pd.DataFrame:
    parts = []
    for sym, cols in body["symbols"].items():
        part = pd.DataFrame({k: v for k, v in cols.items() if k != "source_interval"})
        parts.append(part.assign(symbol=sym))
    frame = pd.concat(parts, ignore_index=True)
    frame["ts"] = pd.to_datetime(frame["ts"], utc=True)
    return frame


def _compare(frame: pd.DataFrame, ref: pd.DataFrame) -> None:
    frame = frame.loc[:, ["symbol", "ts", *FIELDS]].reset_index(drop=True)
    frame["ts"] = frame["ts"].dt.as_unit("ns")
    ref = ref.sort_values(["symbol", "ts"]).reset_index(drop=True)
    ref["ts"] = ref["ts"].dt.as_unit("ns")
    pd.testing.assert_frame_equal(frame.astype({"trade_count": float}), ref, check_dtype=False, rtol=1e-12)


def test_reading_needs_credentials(anon_client, minute_data):
    assert anon_client.get(BARS, {"symbols": "AAPL"}).status_code == 401
    assert anon_client.get(SNAPSHOT, {"symbols": "AAPL"}).status_code == 401


def test_json_resamples_minutes_to_the_requested_interval(api_client, minute_data):
    resp = api_client.get(BARS, {"symbols": "aapl,MSFT", "interval": "1h", "end": "2024-03-06"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["interval"] == "1h" and body["end"] == "2024-03-07T00:00:00Z"  # bare-date end: whole day
    assert list(body["symbols"]) == ["AAPL", "MSFT"]
    assert {s["source_interval"] for s in body["symbols"].values()} == {"1m"}
    assert body["rows"] == sum(len(s["ts"]) for s in body["symbols"].values())
    _compare(_json_frame(body), pandas_reference(minute_data, "1h"))
    # Data run to 2024-03-05 19:29, inside the window, so only a bucket outside it would be partial.
    assert not any(any(s["partial"]) for s in body["symbols"].values())


def test_csv_and_parquet_downloads_hold_the_same_rows(api_client, minute_data):
    query = {"symbols": "AAPL,MSFT", "interval": "15m", "start": "2024-03-05", "end": "2024-03-05T12:00:00Z"}
    as_json = _json_frame(api_client.get(BARS, query).json())
    ref = pandas_reference(minute_data, "15m")
    ref = ref[(ref.ts >= "2024-03-05") & (ref.ts < "2024-03-05 12:00")]

    resp = api_client.get(BARS, {**query, "format": "csv"})
    assert resp.status_code == 200
    assert resp["Content-Type"].startswith("text/csv")
    assert "attachment" in resp["Content-Disposition"] and resp["X-Source-Intervals"] == "AAPL=1m,MSFT=1m"
    csv = pd.read_csv(io.BytesIO(resp.content))
    assert list(csv.columns[:2]) == ["symbol", "ts"] and "partial" in csv.columns
    csv["ts"] = pd.to_datetime(csv["ts"], utc=True)
    _compare(csv, ref)

    resp = api_client.get(BARS, {**query, "format": "parquet"})
    assert resp.status_code == 200 and resp["Content-Type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(resp.content))
    assert str(table.schema.field("ts").type.tz) == "UTC"
    parquet = table.to_pandas()
    _compare(parquet, ref)
    assert len(parquet) == len(csv) == len(as_json) > 0


def test_partial_flags_buckets_cut_by_the_window(api_client, minute_data):
    body = api_client.get(
        BARS,
        {"symbols": "AAPL", "interval": "1h", "start": "2024-03-05T10:30:00Z", "end": "2024-03-05T14:15:00Z"},
    ).json()["symbols"]["AAPL"]
    assert body["ts"][0] == "2024-03-05T10:00:00Z" and body["ts"][-1] == "2024-03-05T14:00:00Z"
    assert body["partial"] == [True] + [False] * (len(body["ts"]) - 2) + [True]


def test_source_is_the_stored_interval_itself_else_the_coarsest_divisor(api_client, minute_data):
    aapl = Instrument.objects.get(symbol="AAPL")
    day = datetime(2024, 3, 4, tzinfo=UTC)
    Bar.objects.create(
        instrument=aapl, interval="1d", ts=day, open=1, high=3, low=0.5, close=2, adj_close=1.0, volume=10
    )
    body = api_client.get(BARS, {"symbols": "AAPL,MSFT", "interval": "1d"}).json()["symbols"]
    assert body["AAPL"]["source_interval"] == "1d" and body["AAPL"]["close"] == [2.0]
    assert body["MSFT"]["source_interval"] == "1m"  # no daily bars stored: aggregated minutes
    weekly = api_client.get(BARS, {"symbols": "AAPL", "interval": "1w"}).json()["symbols"]["AAPL"]
    assert weekly["source_interval"] == "1d" and weekly["ts"] == ["2024-03-04T00:00:00Z"]
    # Adjusted: prices scaled by adj_close/close = 0.5 before aggregation, volume as traded.
    adj = api_client.get(BARS, {"symbols": "AAPL", "interval": "1w", "adjusted": "true"}).json()
    assert adj["adjusted"] is True
    a = adj["symbols"]["AAPL"]
    assert (a["open"], a["high"], a["low"], a["close"], a["volume"]) == ([0.5], [1.5], [0.25], [1.0], [10.0])


def test_symbol_without_bars_comes_back_empty(api_client, minute_data):
    body = api_client.get(BARS, {"symbols": "AAPL,JPM", "interval": "5m"}).json()
    assert body["symbols"]["JPM"]["source_interval"] is None and body["symbols"]["JPM"]["ts"] == []
    assert len(body["symbols"]["AAPL"]["ts"]) > 0


@pytest.mark.parametrize(
    "query, field",
    [
        ({"symbols": "AAPL,NOPE"}, "symbols"),
        ({"symbols": ""}, "symbols"),
        ({}, "symbols"),
        ({"symbols": "AAPL", "interval": "7m"}, "interval"),
        ({"symbols": "AAPL", "start": "2024-03-06", "end": "2024-03-05"}, "end"),
        ({"symbols": "AAPL", "start": "yesterday"}, "start"),
        ({"symbols": "AAPL", "format": "xlsx"}, "format"),
        ({"symbols": "AAPL", "adjusted": "maybe"}, "adjusted"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, instruments, query, field):
    resp = api_client.get(BARS, query)
    assert resp.status_code == 400, resp.content
    assert field in resp.json()


def test_unknown_symbol_message_names_it(api_client, instruments):
    resp = api_client.get(BARS, {"symbols": "AAPL,NOPE,ZZZ"})
    assert "NOPE" in resp.json()["symbols"][0] and "ZZZ" in resp.json()["symbols"][0]


def test_too_large_a_range_is_refused_with_the_cap(api_client, minute_data, settings):
    settings.MARKETDATA_BARS_MAX_ROWS = 1000
    resp = api_client.get(BARS, {"symbols": "AAPL,MSFT", "interval": "1h"})
    assert resp.status_code == 400
    assert "1,000" in resp.json()["start"][0]
    narrow = api_client.get(BARS, {"symbols": "AAPL", "interval": "1h", "end": "2024-03-04T20:00:00Z"})
    assert narrow.status_code == 200


def test_too_many_symbols_is_refused(api_client, instruments, settings):
    settings.MARKETDATA_READ_MAX_SYMBOLS = 2
    resp = api_client.get(SNAPSHOT, {"symbols": "AAPL,MSFT,JPM"})
    assert resp.status_code == 400 and "symbols" in resp.json()


def test_snapshot_gives_latest_bar_and_quote_per_symbol(api_client, instruments):
    aapl, msft = instruments["AAPL"], instruments["MSFT"]
    t = lambda s: datetime.fromisoformat(s).replace(tzinfo=UTC)  # noqa: E731
    bar = dict(open=10, high=11, low=9, volume=1)
    Bar.objects.bulk_create(
        [
            Bar(instrument=aapl, interval="1d", ts=t("2024-03-04"), close=10.5, **bar),
            Bar(instrument=aapl, interval="1d", ts=t("2024-03-05"), close=10.7, **bar),
            Bar(instrument=aapl, interval="1m", ts=t("2024-03-05T15:59"), close=10.6, **bar),
            Bar(instrument=aapl, interval="1m", ts=t("2024-03-04T15:59"), close=10.2, **bar),
            Bar(instrument=msft, interval="1d", ts=t("2024-03-01"), open=400, high=401, low=399, close=400.0),
        ]
    )
    Quote.objects.bulk_create(
        [
            Quote(instrument=aapl, ts=t("2024-03-05T15:59:58"), bid=10.59, ask=10.61, bid_size=5, ask_size=7),
            Quote(instrument=aapl, ts=t("2024-03-05T15:59:59"), bid=10.60, ask=10.62, bid_size=3, ask_size=4),
            Quote(instrument=instruments["JPM"], ts=t("2024-03-05T15:00"), bid=180, ask=180.1),
        ]
    )
    resp = api_client.get(SNAPSHOT, {"symbols": "AAPL,MSFT,JPM,SPY"})
    assert resp.status_code == 200, resp.content
    s = resp.json()["symbols"]
    assert list(s) == ["AAPL", "MSFT", "JPM", "SPY"]
    assert s["AAPL"]["bar"] == {"ts": "2024-03-05T15:59:00Z", "interval": "1m", "close": 10.6}
    assert s["AAPL"]["quote"]["ts"] == "2024-03-05T15:59:59Z"
    assert (s["AAPL"]["quote"]["bid"], s["AAPL"]["quote"]["ask"], s["AAPL"]["quote"]["ask_size"]) == (
        10.6,
        10.62,
        4,
    )
    assert s["AAPL"]["quote"]["mid"] == pytest.approx(10.61)
    assert s["MSFT"]["bar"]["close"] == 400.0 and s["MSFT"]["quote"] is None
    assert s["JPM"]["bar"] is None and s["JPM"]["quote"]["bid"] == 180
    assert s["SPY"] == {"bar": None, "quote": None}
    assert api_client.get(SNAPSHOT, {"symbols": "AAPL,NOPE"}).status_code == 400


def test_nan_free_json(api_client, instruments):
    # A bar without adj_close/vwap/trade_count comes back with nulls, not NaN (invalid JSON).
    Bar.objects.create(
        instrument=instruments["SPY"], interval="1d", ts=datetime(2024, 1, 2, tzinfo=UTC),
        open=1, high=1, low=1, close=1, volume=0,
    )  # fmt: skip
    body = api_client.get(BARS, {"symbols": "SPY"}).json()["symbols"]["SPY"]
    assert body["adj_close"] == [None] and body["vwap"] == [None] and body["trade_count"] == [None]
    assert not np.isnan(body["close"][0])
