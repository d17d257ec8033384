"""GET /api/features/online: the matrix answer (values equal to TA-Lib's last value on each symbol's
bars, null where nothing is stored, known_at the bar's close) and every 400, keyed by field."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import talib
from django.db import connection

from apps.features import facade
from apps.features.api.serializers.online import online_json
from apps.features.selectors.lookups import lookups_clear
from apps.features.selectors.online import LatestValues
from apps.features.services.compute import compute_chunk
from apps.features.services.definitions import definition_save
from apps.features.services.sets import set_create
from apps.marketdata.services import instrument_create

pytestmark = pytest.mark.django_db
URL = "/api/features/online"


@pytest.fixture(autouse=True)
def _fresh_lookups():
    lookups_clear()
    yield
    lookups_clear()


@pytest.fixture
def stored(sp500_market):
    defs = [
        definition_save(name="rsi_14", function="RSI", params={"timeperiod": 14}),
        definition_save(name="sma_10", function="SMA", params={"timeperiod": 10}),
    ]
    compute_chunk(definitions=defs, symbols=["AAA", "BBB"])
    set_create(name="core", features=["sma_10", "rsi_14"])
    instrument_create(symbol="CCC")  # known, nothing stored
    return sp500_market


def test_a_set_for_many_symbols_is_one_matrix(api_client, stored):
    resp = api_client.get(URL, {"set": "core", "symbols": "bbb, CCC,AAA,BBB"})
    assert resp.status_code == 200, resp.content
    assert resp["Content-Type"] == "application/json"
    body = resp.json()
    assert body["features"] == ["rsi_14@1", "sma_10@1"] and body["symbols"] == ["BBB", "CCC", "AAA"]
    exact = facade.features_latest(["BBB", "AAA"], feature_set="core").values  # the stored float64s
    for row, symbol, k in ((0, "BBB", 0), (2, "AAA", 1)):
        assert body["values"][row] == exact[k].tolist()  # the database's text reads back bit for bit
        close = stored[symbol]["close"].to_numpy()
        expected = [talib.RSI(close, 14)[-1], talib.SMA(close, 10)[-1]]
        assert body["values"][row] == pytest.approx(expected, rel=1e-12)
        close_of_last_bar = stored[symbol].index[-1] + pd.Timedelta(days=1)
        assert body["known_at"][row] == [close_of_last_bar.strftime("%Y-%m-%dT%H:%M:%SZ")] * 2
    assert body["values"][1] == [None, None] and body["known_at"][1] == [None, None]


def test_features_instead_of_a_set_and_warm_up_nan_is_null(api_client, stored):
    long = definition_save(name="sma_400", function="SMA", params={"timeperiod": 400})
    compute_chunk(definitions=[long], symbols=["AAA"])  # 300 bars: still warming up
    resp = api_client.get(URL, {"features": "sma_10@1,sma_400", "symbols": "AAA"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["features"] == ["sma_10@1", "sma_400@1"]
    assert body["values"][0][0] == pytest.approx(talib.SMA(stored["AAA"]["close"].to_numpy(), 10)[-1])
    assert body["values"][0][1] is None and body["known_at"][0][1] is not None
    assert not any(isinstance(v, float) and math.isnan(v) for v in body["values"][0])


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        ({"set": "nope", "symbols": "AAA"}, "set", "nope"),
        ({"features": "rsi_14,ghost,rsi_14@9", "symbols": "AAA"}, "features", "ghost, rsi_14@9"),
        ({"set": "core", "symbols": "AAA,ZZZ,YYY"}, "symbols", "ZZZ, YYY"),
        ({"set": "core"}, "symbols", "required"),
        ({"set": "core", "symbols": " , "}, "symbols", "one or more"),
        ({"symbols": "AAA"}, "set", "features"),
        ({"features": ",", "symbols": "AAA"}, "features", "one or more"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(api_client, stored, query, field, words):
    resp = api_client.get(URL, query)
    assert resp.status_code == 400, resp.content
    assert words in str(resp.json()[field])


def test_more_symbols_than_the_cap_is_a_400_naming_symbols(api_client, stored, settings):
    settings.FEATURES_MAX_SYMBOLS = 2
    assert api_client.get(URL, {"set": "core", "symbols": "AAA,BBB"}).status_code == 200
    resp = api_client.get(URL, {"set": "core", "symbols": "AAA,BBB,CCC"})
    assert resp.status_code == 400 and "at most 2 symbols" in str(resp.json()["symbols"])


def test_anonymous_is_refused(anon_client, stored):
    assert anon_client.get(URL, {"set": "core", "symbols": "AAA"}).status_code in (401, 403)


def test_the_json_writer_nulls_non_finite_numbers_and_keeps_microseconds_when_there_are_any():
    nat = np.datetime64("NaT", "us")
    latest = LatestValues(
        symbols=("A", "B"),
        features=("f@1", "g@1"),
        values=np.array([[1.25, np.inf], [np.nan, -0.1]]),
        ts=np.full((2, 2), nat),
        known_at=np.array(
            [["2024-01-02T00:00:00.000500", nat], ["2024-01-02", "2024-01-03"]], "datetime64[us]"
        ),
    )
    body = json.loads(online_json(latest))
    assert body == {
        "features": ["f@1", "g@1"],
        "symbols": ["A", "B"],
        "values": [[1.25, None], [None, -0.1]],
        "known_at": [
            ["2024-01-02T00:00:00.000500Z", None],
            ["2024-01-02T00:00:00.000000Z", "2024-01-03T00:00:00.000000Z"],
        ],
    }


def test_without_postgresql_the_endpoint_says_the_store_needs_it(api_client, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    resp = api_client.get(URL, {"set": "core", "symbols": "AAA"})
    assert resp.status_code == 503 and "PostgreSQL" in resp.json()["detail"]


def test_a_query_asked_again_is_not_resolved_again_until_one_of_its_names_expires(
    api_client, stored, monkeypatch
):
    from apps.features.api import online as view
    from apps.features.selectors import lookups

    resolved = []
    real = view.online_names_resolve
    monkeypatch.setattr(view, "online_names_resolve", lambda **kw: resolved.append(kw) or real(**kw))
    query = {"set": "core", "symbols": "AAA,BBB"}
    first = api_client.get(URL, query)
    again = api_client.get(URL, query)
    assert first.status_code == again.status_code == 200 and again.content == first.content
    assert len(resolved) == 1
    # Once its names expire (30 s), the query is validated and resolved again.
    now = lookups.time.monotonic()
    monkeypatch.setattr(lookups.time, "monotonic", lambda: now + lookups.TTL_SECONDS + 1)
    assert api_client.get(URL, query).content == first.content and len(resolved) == 2
    # A query that failed is not remembered: asked again, it is refused again, field by field.
    for _ in range(2):
        assert api_client.get(URL, {"set": "core", "symbols": "AAA,ZZZ"}).json() == {
            "symbols": ["unknown symbols: ZZZ"]
        }
    assert len(resolved) == 4
