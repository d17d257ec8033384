"""The worker broadcast behind /api/engines/ and /health (about a second each: it waits out its
timeout) is taken by the platform heartbeat and shared through the cache; requests read it."""

from __future__ import annotations

import time

import pytest

from apps.platform import health
from apps.platform.tasks import health as health_tasks

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_broker")]


@pytest.fixture
def broadcasts(monkeypatch) -> list[float]:
    """Counts worker broadcasts; the fake one finds a worker on the risk queue."""
    calls: list[float] = []

    def fake() -> health.WorkerSnapshot:
        calls.append(time.time())
        return health.WorkerSnapshot(by_queue={"risk": ["risk@box"]}, taken_at=time.time())

    monkeypatch.setattr(health, "_broadcast_active_queues", fake)
    return calls


def test_a_second_engine_list_does_not_broadcast(api_client, broadcasts):
    first = api_client.get("/api/engines/")
    second = api_client.get("/api/engines/")
    assert first.status_code == second.status_code == 200
    assert len(broadcasts) == 1
    risk = {e["key"]: e for e in second.json()}["risk"]["health"]
    assert risk["workers"] == ["risk@box"] and risk["worker_count"] == 1
    assert risk["workers_checked_at"] is not None


def test_after_the_heartbeat_no_request_broadcasts(api_client, anon_client, broadcasts):
    health_tasks.heartbeat()
    assert len(broadcasts) == 1

    assert api_client.get("/api/engines/").status_code == 200
    assert api_client.get("/api/engines/risk/health").json()["workers"] == ["risk@box"]
    assert anon_client.get("/health").json()["engines"]["risk"]["worker_count"] == 1
    assert len(broadcasts) == 1  # all three answered from the heartbeat's snapshot


def test_a_snapshot_older_than_the_setting_is_taken_again(api_client, broadcasts, settings):
    settings.HEALTH_WORKER_CACHE_SECONDS = 0
    api_client.get("/api/engines/risk/health")
    api_client.get("/api/engines/risk/health")
    assert len(broadcasts) == 2


def test_a_failed_broadcast_is_reported_and_kept_only_briefly(api_client, monkeypatch, settings):
    settings.HEALTH_WORKER_CACHE_SECONDS = 60
    failed = health.WorkerSnapshot(error="worker inspect failed: boom", taken_at=time.time())
    monkeypatch.setattr(health, "_broadcast_active_queues", lambda: failed)
    doc = api_client.get("/api/engines/risk/health").json()
    assert doc["status"] == "unhealthy" and doc["reasons"] == ["worker inspect failed: boom"]
    assert failed.max_age() == health.FAILED_SNAPSHOT_SECONDS < 60
