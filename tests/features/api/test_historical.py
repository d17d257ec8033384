"""POST /api/features/historical: JSON and Parquet in and out give the hand-worked point-in-time
values (and the selector's own answer), and every bad input is a 400 naming its field."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.features.api.serializers.historical import JSON_MAX_ENTITY_ROWS
from apps.features.selectors.historical import point_in_time
from apps.features.services.definitions import definition_save
from apps.features.services.sets import set_create
from apps.features.services.store import InstrumentValues, store_write
from apps.marketdata.services import instrument_create

pytestmark = pytest.mark.django_db
URL = "/api/features/historical"
PARQUET = "application/vnd.apache.parquet"
DAY = pd.Timedelta(days=1)
T0 = pd.Timestamp("2024-01-01", tz="UTC")


@pytest.fixture
def store(db):
    """AAA: 10 daily bars from 2024-01-01 with a = bar number, b = 100 + bar number; set "core"."""
    aaa = instrument_create(symbol="AAA")
    a = definition_save(name="feat_a", function="SMA", params={"timeperiod": 5})
    b = definition_save(name="feat_b", function="SMA", params={"timeperiod": 10})
    bars = pd.date_range(T0, periods=10, freq="D").tz_localize(None).to_numpy(dtype="datetime64[ns]")
    values = np.column_stack([np.arange(10.0), 100.0 + np.arange(10)])
    store_write([a, b], {aaa.pk: InstrumentValues(ts=bars, values=values)})
    set_create(name="core", features=["feat_a", "feat_b"])
    return {"a": a, "b": b}


# Bar k closes at T0 + (k + 1) days. Row 0: bar 2 is known exactly then; row 1: a microsecond
# before bar 2 closes, bar 1; row 2: unknown symbol; row 3: bar 9 known 5 days before (TTL: null).
ENTITIES = [
    {"symbol": "AAA", "ts": "2024-01-04T00:00:00Z"},
    {"symbol": "aaa", "ts": "2024-01-03T23:59:59.999999Z"},
    {"symbol": "ZZZ", "ts": "2024-01-04"},
    {"symbol": "AAA", "ts": "2024-01-16T00:00:00+00:00"},
]
EXPECTED_A = [2.0, 1.0, None, None]
EXPECTED_B = [102.0, 101.0, None, None]


def _parquet(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def _entity_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "symbol": [e["symbol"] for e in ENTITIES],
            "ts": pd.to_datetime([e["ts"] for e in ENTITIES], utc=True, format="ISO8601"),
        }
    )


def test_json_in_json_out(api_client, store):
    resp = api_client.post(
        URL, {"entities": ENTITIES, "features": ["feat_b", "feat_a@1"], "known_at": True}, format="json"
    )
    assert resp.status_code == 200, resp.content
    doc = resp.json()
    assert doc["features"] == ["feat_b@1", "feat_a@1"]
    assert doc["ttl_seconds"] == {"feat_b@1": 5 * 86400.0, "feat_a@1": 5 * 86400.0}
    assert doc["unknown_symbols"] == ["ZZZ"]
    rows = doc["rows"]
    assert [r["symbol"] for r in rows] == ["AAA", "aaa", "ZZZ", "AAA"]
    assert [r["ts"] for r in rows] == [
        "2024-01-04T00:00:00Z",
        "2024-01-03T23:59:59.999999Z",
        "2024-01-04T00:00:00Z",
        "2024-01-16T00:00:00Z",
    ]
    assert [r["feat_a@1"] for r in rows] == EXPECTED_A and [r["feat_b@1"] for r in rows] == EXPECTED_B
    assert [r["feat_a@1.known_at"] for r in rows] == [
        "2024-01-04T00:00:00Z",
        "2024-01-03T00:00:00Z",
        None,
        None,
    ]
    assert list(rows[0]) == ["symbol", "ts", "feat_b@1", "feat_a@1", "feat_b@1.known_at", "feat_a@1.known_at"]


def test_a_ttl_override_brings_the_stale_row_back(api_client, store):
    body = {"entities": ENTITIES[3:], "set": "core", "ttl": {"feat_a": "6d"}}
    rows = api_client.post(URL, body, format="json").json()["rows"]
    assert rows[0]["feat_a@1"] == 9.0 and rows[0]["feat_b@1"] is None  # known 6 days before: 6d > age
    rows = api_client.post(URL, {**body, "ttl": "144h"}, format="json").json()["rows"]
    assert (rows[0]["feat_a@1"], rows[0]["feat_b@1"]) == (9.0, 109.0)


def test_parquet_in_parquet_out_equals_the_selector(api_client, store):
    resp = api_client.post(
        f"{URL}?set=core&known_at=true&format=parquet", data=_parquet(_entity_frame()), content_type=PARQUET
    )
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"] == PARQUET and resp["X-Unknown-Symbols"] == "1"
    table = pq.read_table(io.BytesIO(resp.content))
    assert json.loads(table.schema.metadata[b"unknown_symbols"]) == ["ZZZ"]
    got = table.to_pandas()
    assert list(got.columns) == [
        "symbol",
        "ts",
        "feat_a@1",
        "feat_b@1",
        "feat_a@1.known_at",
        "feat_b@1.known_at",
    ]
    np.testing.assert_array_equal(got["feat_a@1"], np.array(EXPECTED_A, dtype=float))
    np.testing.assert_array_equal(got["feat_b@1"], np.array(EXPECTED_B, dtype=float))
    direct = point_in_time([store["a"], store["b"]], _entity_frame(), with_known_at=True)
    pd.testing.assert_frame_equal(got, direct, check_dtype=False, check_index_type=False)


def test_a_multipart_upload_with_text_timestamps_and_accept_parquet(api_client, store):
    frame = pd.DataFrame({"symbol": [e["symbol"] for e in ENTITIES], "ts": [e["ts"] for e in ENTITIES]})
    upload = SimpleUploadedFile("entities.parquet", _parquet(frame), content_type=PARQUET)
    resp = api_client.post(
        f"{URL}?features=feat_a,feat_b&ttl=feat_a@1=6d", {"file": upload}, format="multipart"
    )
    assert resp.status_code == 200, resp.content
    assert [r["feat_a@1"] for r in resp.json()["rows"]] == [2.0, 1.0, None, 9.0]
    upload.seek(0)
    resp = api_client.post(
        f"{URL}?features=feat_a", {"file": upload}, format="multipart", HTTP_ACCEPT=PARQUET
    )
    assert resp["Content-Type"] == PARQUET
    assert pq.read_table(io.BytesIO(resp.content)).column("feat_a@1").to_pylist()[:2] == [2.0, 1.0]


@pytest.mark.parametrize(
    ("body", "query", "field"),
    [
        ({"features": ["nope"]}, "", "features"),
        ({"features": ["feat_a@9"]}, "", "features"),
        ({"set": "nope"}, "", "set"),
        ({}, "", "features"),  # neither features nor a set
        ({"features": ["feat_a"], "ttl": "5 days"}, "", "ttl"),
        ({"features": ["feat_a"], "ttl": "0d"}, "", "ttl"),
        ({"features": ["feat_a"], "ttl": {"feat_b@1": "2d"}}, "", "ttl"),  # not asked for
        ({"features": ["feat_a"], "ttl": {"feat_a": "99999d"}}, "", "ttl"),
        ({"features": ["feat_a"]}, "?format=csv", "format"),
    ],
)
def test_bad_json_options_are_400s_naming_the_field(api_client, store, body, query, field):
    resp = api_client.post(URL + query, {"entities": ENTITIES, **body}, format="json")
    assert resp.status_code == 400, resp.content
    assert field in resp.json(), resp.json()


@pytest.mark.parametrize(
    ("entities", "row", "column"),
    [
        ([{"symbol": "AAA", "ts": "yesterday"}], "0", "ts"),
        ([{"symbol": "AAA", "ts": "2024-02-30"}], "0", "ts"),
        ([{"symbol": "AAA", "ts": "1800-01-01"}], "0", "ts"),  # outside the API's range
        ([ENTITIES[0], {"symbol": "AAA"}], "1", "ts"),
        ([{"ts": "2024-01-04"}], "0", "symbol"),
        ([{"symbol": 7, "ts": "2024-01-04"}], "0", "symbol"),
        ([{"symbol": "A\x00A", "ts": "2024-01-04"}], "0", "symbol"),
        ([["AAA", "2024-01-04"]], "0", "non_field_errors"),
    ],
)
def test_bad_entity_rows_are_named_by_row_and_column(api_client, store, entities, row, column):
    resp = api_client.post(URL, {"entities": entities, "set": "core"}, format="json")
    assert resp.status_code == 400, resp.content
    assert column in resp.json()["entities"][row], resp.json()


def test_too_many_rows_is_a_400(api_client, store, settings):
    settings.FEATURES_MAX_ENTITY_ROWS = 10
    rows = (ENTITIES * 3)[:11]
    resp = api_client.post(URL, {"entities": rows, "set": "core"}, format="json")
    assert resp.status_code == 400 and "at most 10" in resp.json()["entities"][0]
    table = pa.table({"symbol": [r["symbol"] for r in rows], "ts": [r["ts"] for r in rows]})
    buf = io.BytesIO()
    pq.write_table(table, buf)  # no pandas metadata: small enough for 10 rows' byte bound
    resp = api_client.post(f"{URL}?set=core", data=buf.getvalue(), content_type=PARQUET)
    assert resp.status_code == 400 and "at most 10" in resp.json()["entities"][0]
    assert api_client.post(URL, {"entities": [], "set": "core"}, format="json").status_code == 400


@pytest.mark.parametrize(
    ("payload", "query", "field"),
    [
        (b"not parquet at all", "?set=core", "file"),
        (b"", "?set=core", "file"),
        (pd.DataFrame({"symbol": ["AAA"]}), "?set=core", "ts"),
        (pd.DataFrame({"sym": ["AAA"], "ts": ["2024-01-04"]}), "?set=core", "symbol"),
        (pd.DataFrame({"symbol": [1], "ts": ["2024-01-04"]}), "?set=core", "symbol"),
        (pd.DataFrame({"symbol": ["AAA"], "ts": [1.5]}), "?set=core", "ts"),
        (pd.DataFrame({"symbol": ["AAA", "AAA"], "ts": ["2024-01-04", "soon"]}), "?set=core", "ts"),
        (pd.DataFrame({"symbol": ["AAA"], "ts": ["2024-01-04"]}), "?features=nope", "features"),
        (pd.DataFrame({"symbol": ["AAA"], "ts": ["2024-01-04"]}), "", "features"),
        (pd.DataFrame({"symbol": ["AAA"], "ts": ["2024-01-04"]}), "?set=core&ttl=feat_a=forever", "ttl"),
        (pd.DataFrame({"symbol": ["AAA"], "ts": ["2024-01-04"]}), "?set=core&ttl=ghost=2d", "ttl"),
        (
            pd.DataFrame({"symbol": pd.Series([], dtype=str), "ts": pd.Series([], dtype=str)}),
            "?set=core",
            "entities",
        ),
    ],
)
def test_bad_parquet_input_is_a_400_naming_the_field(api_client, store, payload, query, field):
    data = payload if isinstance(payload, bytes) else _parquet(payload)
    resp = api_client.post(URL + query, data=data, content_type=PARQUET)
    assert resp.status_code == 400, resp.content
    assert field in resp.json(), resp.json()
    if field == "ts" and "soon" in str(payload):
        assert resp.json()["ts"] == ["row 1: Use an ISO 8601 date or date-time, e.g. 2024-03-01T00:00:00Z."]


def test_a_parquet_file_needs_a_file_and_anonymous_callers_are_refused(api_client, anon_client, store):
    assert "file" in api_client.post(f"{URL}?set=core", {}, format="multipart").json()
    resp = anon_client.post(URL, {"entities": ENTITIES, "set": "core"}, format="json")
    assert resp.status_code == 401


def test_json_rows_are_capped_below_the_body_size_django_accepts(api_client, store):
    over = [ENTITIES[0]] * (JSON_MAX_ENTITY_ROWS + 1)
    resp = api_client.post(URL, {"entities": over, "set": "core"}, format="json")
    assert resp.status_code == 400, resp.status_code  # the row cap, not DATA_UPLOAD_MAX_MEMORY_SIZE's 413
    assert f"at most {JSON_MAX_ENTITY_ROWS}" in resp.json()["entities"][0]


def test_a_parquet_body_beyond_its_byte_bound_is_a_413(api_client, store, settings):
    settings.FEATURES_MAX_ENTITY_ROWS = 1  # 256 bytes: less than any Parquet file
    data = _parquet(_entity_frame())
    assert api_client.post(f"{URL}?set=core", data=data, content_type=PARQUET).status_code == 413
    upload = SimpleUploadedFile("e.parquet", data, content_type=PARQUET)
    assert api_client.post(f"{URL}?set=core", {"file": upload}, format="multipart").status_code == 413
