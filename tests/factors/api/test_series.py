"""Stored factors through the API: POST stores a factor over a universe and window (201), its values
read back equal a calculate of the same factor; an unknown factor or symbol, an empty window, a
window too large to store at once are 400s naming the field; an unknown id is a 404."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.django_db
URL = "/api/factors/series"


def test_store_list_and_read_back_equal_a_calculate(api_client, factor_market, price_factors, window):
    resp = api_client.post(
        URL, {"factor": "mom_5", "symbols": ["AAA", "BBB", "GAP"], **window}, format="json"
    )
    assert resp.status_code == 201, resp.content
    doc = resp.json()
    assert doc["factor"] == "mom_5@1" and doc["symbols"] == ["AAA", "BBB", "GAP"] and doc["rows"] > 100
    assert [s["id"] for s in api_client.get(URL).json()] == [doc["id"]]
    stored = api_client.get(f"{URL}/{doc['id']}/values").json()
    calc = api_client.post(
        "/api/factors/calculate",
        {"factors": ["mom_5"], "symbols": ["AAA", "BBB", "GAP"], **window},
        format="json",
    ).json()
    assert stored["dates"] == calc["dates"] and stored["symbols"] == calc["symbols"]
    np.testing.assert_array_equal(
        np.array(stored["values"], dtype=float), np.array(calc["factors"][0]["values"], dtype=float)
    )
    part = api_client.get(
        f"{URL}/{doc['id']}/values", {"start": stored["dates"][10], "end": stored["dates"][20]}
    )
    assert part.json()["dates"] == stored["dates"][10:20]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"factor": "nope"}, "factor"),
        ({"symbols": ["AAA", "ZZZ"]}, "symbols"),
        ({"start": "2031-01-01", "end": "2031-02-01"}, "start"),
        ({"start": "2023-06-01", "end": "2023-05-01"}, "end"),
        ({"symbols": []}, "symbols"),
    ],
)
def test_bad_requests_are_400_naming_the_field(
    api_client, factor_market, price_factors, window, change, field
):
    resp = api_client.post(URL, {"factor": "mom_5", "symbols": ["AAA"], **window, **change}, format="json")
    assert resp.status_code == 400 and field in resp.json(), resp.content


def test_a_window_too_large_to_store_at_once_is_refused(
    api_client, factor_market, price_factors, window, settings
):
    settings.FACTORS_SYNC_MAX_CELLS = 10
    resp = api_client.post(URL, {"factor": "mom_5", "symbols": ["AAA", "BBB"], **window}, format="json")
    assert resp.status_code == 400 and "in parts" in resp.json()["end"][0]


def test_an_unknown_series_is_a_404(api_client, db):
    assert api_client.get(f"{URL}/999999/values").status_code == 404


def test_a_generated_catalogue_factor_is_named_like_a_stored_one(api_client, factor_market, window):
    from apps.factors.kernels.generated import generated_named
    from apps.factors.models import FactorDefinition

    name = "gen.ts_mean.close.w20.by_close"
    calc = api_client.post(
        "/api/factors/calculate", {"factors": [name], "symbols": ["AAA", "BBB"], **window}, format="json"
    )
    assert calc.status_code == 200, calc.content
    saved = FactorDefinition.objects.get(name=name)
    assert saved.library == "generated" and saved.formula == generated_named(name).formula
    analysed = api_client.post(
        "/api/factors/analyze", {"factors": [name], "symbols": ["AAA", "BBB", "CCC"], **window}, format="json"
    )
    assert analysed.status_code == 200, analysed.content
    assert FactorDefinition.objects.filter(name=name).count() == 1  # saved once, then found
    unknown = api_client.post(
        "/api/factors/analyze", {"factors": ["gen.nope"], "symbols": ["AAA"], **window}, format="json"
    )
    assert unknown.status_code == 400 and "gen.nope" in unknown.json()["factors"][0]
