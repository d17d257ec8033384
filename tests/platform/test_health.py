"""/health and /api/engines/…: workers per queue, backlog, last task, and a dead broker."""

from __future__ import annotations

import pytest

from apps.platform import health
from apps.platform.redis_client import broker_redis
from workers.registry import ENGINES

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_broker")]


def _bus_connected() -> bool:
    return bool(health._bus_status().get("connected"))


def assert_live(doc: dict) -> None:
    """A queue with a live worker is ok — or degraded only because the bus is down."""
    assert doc["worker_count"] >= 1 and doc["workers"]
    if _bus_connected():
        assert doc["status"] == "ok", doc
        assert doc["reasons"] == []
    else:
        assert doc["status"] == "degraded", doc
        assert doc["reasons"] == ["message bus disconnected"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)  # the worker closes the starting thread's DB connection
def test_a_queue_without_a_worker_is_unhealthy_and_a_served_one_is_live(worker_on, api_client):
    with worker_on(["marketdata", "risk"]):
        served = api_client.get("/api/engines/risk/health")
        unserved = api_client.get("/api/engines/features/health")
        overall = api_client.get("/health")

    assert served.status_code == 200
    assert_live(served.json())
    assert served.json()["queue"] == "risk" and served.json()["queue_depth"] == 0

    doc = unserved.json()
    assert unserved.status_code == 200
    assert doc["status"] == "unhealthy"
    assert "no worker consumes queue 'features'" in doc["reasons"]
    assert doc["workers"] == []

    body = overall.json()
    assert body["status"] == "degraded"  # some engines are down, the platform still answers
    assert_live(body["engines"]["marketdata"])
    assert body["engines"]["ml"]["status"] == "unhealthy"


def test_health_document_shape_without_auth(anon_client, settings):
    resp = anon_client.get("/health")
    assert resp.status_code == 200
    body = resp.json()
    assert body["version"] == settings.VERSION
    assert body["database"]["status"] == "ok"
    assert isinstance(body["messagebus_connected"], bool)
    assert set(body["engines"]) == {e.key for e in ENGINES}
    for doc in body["engines"].values():
        assert {"status", "workers", "worker_count", "queue_depth", "last_task", "reasons"} <= set(doc)


def test_backlog_above_the_threshold_degrades_the_engine(api_client, settings):
    settings.HEALTH_QUEUE_BACKLOG = 2
    r = broker_redis()
    # One message on each of three priority lists: depth counts them all.
    for name in ("ml", "ml:3", "ml:9"):
        r.lpush(name, b"{}")
    doc = api_client.get("/api/engines/ml/health").json()
    assert doc["queue_depth"] == 3
    assert "queue backlog 3 above 2" in doc["reasons"]
    # No worker either, so it is unhealthy; the backlog reason is still reported.
    assert doc["status"] == "unhealthy"


def test_a_dead_broker_makes_health_unhealthy_not_a_500(anon_client, api_client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    resp = anon_client.get("/health")
    assert resp.status_code == 503
    body = resp.json()
    assert body["status"] == "unhealthy"
    assert any(r.startswith("broker unreachable") for r in body["reasons"])
    assert body["database"]["status"] == "ok"
    assert all(e["status"] == "unhealthy" and e["queue_depth"] is None for e in body["engines"].values())

    engine = api_client.get("/api/engines/risk/health")
    assert engine.status_code == 200 and engine.json()["status"] == "unhealthy"


def test_engine_endpoints_need_auth_and_a_known_engine(anon_client, api_client):
    assert anon_client.get("/api/engines/").status_code == 401
    assert anon_client.get("/api/engines/risk/health").status_code == 401
    assert api_client.get("/api/engines/nope/health").status_code == 404


def test_engine_list_comes_from_the_registry(api_client):
    resp = api_client.get("/api/engines/")
    assert resp.status_code == 200
    listed = {e["key"]: e for e in resp.json()}
    assert list(listed) == [e.key for e in ENGINES]
    assert listed["risk"]["lanes"] == [{"name": "fast", "pool": "prefork", "concurrency": 2}]
    assert listed["factors"]["concurrency"] == 4
    assert listed["risk"]["health"]["status"] == "unhealthy"  # no worker in this test
