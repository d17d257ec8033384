"""A version that cannot predict: a tampered artifact is refused before it is unpickled (409, nothing
predicted, nothing published), logged and recorded, and /health reports the ML engine degraded with
"ml: 1 refused model artifact(s)" until the file verifies again; an artifact that is not a bundle of
the kind is a 409 too, but no checksum refusal."""

from __future__ import annotations

import time

import pytest

from apps.ml.kernels.bundles import SentimentBundle
from apps.platform import bus, health
from tests.ml.serving import FEATURES, price_bundle, register

pytestmark = pytest.mark.django_db
URL = "/api/ml/predict/price"
BODY = {"features": dict.fromkeys(FEATURES, 1.0)}


@pytest.fixture
def ml_worker(monkeypatch):
    """A worker on the ml queue, as the health snapshot sees it: without findings ml is not unhealthy."""

    def fake() -> health.WorkerSnapshot:
        return health.WorkerSnapshot(by_queue={"ml": ["ml@box"]}, taken_at=time.time())

    health.worker_cache_clear()
    monkeypatch.setattr(health, "_broadcast_active_queues", fake)
    yield
    health.worker_cache_clear()


def test_a_tampered_artifact_is_refused_and_shown_in_health(
    api_client, anon_client, user, artifact_root, fresh_bus, ml_worker, caplog
):
    model, version = register("aapl-ret", "price", "lightgbm", price_bundle(), user=user)
    before = anon_client.get("/health").json()
    assert before["engines"]["ml"]["checks"] == []
    assert before["engines"]["ml"]["status"] in ("ok", "degraded")  # degraded only if the bus is down
    path = artifact_root / version.artifact_path
    good = path.read_bytes()
    path.write_bytes(good[:-1] + bytes([good[-1] ^ 1]))  # one bit, same size: the checksum catches it

    resp = api_client.post(URL, BODY, format="json")
    assert resp.status_code == 409
    assert "artifact was refused (sha256 differs from the registry)" in resp.json()["detail"]
    assert "Nothing was predicted" in resp.json()["detail"]
    assert list(bus.subscribe("ml.predictions.aapl-ret", last_id="0", follow=False)) == []
    assert "refused the artifact" in caplog.text

    doc = anon_client.get("/health").json()
    finding = f"1 refused model artifact(s): model {model.pk} v1"
    assert doc["engines"]["ml"]["checks"] == [finding]
    assert doc["engines"]["ml"]["status"] == "degraded" and finding in doc["engines"]["ml"]["reasons"]
    assert f"ml: {finding}" in doc["reasons"] and doc["status"] != "ok"
    engine = api_client.get("/api/engines/ml/health").json()
    assert engine["checks"] == [finding] and engine["status"] == "degraded"

    path.write_bytes(good)  # put right: the next load verifies and clears the record
    assert api_client.post(URL, BODY, format="json").status_code == 200
    assert anon_client.get("/health").json()["engines"]["ml"]["checks"] == []


def test_a_missing_artifact_is_refused_too(api_client, user, artifact_root):
    _, version = register("aapl-ret", "price", "lightgbm", price_bundle(), user=user)
    (artifact_root / version.artifact_path).unlink()
    resp = api_client.post(URL, BODY, format="json")
    assert resp.status_code == 409 and "cannot read" in resp.json()["detail"]


def test_an_artifact_of_another_kind_is_a_409_not_a_refusal(api_client, anon_client, user):
    register("aapl-ret", "price", "linear", SentimentBundle(method="vader"), user=user)
    resp = api_client.post(URL, BODY, format="json")
    assert resp.status_code == 409
    assert "holds a SentimentBundle, not a PriceBundle" in resp.json()["detail"]
    assert anon_client.get("/health").json()["engines"]["ml"]["checks"] == []
