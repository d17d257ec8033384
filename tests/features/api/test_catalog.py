"""GET /api/features/catalog: the whole TA-Lib catalogue, as TA-Lib's own metadata describes it, then
the beyond-TA-Lib kernels."""

from __future__ import annotations

import pytest
import talib
from talib import abstract

from apps.features.kernels.extra import EXTRA_NAMES

pytestmark = pytest.mark.django_db
URL = "/api/features/catalog"


def test_every_talib_function_with_talibs_defaults(api_client):
    resp = api_client.get(URL)
    assert resp.status_code == 200, resp.content
    listed = {f["name"]: f for f in resp.json()}
    extras = {name: doc for name, doc in listed.items() if name not in talib.get_functions()}
    assert set(listed) - set(extras) == set(talib.get_functions())
    assert set(extras) == set(EXTRA_NAMES)  # then the beyond-TA-Lib kernels
    assert extras["price_to_earnings"]["group"] == "Fundamentals"
    assert extras["price_to_earnings"]["inputs"] == ["close", "fundamental:eps"]
    for name, doc in listed.items():
        if name in extras:
            continue
        info = abstract.Function(name).info
        assert doc["group"] == info["group"]
        assert doc["outputs"] == list(info["output_names"])
        assert {p["name"]: p["default"] for p in doc["parameters"]} == dict(info["parameters"]), name
    rsi = {p["name"]: p for p in listed["RSI"]["parameters"]}["timeperiod"]
    assert rsi["default"] == 14 and isinstance(rsi["default"], int) and rsi["kind"] == "integer"


def test_filter_by_group_and_by_name(api_client):
    group = "Momentum Indicators"
    rows = api_client.get(URL, {"group": group}).json()
    assert sorted(r["name"] for r in rows) == sorted(talib.get_function_groups()[group])
    names = {r["name"] for r in api_client.get(URL, {"name": "ema"}).json()}
    assert {"EMA", "DEMA", "TEMA"} <= names and all("EMA" in n for n in names)


def test_an_unknown_group_is_a_400_naming_the_allowed_ones(api_client):
    resp = api_client.get(URL, {"group": "Astrology"})
    assert resp.status_code == 400
    assert "Overlap Studies" in resp.json()["group"][0]


def test_the_catalogue_needs_a_login(anon_client):
    assert anon_client.get(URL).status_code in (401, 403)
