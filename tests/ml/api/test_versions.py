"""GET /api/ml/models/{id}/versions and .../versions/{n}: every recorded field, read-only; 404s."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_versions_list_oldest_first(api_client, price_model, v1, v2):
    body = api_client.get("/api/ml/models/spy-ret-5d/versions").json()
    assert body["count"] == 2 and [v["number"] for v in body["results"]] == [1, 2]


def test_one_version_with_what_it_records(api_client, price_model, v1):
    r = api_client.get(f"/api/ml/models/{price_model.pk}/versions/1")
    assert r.status_code == 200
    body = r.json()
    assert {k: body[k] for k in ("id", "model", "number", "status", "feature_set_version", "trained_by")} == {
        "id": v1.pk,
        "model": "spy-ret-5d",
        "number": 1,
        "status": "ready",
        "feature_set_version": 2,
        "trained_by": "alice",
    }
    assert (body["train_start"], body["train_end"]) == ("2020-01-01T00:00:00Z", "2024-12-31T00:00:00Z")
    assert (body["hyperparameters"], body["metrics"]) == ({"alpha": 1.0}, {"rmse": 0.1, "ic": 0.05})
    assert (body["artifact_sha256"], body["artifact_bytes"]) == (v1.artifact_sha256, v1.artifact_bytes)
    assert body["library_versions"] == v1.library_versions and "artifact_path" not in body


@pytest.mark.parametrize(
    "url",
    [
        "/api/ml/models/spy-ret-5d/versions/3",
        "/api/ml/models/spy-ret-5d/versions/0",
        "/api/ml/models/spy-ret-5d/versions/99999999999999999999",
        "/api/ml/models/spy-ret-5d/versions/one",
        "/api/ml/models/nope/versions",
        "/api/ml/models/nope/versions/1",
    ],
)
def test_unknown_models_and_versions_are_404(api_client, v1, url):
    assert api_client.get(url).status_code == 404


def test_versions_cannot_be_written_through_the_api(staff_client, v1):
    url = "/api/ml/models/spy-ret-5d/versions/1"
    assert staff_client.put(url, {"metrics": {}}, format="json").status_code == 405
    assert staff_client.delete(url).status_code == 405
