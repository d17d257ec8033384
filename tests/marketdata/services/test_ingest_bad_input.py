"""Hostile values at the market-data engine's doors: instants out of range on the read endpoints
and feeds, symbols with control characters, and uploads whose rows would poison the bar, FX and
series tables."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.marketdata.models import Bar, FxRate, Instrument
from apps.marketdata.services import IngestRejected, bars_ingest, fx_ingest, instrument_create, series_ingest

pytestmark = pytest.mark.django_db
BARS = "/api/marketdata/bars"
INSTRUMENTS = "/api/marketdata/instruments/"


@pytest.mark.parametrize(
    "param, value",
    [
        ("start", "0001-01-01"),
        ("start", "1899-12-31T23:00:00Z"),
        ("end", "9999-12-31"),
        ("end", "2200-01-01T00:00:01Z"),
        ("end", "-1"),
        ("start", "2024-02-30"),
        ("start", "2024-01-01T25:00"),
    ],
)
def test_bars_with_an_instant_outside_the_range_is_a_400_naming_it(api_client, instruments, param, value):
    resp = api_client.get(BARS, {"symbols": "AAPL", param: value})
    assert resp.status_code == 400
    assert list(resp.json()) == [param]


def test_bars_at_the_edges_of_the_range_answer(api_client, instruments):
    resp = api_client.get(BARS, {"symbols": "AAPL", "start": "1900-01-01", "end": "2200-01-01"})
    assert resp.status_code == 200 and resp.json()["rows"] == 0


@pytest.mark.parametrize("symbols", ["AAPL,MS\x01FT", "A\u200bAPL", "AAPL\x7f"])
def test_read_symbols_with_control_characters_are_a_400(api_client, instruments, symbols):
    for url in (BARS, "/api/marketdata/snapshot"):
        resp = api_client.get(url, {"symbols": symbols})
        assert resp.status_code == 400 and list(resp.json()) == ["symbols"], url
    assert api_client.get(INSTRUMENTS, {"symbol": symbols}).status_code == 400


@pytest.mark.parametrize("symbol", ["AB\x01C", "AB\nC", "A\u200bB", "\x1b[31mRED"])
def test_an_instrument_symbol_must_be_printable_in_the_api_and_the_service(staff_client, db, symbol):
    resp = staff_client.post(INSTRUMENTS, {"symbol": symbol, "name": "x"}, format="json")
    assert resp.status_code == 400 and list(resp.json()) == ["symbol"]
    with pytest.raises(ValidationError) as err:
        instrument_create(symbol=symbol)
    assert "symbol" in err.value.message_dict
    assert not Instrument.objects.exists()


@pytest.mark.parametrize("lot_size", ["1e16", "99999999999999999999", "0.00000000001"])
def test_a_lot_size_beyond_its_column_is_a_400(staff_client, db, lot_size):
    resp = staff_client.post(INSTRUMENTS, {"symbol": "ZZZ", "lot_size": lot_size}, format="json")
    assert resp.status_code == 400 and list(resp.json()) == ["lot_size"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"start": "0001-01-01T00:00:00Z", "end": "2024-01-01T00:00:00Z"}, "start"),
        ({"start": "2024-01-01T00:00:00Z", "end": "9999-12-31T00:00:00Z"}, "end"),
        ({"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z", "speed": 1e308}, "speed"),
        ({"start": "2024-01-01T00:00:00Z", "end": "2024-02-01T00:00:00Z", "symbols": ["A\x00B"]}, "symbols"),
    ],
)
def test_a_replay_feed_with_hostile_values_is_a_400(staff_client, instruments, body, field):
    resp = staff_client.post("/api/marketdata/feeds/replay/start", body, format="json")
    assert resp.status_code == 400 and field in resp.json()


def test_an_upload_naming_a_bad_symbol_or_time_is_a_400(staff_client, db, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    csv = b"Date,Open,High,Low,Close\n2024-01-02,1,1,1,1\n"
    resp = staff_client.post(
        "/api/marketdata/bars/upload",
        {"file": SimpleUploadedFile("b.csv", csv), "symbol": "BAD\x07"},
        format="multipart",
    )
    assert resp.status_code == 400 and "symbol" in resp.json()
    resp = staff_client.post(
        "/api/marketdata/series/upload",
        {
            "file": SimpleUploadedFile("s.csv", b"date,value\n2024-01-01,1\n"),
            "known_at": "0001-01-01T00:00:00Z",
        },
        format="multipart",
    )
    assert resp.status_code == 400 and "known_at" in resp.json()


BAD_BARS = b"""symbol,ts,open,high,low,close,trade_count
AAPL,2024-01-02,100,101,99,100.5,10
AAPL,0001-01-01,100,101,99,100.5,10
AAPL,9999-12-31,100,101,99,100.5,10
AAPL,2024-01-03,1e300,1e300,1e300,1e300,10
AAPL,2024-01-04,100,101,99,100.5,1e30
BAD\x01SYM,2024-01-05,100,101,99,100.5,10
"""


def test_bar_rows_outside_the_ranges_are_reported_and_nothing_is_written(instruments):
    with pytest.raises(IngestRejected) as err:
        bars_ingest(source=BAD_BARS, fmt="csv", create_instruments=True)
    report = err.value.report
    assert (report.rows_read, report.rows_invalid) == (6, 5)
    got = sorted({(e["row"], e["column"]) for e in report.errors})
    assert got == [
        (3, "ts"),
        (4, "ts"),
        (5, "close"),
        (5, "high"),
        (5, "low"),
        (5, "open"),
        (6, "trade_count"),
        (7, "symbol"),
    ]
    reasons = {(e["row"], e["column"]): e["reason"] for e in report.errors}
    assert reasons[(3, "ts")].startswith("outside 1900-01-01 .. 2200-01-01")
    assert reasons[(6, "trade_count")] == "out of range for a 64-bit integer"
    assert reasons[(7, "symbol")].startswith("use printable characters only")
    assert Bar.objects.count() == 0 and not Instrument.objects.filter(symbol__startswith="BAD").exists()


def test_skip_invalid_writes_only_the_good_bar(instruments):
    report = bars_ingest(source=BAD_BARS, fmt="csv", skip_invalid=True, create_instruments=True)
    assert report.rows_written == 1
    assert list(Bar.objects.values_list("ts__year", flat=True)) == [2024]


def test_fx_rates_and_series_dates_outside_the_range_are_reported(db):
    with pytest.raises(IngestRejected) as err:
        fx_ingest(source=b"base,quote,ts,rate\nEUR,USD,2024-01-02,1.1\nEUR,USD,1066-10-14,1.2\n", fmt="csv")
    assert [(e["row"], e["column"]) for e in err.value.report.errors] == [(3, "ts")]
    assert FxRate.objects.count() == 0
    with pytest.raises(IngestRejected) as err:
        series_ingest(source=b"date,value\n2024-01-01,1\n2300-01-01,2\n", fmt="csv", code="GDP")
    assert [(e["row"], e["column"]) for e in err.value.report.errors] == [(3, "date")]
