"""GET /api/ml/models and /api/ml/models/{id}: list (paginated, filtered by kind), detail by id or name
with versions and aliases; 400 naming `kind`, 404 for an unknown model, 401 without a token."""

from __future__ import annotations

import pytest

from apps.ml.services.aliases import alias_move

pytestmark = pytest.mark.django_db


def test_the_list_pages_and_filters_by_kind(api_client, price_model, vol_model):
    body = api_client.get("/api/ml/models").json()
    assert body["count"] == 2 and [m["name"] for m in body["results"]] == ["spy-ret-5d", "spy-vol"]
    first = body["results"][0]
    assert first == {
        "id": price_model.pk,
        "name": "spy-ret-5d",
        "kind": "price",
        "estimator": "linear",
        "target": "return_5d",
        "feature_set_name": "core",
        "feature_set_version": 2,
        "description": "Ridge on the core set",
        "created_by": "alice",
        "created_at": first["created_at"],
    }
    only = api_client.get("/api/ml/models", {"kind": "volatility"}).json()
    assert [m["name"] for m in only["results"]] == ["spy-vol"]
    assert api_client.get("/api/ml/models", {"limit": 1}).json()["next"] is not None


def test_an_unknown_kind_is_a_400_naming_it(api_client, price_model):
    r = api_client.get("/api/ml/models", {"kind": "weather"})
    assert r.status_code == 400 and "kind" in r.json()


def test_the_detail_by_id_or_name_carries_versions_and_aliases(api_client, price_model, v1, v2):
    alias_move(model=price_model, name="champion", version=v2)
    by_name = api_client.get("/api/ml/models/spy-ret-5d")
    by_id = api_client.get(f"/api/ml/models/{price_model.pk}")
    assert by_name.status_code == by_id.status_code == 200 and by_name.json() == by_id.json()
    body = by_name.json()
    assert [(v["number"], v["hyperparameters"]) for v in body["versions"]] == [
        (1, {"alpha": 1.0}),
        (2, {"alpha": 10.0}),
    ]
    assert [(a["name"], a["version"], a["version_id"]) for a in body["aliases"]] == [("champion", 2, v2.pk)]


@pytest.mark.parametrize("ref", ["nope", "999999", "9" * 40, "²"])
def test_an_unknown_model_is_a_404(api_client, price_model, ref):
    r = api_client.get(f"/api/ml/models/{ref}")
    assert r.status_code == 404 and "detail" in r.json()


def test_reading_needs_a_signed_in_user(anon_client, price_model):
    assert anon_client.get("/api/ml/models").status_code == 401
    assert anon_client.get("/api/ml/models/spy-ret-5d").status_code == 401
