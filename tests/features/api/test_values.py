"""GET /api/features/values: stored values as JSON, CSV and Parquet (the same numbers: TA-Lib's),
as_of hides what was not known yet, warm-up counts and missing series are stated, bad input is a 400
with the field."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
import talib

from apps.features.services.compute import compute_chunk
from apps.features.services.definitions import definition_save

pytestmark = pytest.mark.django_db
URL = "/api/features/values"


@pytest.fixture
def stored(sp500_market):
    rsi = definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14})
    sma = definition_save(name="sma_10", function="SMA", params={"timeperiod": 10})
    compute_chunk(definitions=[rsi, sma], symbols=["AAA", "BBB"])
    definition_save(name="adx_14", function="ADX")  # defined, never computed
    return sp500_market


def _column(rows, label):
    return np.array([np.nan if r[label] is None else r[label] for r in rows])


def test_json_rows_equal_talib_with_warmup_and_missing(api_client, stored):
    body = api_client.get(URL, {"symbols": "aaa,BBB", "features": "rsi_14,sma_10@1,adx_14"}).json()
    assert body["features"] == ["rsi_14@1", "sma_10@1", "adx_14@1"] and body["symbols"] == ["AAA", "BBB"]
    assert body["count"] == len(stored["AAA"]) + len(stored["BBB"]) == len(body["rows"])
    assert body["warmup"]["rsi_14@1"] == {"AAA": 14, "BBB": 14} and body["warmup"]["sma_10@1"]["AAA"] == 9
    assert body["missing"] == {"rsi_14@1": [], "sma_10@1": [], "adx_14@1": ["AAA", "BBB"]}
    aaa = [r for r in body["rows"] if r["symbol"] == "AAA"]
    close = stored["AAA"]["close"].to_numpy()
    np.testing.assert_allclose(_column(aaa, "rsi_14@1"), talib.RSI(close, 14), rtol=1e-12, equal_nan=True)
    assert aaa[0]["ts"] == "2024-01-01T00:00:00Z" and aaa[0]["known_at"] == "2024-01-02T00:00:00Z"


def test_window_and_as_of(api_client, stored):
    body = api_client.get(
        URL,
        {
            "symbols": "AAA",
            "features": "sma_10",
            "start": "2024-02-01",
            "end": "2024-02-29",
            "as_of": "2024-02-10",
        },
    ).json()
    # Bars of 2024-02-01..08 closed by 2024-02-10T00:00Z; the bar of 02-09 closes at 02-10 exactly: known.
    assert [r["ts"][:10] for r in body["rows"]] == [f"2024-02-{d:02d}" for d in range(1, 10)]
    assert body["as_of"] == "2024-02-10T00:00:00Z"


def test_csv_and_parquet_carry_the_same_numbers(api_client, stored):
    params = {"symbols": "AAA,BBB", "features": "rsi_14"}
    as_json = api_client.get(URL, params).json()
    csv = api_client.get(URL, {**params, "format": "csv"})
    assert csv["Content-Type"] == "text/csv"
    frame = pd.read_csv(io.StringIO(csv.content.decode()))
    assert list(frame.columns) == ["symbol", "ts", "known_at", "rsi_14@1"]
    np.testing.assert_array_equal(frame["rsi_14@1"].to_numpy(), _column(as_json["rows"], "rsi_14@1"))
    parquet = api_client.get(URL, {**params, "format": "parquet"})
    assert parquet["Content-Type"] == "application/vnd.apache.parquet"
    table = pd.read_parquet(io.BytesIO(parquet.content))
    np.testing.assert_array_equal(table["rsi_14@1"].to_numpy(), frame["rsi_14@1"].to_numpy())
    assert str(table["ts"].dtype) == "datetime64[ns, UTC]" and table["ts"].iloc[0] == pd.Timestamp(
        "2024-01-01", tz="UTC"
    )


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"features": "rsi_14"}, "symbols", "required"),
        ({"symbols": "AAA"}, "features", "give features"),
        ({"symbols": "AAA", "features": "nope"}, "features", "unknown definition: nope"),
        ({"symbols": "AAA", "set": "nope"}, "set", "unknown feature set"),
        ({"symbols": "ZZZ", "features": "rsi_14"}, "symbols", "unknown symbol: ZZZ"),
        ({"symbols": "AAA", "features": "rsi_14", "format": "xml"}, "format", "not a valid choice"),
        ({"symbols": "AAA", "features": "rsi_14", "as_of": "soon"}, "as_of", "ISO"),
        (
            {"symbols": "AAA", "features": "rsi_14", "start": "2024-03-01", "end": "2024-02-01"},
            "end",
            "after",
        ),
    ],
)
def test_bad_requests_are_400_with_the_field(api_client, stored, params, field, message):
    resp = api_client.get(URL, params)
    assert resp.status_code == 400, resp.content
    assert message in str(resp.json()[field])


def test_caps_on_symbols_and_rows(api_client, stored, settings):
    settings.FEATURES_VALUES_MAX_SYMBOLS = 1
    resp = api_client.get(URL, {"symbols": "AAA,BBB", "features": "rsi_14"})
    assert resp.status_code == 400 and "at most 1 symbols" in str(resp.json()["symbols"])
    settings.FEATURES_VALUES_MAX_SYMBOLS, settings.FEATURES_VALUES_MAX_ROWS = 10, 100
    resp = api_client.get(URL, {"symbols": "AAA", "features": "rsi_14"})
    assert resp.status_code == 400 and "more than 100 rows" in str(resp.json()["rows"])


def test_anonymous_is_401(client):
    assert client.get(URL, {"symbols": "AAA", "features": "rsi_14"}).status_code == 401
